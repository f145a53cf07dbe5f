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
