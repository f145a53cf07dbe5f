"""The GPU engine's kernels: an open-addressing hash table of 64-bit key fingerprints on the
device, whose slots point at entries; an entry's record (key bytes, then value bytes) lives in
the device arena. One thread serves one key of a batch.

Table slots hold EMPTY, TOMBSTONE or a fingerprint (gpu/fingerprint.py never produces the two
reserved values); the entry array beside them is -1 for a free slot. Inserts claim a slot with
an atomic compare-and-swap, so threads of one launch never take the same slot. A batch never
holds the same key twice (the host keeps the last write), so at most one thread per launch
looks for a given key. Every fingerprint match is confirmed by comparing the full key bytes.

Only plain loads, stores and global atomics are used: no warp intrinsics, so the same kernels
run under NUMBA_ENABLE_CUDASIM=1 in CI.
"""

import functools

from numba import cuda

EMPTY = 0
TOMBSTONE = 1
NO_ENTRY = -1
THREADS = 128


def blocks_for(count: int) -> int:
    return max(1, (count + THREADS - 1) // THREADS)


@functools.lru_cache(maxsize=512)
def _configured(kernel, blocks: int):
    return kernel[blocks, THREADS]


def launch(kernel, count: int):
    """`kernel` configured for one thread per item of a batch of `count` (configurations are
    cached: making one costs a Python object per call otherwise)."""
    return _configured(kernel, blocks_for(count))


@cuda.jit(device=True, inline=True)
def _key_matches(arena, start, length, keys, key_start, key_length):
    if length != key_length:
        return False
    for j in range(length):
        if arena[start + j] != keys[key_start + j]:
            return False
    return True


@cuda.jit(device=True, inline=True)
def _find(t_fp, t_ent, arena, e_off, e_klen, fp, keys, key_start, key_length):
    """The slot holding this key, or -1."""
    mask = t_fp.size - 1
    slot = fp & mask
    for _ in range(t_fp.size):
        found = t_fp[slot]
        if found == EMPTY:
            return -1
        if found == fp:
            entry = t_ent[slot]
            if entry >= 0 and _key_matches(arena, e_off[entry], e_klen[entry], keys, key_start,
                                           key_length):
                return slot
        slot = (slot + 1) & mask
    return -1


@cuda.jit(device=True, inline=True)
def _claim_empty(t_fp, fp):
    """Take the first EMPTY slot of fp's chain (compare-and-swap); its index, or -1 if full."""
    mask = t_fp.size - 1
    slot = fp & mask
    for _ in range(t_fp.size):
        if cuda.atomic.cas(t_fp, slot, EMPTY, fp) == EMPTY:
            return slot
        slot = (slot + 1) & mask
    return -1


# Each call's integers travel in one int64 buffer, results first, so one upload and one
# download from offset 0 move them (gpu/transfer.py); `n` is the batch size.
#   lookup_gather: [cursor | entry x n | position x n | fingerprint x n | key offset x n |
#                   key length x n]
#   upsert:        [old entry x n | fingerprint | record offset in `staged` | key length |
#                   value length | new entry | arena offset]   (x n each)
#   remove:        [old entry x n | fingerprint | key offset | key length]   (x n each)
#   gather:        [entry x n | position in `out` x n]
LOOKUP_HEADER = 1


@cuda.jit
def lookup_gather(t_fp, t_ent, arena, e_off, e_klen, e_vlen, keys, ints, n, out, out_size):
    """Find each key; copy a found value into `out` at a position taken from the cursor with an
    atomic add. Entry is -1 when absent; position is -1 where `out` (of out_size usable bytes)
    had no room: the host grows it to the cursor's total and asks again."""
    i = cuda.grid(1)
    if i >= n:
        return
    entry_at, pos_at = LOOKUP_HEADER + i, LOOKUP_HEADER + n + i
    ints[entry_at] = NO_ENTRY
    ints[pos_at] = -1
    base = LOOKUP_HEADER + 2 * n
    slot = _find(t_fp, t_ent, arena, e_off, e_klen, ints[base + i], keys, ints[base + n + i],
                 ints[base + 2 * n + i])
    if slot < 0:
        return
    entry = t_ent[slot]
    ints[entry_at] = entry
    length = e_vlen[entry]
    pos = cuda.atomic.add(ints, 0, length)
    if pos + length <= out_size:
        start = e_off[entry] + e_klen[entry]
        for j in range(length):
            out[pos + j] = arena[start + j]
        ints[pos_at] = pos


@cuda.jit
def upsert(t_fp, t_ent, arena, e_off, e_klen, e_vlen, staged, ints, n):
    """Write each staged record (key, then value bytes) to the arena at its offset, describe it
    as its new entry, and point the key's slot at it: the existing slot if the key is present
    (old entry = the replaced one), else a free one claimed by compare-and-swap (old = -1)."""
    i = cuda.grid(1)
    if i >= n:
        return
    fp = ints[n + i]
    src, klen, vlen = ints[2 * n + i], ints[3 * n + i], ints[4 * n + i]
    entry, dst = ints[5 * n + i], ints[6 * n + i]
    for j in range(klen + vlen):
        arena[dst + j] = staged[src + j]
    e_off[entry] = dst
    e_klen[entry] = klen
    e_vlen[entry] = vlen
    slot = _find(t_fp, t_ent, arena, e_off, e_klen, fp, staged, src, klen)
    if slot >= 0:
        ints[i] = t_ent[slot]
        t_ent[slot] = entry
        return
    ints[i] = NO_ENTRY
    mask = t_fp.size - 1
    slot = fp & mask
    for _ in range(t_fp.size):
        seen = t_fp[slot]
        if seen == EMPTY or seen == TOMBSTONE:
            if cuda.atomic.cas(t_fp, slot, seen, fp) == seen:
                t_ent[slot] = entry
                return
        else:
            slot = (slot + 1) & mask


@cuda.jit
def remove(t_fp, t_ent, arena, e_off, e_klen, keys, ints, n):
    """Delete each key: its slot becomes a tombstone; old entry = the removed one or -1."""
    i = cuda.grid(1)
    if i >= n:
        return
    ints[i] = NO_ENTRY
    slot = _find(t_fp, t_ent, arena, e_off, e_klen, ints[n + i], keys, ints[2 * n + i],
                 ints[3 * n + i])
    if slot >= 0:
        ints[i] = t_ent[slot]
        t_ent[slot] = NO_ENTRY
        t_fp[slot] = TOMBSTONE


@cuda.jit
def rehash(old_fp, old_ent, t_fp, t_ent):
    """Move every live slot of the old table into the new (larger, empty) one; tombstones are
    dropped."""
    i = cuda.grid(1)
    if i >= old_fp.size:
        return
    fp = old_fp[i]
    if fp != EMPTY and fp != TOMBSTONE:
        t_ent[_claim_empty(t_fp, fp)] = old_ent[i]  # the new table has room: never -1


@cuda.jit
def gather_records(arena, e_off, e_klen, e_vlen, ints, n, out):
    """Copy whole records (key then value) of the given entries to `out` at their positions
    (iteration, persistence)."""
    i = cuda.grid(1)
    if i >= n:
        return
    entry = ints[i]
    start, pos = e_off[entry], ints[n + i]
    for j in range(e_klen[entry] + e_vlen[entry]):
        out[pos + j] = arena[start + j]


@cuda.jit
def probe_fingerprints(t_fp, fps, found):
    """Fingerprint-only lookups (no key bytes): the kernel-throughput benchmark's measure of the
    table itself, as cuCollections and WarpCore report it. found[i] is the slot or -1."""
    i = cuda.grid(1)
    if i >= fps.size:
        return
    fp = fps[i]
    mask = t_fp.size - 1
    slot = fp & mask
    found[i] = -1
    for _ in range(t_fp.size):
        seen = t_fp[slot]
        if seen == fp:
            found[i] = slot
            return
        if seen == EMPTY:
            return
        slot = (slot + 1) & mask


@cuda.jit
def insert_fingerprints(t_fp, fps, placed):
    """Fingerprint-only inserts for the benchmark: claim a free slot per fingerprint."""
    i = cuda.grid(1)
    if i < fps.size:
        placed[i] = _claim_empty(t_fp, fps[i])
