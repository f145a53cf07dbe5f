"""Reuse-time sampling: a random sample of all accesses, each followed to its key's next
access, for LRU miss-ratio curves by the AET model (ml/sidecar/mrc.aet_mrc).

Why not only SHARDS's spatial sample (ml/sampler.py): a spatial sample keeps whole keys, so on
a keyspace of a few thousand keys whether a handful of hot ones fall in it moves the curve by
several points (docs/benchmarks.md: 0.09 mean error at 1% on the shared traces, all of it
sampling error). A reuse time belongs to one access, and sampling accesses at random spreads
the sample over hot and cold keys alike.

A sampled access starts a monitor on its key's hash (this table, nothing per key elsewhere);
the key's next access ends it with the reuse time (accesses in between, counted on a clock of
accesses to keys that exist). Whatever happens to the key meanwhile (evicted, deleted) does
not matter, as in SHARDS: the curve is the request stream's. A full table drops its older
half of monitors (keys that did not come back for millions of accesses). Every start, end and
drop is an event (EVENT) for the sidecar, which keeps the recent starts as a cohort, the open
and dropped ones censored at their age (ml/sidecar/mrc.ReuseCohort).
"""

import numpy as np
from numba import njit

from .splitmix import GOLDEN, splitmix64

# start: the sampled access's time; end: 0 when it starts, its key's next access when it ends,
# minus the time it was dropped at when it is dropped (its reuse time exceeds that age)
EVENT = np.dtype([("start", "<i8"), ("end", "<i8")])
VT, RNG, USED = 0, 1, 2  # state: the access clock, the random generator's state, open monitors
CAPACITY = 1 << 16  # monitors' table (16 bytes each); at most 3/4 of it is used
_UNIFORM_BITS = 53
_MASK = 0x7FFFFFFFFFFFFFFF


def new_state(seed: int = 0) -> np.ndarray:
    state = np.zeros(3, np.int64)
    state[RNG] = seed
    return state


def new_table(capacity: int = CAPACITY) -> tuple:
    """(hashes, starts) of the open monitors; a start of 0 marks a free slot."""
    return np.zeros(capacity, np.int64), np.zeros(capacity, np.int64)


def threshold_of(rate: float) -> int:
    """An access is sampled when its 53-bit random draw falls under this."""
    return int(min(max(rate, 0.0), 1.0) * (1 << _UNIFORM_BITS))


@njit(cache=True)
def _draw(state):
    """The generator's next 53 random bits."""
    z = splitmix64(np.uint64(state[RNG]))
    state[RNG] = np.int64(np.uint64(state[RNG]) + np.uint64(GOLDEN))
    return np.int64(z >> np.uint64(64 - _UNIFORM_BITS))


@njit(cache=True)
def _find(hashes, starts, h):
    mask = hashes.size - 1
    i = (h & _MASK) & mask
    while starts[i] != 0:
        if hashes[i] == h:
            return i
        i = (i + 1) & mask
    return -1


@njit(cache=True)
def _put(hashes, starts, h, start):
    mask = hashes.size - 1
    i = (h & _MASK) & mask
    while starts[i] != 0:
        i = (i + 1) & mask
    hashes[i] = h
    starts[i] = start


@njit(cache=True)
def _remove(hashes, starts, i):
    """Free slot i, moving later entries of its probe run back (no tombstones)."""
    mask = hashes.size - 1
    j = i
    while True:
        j = (j + 1) & mask
        if starts[j] == 0:
            break
        home = (hashes[j] & _MASK) & mask
        # the entry at j may fill the hole at i unless its home lies cyclically in (i, j]
        if (i <= j and i < home <= j) or (i > j and (home > i or home <= j)):
            continue
        hashes[i] = hashes[j]
        starts[i] = starts[j]
        i = j
    starts[i] = 0


@njit(cache=True)
def _sweep(hashes, starts, state, vt, events, count):
    """A full table drops its older half of monitors (censored at their age now); the rest
    are put back in a clean table."""
    oldest = vt
    for i in range(starts.size):
        if starts[i] != 0 and starts[i] < oldest:
            oldest = starts[i]
    cutoff = oldest + (vt - oldest) // 2
    kept_hashes = np.empty(state[USED], np.int64)
    kept_starts = np.empty(state[USED], np.int64)
    kept = 0
    for i in range(starts.size):
        if starts[i] == 0:
            continue
        if starts[i] <= cutoff:
            events[count].start = starts[i]
            events[count].end = -vt
            count += 1
        else:
            kept_hashes[kept] = hashes[i]
            kept_starts[kept] = starts[i]
            kept += 1
        starts[i] = 0
    for k in range(kept):
        _put(hashes, starts, kept_hashes[k], kept_starts[k])
    state[USED] = kept
    return count


@njit(cache=True)
def follow(hashes_in, present, salt, hashes, starts, state, threshold, events):
    """One folded batch of accesses in order (`present`: the key exists; accesses to absent
    keys are not timed). `salt` tells databases apart. Writes the events to `events` and
    returns how many."""
    count = 0
    vt = state[VT]
    room = hashes.size * 3 // 4
    for i in range(hashes_in.size):
        if not present[i]:
            continue
        vt += 1
        h = hashes_in[i] ^ salt
        slot = _find(hashes, starts, h)
        if slot >= 0:
            events[count].start = starts[slot]
            events[count].end = vt
            count += 1
            _remove(hashes, starts, slot)
            state[USED] -= 1
        if _draw(state) >= threshold:
            continue
        if state[USED] >= room:
            count = _sweep(hashes, starts, state, vt, events, count)
        _put(hashes, starts, h, vt)
        state[USED] += 1
        events[count].start = vt
        events[count].end = 0
        count += 1
    state[VT] = vt
    return count


class ReuseSampler:
    """The server's side: the monitors' table, the clock and the sampling threshold."""

    def __init__(self, rate: float, capacity: int = CAPACITY, seed: int = 0):
        self.hashes, self.starts = new_table(capacity)
        self.state = new_state(seed)
        self.set_rate(rate)

    def set_rate(self, rate: float) -> np.ndarray:
        """The drops of the open monitors when sampling goes off (the clock stops, so they
        would end too early), else no events."""
        self.threshold = threshold_of(rate)
        if self.threshold:
            return np.empty(0, EVENT)
        open_ = self.starts != 0
        dropped = np.empty(np.count_nonzero(open_), EVENT)
        dropped["start"] = np.sort(self.starts[open_])
        dropped["end"] = -self.clock
        self.starts[:] = 0
        self.state[USED] = 0
        return dropped

    @property
    def clock(self) -> int:
        return int(self.state[VT])

    @property
    def open(self) -> int:
        return int(self.state[USED])

    def follow(self, hashes: np.ndarray, present: np.ndarray, db_index: int = 0) -> np.ndarray:
        """The events of one folded batch (EVENT records); none while sampling is off."""
        if not self.threshold:
            return np.empty(0, EVENT)
        # room for a start and an end per access, and drops of every monitor open now or
        # started in this batch
        events = np.empty(3 * len(hashes) + self.open, EVENT)
        salt = np.int64((db_index * GOLDEN) & _MASK)
        count = follow(hashes, present, salt, self.hashes, self.starts, self.state,
                       self.threshold, events)
        return events[:count]


def trace_events(ids: np.ndarray, rate: float, seed: int = 0):
    """What the server's sampler would report for a trace of key ids (every key present):
    (events, the clock at the end)."""
    sampler = ReuseSampler(rate, seed=seed)
    events = sampler.follow(np.ascontiguousarray(ids, np.int64), np.ones(len(ids), np.bool_))
    return events, sampler.clock
