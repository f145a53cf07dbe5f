"""allkeys-learned's arbiter: which eviction expert fits the workload right now.

Three miniature caches run beside the real one on a sample of the keys (those whose hash falls
in 1/2**shift of the space, with 1/2**shift of the capacity, in objects: the spatial sampling of
SHARDS-style miss-ratio curves). They evict with S3-FIFO, with the learned model, and by exact
recency. Each keeps a decaying count of its misses; the real cache evicts with whichever expert
misses least. The model wins where per-key prediction pays (frequency and reuse-distance
patterns); S3-FIFO where only set-level reasoning helps (loops larger than the cache, where
every key looks alike and keeping a stable resident set is what counts); recency where the
working set simply drifts.
"""

import numpy as np
from numba import njit

from . import eviction, tracking
from .keymeta import (CAPACITY, HIST, HOOK_HISTORY, HOOK_S3FIFO, MODE_LRU, POLICY, SLOT, TOMBS,
                      USED, fix_hash, new_hist, new_state)

EXPERTS = (eviction.S3FIFO, eviction.LEARNED, eviction.RECENCY)
MIN_SHADOW_OBJECTS = 1024
# In the server the shadows' records count in used_memory like the keys'. A small cache of
# small values would otherwise spend a third of its memory on them and hold that many fewer
# keys, so there they take at most this share of the cache's bytes, sampling further (down to
# MIN_SAMPLED_OBJECTS keys a shadow, below which the choice of expert gets too noisy).
SHADOW_MEMORY_SHARE = 0.125
MIN_SAMPLED_OBJECTS = 64
RECORD_BYTES = SLOT.itemsize + HIST.itemsize
MARGIN = 0.01
MAX_SHIFT = 6
# stats: decayed misses of each expert, objects each shadow holds, then shift and capacity
MISSES, HELD, SHIFT, SHADOW_CAP = 0, 3, 6, 7


@njit(cache=True)
def _shadow_slots(shadow_cap):
    records = int(shadow_cap * 2.5) + 16  # keys, ghosts and headroom (sparse tables sample slowly)
    return int(records / tracking.MAX_LOAD) + 1


@njit(cache=True)
def shadow_bytes(shadow_cap):
    """Bytes of the three shadows' tables for shadows of `shadow_cap` keys."""
    return 3 * _shadow_slots(shadow_cap) * RECORD_BYTES


@njit(cache=True)
def sample_shift(cached_objects, cached_bytes):
    """log2 of the sampling rate's inverse: shadows of at least MIN_SHADOW_OBJECTS keys, and,
    given the cache's bytes, shadows within SHADOW_MEMORY_SHARE of them."""
    shift = 0
    while shift < MAX_SHIFT and (cached_objects >> (shift + 1)) >= MIN_SHADOW_OBJECTS:
        shift += 1
    budget = SHADOW_MEMORY_SHARE * cached_bytes
    while cached_bytes and shift < MAX_SHIFT and \
            shadow_bytes(cached_objects >> shift) > budget and \
            (cached_objects >> (shift + 1)) >= MIN_SAMPLED_OBJECTS:
        shift += 1
    return shift


@njit(cache=True)
def new_arbiter(cached_objects, cached_bytes):
    """Shadows sized for a cache of `cached_objects` keys holding `cached_bytes` (0: unknown,
    as in the simulator's object-count caches, whose memory is not the shadows')."""
    shift = sample_shift(cached_objects, cached_bytes)
    shadow_cap = max(cached_objects >> shift, 2)
    size = _shadow_slots(shadow_cap)
    a_state = new_state()
    a_state[POLICY] = HOOK_S3FIFO
    a_state[CAPACITY] = shadow_cap
    b_state = new_state()
    b_state[POLICY] = HOOK_HISTORY
    c_state = new_state()
    c_state[POLICY] = HOOK_HISTORY
    stats = np.zeros(8, np.float64)
    stats[SHIFT] = shift
    stats[SHADOW_CAP] = shadow_cap
    return (np.zeros(size, SLOT), new_hist(size), a_state, np.zeros(size, SLOT), new_hist(size),
            b_state, np.zeros(size, SLOT), new_hist(size), c_state, stats)


@njit(cache=True, inline="always")
def sample_shift_of(arbiter):
    """The shadows see the keys whose hash passes sampled(h, this)."""
    return int(arbiter[9][SHIFT])


@njit(cache=True, inline="always")
def sampled(h, shift):
    return ((h >> 20) & ((1 << shift) - 1)) == 0


@njit(cache=True)
def _compact(slots, hist, state):
    """Drop tombstones in place (the shadows' arrays keep their size)."""
    old_slots = slots.copy()
    old_hist = hist.copy()
    for i in range(slots.size):
        slots[i].hash = 0
        slots[i].flags = 0
        hist[i].queue = 0
        hist[i].prev = -1
        hist[i].next = -1
    tracking.rebuild(old_slots, old_hist, state, slots, hist)


@njit(cache=True, inline="always")
def _shadow_request(slots, hist, state, policy, h, now, capacity, held, shift, scale, w1, b1, w2,
                    b2, w3, b3, work, victims):
    """One sampled request to one shadow: True on a hit. Returns (hit, objects held)."""
    if state[USED] + state[TOMBS] + 1 > tracking.MAX_LOAD * slots.size:
        _compact(slots, hist, state)
    slot, added = tracking.access(slots, hist, state, h, now, MODE_LRU, 10, 1)
    hit = not added  # a key back from a ghost record counts as added
    if added:
        tracking.set_size(hist, state, slot, 1)
        held += 1
    while held > capacity:
        if eviction.pick_victims_in(work, slots, hist, state, policy, 0, 5, 1, now, 1, shift,
                                    scale, w1, b1, w2, b2, w3, b3, victims) == 0:
            break
        if policy != eviction.S3FIFO:
            tracking.retire(slots, hist, state, victims[0])
        held -= 1
    return hit, held


@njit(cache=True, inline="always")
def _feed(slots, hist, state, stats, e, h, now, capacity, decay, shift, scale, w1, b1, w2, b2, w3,
          b3, work, victims):
    hit, held = _shadow_request(slots, hist, state, EXPERTS[e], h, now, capacity,
                                int(stats[HELD + e]), shift, scale, w1, b1, w2, b2, w3, b3, work,
                                victims)
    stats[HELD + e] = held
    stats[MISSES + e] = stats[MISSES + e] * decay + (0.0 if hit else 1.0)


@njit(cache=True)
def new_work(w1):
    """Scratch for observe(): eviction's workspace for this model's shape, and a victim."""
    return eviction.new_workspace(5, w1.shape[0]), np.empty(1, np.int64)


@njit(cache=True, inline="always")
def observe(arbiter, work, h, now, shift, scale, w1, b1, w2, b2, w3, b3):
    """Feed one request in the sample (hash h: callers test sampled(h, sample_shift_of(
    arbiter)) first, since a call costs ~100 ns even when it does nothing, inlined or not:
    it is passed ~20 arrays, whose reference counting is the likely cost) to the shadows;
    `work` from new_work for these weights."""
    stats = arbiter[9]
    capacity = int(stats[SHADOW_CAP])
    workspace, victims = work
    decay = 1.0 - 1.0 / (16.0 * capacity)  # remembers about 16 cache-fulls of sampled requests
    _feed(arbiter[0], arbiter[1], arbiter[2], stats, 0, h, now, capacity, decay, shift, scale, w1,
          b1, w2, b2, w3, b3, workspace, victims)
    _feed(arbiter[3], arbiter[4], arbiter[5], stats, 1, h, now, capacity, decay, shift, scale, w1,
          b1, w2, b2, w3, b3, workspace, victims)
    _feed(arbiter[6], arbiter[7], arbiter[8], stats, 2, h, now, capacity, decay, shift, scale, w1,
          b1, w2, b2, w3, b3, workspace, victims)


@njit(cache=True)
def observe_all(arbiter, hashes, present, now, shift, scale, w1, b1, w2, b2, w3, b3):
    """observe() each present request of a batch; returns how many were in the sample (the
    server's fold hands over every logged access, and most batches hold none of them)."""
    sample_shift = sample_shift_of(arbiter)
    fed = 0
    for i in range(hashes.size):
        h = fix_hash(hashes[i])
        if present[i] and sampled(h, sample_shift):
            if fed == 0:
                work = new_work(w1)  # ~4 us: only for a batch with something to feed
            observe(arbiter, work, h, now, shift, scale, w1, b1, w2, b2, w3, b3)
            fed += 1
    return fed


@njit(cache=True)
def expert(arbiter):
    """The policy code the real cache should evict with now. S3-FIFO, the cheapest, keeps the
    job unless another expert misses at least MARGIN less (noise on a workload where they all
    do alike, e.g. keys never asked for twice, must not buy the costlier scorers)."""
    stats = arbiter[9]
    best = 0
    for e in range(1, len(EXPERTS)):
        if stats[MISSES + e] < stats[MISSES + best] * (1.0 - MARGIN if best == 0 else 1.0):
            best = e
    return EXPERTS[best]
