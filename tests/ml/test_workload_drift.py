"""Workload drift on seeded record streams (ml/sidecar/workload.py + drift.WorkloadDrift): the
exact window that declares each kind of shift, one declaration per shift, and silence on
stationary traffic."""

import numpy as np
import pytest

from ml.sampler import OP_ACCESS, OP_DELETE, RECORD
from ml.sidecar.drift import WorkloadDrift
from ml.sidecar.workload import WorkloadWindows

WINDOW, HORIZON_WINDOWS, BATCH = 1000, 4, 500


def zipf_stream(n, seed, hot_set_moves_at=None, sizes_grow_at=None, universe=20_000):
    """Zipf(1.3) requests over `universe` keys; optionally a new hot set (same shape, other
    keys) or ten-times larger values from some request on."""
    rng = np.random.default_rng(seed)
    first = rng.permutation(universe) + 10
    second = rng.permutation(universe) + 10 + universe
    ranks = np.minimum(rng.zipf(1.3, n) - 1, universe - 1)
    records = np.zeros(n, RECORD)
    records["hash"] = first[ranks]
    if hot_set_moves_at is not None:
        records["hash"][hot_set_moves_at:] = second[ranks[hot_set_moves_at:]]
    records["size"] = 100
    if sizes_grow_at is not None:
        records["size"][sizes_grow_at:] = 1000
    records["op"] = OP_ACCESS
    return records


def declarations(records, counters=lambda start: {}):
    """(window number, last tick, features over) of every declared drift."""
    windows = WorkloadWindows(WINDOW, HORIZON_WINDOWS)
    drift = WorkloadDrift()
    found = []
    for start in range(0, len(records), BATCH):
        for window in windows.add(records[start:start + BATCH], counters(start)):
            if window["warm"]:
                drift.update(window)
                if drift.drift_detected:
                    found.append((drift.windows_, window["end_tick"], drift.over_))
    return found


@pytest.mark.parametrize("seed", range(5))
def test_stationary_traffic_declares_nothing(seed):
    assert declarations(zipf_stream(60_000, seed)) == []


@pytest.mark.parametrize("seed", range(3))
def test_a_new_hot_set_is_declared_two_windows_after_the_shift(seed):
    # the shift lands at tick 20000; warm windows are numbered from tick 5000, so windows 17
    # and 18 (ending at 21000 and 22000) are the two over threshold in a row
    found = declarations(zipf_stream(40_000, seed, hot_set_moves_at=20_000))
    assert [(number, tick) for number, tick, _ in found] == [(18, 22_000)]
    assert "hot_rank" in found[0][2]


def test_larger_values_are_declared_as_a_size_shift():
    found = declarations(zipf_stream(40_000, 1, sizes_grow_at=20_000))
    assert [(number, tick, over) for number, tick, over in found] == [(18, 22_000, ["sizes"])]


def test_a_change_in_the_write_mix_comes_from_the_servers_counters():
    def counters(start):
        return {"reads": 400, "writes": 100} if start < 20_000 else {"reads": 100, "writes": 400}

    found = declarations(zipf_stream(40_000, 1), counters)
    assert [(number, over) for number, _, over in found] == [(18, ["write_mix"])]


def test_deletes_are_not_requests_and_windows_warm_after_the_horizon():
    windows = WorkloadWindows(window=10, horizon_windows=2)
    records = np.zeros(40, RECORD)
    records["hash"] = np.arange(40) % 5 + 2
    records["op"][::2] = OP_DELETE  # 20 requests, 20 deletes
    done = windows.add(records, {"hits": 3, "misses": 1})
    assert [w["end_tick"] for w in done] == [10, 20]
    assert [w["warm"] for w in done] == [False, False]
    assert done[0]["hit_ratio"] == 0.75 and done[1]["hit_ratio"] is None
    later = windows.add(records, {})
    assert [w["warm"] for w in later] == [True, True]


def test_performance_drift_is_a_moved_gap_between_live_and_predicted_hit_ratio():
    rng = np.random.default_rng(0)

    def window(gap):
        keys = rng.integers(2, 50, 1000)
        return {"gaps": rng.normal(5, 1, 800), "keys": keys, "sizes": np.full(1000, 7.0),
                "new_keys": (100, 1000), "write_mix": (10, 100), "hit_gap": gap}

    drift = WorkloadDrift(patience=2)
    gaps = [0.0, 0.01, 0.0, -0.02, -0.2, -0.21, 0.0]
    declared, over = [], []
    for gap in gaps:
        declared.append(drift.update(window(gap)).drift_detected)
        over.append(list(drift.over_))
    # windows 1-2 set the ranking and the reference; the live ratio falls 0.2 below the
    # curve's prediction at window 5 and stays there: declared at window 6, which becomes
    # the reference, so the recovery at window 7 is a change again (a streak of one)
    assert declared == [False, False, False, False, False, True, False]
    assert over[4:] == [["hit_ratio"], ["hit_ratio"], ["hit_ratio"]] and over[2:4] == [[], []]
    assert drift.detections_ == [6] and drift.streak_ == 1
