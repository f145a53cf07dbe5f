"""The sidecar's logic in-process (ml/sidecar/worker.Sidecar): batches become windows, state
and a miss-ratio curve; a drift starts a retrain whose accepted candidate lands in the registry
and is announced; operator requests and configuration changes."""

import time

import numpy as np
import pytest

from ml.sampler import OP_ACCESS, RECORD
from ml.sidecar.registry import ModelRegistry
from ml.sidecar.worker import Sidecar

from ml.train import hot_evicting_model

SETTINGS = {"rate": 1.0, "window": 1000, "patience": 2, "horizon_windows": 4,
            "margin": 0.005}


def batches(n, seed=0, move_at=None, universe=5000, size=2000):
    rng = np.random.default_rng(seed)
    first, second = rng.permutation(universe) + 10, rng.permutation(universe) + 10 + universe
    ranks = np.minimum(rng.zipf(1.2, n) - 1, universe - 1)
    records = np.zeros(n, RECORD)
    records["hash"] = first[ranks]
    if move_at is not None:
        records["hash"][move_at:] = second[ranks[move_at:]]
    records["seq"] = np.arange(n)
    records["size"] = 100
    records["op"] = OP_ACCESS
    for start in range(0, n, size):
        yield records[start:start + size].tobytes()


@pytest.fixture
def sidecar(tmp_path):
    sent = []
    champion = tmp_path / "champion.npz"
    hot_evicting_model().save(str(champion))
    car = Sidecar(sent.append, ModelRegistry(str(tmp_path / "registry")))
    car.handle({"op": "config", "settings": SETTINGS}, b"")
    car.handle({"op": "champion", "path": str(champion), "version": None}, b"")
    car.sent = sent
    return car


def feed(car, payloads, keys=200, maxmemory=1 << 20):
    gauges = {"keys": keys, "maxmemory": maxmemory}
    for payload in payloads:
        car.handle({"op": "batch", "counters": {"reads": 10, "writes": 1}, "gauges": gauges},
                   payload)


def wait_for_retrain(car, timeout=60):
    deadline = time.time() + timeout
    while car.retraining is not None and time.time() < deadline:
        time.sleep(0.05)
    assert car.retraining is None


def test_stationary_batches_publish_state_and_a_curve_without_drift(sidecar):
    feed(sidecar, batches(20_000))
    state = [m for m in sidecar.sent if m["op"] == "state"][-1]["state"]
    assert state["ticks"] == 20_000 and state["windows"] == 16  # warm after 4000 ticks
    assert state["drift_detections"] == [] and state["retrain_count"] == 0
    mrc = state["mrc"]
    assert mrc["sizes"] == [50, 100, 200, 400, 800] and mrc["live_size"] == 200
    for policy in ("lru", "allkeys-lfu", "allkeys-s3fifo", "volatile-learned"):
        assert len(mrc[policy]) == 5
        assert all(a >= b for a, b in zip(mrc[policy], mrc[policy][1:]))  # more memory, fewer misses


def test_the_lru_curve_comes_from_the_reuse_sample_once_it_has_enough(sidecar):
    from ml.reuse import trace_events

    feed(sidecar, batches(2000))
    sidecar.update_mrc()
    assert sidecar.mrc["lru_estimate"] == "shards" and sidecar.mrc["reuse_samples"] == 0
    events, clock = trace_events(np.tile(np.arange(1, 101, dtype=np.int64), 50), 1.0)
    records = next(batches(10))
    sidecar.handle({"op": "batch", "counters": {}, "gauges": {"keys": 200, "maxmemory": 0},
                    "records": len(records) // RECORD.itemsize, "reuse_clock": clock},
                   records + events.tobytes())
    sidecar.update_mrc()
    mrc = sidecar.mrc
    assert mrc["lru_estimate"] == "aet" and mrc["reuse_samples"] == 5000
    # a loop over 100 keys: all misses below 100 keys, none from 100 on
    assert mrc["sizes"] == [50, 100, 200, 400, 800] and mrc["lru"] == [1.0, 0, 0, 0, 0]
    assert len(sidecar.history) == 2010  # the payload's records, not its events


def test_a_shift_is_detected_retrained_registered_and_announced(sidecar):
    feed(sidecar, batches(40_000, move_at=20_000))
    assert sidecar.drift.detections_ == [18]
    logs = [m for m in sidecar.sent if m["op"] == "log"]
    assert logs[0]["event"] == "drift_detected" and "hot_rank" in logs[0]["features"]
    wait_for_retrain(sidecar)
    outcome = sidecar.retrains[-1]
    assert outcome["reason"] == "drift" and outcome["accepted"], outcome["detail"]
    candidates = [m for m in sidecar.sent if m["op"] == "candidate"]
    assert [c["version"] for c in candidates] == [outcome["version"]] == [1]
    meta = sidecar.registry.describe(1)
    assert meta["source"] == "sidecar retrain (drift)" and meta["model"]["trigger"] == "drift"
    assert meta["model"]["candidate_miss_ratio"] < meta["model"]["champion_miss_ratio"]


def test_a_retrain_request_while_one_runs_is_not_started_twice(sidecar):
    feed(sidecar, batches(10_000))
    assert sidecar.start_retrain("PREDIS.RETRAIN")
    assert not sidecar.start_retrain("PREDIS.RETRAIN")
    wait_for_retrain(sidecar)
    assert sidecar.retrain_count == 1 and sidecar.retrains[0]["reason"] == "PREDIS.RETRAIN"


def test_a_drift_declared_during_a_retrain_is_retrained_after_it(sidecar):
    """The workload moved again while the model was training on the old data: one more
    retrain follows (a second request meanwhile does not queue a third)."""
    feed(sidecar, batches(10_000))
    assert sidecar.start_retrain("PREDIS.RETRAIN")
    assert not sidecar.start_retrain("drift")
    assert not sidecar.start_retrain("drift")
    assert not sidecar.start_retrain("PREDIS.RETRAIN")  # an operator's request is not queued
    wait_for_retrain(sidecar)
    time.sleep(0.2)  # the follow-up starts as the first ends
    wait_for_retrain(sidecar)
    assert sidecar.retrain_count == 2
    assert [o["reason"] for o in sidecar.retrains] == ["PREDIS.RETRAIN", "drift"]


def test_a_new_window_size_restarts_the_detector_and_stop_ends_the_loop(sidecar):
    feed(sidecar, batches(8000))
    assert sidecar.windows.window == 1000 and sidecar.windows.tick_ == 8000
    sidecar.handle({"op": "config", "settings": {**SETTINGS, "window": 500}}, b"")
    assert sidecar.windows.window == 500 and sidecar.windows.tick_ == 0
    assert sidecar.handle({"op": "stop"}, b"") is False


def test_each_namespace_with_enough_requests_gets_its_own_candidate(sidecar):
    """Namespace 1 holds most sampled requests, namespace 2 too few to train on: a retrain
    trains and announces a model for 1 (beating the hot-evicting champion on 1's keys) and
    leaves 2 on the global model."""
    sidecar.handle({"op": "config", "settings": {**SETTINGS, "namespaces": True}}, b"")
    payloads = []
    for payload in batches(12_000, seed=3):
        records = np.frombuffer(payload, RECORD).copy()
        records["ns"] = np.where(records["hash"] % 50 == 0, 2, 1)  # 2: about 2% of the keys
        payloads.append(records.tobytes())
    feed(sidecar, payloads)
    assert sidecar.start_retrain("PREDIS.RETRAIN")
    wait_for_retrain(sidecar, timeout=120)
    by_namespace = {o.get("namespace", 0): o for o in sidecar.retrains}
    assert set(by_namespace) == {0, 1, 2}
    assert by_namespace[1]["accepted"], by_namespace[1]["detail"]
    assert not by_namespace[2]["accepted"]
    assert "sampled requests" in by_namespace[2]["detail"]  # too few: the global model stays
    announced = [m for m in sidecar.sent if m["op"] == "namespace_candidate"]
    assert [(m["namespace"], m["version"]) for m in announced] == \
        [(1, by_namespace[1]["version"])]
    meta = sidecar.registry.describe(by_namespace[1]["version"])
    assert meta["source"] == "sidecar retrain (PREDIS.RETRAIN, namespace 1)"
