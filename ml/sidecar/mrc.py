"""Miss-ratio curves: LRU's from the reuse-time sample (AET, `aet_mrc`, below) or from a
spatial sample of the keys (SHARDS, Waldspurger et al., FAST'15); the other policies' by
miniature simulation of the spatial sample.

SHARDS: a key is in the sample when its hash falls under `rate` of the hash space, so the sample
is a consistent subset of keys and every access to a sampled key is seen. LRU stack distances are
computed on the sample (a Fenwick tree over access times counts the distinct keys touched since
the key's previous access) and scaled by 1/rate: a key hits in an LRU cache of C keys when fewer
than C distinct keys were asked for since its last access. `adjust` applies SHARDS's
adjustment: the sample sees more or fewer requests than rate x requests when hot keys do or do
not fall in it; the difference is counted at distance zero (hits at any size), so ratios are
taken over the expected number of sampled requests. (On the small shared traces it helps on some
and hurts on others: docs/benchmarks.md.)
"""

import numpy as np
from numba import njit
from numba import types
from numba.typed import Dict

HASH_BITS = 24


@njit(cache=True)
def _stack_distances(ids, threshold):
    """Scaled-by-nothing stack distances of the sampled accesses (-1: first access)."""
    n = 0
    for i in range(ids.size):
        if (ids[i] & ((1 << HASH_BITS) - 1)) < threshold:
            n += 1
    tree = np.zeros(n + 1, np.int64)
    out = np.empty(n, np.int64)
    last = Dict.empty(key_type=types.int64, value_type=types.int64)
    t = 0
    for i in range(ids.size):
        h = ids[i]
        if (h & ((1 << HASH_BITS) - 1)) >= threshold:
            continue
        t += 1
        if h in last:
            previous = last[h]
            # marks in (previous, t): distinct keys accessed since
            count = 0
            j = t - 1
            while j > 0:
                count += tree[j]
                j -= j & -j
            j = previous
            while j > 0:
                count -= tree[j]
                j -= j & -j
            out[t - 1] = count
            j = previous  # the key's mark moves to now
            while j <= n:
                tree[j] -= 1
                j += j & -j
        else:
            out[t - 1] = -1
        last[h] = t
        j = t
        while j <= n:
            tree[j] += 1
            j += j & -j
    return out


def lru_mrc(ids: np.ndarray, cache_sizes, rate: float = 0.01, adjust: bool = True) -> dict:
    """Estimated LRU miss ratio for each cache size (in objects) from a `rate` sample; at rate
    1.0 it is exact."""
    threshold = max(1, int(rate * (1 << HASH_BITS)))
    distances = _stack_distances(np.ascontiguousarray(ids, np.int64), threshold)
    sampled_rate = threshold / (1 << HASH_BITS)
    expected = max(len(ids) * sampled_rate, 1.0) if adjust else distances.size
    return _curve(distances, sampled_rate, expected, cache_sizes)


def _curve(distances: np.ndarray, rate: float, expected: float, cache_sizes) -> dict:
    """Miss ratio per cache size from sampled stack distances scaled by 1/rate, over
    `expected` sampled requests."""
    if distances.size == 0:
        return {int(size): 1.0 for size in cache_sizes}
    scaled = np.where(distances < 0, np.inf, distances / rate)
    return {int(size): float(min(1.0, np.count_nonzero(scaled >= size) / expected))
            for size in cache_sizes}


class ReuseCohort:
    """The sidecar's side of reuse-time sampling (ml/reuse.py): the last `size` sampled starts
    and what became of them, as (reuse time or age, ended) observations."""

    def __init__(self, size: int):
        self.size = size
        self.starts = np.zeros(0, np.int64)  # increasing: the server's clock only moves on
        self.ends = np.zeros(0, np.int64)  # as in ml/reuse.EVENT: 0 open, > 0 ended, < 0 dropped
        self.clock = 0

    def __len__(self):
        return self.starts.size

    def add(self, events: np.ndarray, clock: int) -> None:
        """Events in the order the server wrote them, and its clock after them."""
        opened = events["end"] == 0
        self.starts = np.concatenate([self.starts, events["start"][opened]])[-self.size:]
        self.ends = np.concatenate([self.ends, np.zeros(np.count_nonzero(opened), np.int64)]
                                   )[-self.size:]
        closed = events[~opened]
        at = np.searchsorted(self.starts, closed["start"])
        known = at < self.starts.size
        known[known] = self.starts[at[known]] == closed["start"][known]
        self.ends[at[known]] = closed["end"][known]  # (starts older than the cohort: gone)
        self.clock = max(self.clock, clock)

    def observations(self) -> tuple:
        """(times, ended): reuse times of the ended monitors; the others' ages (their reuse
        time is longer: censored)."""
        ends = self.ends
        ended = ends > 0
        stop = np.where(ended, ends, np.where(ends < 0, -ends, self.clock))
        return stop - self.starts, ended


def aet_mrc(times: np.ndarray, ended: np.ndarray, cache_sizes) -> dict:
    """LRU miss ratio per cache size (objects) from sampled reuse times (ml/reuse.py), by the
    AET model (Hu et al., USENIX ATC'16): with s(t) the share of accesses whose reuse time
    exceeds t, a cache of C objects keeps an object for the T accesses in which the sum of s(t)
    over t < T reaches C, and misses s(T) of the accesses. s is the Kaplan-Meier estimate, so
    monitors still open (or dropped) count for as long as they were seen."""
    times = np.asarray(times, np.int64)
    ended = np.asarray(ended, np.bool_)
    if times.size == 0:
        return {int(size): 1.0 for size in cache_sizes}
    event_times, deaths = np.unique(times[ended], return_counts=True)
    at_risk = times.size - np.searchsorted(np.sort(times), event_times, side="left")
    # above[j]: s(t) on [bounds[j], bounds[j + 1]), the last one for ever after
    above = np.concatenate(([1.0], np.cumprod(1.0 - deaths / at_risk)))
    bounds = np.concatenate(([0], event_times))
    reached = np.concatenate(([0.0], np.cumsum(above[:-1] * np.diff(bounds))))
    out = {}
    for size in cache_sizes:
        j = int(np.searchsorted(reached, size * (1 - 1e-12), side="left"))
        if j == 0:
            out[int(size)] = 1.0
        elif j == reached.size and above[-1] <= 0:
            out[int(size)] = 0.0  # room for every key: nothing misses any more
        else:
            start, share = bounds[j - 1], above[j - 1]
            eviction_time = start + np.ceil((size - reached[j - 1]) / share - 1e-9)
            inside = j == reached.size or eviction_time < bounds[j]
            out[int(size)] = float(share if inside else above[j])
    return out


def reuse_mrc(ids: np.ndarray, cache_sizes, rate: float = 0.01, seed: int = 0) -> dict:
    """The LRU curve the sidecar would estimate from the server's reuse-time sample of a
    trace (every monitor in the cohort)."""
    from ..reuse import trace_events

    events, clock = trace_events(ids, rate, seed)
    cohort = ReuseCohort(max(1, len(events)))
    cohort.add(events, clock)
    return aet_mrc(*cohort.observations(), cache_sizes)


def sample_trace(records, name: str = "sample", sizes: bool = False):
    """The sampled requests (ml/sampler.RECORD, deletes left out) as a simulator trace; with
    unit sizes (curves count objects) unless `sizes`: each entry's size in bytes."""
    from ..sampler import OP_DELETE
    from ..sim.traces import Trace, mix, next_indices

    requests = records[records["op"] != OP_DELETE]
    ids = mix(requests["hash"].astype(np.int64))
    weights = np.maximum(requests["size"].astype(np.int64), 1) if sizes else \
        np.ones(len(ids), np.int64)
    return Trace(name, ids, weights, (requests["time_ms"] // 1000).astype(np.int64),
                 next_indices(ids))


def sampled_lru_mrc(hashes: np.ndarray, rate: float, cache_sizes) -> dict:
    """LRU miss ratio per cache size (objects, full scale) from accesses already sampled at
    `rate`: stack distances on the sample, scaled by 1/rate."""
    distances = _stack_distances(np.ascontiguousarray(hashes, np.int64), 1 << HASH_BITS)
    return _curve(distances, rate, distances.size, cache_sizes)


def miniature_mrc(trace, rate: float, cache_sizes, policy: str, model=None) -> dict:
    """Miss ratio per full-scale cache size for one of Predis's policies, by replaying the
    sample through a cache `rate` times the size (a miniature simulation)."""
    from ..sim.simulate import run_policy

    out = {}
    for size in cache_sizes:
        capacity = max(2, int(round(size * rate)))
        out[int(size)] = float(run_policy(trace, capacity, policy, model=model)["miss_ratio"])
    return out
