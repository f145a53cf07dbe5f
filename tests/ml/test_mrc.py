"""SHARDS miss-ratio curves: exact at rate 1 (against libCacheSim's LRU), sensible when sampled."""

import os

import numpy as np

from ml.sidecar.mrc import lru_mrc
from ml.sim.references import run_reference
from ml.sim.traces import Trace, mix, next_indices, read_oracle

CACHE2K = os.path.join(os.path.dirname(__file__), "..", "data",
                       "cache2k_web12.oracleGeneral.bin.zst")


def test_full_rate_matches_exact_lru_on_a_real_trace():
    trace = read_oracle(CACHE2K).with_unit_sizes()
    sizes = [100, 500, 1375, 4000]
    curve = lru_mrc(trace.ids, sizes, rate=1.0, adjust=False)
    for size in sizes:
        assert abs(curve[size] - run_reference(trace, size, "LRU")["miss_ratio"]) < 1e-9


def test_a_loop_misses_until_the_cache_holds_it_all():
    ids = mix(np.tile(np.arange(500, dtype=np.int64), 20))
    curve = lru_mrc(ids, [100, 499, 500, 1000], rate=1.0, adjust=False)
    assert curve[100] == curve[499] == 1.0
    assert curve[500] == curve[1000] == 500 / 10_000  # only the first pass misses


def test_a_ten_percent_sample_tracks_the_curve():
    """Zipf keys: whether the hottest keys fall in the sample moves the raw estimate a lot;
    SHARDS's adjustment (the default) corrects for it."""
    rng = np.random.default_rng(0)
    ids = mix(rng.zipf(1.2, 200_000) % 50_000)
    trace = Trace("zipf", ids, np.ones_like(ids), np.zeros_like(ids), next_indices(ids))
    sizes = [500, 2000, 10_000]
    exact = {s: run_reference(trace, s, "LRU")["miss_ratio"] for s in sizes}
    adjusted = lru_mrc(ids, sizes, rate=0.1)
    raw = lru_mrc(ids, sizes, rate=0.1, adjust=False)
    assert np.mean([abs(adjusted[s] - exact[s]) for s in sizes]) < 0.01
    assert np.mean([abs(raw[s] - exact[s]) for s in sizes]) > 0.05


def test_the_sidecars_curve_from_presampled_accesses_equals_shards_on_the_full_stream():
    from ml.sidecar.mrc import HASH_BITS, sampled_lru_mrc

    trace = read_oracle(CACHE2K).with_unit_sizes()
    sizes = [200, 1000, 3000]
    threshold = int(0.1 * (1 << HASH_BITS))
    sampled = trace.ids[(trace.ids & ((1 << HASH_BITS) - 1)) < threshold]
    assert sampled_lru_mrc(sampled, threshold / (1 << HASH_BITS), sizes) == \
        lru_mrc(trace.ids, sizes, rate=0.1, adjust=False)


def test_miniature_simulation_at_rate_one_is_the_full_replay():
    from ml.sidecar.mrc import miniature_mrc
    from ml.sim.simulate import run_policy

    trace = read_oracle(CACHE2K).with_unit_sizes()
    curve = miniature_mrc(trace, 1.0, [500], "allkeys-s3fifo")
    assert curve[500] == run_policy(trace, 500, "allkeys-s3fifo")["miss_ratio"]


# -- reuse times and AET ----------------------------------------------------------------------
def brute_force_aet(times, sizes):
    """AET over complete reuse times, one clock tick at a time, in integers."""
    finite = np.sort(times)
    ticks = np.arange(finite.max() + 2)
    above = finite.size - np.searchsorted(finite, ticks, side="right")  # samples with rt > t
    reached = np.concatenate(([0], np.cumsum(above)))  # total x sum of s(t) over t < T
    curve = {}
    for size in sizes:
        at = int(np.searchsorted(reached, size * finite.size, side="left"))
        curve[size] = above[at] / finite.size if at < above.size else 0.0
    return curve


def test_aet_over_complete_reuse_times_is_the_tick_by_tick_sum():
    from ml.sidecar.mrc import aet_mrc

    rng = np.random.default_rng(5)
    for _ in range(300):
        times = rng.integers(1, 300, rng.integers(1, 60))
        sizes = [int(s) for s in rng.integers(0, 400, 6)]
        curve = aet_mrc(times, np.ones(times.size, np.bool_), sizes)
        expected = brute_force_aet(times, sizes)
        assert all(abs(curve[s] - expected[s]) < 1e-9 for s in sizes), (times, sizes)


def test_a_loop_of_reuse_times_hits_once_the_cache_holds_it():
    from ml.sidecar.mrc import reuse_mrc

    ids = mix(np.tile(np.arange(500, dtype=np.int64), 20))
    curve = reuse_mrc(ids, [100, 499, 500, 1000], rate=1.0)
    # the last pass's monitors stay open (censored): the stream's steady state, no cold start
    assert curve[100] == curve[499] == 1.0
    assert curve[500] == curve[1000] == 0.0


def test_open_and_dropped_monitors_count_as_reuse_times_longer_than_their_age():
    from ml.reuse import EVENT
    from ml.sidecar.mrc import ReuseCohort, aet_mrc

    cohort = ReuseCohort(size=3)
    events = np.array([(1, 0), (2, 0), (1, 5), (6, 0), (7, 0), (2, -9), (42, 50)], EVENT)
    cohort.add(events, clock=10)
    times, ended = cohort.observations()
    # the cohort keeps the last 3 starts (2, 6, 7): 1's end is of a start it no longer holds,
    # 42's of one it never held; 2 was dropped at 9, 6 and 7 are open at 10
    assert times.tolist() == [7, 4, 3] and ended.tolist() == [False, False, False]
    assert aet_mrc(times, ended, [1, 5]) == {1: 1.0, 5: 1.0}  # nothing came back yet
    cohort.add(np.array([(6, 12)], EVENT), clock=12)
    times, ended = cohort.observations()
    assert times.tolist() == [7, 6, 5] and ended.tolist() == [False, True, False]


def test_a_one_percent_reuse_sample_tracks_lru_on_a_real_trace():
    """What SHARDS cannot do on this trace's 13,756 keys (0.10 mean error at 1% over eight
    hashes: docs/benchmarks.md): a 1% sample of the accesses, over eight seeds."""
    from ml.sidecar.mrc import reuse_mrc

    trace = read_oracle(CACHE2K).with_unit_sizes()
    sizes = [137, 687, 1375, 2751, 6878]  # 1%, 5%, 10%, 20%, 50% of the keys
    exact = {s: run_reference(trace, s, "LRU")["miss_ratio"] for s in sizes}
    errors = [np.mean([abs(reuse_mrc(trace.ids, sizes, 0.01, seed)[s] - exact[s])
                       for s in sizes]) for seed in range(8)]
    assert np.mean(errors) < 0.02, errors
    full = reuse_mrc(trace.ids, sizes, 1.0)
    assert np.mean([abs(full[s] - exact[s]) for s in sizes]) < 0.01
