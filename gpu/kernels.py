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

from numba import cuda

EMPTY = 0
TOMBSTONE = 1
NO_ENTRY = -1
THREADS = 128


def blocks_for(count: int) -> int:
    return max(1, (count + THREADS - 1) // THREADS)


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


@cuda.jit
def lookup_gather(t_fp, t_ent, arena, e_off, e_klen, e_vlen, keys, k_off, k_len, fps,
                  out_entry, out_pos, out, cursor):
    """Find each key; copy a found value into `out` at a position taken from `cursor` with an
    atomic add. out_entry is the entry or -1; out_pos is -1 where `out` had no room (the host
    grows it to cursor[0] bytes and asks again)."""
    i = cuda.grid(1)
    if i >= fps.size:
        return
    out_entry[i] = NO_ENTRY
    out_pos[i] = -1
    slot = _find(t_fp, t_ent, arena, e_off, e_klen, fps[i], keys, k_off[i], k_len[i])
    if slot < 0:
        return
    entry = t_ent[slot]
    out_entry[i] = entry
    length = e_vlen[entry]
    pos = cuda.atomic.add(cursor, 0, length)
    if pos + length <= out.size:
        start = e_off[entry] + e_klen[entry]
        for j in range(length):
            out[pos + j] = arena[start + j]
        out_pos[i] = pos


@cuda.jit
def upsert(t_fp, t_ent, arena, e_off, e_klen, e_vlen, staged, s_off, s_klen, s_vlen, fps,
           new_entry, new_off, out_old):
    """Write each staged record (key, then s_vlen value bytes) to the arena at new_off, describe
    it as new_entry, and point the key's slot at it: the existing slot if the key is present
    (out_old = the replaced entry), else a free one claimed by compare-and-swap (out_old = -1)."""
    i = cuda.grid(1)
    if i >= fps.size:
        return
    entry = new_entry[i]
    src, dst = s_off[i], new_off[i]
    klen = s_klen[i]
    for j in range(klen + s_vlen[i]):
        arena[dst + j] = staged[src + j]
    e_off[entry] = dst
    e_klen[entry] = klen
    e_vlen[entry] = s_vlen[i]
    fp = fps[i]
    slot = _find(t_fp, t_ent, arena, e_off, e_klen, fp, staged, src, klen)
    if slot >= 0:
        out_old[i] = t_ent[slot]
        t_ent[slot] = entry
        return
    out_old[i] = NO_ENTRY
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
def remove(t_fp, t_ent, arena, e_off, e_klen, keys, k_off, k_len, fps, out_old):
    """Delete each key: its slot becomes a tombstone; out_old is the removed entry or -1."""
    i = cuda.grid(1)
    if i >= fps.size:
        return
    out_old[i] = NO_ENTRY
    slot = _find(t_fp, t_ent, arena, e_off, e_klen, fps[i], keys, k_off[i], k_len[i])
    if slot >= 0:
        out_old[i] = t_ent[slot]
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
def gather_records(arena, e_off, e_klen, e_vlen, entries, positions, out):
    """Copy whole records (key then value) of the given entries to `out` at `positions`
    (iteration, persistence)."""
    i = cuda.grid(1)
    if i >= entries.size:
        return
    entry = entries[i]
    start, pos = e_off[entry], positions[i]
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
