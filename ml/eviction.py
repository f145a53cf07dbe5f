"""Choosing which keys to evict, on the key-metadata table (numba).

Sampling policies (Redis's allkeys-/volatile- lru, lfu, random, and Predis's learned policy) draw
random records and evict the worst by the policy's score, as Redis's eviction pool does; S3-FIFO
(ml/s3fifo.py) runs its queues instead. The server (server/keyspace/eviction.py) and the
simulator (ml/sim/replay.py) both call `pick_victims`.
"""

import math

import numpy as np
from numba import njit

from . import s3fifo
from .features import N_FEATURES, key_features, scale_of
from .keymeta import (BYTES, EMPTY, GHOST, Q_COUNT, RING, RING_BASE, TOMB, USED, VOLATILE, VT,
                      lfu_decayed, since)
from .model import forward_columns

LRU, LFU, RANDOM, TTL, LEARNED, S3FIFO = 1, 2, 3, 4, 5, 6
ADAPTIVE = 7  # allkeys-learned: the expert ml/arbiter.py finds best now
RECENCY = 8  # exact recency from the access history (virtual time), one of the arbiter's experts
CHOSEN = 4  # flag bit: already picked in this call
SCORED = 0x80  # flag bit: already among this round's learned candidates (a repeat draw)
LEARNED_SAMPLES = 16  # random candidates per victim for the learned policy (plus recent inserts)


# `restrict`, the eligibility argument of sample() and pick_victims(): bit 0 volatile keys only;
# bit 1 one A/B arm only, bit 2 which (1: keys in the challenger's slice), bits 8+ the slice's
# threshold. A key is in the slice when 16 bits of its hash well above the sampler's fall under
# the threshold, so the arms and the sidecar's sample are independent.
VOLATILE_ONLY, ONE_ARM, CHALLENGER_ARM, ONE_TENANT = 1, 2, 4, 8
SLICE_BITS = 16
# A record's tenant (server/tenants.py: 1-15, 0 = none) sits in the high bits of its flags;
# `restrict` carries the wanted tenant from bit 32
TENANT_SHIFT, TENANT_MASK, MAX_TENANTS = 3, 0x78, 15


def restriction(volatile_only: bool, arm: int = -1, slice_threshold: int = 0,
                tenant: int = -1) -> int:
    """The `restrict` value for: volatile keys only or not, arm -1 (any key), 0 (keys outside
    the slice) or 1 (keys inside), and tenant -1 (any key), 0 (keys of no tenant) or 1-15
    (that tenant's keys)."""
    value = VOLATILE_ONLY if volatile_only else 0
    if arm >= 0:
        value |= ONE_ARM | (CHALLENGER_ARM if arm else 0) | slice_threshold << 8
    if tenant >= 0:
        value |= ONE_TENANT | tenant << 32
    return value


@njit(cache=True, inline="always")
def in_slice(h, threshold):
    return ((h >> 40) & ((1 << SLICE_BITS) - 1)) < threshold


@njit(cache=True, inline="always")
def _eligible(slots, slot, restrict):
    rec = slots[slot]
    if rec.hash == EMPTY or rec.hash == TOMB or rec.flags & (GHOST | CHOSEN):
        return False
    if restrict & VOLATILE_ONLY and not rec.flags & VOLATILE:
        return False
    if restrict & ONE_TENANT and (rec.flags & TENANT_MASK) >> TENANT_SHIFT != restrict >> 32:
        return False
    if restrict & ONE_ARM:
        return in_slice(rec.hash, (restrict >> 8) & 0xFFFFFF) == ((restrict & CHALLENGER_ARM) != 0)
    return True


@njit(cache=True)
def slice_bytes(slots, hist, threshold):
    """Bytes of the live keys in the challenger's slice (their recorded sizes)."""
    total = 0
    for slot in range(slots.size):
        h = slots[slot].hash
        if h != EMPTY and h != TOMB and not slots[slot].flags & GHOST and in_slice(h, threshold):
            total += hist[slot].size
    return total


@njit(cache=True, inline="always")
def _xorshift(x):
    x ^= x << np.uint64(13)
    x ^= x >> np.uint64(7)
    x ^= x << np.uint64(17)
    return x


@njit(cache=True, inline="always")
def _below(x, cap):
    """A slot index under cap from the random word x (multiply-shift: no division)."""
    return np.int64(((x >> np.uint64(32)) * np.uint64(cap)) >> np.uint64(32))


@njit(cache=True)
def sample(slots, restrict, n, out):
    """Up to n random eligible slots into out; returns how many. Random probes first, then (for
    sparse tables, e.g. few keys with a TTL) a scan from a random point: bounded by capacity.
    The probes come from a xorshift generator seeded by one draw of numpy's (seeded replays
    stay reproducible; numpy's randint per probe cost more than the probe itself)."""
    cap = slots.size
    found = 0
    tries = 0
    x = np.uint64(np.random.randint(1, 2**62))
    if restrict == 0:
        # any live key: tested without a branch (a probe hits a key about a third of the time
        # in these tables, and the mispredicted branch cost more than the probe itself)
        while found < n and tries < 8 * n:
            x = _xorshift(x)
            slot = _below(x, cap)
            tries += 1
            rec = slots[slot]
            out[found] = slot
            found += np.int64((rec.hash != EMPTY) & (rec.hash != TOMB)
                              & ((rec.flags & (GHOST | CHOSEN)) == 0))
    else:
        while found < n and tries < 8 * n:
            x = _xorshift(x)
            slot = _below(x, cap)
            tries += 1
            if _eligible(slots, slot, restrict):
                out[found] = slot
                found += 1
    if found < n:
        slot = _below(_xorshift(x), cap)
        for _ in range(cap):
            if _eligible(slots, slot, restrict):
                out[found] = slot
                found += 1
                if found == n:
                    break
            slot += 1
            if slot == cap:
                slot = 0
    return found


@njit(cache=True)
def _classic_score(slots, slot, policy, now_sec, decay_time):
    """Higher = evict first."""
    clock = slots[slot].clock
    if policy == LRU:
        return float((now_sec - clock) & 0xFFFFFFFF)
    if policy == LFU:
        return 255.0 - lfu_decayed(clock, now_sec, decay_time)
    return np.random.random()


@njit(cache=True)
def _best_scored(slots, hist, state, candidates, found, policy, now_sec, decay_time):
    """The not-yet-chosen candidate with the highest classic or recency score, or -1."""
    best = -1
    best_score = -np.inf
    for c in range(found):
        slot = candidates[c]
        if slots[slot].flags & CHOSEN:
            continue
        if policy == RECENCY:
            score = float(since(state[VT], hist[slot].last_vt))
        else:
            score = _classic_score(slots, slot, policy, now_sec, decay_time)
        if score > best_score:
            best, best_score = slot, score
    return best


@njit(cache=True)
def _gather_features(slots, hist, vt, candidates, found, log_n, log_avg, x, xt, size_terms, kept,
                     n):
    """Feature columns (from column n on) of the candidates not yet chosen, each key once
    (small caches draw the same key often); returns the new column count. The caller clears
    the SCORED marks of the columns it added."""
    first = n
    for c in range(found):
        slot = candidates[c]
        if slots[slot].flags & (CHOSEN | SCORED):
            continue
        slots[slot].flags |= SCORED
        key_features(hist, slot, vt, log_n, log_avg, x)
        for k in range(N_FEATURES):
            xt[k, n] = x[k]
        size_terms[n] = x[7]
        kept[n] = slot
        n += 1
    for c in range(first, n):
        slots[kept[c]].flags &= ~SCORED
    return n


@njit(cache=True)
def _best_learned(slots, hist, state, candidates, found, log_n, log_avg, x, scratch, kept, shift,
                  scale, w1, b1, w2, b2, w3, b3):
    """The candidate the model values least, or -1: all not-yet-chosen candidates scored in
    one batch. Value per byte: a key predicted to return at distance d and costing s bytes
    ranks by d*s (the model predicts log2 d; x[7] is log2 s)."""
    width = candidates.size
    xt = scratch[:N_FEATURES * width].reshape((N_FEATURES, width))
    h1 = scratch[N_FEATURES * width:(N_FEATURES + w1.shape[0]) * width].reshape(
        (w1.shape[0], width))
    rest = scratch[(N_FEATURES + w1.shape[0]) * width:]
    h2, scores, size_terms = rest[:width], rest[width:2 * width], rest[2 * width:3 * width]
    n = _gather_features(slots, hist, state[VT], candidates, found, log_n, log_avg, x, xt,
                         size_terms, kept, 0)
    if n == 0:
        return -1
    forward_columns(xt, n, shift, scale, w1, b1, w2, b2, w3, b3, h1, h2, scores)
    best = -1
    best_score = -np.inf
    for c in range(n):
        score = scores[c] + size_terms[c]
        if score > best_score:
            best, best_score = kept[c], score
    return best


@njit(cache=True, inline="always")
def _add_recent_inserts(slots, state, restrict, candidates, found):
    """The learned policy's extra candidates: the recent insertions still present (scans and
    one-off keys leave early); returns the new candidate count."""
    for r in range(RING):
        slot = state[RING_BASE + 2 * r]
        if slot >= 0 and slots[slot].hash == state[RING_BASE + 2 * r + 1] \
                and _eligible(slots, slot, restrict):
            candidates[found] = slot
            found += 1
    return found


@njit(cache=True)
def _cache_scales(state):
    """(log2 of the cached key count, log2 of the average cached size): the features' scale."""
    n_cached = state[USED] - state[Q_COUNT + s3fifo.GHOSTQ]
    return scale_of(n_cached), math.log2(state[BYTES] / max(n_cached, 1) + 1.0)


def learned_width(samples: int, count: int) -> int:
    """Feature columns collect_learned may fill for `count` victims."""
    return count * (max(samples, LEARNED_SAMPLES) + RING)


@njit(cache=True)
def collect_learned(slots, hist, state, restrict, samples, count, xt, size_terms, kept,
                    group_end):
    """The learned policy's candidates for `count` victims in one go, to be scored elsewhere
    (the GPU: ml/device_scoring.py): per victim, a group of random eligible keys plus the
    recent insertions, as pick_victims draws them, each group's keys once. xt (N_FEATURES x
    learned_width) receives the feature columns, kept their slots, group_end[g] where group
    g's columns end. Returns the number of groups (fewer when nothing is left to draw)."""
    per_victim = max(samples, LEARNED_SAMPLES)
    candidates = np.empty(per_victim + RING, np.int64)
    x = np.empty(N_FEATURES, np.float32)
    log_n, log_avg = _cache_scales(state)
    vt = state[VT]
    n = 0
    groups = 0
    while groups < count:
        found = sample(slots, restrict, per_victim, candidates)
        found = _add_recent_inserts(slots, state, restrict, candidates, found)
        if found == 0:
            break
        n = _gather_features(slots, hist, vt, candidates, found, log_n, log_avg, x, xt,
                             size_terms, kept, n)
        group_end[groups] = n
        groups += 1
    return groups


@njit(cache=True)
def choose_scored(slots, kept, scores, size_terms, group_end, groups, out):
    """Victims from collect_learned's groups and their scores: per group, the candidate not
    yet chosen that the model values least per byte (as _best_learned). Returns how many."""
    chosen = 0
    begin = 0
    for g in range(groups):
        best = -1
        best_score = -np.inf
        for c in range(begin, group_end[g]):
            slot = kept[c]
            if slots[slot].flags & CHOSEN:
                continue
            score = scores[c] + size_terms[c]
            if score > best_score:
                best, best_score = slot, score
        begin = group_end[g]
        if best >= 0:
            chosen = _take(slots, best, out, chosen)
    _unmark_chosen(slots, out, chosen)
    return chosen


@njit(cache=True, inline="always")
def _take(slots, slot, out, chosen):
    """Record a victim (marked CHOSEN so later picks of this call skip it); the new count."""
    slots[slot].flags |= CHOSEN
    out[chosen] = slot
    return chosen + 1


@njit(cache=True, inline="always")
def _unmark_chosen(slots, out, chosen):
    for c in range(chosen):
        slots[out[c]].flags &= ~CHOSEN


@njit(cache=True)
def new_workspace(samples, hidden):
    """Scratch arrays for pick_victims_in: candidates, a feature row, _best_learned's columns
    (features, `hidden` first-layer units, second layer, scores, size terms) and their slots.
    Callers that evict often (the simulator, the arbiter's shadows) keep one; allocating them
    per call cost a tenth of a small cache's eviction."""
    width = max(samples, LEARNED_SAMPLES) + RING
    return (np.empty(width, np.int64), np.empty(N_FEATURES, np.float32),
            np.empty((N_FEATURES + hidden + 3) * width, np.float32), np.empty(width, np.int64))


@njit(cache=True)
def pick_victims(slots, hist, state, policy, restrict, samples, count, now_sec, decay_time,
                 shift, scale, w1, b1, w2, b2, w3, b3, out):
    """Choose up to `count` victims into out; returns how many. Records of S3-FIFO victims are
    already gone (or ghosts); for the sampling policies the caller drops them (drop())."""
    work = new_workspace(samples, w1.shape[0] if policy == LEARNED else 0)
    return pick_victims_in(work, slots, hist, state, policy, restrict, samples, count, now_sec,
                           decay_time, shift, scale, w1, b1, w2, b2, w3, b3, out)


# inlined into its callers: called once per victim in the simulator and the arbiter's shadows,
# a real call cost ~7% of a small cache's replay (it is passed ~20 arrays)
@njit(cache=True, inline="always")
def pick_victims_in(work, slots, hist, state, policy, restrict, samples, count, now_sec,
                    decay_time, shift, scale, w1, b1, w2, b2, w3, b3, out):
    """pick_victims with scratch arrays from new_workspace (made for at least `samples`)."""
    if policy == S3FIFO:
        n = 0
        while n < count:
            slot = s3fifo.next_victim(slots, hist, state)
            if slot < 0:
                break
            out[n] = slot
            n += 1
        return n
    learned = policy == LEARNED
    per_victim = max(samples, LEARNED_SAMPLES) if learned or policy == RECENCY else samples
    candidates, x, scratch, kept = work
    log_n, log_avg = _cache_scales(state)
    chosen = 0
    while chosen < count:
        found = sample(slots, restrict, per_victim, candidates)
        if learned:
            found = _add_recent_inserts(slots, state, restrict, candidates, found)
        if found == 0:
            break
        if learned:
            best = _best_learned(slots, hist, state, candidates, found, log_n, log_avg, x,
                                 scratch, kept, shift, scale, w1, b1, w2, b2, w3, b3)
        else:
            best = _best_scored(slots, hist, state, candidates, found, policy, now_sec,
                                decay_time)
        if best < 0:
            break
        chosen = _take(slots, best, out, chosen)
    _unmark_chosen(slots, out, chosen)
    return chosen
