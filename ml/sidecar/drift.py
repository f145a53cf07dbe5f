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

    def _draw(self, values: np.ndarray) -> np.ndarray:
        if len(values) <= self.subsample:
            return values
        return self.rng_.choice(values, self.subsample, replace=False)

    def _score(self, reference, window) -> float:
        return float(stats.ks_2samp(self._draw(reference), self._draw(window)).pvalue)

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
        edges = np.unique(np.quantile(reference, np.linspace(0, 1, self.bins + 1)[1:-1]))
        expected = np.bincount(np.searchsorted(edges, reference, side="right"),
                               minlength=len(edges) + 1) / len(reference)
        actual = np.bincount(np.searchsorted(edges, window, side="right"),
                             minlength=len(edges) + 1) / len(window)
        expected = np.maximum(expected, self.floor)
        actual = np.maximum(actual, self.floor)
        return float(np.sum((actual - expected) * np.log(actual / expected)))

    def _over(self, psi: float) -> bool:
        return psi > self.threshold
