"""Drift detectors over one numeric feature stream (inter-arrival gaps, sizes, ...), in the
river style: `update(x)` per value, `drift_detected` true on the update that declares drift.

Both compare each full window with a reference window and declare drift after `patience`
consecutive windows over the threshold (hysteresis); the window that declares it becomes the new
reference. KS tests a bounded random subsample of each window, since with thousands of values it
flags shifts too small to matter; PSI bins by the reference's quantiles, with a floor for empty
bins so one empty bin cannot make it infinite.
"""

import numpy as np
from scipy import stats


def subsample(values: np.ndarray, size: int, rng) -> np.ndarray:
    return values if len(values) <= size else rng.choice(values, size, replace=False)


def ks_pvalue(reference: np.ndarray, window: np.ndarray, size: int, rng) -> float:
    """Two-sample KS p-value on at most `size` values drawn from each side."""
    if len(reference) == 0 or len(window) == 0:
        return 1.0
    return float(stats.ks_2samp(subsample(reference, size, rng),
                                subsample(window, size, rng)).pvalue)


def psi(reference: np.ndarray, window: np.ndarray, bins: int = 10,
        floor: float = 1e-4) -> float:
    """Population stability index over `bins` quantile bins of the reference."""
    if len(reference) == 0 or len(window) == 0:
        return 0.0
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))
    expected = np.bincount(np.searchsorted(edges, reference, side="right"),
                           minlength=len(edges) + 1) / len(reference)
    actual = np.bincount(np.searchsorted(edges, window, side="right"),
                         minlength=len(edges) + 1) / len(window)
    return psi_of_shares(expected, actual, floor)


def psi_of_shares(expected: np.ndarray, actual: np.ndarray, floor: float = 1e-4) -> float:
    """PSI of two distributions over the same bins; empty bins count as `floor`."""
    expected = np.maximum(np.asarray(expected, float), floor)
    actual = np.maximum(np.asarray(actual, float), floor)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def psi_of_rates(reference: tuple, window: tuple, floor: float = 1e-4) -> float:
    """PSI of two (hits, total) proportions, as two bins (hit, not hit)."""
    (ref_yes, ref_total), (win_yes, win_total) = reference, window
    if not ref_total or not win_total:
        return 0.0
    p, q = ref_yes / ref_total, win_yes / win_total
    return psi_of_shares([p, 1 - p], [q, 1 - q], floor)


class _WindowDetector:
    def __init__(self, window: int = 1000, patience: int = 2):
        self.window = window
        self.patience = patience
        self.reference_ = None
        self.current_ = []
        self.streak_ = 0
        self.score_ = 0.0
        self.n_ = 0
        self.drift_detected = False

    def update(self, x: float) -> "_WindowDetector":
        self.n_ += 1
        self.drift_detected = False
        self.current_.append(float(x))
        if len(self.current_) < self.window:
            return self
        window, self.current_ = np.asarray(self.current_), []
        if self.reference_ is None:
            self.reference_ = window
            return self
        self.score_ = self._score(self.reference_, window)
        self.streak_ = self.streak_ + 1 if self._over(self.score_) else 0
        if self.streak_ >= self.patience:
            self.drift_detected = True
            self.reference_ = window
            self.streak_ = 0
        return self


class KSDrift(_WindowDetector):
    """Two-sample Kolmogorov-Smirnov on `subsample` values drawn from each window."""

    def __init__(self, window: int = 1000, patience: int = 2, alpha: float = 0.001,
                 subsample: int = 200, seed: int = 0):
        super().__init__(window, patience)
        self.alpha = alpha
        self.subsample = subsample
        self.rng_ = np.random.default_rng(seed)

    def _score(self, reference, window) -> float:
        return ks_pvalue(reference, window, self.subsample, self.rng_)

    def _over(self, p_value: float) -> bool:
        return p_value < self.alpha


class PSIDrift(_WindowDetector):
    """Population stability index over `bins` quantile bins of the reference window."""

    def __init__(self, window: int = 1000, patience: int = 2, threshold: float = 0.2,
                 bins: int = 10, floor: float = 1e-4):
        super().__init__(window, patience)
        self.threshold = threshold
        self.bins = bins
        self.floor = floor

    def _score(self, reference, window) -> float:
        return psi(reference, window, self.bins, self.floor)

    def _over(self, psi: float) -> bool:
        return psi > self.threshold


class WorkloadDrift:
    """Drift of a whole workload, one window of features at a time (ml/sidecar/workload.py
    makes them): continuous features by KS on a subsample and PSI, proportions (write mix,
    new-key rate) by PSI over two bins, and performance drift: the live hit ratio's distance
    from the miss-ratio curve's prediction, against the same distance in the reference window.
    A window is over when any feature is; drift is declared after `patience` windows over in
    a row, and that window becomes the reference.

    Popularity is compared as the popularity rank curve: each request's key is ranked by how
    often it was asked for in the window before the reference (keys absent there share the
    last rank), so a new hot set shows even when the shape of the popularity curve is the
    same. The ranking comes from a different window than the reference's own requests, or
    every reference key would be known to it and every later window would look colder."""

    CONTINUOUS = ("gaps", "hot_rank", "sizes")
    RATES = ("write_mix", "new_keys")

    def __init__(self, psi_threshold: float = 0.25, ks_alpha: float = 0.001, patience: int = 2,
                 subsample: int = 200, perf_threshold: float = 0.1, seed: int = 0):
        self.psi_threshold = psi_threshold
        self.ks_alpha = ks_alpha
        self.patience = patience
        self.subsample = subsample
        self.perf_threshold = perf_threshold
        self.rng_ = np.random.default_rng(seed)
        self.ranking_ = None  # key hash -> popularity rank, from the window before the reference
        self.reference_ = None
        self.previous_ = None
        self.scores_ = {}
        self.over_ = []  # the features over threshold in the last window
        self.streak_ = 0
        self.windows_ = 0
        self.detections_ = []  # window numbers that declared drift
        self.drift_detected = False

    def update(self, window: dict) -> "WorkloadDrift":
        self.windows_ += 1
        self.drift_detected = False
        previous, self.previous_ = self.previous_, window
        if self.ranking_ is None:
            self.ranking_ = _ranking(window["keys"])
            return self
        window["hot_rank"] = _ranks(self.ranking_, window["keys"])
        if self.reference_ is None:
            self.reference_ = window
            return self
        scores, over = self._compare(self.reference_, window)
        self.scores_, self.over_ = scores, over
        self.streak_ = self.streak_ + 1 if over else 0
        if self.streak_ >= self.patience:
            self.drift_detected = True
            self.detections_.append(self.windows_)
            self.ranking_ = _ranking(previous["keys"])  # both already past the shift
            window["hot_rank"] = _ranks(self.ranking_, window["keys"])
            self.reference_ = window
            self.streak_ = 0
        return self

    def _compare(self, reference: dict, window: dict) -> tuple:
        scores, over = {}, []
        for name in self.CONTINUOUS:
            ref, now = reference[name], window[name]
            p_value = ks_pvalue(ref, now, self.subsample, self.rng_)
            index = psi(ref, now)
            scores[f"{name}_ks_p"], scores[f"{name}_psi"] = p_value, index
            if p_value < self.ks_alpha or index > self.psi_threshold:
                over.append(name)
        for name in self.RATES:
            index = psi_of_rates(reference[name], window[name])
            scores[f"{name}_psi"] = index
            if index > self.psi_threshold:
                over.append(name)
        ref_gap, gap = reference.get("hit_gap"), window.get("hit_gap")
        if ref_gap is not None and gap is not None:
            scores["hit_gap_change"] = abs(gap - ref_gap)
            if abs(gap - ref_gap) > self.perf_threshold:
                over.append("hit_ratio")
        return scores, over


def _ranking(keys: np.ndarray) -> dict:
    """key -> rank by request count in `keys` (0: the most requested)."""
    unique, counts = np.unique(keys, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    return dict(zip(unique[order].tolist(), range(len(order))))


def _ranks(ranking: dict, keys: np.ndarray) -> np.ndarray:
    """log2(1 + rank) of each request's key in `ranking`; unknown keys share the last rank."""
    unknown = len(ranking)
    return np.log2(1.0 + np.fromiter((ranking.get(k, unknown) for k in keys.tolist()),
                                     float, len(keys)))
