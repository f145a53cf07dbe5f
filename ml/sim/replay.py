"""Replay a trace through Predis's own eviction: the table, access and victim kernels the server
runs (ml/tracking.py, ml/eviction.py), driven by a numba loop.

A request for a cached key is a hit (one access); a miss inserts the key (one access, as the
server's GET-miss-then-SET does) and evicts until the cache fits. Misses are counted from
`eval_from` on, so a training window can warm the cache without being scored. With
`collect_every` > 0, every n-th eviction also records the features of the sampled candidates and
the label the trace's future gives them (training data for ml/train.py).
"""

import numpy as np
from numba import njit

from .. import eviction, tracking
from ..arbiter import expert, new_arbiter, new_work, observe, sample_shift_of, sampled
from ..features import N_FEATURES, key_features, label_of, scale_of
from ..keymeta import (BYTES, CAPACITY, GHOST, HOOK_HISTORY, HOOK_NONE, HOOK_S3FIFO, MODE_LFU,
                       MODE_LRU, POLICY, Q_COUNT, SLOT, TOMBS, USED, VT, find, new_hist,
                       new_state)
from ..s3fifo import GHOSTQ

LFU_LOG_FACTOR = 10
LFU_DECAY_TIME = 1


@njit(cache=True)
def _grow(slots, hist, state, sizes, nexts, cap):
    new_slots = np.zeros(cap, SLOT)
    grown_hist = new_hist(cap if hist.size else 0)
    moved = tracking.rebuild(slots, hist, state, new_slots, grown_hist)
    new_sizes = np.zeros(cap, np.int64)
    new_nexts = np.zeros(cap, np.int64)
    for old in range(moved.size):
        if moved[old] >= 0:
            new_sizes[moved[old]] = sizes[old]
            new_nexts[moved[old]] = nexts[old]
    return new_slots, grown_hist, new_sizes, new_nexts


@njit(cache=True)
def replay(ids, sizes, times, nexts, capacity, policy, samples, eval_from,
           shift, scale, w1, b1, w2, b2, w3, b3, collect_every, features_out, labels_out, seed,
           expected_objects):
    """Returns (requests, misses, bytes requested, bytes missed, rows collected, evictions not
    made by S3-FIFO - by the model or recency under ADAPTIVE), counted from eval_from; sizes
    of 1 make an object-count cache. `seed` fixes the random sampling, so a replay is
    reproducible; `expected_objects` sizes the tables and the arbiter's shadows. The model's
    arrays arrive as (shift, scale, w1, ...): see EvictionModel.arrays()."""
    np.random.seed(seed)
    hook = HOOK_NONE
    if policy == eviction.LEARNED:
        hook = HOOK_HISTORY
    elif policy == eviction.S3FIFO or policy == eviction.ADAPTIVE:
        hook = HOOK_S3FIFO
    arbiter = new_arbiter(expected_objects, 0)
    shadow_shift = sample_shift_of(arbiter)
    code = expert(arbiter) if policy == eviction.ADAPTIVE else policy  # changes with observe()
    learned_evictions = 0
    mode = MODE_LFU if policy == eviction.LFU else MODE_LRU
    state = new_state()
    state[POLICY] = hook
    state[CAPACITY] = capacity
    # Tables sized to the cache (live keys and ghosts, at most ~2.5x expected_objects), not
    # larger: random candidate draws in a sparse table mostly miss, and tiny caches paid more
    # for the draws than for the scoring.
    cap = int(2.5 * expected_objects / tracking.MAX_LOAD) + 64
    slots = np.zeros(cap, SLOT)
    hist = new_hist(cap if hook != HOOK_NONE else 0)
    slot_size = np.zeros(cap, np.int64)
    slot_next = np.zeros(cap, np.int64)
    victims = np.empty(1, np.int64)
    workspace = eviction.new_workspace(samples, w1.shape[0])
    work = new_work(w1)
    x = np.empty(N_FEATURES, np.float32)
    used = 0
    requests = misses = 0
    bytes_requested = bytes_missed = 0
    evictions = collected = 0
    for i in range(ids.size):
        if state[USED] + state[TOMBS] + 1 > tracking.MAX_LOAD * cap:
            cap = int((state[USED] + 1) * 2.0) + 64
            slots, hist, slot_size, slot_next = _grow(slots, hist, state, slot_size, slot_next,
                                                      cap)
        h = ids[i]
        size = sizes[i]
        now = times[i]
        if size > capacity and not _cached(slots, h):
            hit = added = False  # never fits: served from the backing store, not cached
        else:
            slot, added = tracking.access(slots, hist, state, h, now, mode, LFU_LOG_FACTOR,
                                          LFU_DECAY_TIME)
            hit = not added  # a key back from a ghost record counts as added
        if i >= eval_from:
            requests += 1
            bytes_requested += size
            if not hit:
                misses += 1
                bytes_missed += size
        if not hit and size > capacity:
            continue
        if policy == eviction.ADAPTIVE and sampled(h, shadow_shift):
            observe(arbiter, work, h, now, shift, scale, w1, b1, w2, b2, w3, b3)
            code = expert(arbiter)
        slot_next[slot] = nexts[i]
        if added:
            slot_size[slot] = size
            used += size
            tracking.set_size(hist, state, slot, size)
        while used > capacity:
            if collect_every > 0 and evictions % collect_every == 0 \
                    and collected + 64 <= labels_out.size:
                collected = _collect(slots, hist, state, slot_next, i, x, features_out,
                                     labels_out, collected)
            evictions += 1
            n = eviction.pick_victims_in(workspace, slots, hist, state, code, 0, samples, 1, now,
                                         LFU_DECAY_TIME, shift, scale, w1, b1, w2, b2, w3, b3,
                                         victims)
            if n == 0:
                break
            victim = victims[0]
            used -= slot_size[victim]
            if code != eviction.S3FIFO:  # S3-FIFO already retired the record
                tracking.retire(slots, hist, state, victim)
                if i >= eval_from:
                    learned_evictions += 1
    return requests, misses, bytes_requested, bytes_missed, collected, learned_evictions


@njit(cache=True)
def _cached(slots, h):
    slot = find(slots, h)
    return slot >= 0 and not slots[slot].flags & GHOST


@njit(cache=True)
def _collect(slots, hist, state, slot_next, now_index, x, features_out, labels_out, row):
    """Features and true future of up to 32 random cached keys at this moment."""
    candidates = np.empty(32, np.int64)
    found = eviction.sample(slots, 0, 32, candidates)
    n_cached = state[USED] - state[Q_COUNT + GHOSTQ]
    scale = scale_of(n_cached)
    log_avg = np.log2(state[BYTES] / max(n_cached, 1) + 1.0)
    vt = state[VT]
    for c in range(found):
        slot = candidates[c]
        key_features(hist, slot, vt, scale, log_avg, x)
        features_out[row, :] = x
        nxt = slot_next[slot]
        labels_out[row] = label_of(-1 if nxt < 0 else nxt - now_index, scale)
        row += 1
    return row
