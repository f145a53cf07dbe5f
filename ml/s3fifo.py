"""S3-FIFO (Yang et al., SOSP'23) on the key-metadata table: Predis's non-ML eviction policy.

Three FIFO queues threaded through `hist.prev/next` as doubly linked lists of slots: SMALL (new
keys, 10% of the capacity), MAIN (90%) and GHOST (records of keys dropped from SMALL, their data
gone, up to 90% of the capacity in the bytes they had). A hit raises the key's counter.
Eviction works on MAIN while it is over its share (or SMALL is empty), else on SMALL:
- SMALL's oldest key moves to MAIN if it was hit at least twice, else it is dropped and
  remembered in GHOST;
- MAIN's oldest key is re-queued with its counter (capped at 3) minus one while that is positive,
  else dropped.
A key that comes back while remembered in GHOST goes straight to MAIN, and until the first
eviction keys beyond SMALL's share also go to MAIN (libCacheSim's variant of the algorithm).
"""

from numba import njit

from .keymeta import (BYTES, CAPACITY, GHOST, HAS_EVICTED, Q_BYTES, Q_COUNT, Q_HEAD, Q_TAIL,
                      free_slot)

SMALL, MAIN, GHOSTQ = 0, 1, 2
SMALL_SHARE = 0.10
GHOST_SHARE = 0.90
MOVE_TO_MAIN = 2
MAX_FREQ = 3


@njit(cache=True)
def push(hist, state, q, slot):
    """Put `slot` at the head (newest end) of queue q."""
    rec = hist[slot]
    head = state[Q_HEAD + q]
    rec.queue = q + 1
    rec.prev = -1
    rec.next = head
    if head >= 0:
        hist[head].prev = slot
    else:
        state[Q_TAIL + q] = slot
    state[Q_HEAD + q] = slot
    state[Q_COUNT + q] += 1
    state[Q_BYTES + q] += rec.size


@njit(cache=True)
def unlink(hist, state, slot):
    rec = hist[slot]
    if rec.queue == 0:
        return
    q = rec.queue - 1
    if rec.prev >= 0:
        hist[rec.prev].next = rec.next
    else:
        state[Q_HEAD + q] = rec.next
    if rec.next >= 0:
        hist[rec.next].prev = rec.prev
    else:
        state[Q_TAIL + q] = rec.prev
    state[Q_COUNT + q] -= 1
    state[Q_BYTES + q] -= rec.size
    rec.queue = 0
    rec.prev = rec.next = -1


@njit(cache=True)
def resize(hist, state, slot, size):
    """A cached key's size changed: keep its queue's byte count true."""
    rec = hist[slot]
    if rec.queue:
        state[Q_BYTES + rec.queue - 1] += size - rec.size
    rec.size = size


@njit(cache=True)
def on_insert(hist, state, slot, from_ghost):
    """A new key, or a remembered one coming back (already unlinked from GHOST)."""
    hist[slot].freq = 0
    if from_ghost:
        push(hist, state, MAIN, slot)
    elif not state[HAS_EVICTED] and state[Q_BYTES + SMALL] >= SMALL_SHARE * state[CAPACITY]:
        push(hist, state, MAIN, slot)
    else:
        push(hist, state, SMALL, slot)


@njit(cache=True)
def on_hit(hist, slot):
    if hist[slot].freq < 255:
        hist[slot].freq += 1


@njit(cache=True)
def drop_record(slots, hist, state, slot):
    """Forget a queued record, ghost or not."""
    unlink(hist, state, slot)
    if not slots[slot].flags & GHOST:  # a ghost's bytes left BYTES when it became one
        state[BYTES] -= hist[slot].size
    free_slot(slots, state, slot)


@njit(cache=True)
def remember(slots, hist, state, slot):
    """Turn a key dropped from SMALL into a ghost; forget the oldest ghosts past their share."""
    unlink(hist, state, slot)
    state[BYTES] -= hist[slot].size
    slots[slot].flags = GHOST
    push(hist, state, GHOSTQ, slot)  # keeps its size: the ghost budget is in bytes
    limit = GHOST_SHARE * state[CAPACITY]
    while state[Q_COUNT + GHOSTQ] > 0 and state[Q_BYTES + GHOSTQ] > limit:
        drop_record(slots, hist, state, state[Q_TAIL + GHOSTQ])


@njit(cache=True)
def next_victim(slots, hist, state):
    """Run the queues until one key must go; its record becomes a ghost or is dropped.
    Returns the slot whose key the caller must delete (the record may be gone already: the
    caller reads the key before anything reuses the slot), or -1 when nothing is cached."""
    state[HAS_EVICTED] = 1
    main_share = state[CAPACITY] - int(SMALL_SHARE * state[CAPACITY])
    while state[Q_COUNT + SMALL] + state[Q_COUNT + MAIN] > 0:
        if state[Q_BYTES + MAIN] > main_share or state[Q_COUNT + SMALL] == 0:
            slot = state[Q_TAIL + MAIN]
            unlink(hist, state, slot)
            freq = hist[slot].freq
            if freq >= 1:
                hist[slot].freq = min(freq, MAX_FREQ) - 1
                push(hist, state, MAIN, slot)
                continue
            drop_record(slots, hist, state, slot)
            return slot
        slot = state[Q_TAIL + SMALL]
        unlink(hist, state, slot)
        if hist[slot].freq >= MOVE_TO_MAIN:
            hist[slot].freq = 0
            push(hist, state, MAIN, slot)
            continue
        remember(slots, hist, state, slot)
        return slot
    return -1


@njit(cache=True)
def forget(slots, hist, state, slot):
    """A key left the cache by other means (DEL, expiry, overwrite by type)."""
    unlink(hist, state, slot)
