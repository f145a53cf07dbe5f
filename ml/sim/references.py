"""libCacheSim's reference policies, fed the same arrays and window as Predis's own replay.

Requests go one by one through `cache.get()` so misses are counted only from `eval_from` on while
the earlier part still warms the cache, exactly as ml/sim/replay.py counts Predis's policies.
"""

import os
from contextlib import contextmanager

import libcachesim as lcs

NEVER = (1 << 63) - 1  # libCacheSim's Belady wants INT64_MAX for "never requested again"

REFERENCES = ("LRU", "LFU", "ARC", "S3FIFO", "Sieve", "WTinyLFU", "LRB", "GLCache", "Belady")


@contextmanager
def _quiet_c_output():
    """Some policies (GLCache) print banners from C straight to fds 1 and 2."""
    saved = [os.dup(1), os.dup(2)]
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved + [null]:
            os.close(fd)


def make_cache(name: str, capacity: int):
    cls = getattr(lcs, name)
    with _quiet_c_output():
        if name == "LRB":  # it learns to lower the miss ratio it is scored on
            return cls(cache_size=capacity, objective="object-miss-ratio")
        return cls(cache_size=capacity)


def run_reference(trace, capacity: int, name: str, eval_from: int = 0, progress=None) -> dict:
    if name == "GLCache":  # it also logs from C while it runs
        with _quiet_c_output():
            return _replay(trace, capacity, name, eval_from, progress)
    return _replay(trace, capacity, name, eval_from, progress)


def _replay(trace, capacity, name, eval_from, progress) -> dict:
    cache = make_cache(name, capacity)
    request = lcs.Request()
    get = cache.get
    ids, sizes, times, nexts = (trace.ids.tolist(), trace.sizes.tolist(), trace.times.tolist(),
                                trace.nexts.tolist())
    requests = misses = bytes_requested = bytes_missed = 0
    for i in range(len(ids)):
        request.obj_id = ids[i] & 0x7FFFFFFFFFFFFFFF
        request.obj_size = sizes[i]
        request.clock_time = times[i]
        # libCacheSim counts virtual time from 1
        request.next_access_vtime = nexts[i] + 1 if nexts[i] >= 0 else NEVER
        hit = get(request)
        if i >= eval_from:
            requests += 1
            bytes_requested += sizes[i]
            if not hit:
                misses += 1
                bytes_missed += sizes[i]
        if progress is not None and i % 8192 == 8191:
            progress(8192)
    if progress is not None:
        progress(len(ids) % 8192)
    return {"policy": name, "requests": requests, "misses": misses,
            "miss_ratio": misses / max(requests, 1),
            "byte_miss_ratio": bytes_missed / max(bytes_requested, 1)}
