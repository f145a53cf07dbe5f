"""The dashboard's forecast of the hit ratio for the next 24 hours, from the per-minute history.

With a day or more of history the forecast is seasonal: each hour of the day gets the average
ratio seen at that hour (weighted by lookups), shifted by how far the last three hours sat from
their own hours' averages, a shift that fades as the forecast goes out. With less, it is a damped
trend (Holt's, with the trend fitted by weighted least squares over the history, per minute,
or per second in the first minutes): a cache warming up keeps rising, less and less. A trend
seen over a short history is shrunk towards flat (by (h / (h + 6))^2 after h hours: a quarter
of it counts after six), so a few minutes of data forecast roughly the current ratio rather
than a line to 0 or 1. Either way the band is the fit's residual spread
(1.96 sigma) widening with the horizon, and every value stays within [0, 1].
"""

import math

HOUR = 3600.0
DAY_HOURS = 24
DAMPING = 0.9  # per forecast hour: how much of the trend (or the seasonal shift) carries on
TREND_SHRINK_HOURS = 6.0


def observed(samples: list) -> list:
    """(time, hit ratio, lookups) of the samples that saw lookups."""
    return [(s["time"], s["hit_ratio"], s["lookups"]) for s in samples
            if s.get("hit_ratio") is not None and s.get("lookups")]


def hourly(samples: list) -> list:
    """(hour start, hit ratio, lookups) for each hour with lookups, oldest first."""
    buckets = {}
    for when, ratio, lookups in observed(samples):
        hour = math.floor(when / HOUR) * HOUR
        hits, seen = buckets.get(hour, (0.0, 0))
        buckets[hour] = (hits + ratio * lookups, seen + lookups)
    return [(hour, hits / seen, seen) for hour, (hits, seen) in sorted(buckets.items())]


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def _weighted_line(points: list):
    """(intercept, slope, residual sigma) of ratio against time, weighted by lookups."""
    total = sum(w for _, _, w in points)
    mean_t = sum(t * w for t, _, w in points) / total
    mean_r = sum(r * w for _, r, w in points) / total
    var_t = sum(w * (t - mean_t) ** 2 for t, _, w in points)
    slope = sum(w * (t - mean_t) * (r - mean_r) for t, r, w in points) / var_t if var_t else 0.0
    intercept = mean_r - slope * mean_t
    sigma = math.sqrt(sum(w * (r - intercept - slope * t) ** 2 for t, r, w in points) / total)
    return intercept, slope, sigma


def _point(when: float, value: float, sigma: float, steps_out: int, basis: int) -> dict:
    spread = 1.96 * sigma * math.sqrt(1 + steps_out / max(basis, 1))
    return {"time": when, "hit_ratio": round(_clamp(value), 5),
            "low": round(_clamp(value - spread), 5), "high": round(_clamp(value + spread), 5)}


def _damped_sum(steps: int) -> float:
    return sum(DAMPING ** i for i in range(1, steps + 1))


def _trend(points: list, start: float, horizon: int) -> list:
    hours = [(t / HOUR, r, w) for t, r, w in points]
    intercept, slope, sigma = _weighted_line(hours)
    last = hours[-1][0]
    level = intercept + slope * last  # the fitted ratio now; the shrunk trend goes on from it
    span = last - hours[0][0]
    slope *= (span / (span + TREND_SHRINK_HOURS)) ** 2
    return [_point(start + k * HOUR, level + slope * _damped_sum(k), sigma, k, len(points))
            for k in range(1, horizon + 1)]


def _seasonal(points: list, start: float, horizon: int) -> list:
    sums = {}
    for t, r, w in points:
        hod = int(t // HOUR) % DAY_HOURS
        total, weight = sums.get(hod, (0.0, 0))
        sums[hod] = (total + r * w, weight + w)
    profile = {hod: total / weight for hod, (total, weight) in sums.items()}
    overall = sum(r * w for _, r, w in points) / sum(w for _, _, w in points)
    expected = lambda t: profile.get(int(t // HOUR) % DAY_HOURS, overall)  # noqa: E731
    residuals = [(r - expected(t), w) for t, r, w in points]
    sigma = math.sqrt(sum(w * e * e for e, w in residuals) / sum(w for _, w in residuals))
    recent = residuals[-3:]
    shift = sum(e * w for e, w in recent) / sum(w for _, w in recent)
    return [_point(start + k * HOUR, expected(start + k * HOUR) + shift * DAMPING ** k, sigma, k,
                   len(points)) for k in range(1, horizon + 1)]


def hit_ratio_forecast(minutes: list, seconds: list, now: float,
                       horizon_hours: int = DAY_HOURS) -> dict:
    """Hourly forecast points from `now` on, with the method used and the samples it rests on:
    per-minute samples, or per-second ones while fewer than two minutes have lookups."""
    by_hour = hourly(minutes)
    start = math.floor(now / HOUR) * HOUR
    if by_hour and (by_hour[-1][0] - by_hour[0][0]) / HOUR + 1 >= DAY_HOURS:
        return {"method": "seasonal-daily", "basis": "hours", "basis_points": len(by_hour),
                "points": _seasonal(by_hour, start, horizon_hours)}
    basis, points = "minutes", observed(minutes)
    if len(points) < 2:
        basis, points = "seconds", observed(seconds)
    if len(points) < 2:
        return {"method": "none", "basis": basis, "basis_points": len(points), "points": []}
    return {"method": "damped-trend", "basis": basis, "basis_points": len(points),
            "points": _trend(points, start, horizon_hours)}
