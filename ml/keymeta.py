"""Compact per-key access metadata: an open-addressing table of fixed-size records (numba).

One table per database in the server and one per simulated cache in `predis sim`; both drive it
through the kernels below, so the simulator replays the very code the server runs.

A record is found by the key's 64-bit hash (Python's `hash(bytes)`, cached in the key object).
The server keeps the key objects themselves in a parallel object array (server/keyspace/keytable);
nothing here touches Python objects.

`slots` (13 bytes a record, every policy):
    hash   0 = empty, 1 = deleted (tombstone), otherwise the key's hash
    clock  Redis's 24-bit `lru` field, widened: seconds of the last access (LRU mode) or
           minutes<<8 | logarithmic counter (LFU mode), exactly as Redis interprets it
    flags  VOLATILE: the key has a TTL; GHOST: the key was evicted and is remembered by S3-FIFO
`hist` (Predis policies only, else zero-length; 25 bytes a record): the access history the learned
policy scores and the queue links S3-FIFO needs. Virtual times (one tick per access) are kept in
32 bits and compared modulo 2**32; the last two gaps between accesses as 1/8ths of an octave
(gap_code), because the model reads them in log2 anyway.

`state` is a small int64 array of counters shared with the caller (indices below).
"""

import numpy as np
from numba import njit

SLOT = np.dtype([("hash", "<i8"), ("clock", "<u4"), ("flags", "u1")])
HIST = np.dtype([("last_vt", "<u4"), ("first_vt", "<u4"), ("gap1", "u1"), ("gap2", "u1"),
                 ("count", "u1"), ("size", "<u4"), ("prev", "<i4"), ("next", "<i4"),
                 ("queue", "u1"), ("freq", "u1")])

EMPTY, TOMB = 0, 1
VOLATILE, GHOST = 1, 2
NO_GAP = 255
VT_MASK = 0xFFFFFFFF
_MASK = 0x7FFFFFFFFFFFFFFF

# state indices
USED, TOMBS, VT, BYTES, RING_POS = 0, 1, 2, 3, 4
Q_HEAD, Q_TAIL, Q_COUNT, Q_BYTES = 5, 8, 11, 14  # three queues each (small, main, ghost)
POLICY = 17  # which queue/history hooks run: HOOK_NONE, HOOK_HISTORY or HOOK_S3FIFO
CAPACITY = 18  # bytes the cache may hold (set by the caller; S3-FIFO sizes its queues by it)
HAS_EVICTED = 19
RING = 16  # recent insertions remembered for the learned policy's admission check
RING_BASE = 20  # (slot, hash) pairs
STATE_LEN = RING_BASE + 2 * RING
HOOK_NONE, HOOK_HISTORY, HOOK_S3FIFO = 0, 1, 2

MODE_LRU, MODE_LFU = 0, 1
LFU_INIT_VAL = 5


@njit(cache=True)
def new_state():
    state = np.zeros(STATE_LEN, np.int64)
    state[Q_HEAD:Q_HEAD + 3] = -1
    state[Q_TAIL:Q_TAIL + 3] = -1
    state[RING_BASE:] = -1
    return state


def new_slots(capacity: int) -> np.ndarray:
    return np.zeros(capacity, SLOT)


@njit(cache=True)
def new_hist(capacity):
    hist = np.zeros(capacity, HIST)
    for i in range(capacity):
        hist[i].prev = -1
        hist[i].next = -1
    return hist


@njit(cache=True, inline="always")
def fix_hash(h):
    """Keep real hashes clear of the two marker values."""
    return h + 2 if h == EMPTY or h == TOMB else h


@njit(cache=True)
def find(slots, h):
    cap = slots.size
    i = (h & _MASK) % cap
    while True:
        s = slots[i].hash
        if s == h:
            return i
        if s == EMPTY:
            return -1
        i += 1
        if i == cap:
            i = 0


@njit(cache=True)
def claim(slots, state, h):
    """Slot of hash `h`, adding a record if absent: (slot, added)."""
    cap = slots.size
    i = (h & _MASK) % cap
    reuse = -1
    while True:
        s = slots[i].hash
        if s == h:
            return i, False
        if s == TOMB and reuse < 0:
            reuse = i
        elif s == EMPTY:
            break
        i += 1
        if i == cap:
            i = 0
    if reuse >= 0:
        i = reuse
        state[TOMBS] -= 1
    slots[i].hash = h
    slots[i].flags = 0
    state[USED] += 1
    return i, True


@njit(cache=True)
def free_slot(slots, state, slot):
    """Turn a record into a tombstone (probe chains through it stay intact)."""
    slots[slot].hash = TOMB
    slots[slot].flags = 0
    state[USED] -= 1
    state[TOMBS] += 1


# -- Redis's LRU clock and LFU counter (evict.c) ---------------------------------------------
@njit(cache=True, inline="always")
def lfu_minutes(now_sec):
    return (now_sec // 60) & 65535


@njit(cache=True)
def lfu_decayed(clock, now_sec, decay_time):
    """The counter after `lfu-decay-time` decay, as LFUDecrAndReturn."""
    counter = clock & 255
    if decay_time <= 0:
        return counter
    last = clock >> 8
    now = lfu_minutes(now_sec)
    elapsed = now - last if now >= last else 65535 - last + now
    periods = elapsed // decay_time
    return 0 if periods > counter else counter - periods


@njit(cache=True)
def lfu_bumped(counter, log_factor):
    """LFULogIncr: the higher the counter, the less likely an access raises it."""
    if counter == 255:
        return counter
    base = counter - LFU_INIT_VAL
    if base < 0:
        base = 0
    if np.random.random() < 1.0 / (base * log_factor + 1):
        counter += 1
    return counter


@njit(cache=True)
def fresh_clock(mode, now_sec):
    if mode == MODE_LFU:
        return (lfu_minutes(now_sec) << 8) | LFU_INIT_VAL
    return now_sec & 0xFFFFFFFF


@njit(cache=True)
def touched_clock(clock, mode, now_sec, log_factor, decay_time):
    if mode == MODE_LFU:
        counter = lfu_bumped(lfu_decayed(clock, now_sec, decay_time), log_factor)
        return (lfu_minutes(now_sec) << 8) | counter
    return now_sec & 0xFFFFFFFF


# -- history ----------------------------------------------------------------------------------
@njit(cache=True)
def gap_code(gap):
    """8 * log2(gap + 1), rounded, below NO_GAP."""
    return min(int(8.0 * np.log2(gap + 1.0) + 0.5), NO_GAP - 1)


@njit(cache=True)
def gap_log2(code):
    return code / 8.0


@njit(cache=True, inline="always")
def since(vt, then):
    """Ticks from a 32-bit stored virtual time to now."""
    return (vt - then) & VT_MASK


@njit(cache=True)
def note_history(hist, state, slot, added):
    """Record an access at the current virtual time (the caller ticks VT once per access)."""
    vt = state[VT] & VT_MASK
    rec = hist[slot]
    if added:
        rec.first_vt = vt
        rec.gap1 = NO_GAP
        rec.gap2 = NO_GAP
        rec.count = 1
        rec.size = 0
        rec.freq = 0
    else:
        rec.gap2 = rec.gap1
        rec.gap1 = gap_code(since(vt, rec.last_vt))
        if rec.count < 255:
            rec.count += 1
    rec.last_vt = vt
