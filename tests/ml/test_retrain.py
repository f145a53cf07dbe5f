"""Retraining on the sidecar's sample: a candidate that beats the champion on the held-out
later slice is accepted, one that does not by the margin is rejected, too little data is not
attempted."""

import numpy as np
import pytest

from ml.sampler import OP_ACCESS, RECORD
from ml.sidecar.retrain import retrain
from ml.train import hot_evicting_model


def zipf_sample(n, seed=0, universe=5000):
    rng = np.random.default_rng(seed)
    records = np.zeros(n, RECORD)
    records["hash"] = rng.permutation(universe)[np.minimum(rng.zipf(1.2, n) - 1,
                                                           universe - 1)] + 10
    records["seq"] = np.arange(n)
    records["time_ms"] = np.arange(n)
    records["size"] = 100
    records["op"] = OP_ACCESS
    return records


@pytest.fixture(scope="module")
def sample():
    return zipf_sample(30_000)


def test_a_candidate_better_than_a_bad_champion_is_accepted(sample):
    outcome = retrain(sample, hot_evicting_model(), capacity=100, margin=0.01, epochs=5)
    assert outcome["accepted"], outcome["reason"]
    assert outcome["gain"] >= 0.01
    assert outcome["candidate_miss_ratio"] < outcome["champion_miss_ratio"]
    meta = outcome["candidate"].meta
    assert meta["training_requests"] == 21_000 and meta["holdout_requests"] == 9_000
    features, labels = outcome["retained"]
    assert len(features) == len(labels) > 1000


def test_a_candidate_not_better_by_the_margin_is_rejected_and_rows_are_retained(sample):
    first = retrain(sample, hot_evicting_model(), capacity=100, margin=1.0, epochs=5)
    assert not first["accepted"] and "not better by the margin 1.0" in first["reason"]
    again = retrain(sample, hot_evicting_model(), capacity=100, margin=1.0,
                    retained=first["retained"], epochs=5)
    assert again["candidate"].meta["rows"] > first["candidate"].meta["rows"]


def test_too_small_a_sample_is_not_attempted():
    outcome = retrain(zipf_sample(1000), hot_evicting_model(), capacity=100, margin=0.0)
    assert not outcome["accepted"] and outcome["candidate"] is None
    assert "only 1000 sampled requests" in outcome["reason"]


def test_a_feature_constant_in_training_is_ignored_in_service():
    """Trained where every size is the same, the model must not read a size it never saw
    vary: unit scale and zero weights, so its prediction does not move with the size."""
    from ml.features import N_FEATURES
    from ml.train import fit

    rng = np.random.default_rng(0)
    features = rng.normal(size=(3000, N_FEATURES)).astype(np.float32)
    features[:, 7] = 0.25
    labels = features[:, 0] * 2 + 1
    model = fit(features, labels, epochs=3)
    assert model.std[7] == 1.0 and not model.weights["w1"][:, 7].any()
    probe = features[:5].copy()
    moved = probe.copy()
    moved[:, 7] = 40.0  # a size far outside anything seen in training
    assert np.array_equal(model.predict(probe), model.predict(moved))
