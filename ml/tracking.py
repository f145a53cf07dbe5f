"""Access, removal and growth of the key-metadata table: the kernels both the server's access
log and the simulator's replay loop call, with the active policy's hooks."""

import numpy as np
from numba import njit

from . import s3fifo
from .keymeta import (BYTES, EMPTY, GHOST, HOOK_HISTORY, HOOK_NONE, HOOK_S3FIFO, POLICY,
                      Q_COUNT, Q_HEAD, Q_TAIL, RING, RING_BASE, RING_POS, TOMB, TOMBS, USED,
                      VOLATILE, VT, claim, find, fix_hash, free_slot, fresh_clock,
                      note_history, touched_clock)

MAX_LOAD = 0.8
# Ghost records per cached key under the learned policy. More history helps it (on the shared
# traces 4 won 14 cells of 24 against LRU and S3-FIFO, 1 won 12) but each ghost costs a record
# (46 bytes) of maxmemory, which a live cache pays for in keys it cannot hold.
GHOSTS_PER_KEY = 1


@njit(cache=True)
def _remember_insert(state, slot, h):
    pos = state[RING_POS]
    state[RING_BASE + 2 * pos] = slot
    state[RING_BASE + 2 * pos + 1] = h
    state[RING_POS] = (pos + 1) % RING


@njit(cache=True)
def access(slots, hist, state, h, now_sec, mode, log_factor, decay_time):
    """One access to a key that exists: (slot, added). `added` is also true for a key coming back
    while its evicted record is remembered as a ghost: the record is reused, and under the
    learned policy its history goes on (a returning key is not a stranger)."""
    slot, added = claim(slots, state, h)
    rec = slots[slot]
    hook = state[POLICY]
    from_ghost = rec.flags & GHOST != 0
    if from_ghost:
        added = True
        rec.flags &= ~GHOST
        s3fifo.unlink(hist, state, slot)
        hist[slot].size = 0  # its bytes left BYTES when it became a ghost
    if added:
        rec.clock = fresh_clock(mode, now_sec)
    else:
        rec.clock = touched_clock(rec.clock, mode, now_sec, log_factor, decay_time)
    if hook != HOOK_NONE:
        note_history(hist, state, slot, added and not from_ghost)
        if hook == HOOK_S3FIFO:
            if added:
                s3fifo.on_insert(hist, state, slot, from_ghost)
            else:
                s3fifo.on_hit(hist, slot)
        if added:
            _remember_insert(state, slot, h)
    state[VT] += 1
    return slot, added


@njit(cache=True)
def drop(slots, hist, state, slot):
    """Forget the record in `slot` (its key is gone)."""
    if state[POLICY] != HOOK_NONE:
        state[BYTES] -= hist[slot].size
        if state[POLICY] == HOOK_S3FIFO:
            s3fifo.forget(slots, hist, state, slot)
    free_slot(slots, state, slot)


@njit(cache=True)
def retire(slots, hist, state, slot):
    """An evicted key's record: with history kept it stays as a ghost (for when the key comes
    back) - in S3-FIFO's ghost queue, or up to GHOSTS_PER_KEY per cached key, oldest forgotten
    first; without history it is dropped."""
    if state[POLICY] == HOOK_S3FIFO:
        s3fifo.remember(slots, hist, state, slot)
        return
    if state[POLICY] != HOOK_HISTORY:
        drop(slots, hist, state, slot)
        return
    state[BYTES] -= hist[slot].size
    hist[slot].size = 0
    slots[slot].flags = GHOST
    s3fifo.push(hist, state, s3fifo.GHOSTQ, slot)
    while state[Q_COUNT + s3fifo.GHOSTQ] > GHOSTS_PER_KEY * (state[USED]
                                                             - state[Q_COUNT + s3fifo.GHOSTQ]):
        s3fifo.drop_record(slots, hist, state, state[Q_TAIL + s3fifo.GHOSTQ])


@njit(cache=True)
def retire_all(slots, hist, state, victims, count):
    for i in range(count):
        retire(slots, hist, state, victims[i])


@njit(cache=True)
def find_key(slots, h):
    """find() for a raw hash as Python computes it."""
    return find(slots, fix_hash(h))


@njit(cache=True)
def remove(slots, hist, state, h):
    """The key with hash h no longer exists: the slot of the record dropped, or -1. A ghost
    stays: it remembers an evicted key."""
    slot = find(slots, h)
    if slot >= 0 and not slots[slot].flags & GHOST:
        drop(slots, hist, state, slot)
        return slot
    return -1


@njit(cache=True)
def fold(slots, hist, state, hashes, present, volatile, now_sec, mode, log_factor, decay_time,
         out_slots, out_added):
    """Apply a batch of logged keys in order: existing keys are accessed, missing ones removed.
    out_slots: each accessed key's slot, or the slot a removal freed (-1: none)."""
    for i in range(hashes.size):
        h = fix_hash(hashes[i])
        if present[i]:
            slot, added = access(slots, hist, state, h, now_sec, mode, log_factor, decay_time)
            if volatile[i]:
                slots[slot].flags |= VOLATILE
            else:
                slots[slot].flags &= ~VOLATILE
            out_slots[i] = slot
            out_added[i] = added
        else:
            out_slots[i] = remove(slots, hist, state, h)
            out_added[i] = False


@njit(cache=True)
def set_size(hist, state, slot, size):
    """The byte size of a key just added (the server learns it after the fold)."""
    if state[POLICY] != HOOK_NONE:
        state[BYTES] += size - hist[slot].size
        s3fifo.resize(hist, state, slot, size)


@njit(cache=True)
def set_sizes(hist, state, slots_in, sizes):
    for i in range(slots_in.size):
        set_size(hist, state, slots_in[i], sizes[i])


@njit(cache=True)
def rebuild(slots, hist, state, new_slots, new_hist):
    """Re-insert every live record into fresh (larger) arrays, dropping tombstones; returns the
    new slot of every old slot (-1 where none). Queue links and remembered insertions follow."""
    moved = np.full(slots.size, -1, np.int64)
    copy_range(slots, hist, new_slots, new_hist, moved, 0, slots.size)
    relink(new_slots, new_hist, state, moved)
    return moved


@njit(cache=True)
def copy_range(slots, hist, new_slots, new_hist, moved, start, end):
    """The first part of a rebuild, old slots [start, end) at a time (the server spreads a large
    table's over several cron ticks): each live record into the new arrays, its new slot in
    `moved`. Neither the old arrays nor `state` change, so the old table stays usable."""
    cap = new_slots.size
    for old in range(start, end):
        h = slots[old].hash
        if h == EMPTY or h == TOMB:
            continue
        i = (h & 0x7FFFFFFFFFFFFFFF) % cap
        while new_slots[i].hash != EMPTY:
            i += 1
            if i == cap:
                i = 0
        new_slots[i] = slots[old]
        if new_hist.size:
            new_hist[i] = hist[old]
        moved[old] = i


@njit(cache=True)
def relink(new_slots, new_hist, state, moved):
    """The last part of a rebuild, once every record is copied: queue links and remembered
    insertions point at the new slots; no tombstones are left."""
    if new_hist.size:
        for i in range(new_slots.size):
            if new_slots[i].hash != EMPTY:
                rec = new_hist[i]
                if rec.prev >= 0:
                    rec.prev = moved[rec.prev]
                if rec.next >= 0:
                    rec.next = moved[rec.next]
        for q in range(3):
            for index in (Q_HEAD + q, Q_TAIL + q):
                if state[index] >= 0:
                    state[index] = moved[state[index]]
        for r in range(RING):
            at = RING_BASE + 2 * r
            if state[at] >= 0:
                state[at] = moved[state[at]]
    state[TOMBS] = 0


def needs_rebuild(state, capacity: int, incoming: int) -> bool:
    return state[USED] + state[TOMBS] + incoming > MAX_LOAD * capacity


def capacity_for(count: int) -> int:
    """Room for `count` records at a load that leaves growth headroom (1.5x growth steps)."""
    return max(16, int(count / (MAX_LOAD / 1.5)) + 1)
