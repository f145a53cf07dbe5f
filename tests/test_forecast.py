"""The dashboard's 24-hour hit-ratio forecast (ops/forecast.py) on synthetic histories."""

import math

import pytest

from ops.forecast import HOUR, hit_ratio_forecast, hourly

NOW = 1_700_000_000.0


def minutes(ratio_at, hours: float, lookups: int = 100) -> list:
    start = NOW - hours * HOUR
    return [{"time": start + i * 60, "hit_ratio": ratio_at(start + i * 60), "lookups": lookups}
            for i in range(int(hours * 60))]


def daily(t: float) -> float:
    return 0.7 + 0.2 * math.sin(2 * math.pi * (t % 86400) / 86400)


def test_a_daily_pattern_is_forecast_from_the_same_hours_of_earlier_days():
    result = hit_ratio_forecast(minutes(daily, 72), [], NOW)
    assert result["method"] == "seasonal-daily"
    assert len(result["points"]) == 24
    for point in result["points"]:
        # each point is the hour starting at its time: compare with the middle of that hour
        assert point["hit_ratio"] == pytest.approx(daily(point["time"] + HOUR / 2), abs=0.01)
        assert point["low"] <= point["hit_ratio"] <= point["high"]


def test_a_recent_shift_from_the_daily_pattern_carries_on_and_fades():
    shifted = minutes(lambda t: daily(t) - (0.2 if t > NOW - 3 * HOUR else 0.0), 72)
    points = hit_ratio_forecast(shifted, [], NOW)["points"]
    gaps = [daily(p["time"] + HOUR / 2) - p["hit_ratio"] for p in points]
    assert 0.1 < gaps[0] < 0.2
    assert all(later < earlier for earlier, later in zip(gaps[:16], gaps[1:16]))
    assert abs(gaps[15]) < 0.04


def test_a_warming_cache_keeps_rising_less_and_less_and_stays_below_one():
    warming = minutes(lambda t: 0.3 + 0.05 * (t - (NOW - 6 * HOUR)) / HOUR, 6)
    result = hit_ratio_forecast(warming, [], NOW)
    assert result["method"] == "damped-trend" and result["basis"] == "minutes"
    ratios = [p["hit_ratio"] for p in result["points"]]
    steps = [b - a for a, b in zip(ratios, ratios[1:])]
    assert ratios[0] == pytest.approx(0.6, abs=0.02)
    assert all(step > 0 for step in steps) and steps[-1] < steps[0] / 5
    assert max(ratios) <= 1.0


def test_a_few_minutes_of_a_trend_forecast_roughly_the_current_ratio():
    seconds = [{"time": NOW - 120 + i, "hit_ratio": 0.5 + 0.002 * i, "lookups": 50}
               for i in range(120)]
    result = hit_ratio_forecast([], seconds, NOW)
    assert result["basis"] == "seconds"
    assert all(p["hit_ratio"] == pytest.approx(0.74, abs=0.03) for p in result["points"])


def test_noise_widens_the_band_and_a_flat_history_forecasts_flat():
    steady = minutes(lambda t: 0.8, 10)
    noisy = minutes(lambda t: 0.8 + (0.05 if int(t / 60) % 2 else -0.05), 10)
    calm = hit_ratio_forecast(steady, [], NOW)["points"]
    wild = hit_ratio_forecast(noisy, [], NOW)["points"]
    assert all(p["hit_ratio"] == pytest.approx(0.8, abs=1e-6) for p in calm)
    assert calm[0]["high"] - calm[0]["low"] == pytest.approx(0.0, abs=1e-6)
    assert wild[0]["high"] - wild[0]["low"] > 0.15
    assert wild[-1]["high"] - wild[-1]["low"] > wild[0]["high"] - wild[0]["low"]


def test_without_lookups_there_is_no_forecast():
    idle = [{"time": NOW - 60 * i, "hit_ratio": None, "lookups": 0} for i in range(100)]
    assert hit_ratio_forecast(idle, idle, NOW) == {
        "method": "none", "basis": "seconds", "basis_points": 0, "points": []}


def test_hours_are_weighted_by_their_lookups():
    samples = [{"time": NOW, "hit_ratio": 1.0, "lookups": 900},
               {"time": NOW + 60, "hit_ratio": 0.0, "lookups": 100}]
    ((_, ratio, lookups),) = hourly(samples)
    assert ratio == pytest.approx(0.9) and lookups == 1000
