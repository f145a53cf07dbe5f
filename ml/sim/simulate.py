"""Run Predis's eviction policies over a trace (numba replay) and report miss ratios."""

import time

import numpy as np

from .. import eviction
from ..features import N_FEATURES
from ..model import EvictionModel, DEFAULT_PATH
from .replay import replay

# name -> (policy code, maxmemory-samples): the server's defaults
PREDIS_POLICIES = {
    "allkeys-lru": (eviction.LRU, 5),
    "allkeys-lfu": (eviction.LFU, 5),
    "allkeys-random": (eviction.RANDOM, 5),
    "allkeys-s3fifo": (eviction.S3FIFO, 5),
    "allkeys-learned": (eviction.ADAPTIVE, 5),
    # the model alone, as volatile-learned runs it (every key of a trace counts as volatile)
    "volatile-learned": (eviction.LEARNED, 5),
}

_NO_ROWS = (np.zeros((0, N_FEATURES), np.float32), np.zeros(0, np.float32))


def model_arrays(model: EvictionModel | None) -> tuple:
    return (model or EvictionModel.load(DEFAULT_PATH)).arrays()


def run_policy(trace, capacity: int, policy: str, eval_from: int = 0, model=None,
               samples: int | None = None, collect_every: int = 0, max_rows: int = 0,
               seed: int = 0) -> dict:
    """Replay `trace` through one Predis policy; sizes in the trace decide bytes vs objects."""
    code, default_samples = PREDIS_POLICIES[policy]
    weights = model_arrays(model) if code in (eviction.LEARNED, eviction.ADAPTIVE) \
        else model_arrays_dummy()
    features, labels = (np.zeros((max_rows, N_FEATURES), np.float32),
                        np.zeros(max_rows, np.float32)) if collect_every else _NO_ROWS
    # a replay of two requests first: the first call in a process compiles the kernels (or
    # loads them from the cache), which is not the replay speed of the cell being timed
    replay(trace.ids[:2], trace.sizes[:2], trace.times[:2], trace.nexts[:2], 1, code, 1, 0,
           *weights, 0, *_NO_ROWS, seed, 1)
    started = time.perf_counter()
    expected_objects = max(1, int(capacity / max(float(trace.sizes.mean()), 1.0)))
    requests, misses, bytes_req, bytes_missed, rows, learned_evictions = replay(
        trace.ids, trace.sizes, trace.times, trace.nexts, int(capacity), code,
        samples or default_samples, int(eval_from), *weights, collect_every, features, labels,
        seed, expected_objects)
    seconds = time.perf_counter() - started
    return {"policy": policy, "requests": int(requests), "misses": int(misses),
            "miss_ratio": misses / max(requests, 1),
            "byte_miss_ratio": bytes_missed / max(bytes_req, 1),
            "seconds": seconds, "requests_per_s": len(trace) / max(seconds, 1e-9),
            "learned_evictions": int(learned_evictions),
            "features": features[:rows], "labels": labels[:rows]}


_DUMMY = None


def model_arrays_dummy() -> tuple:
    """Placeholder weights for the policies that do not score (numba needs typed arrays)."""
    global _DUMMY
    if _DUMMY is None:
        rng = np.random.default_rng(0)
        _DUMMY = EvictionModel({"w1": rng.normal(size=(4, N_FEATURES)), "b1": np.zeros(4),
                                "w2": rng.normal(size=(2, 4)), "b2": np.zeros(2),
                                "w3": rng.normal(size=(1, 2)), "b3": np.zeros(1)}).arrays()
    return _DUMMY
