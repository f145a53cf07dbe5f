"""Drift detectors on seeded streams: the exact update that declares drift, and silence on
stationary data."""

import numpy as np
import pytest

from ml.sidecar.drift import KSDrift, PSIDrift


def detections(detector, stream) -> list:
    return [i for i, x in enumerate(stream) if detector.update(x).drift_detected]


def shifted_stream(seed=42):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(0, 1, 5000), rng.normal(0.8, 1, 5000)])


@pytest.mark.parametrize("detector", [KSDrift(), PSIDrift()], ids=["ks", "psi"])
def test_mean_shift_is_declared_after_two_windows_over_threshold(detector):
    # the shift lands at 5000; windows of 1000 end at 5999 and 6999: the second declares it
    assert detections(detector, shifted_stream()) == [6999]


@pytest.mark.parametrize("detector", [KSDrift(), PSIDrift()], ids=["ks", "psi"])
def test_stationary_heavy_tailed_stream_raises_nothing(detector):
    stream = np.random.default_rng(7).lognormal(3, 1, 50_000)
    assert detections(detector, stream) == []


def test_patience_is_hysteresis():
    eager = KSDrift(patience=1)
    assert detections(eager, shifted_stream()) == [5999]


def test_a_declared_window_becomes_the_reference():
    detector = PSIDrift()
    rng = np.random.default_rng(3)
    stream = np.concatenate([rng.normal(0, 1, 4000), rng.normal(2, 1, 8000)])
    # one declaration for one shift: the shifted data is the new normal afterwards
    assert detections(detector, stream) == [5999]


def test_small_shifts_on_large_windows_do_not_trip_ks():
    """A 0.05-sigma nudge is real but harmless; on 20,000-value windows an unbounded KS test
    would flag it, the 200-value subsample does not."""
    rng = np.random.default_rng(11)
    stream = np.concatenate([rng.normal(0, 1, 40_000), rng.normal(0.05, 1, 40_000)])
    assert detections(KSDrift(window=20_000), stream) == []
