"""The GPU engine: string keys and values on the device, behind the Engine interface.

Device state: the hash table (gpu/kernels.py: fingerprints + entry numbers), the entry arrays
(arena offset, key length, value length) and the value arena (gpu/slab.py hands out its
slots). The host keeps a mirror of the entry arrays plus each entry's deadline, so it can free
slots, check TTLs and size replies without asking the device.

Where data goes:
- a record (key + value) of up to one arena page lives in the arena;
- a larger value stays in host memory (`host_values`), its key in the arena and its entry in
  the device table, so lookups still run on the device;
- when the device has no room left (arena pages, table or entry growth fails), the batch goes
  to the host spill tier, a CpuEngine; every key lives in exactly one of the two places, and a
  write to one removes the key from the other. Nothing acknowledged is dropped.

One call = a few transfers through pinned staging buffers and one kernel launch per operation.

Reads of up to `direct_read_max` keys take a host-side path instead (a kernel launch and its
copies cost ~150-300 us on an H200 whatever the batch): the host's index (key -> entry, kept
beside the mirror) finds each entry, and each value is copied out of the arena with one driver
memcpy (gpu/transfer.RangeReader). The same entries, deadlines and bytes as the kernel path, so the
results are identical; the threshold comes from measurements (docs/benchmarks.md).
"""

import numpy as np
from numba import cuda

from . import kernels
from .batch import fingerprints, interleave, lengths, offsets_of, pack
from .cpu_engine import CpuEngine
from .engine import Engine, now_ms
from .kernels import LOOKUP_HEADER, NO_ENTRY, launch
from .slab import NO_ROOM, PAGE, SlabAllocator
from .transfer import RangeReader, Staging

try:
    from numba.cuda.cudadrv.driver import CudaAPIError
except ImportError:  # pragma: no cover - the simulator build
    CudaAPIError = MemoryError
DEVICE_FULL = (CudaAPIError, MemoryError)

NO_DEADLINE = -1
MAX_LOAD = 0.75  # table slots in use (live + tombstones) before the table doubles
ENTRY_BYTES = 8 + 4 + 4  # device entry arrays per entry
MIRROR_BYTES = 4 * 8 + 1  # host mirror per entry
SLOT_BYTES = 8 + 4  # a table slot
INDEX_BYTES = 3 * 8 * 3 // 2 + 8  # the host index's dict slot per key, plus the entry's key


def device_name(context) -> str:
    """The GPU's name ('CUDA simulator' under NUMBA_ENABLE_CUDASIM)."""
    name = getattr(context.device, "name", None)
    if name is None:
        return "CUDA simulator"
    return name.decode() if isinstance(name, bytes) else str(name)


def _grown(size: int, need: int) -> int:
    while size < need:
        size *= 2
    return size


class GpuEngine(Engine):
    name = "gpu"

    def __init__(self, arena_bytes: int = 256 << 20, table_slots: int = 1 << 12,
                 entries: int = 1 << 12, direct_read_max: int = 0):
        if arena_bytes < PAGE:
            raise ValueError(f"the arena needs at least {PAGE} bytes")
        self._sizes = (arena_bytes, table_slots, entries)
        # reads of at most this many keys skip the kernel; the server passes its
        # gpu-direct-read-keys, whose default is the measured crossover (benchmarks.md)
        self.direct_read_max = direct_read_max
        self.keys_in = Staging(np.uint8)  # key bytes, or staged records
        self.ints = Staging(np.int64)  # a call's integers, in and out
        self.bytes_out = Staging(np.uint8, 1 << 20)  # values and records coming back
        self.clear()

    # -- state ----------------------------------------------------------------------------------
    def clear(self):
        arena_bytes, table_slots, entries = self._sizes
        self.slab = SlabAllocator(arena_bytes)
        self.arena = cuda.device_array(self.slab.capacity, np.uint8)
        reader = RangeReader(self.arena)
        self.direct = reader if reader.usable else None  # None: every read takes the kernels
        self.index: dict = {}  # key -> entry, for every key on the device
        self.entry_key: list = []  # entry -> its key (None when free)
        self._new_table(table_slots)
        self.entry_capacity = 0
        self.e_off = self.e_klen = self.e_vlen = None
        self.h_off = np.empty(0, np.int64)
        self.h_klen = np.empty(0, np.int64)
        self.h_vlen = np.empty(0, np.int64)
        self.h_deadline = np.empty(0, np.int64)
        self.h_live = np.empty(0, bool)
        self._grow_entries(entries)
        self.next_entry = 0
        self.free_entries = np.empty(0, np.int64)
        self.count = 0  # live entries on the device
        self.host_values: dict = {}  # entry -> value too large for the arena
        self.spill = CpuEngine()

    def _new_table(self, slots: int) -> None:
        """An empty table; allocated before anything is replaced, so device OOM (raised from
        here) leaves the engine as it was."""
        t_fp = cuda.to_device(np.zeros(slots, np.int64))
        t_ent = cuda.to_device(np.full(slots, NO_ENTRY, np.int32))
        self.t_fp, self.t_ent = t_fp, t_ent
        self.occupied = 0  # slots holding a key or a tombstone

    def _reserve_slots(self, adding: int) -> None:
        slots = self.t_fp.size
        if self.occupied + adding <= MAX_LOAD * slots:
            return
        old_fp, old_ent = self.t_fp, self.t_ent
        self._new_table(_grown(slots, int((self.count + adding) / (MAX_LOAD / 2)) + 1))
        launch(kernels.rehash, old_fp.size)(old_fp, old_ent, self.t_fp, self.t_ent)
        self.occupied = self.count

    def _grow_entries(self, need: int) -> None:
        if need <= self.entry_capacity:
            return
        capacity = _grown(max(self.entry_capacity, 1), need)
        grown = (cuda.device_array(capacity, np.int64), cuda.device_array(capacity, np.int32),
                 cuda.device_array(capacity, np.int32))  # all allocated before any is replaced
        if self.e_off is not None:
            for new, previous in zip(grown, (self.e_off, self.e_klen, self.e_vlen)):
                new[:self.entry_capacity].copy_to_device(previous)
        self.e_off, self.e_klen, self.e_vlen = grown
        extra = capacity - self.entry_capacity
        self.h_off = np.concatenate([self.h_off, np.zeros(extra, np.int64)])
        self.h_klen = np.concatenate([self.h_klen, np.zeros(extra, np.int64)])
        self.h_vlen = np.concatenate([self.h_vlen, np.zeros(extra, np.int64)])
        self.h_deadline = np.concatenate([self.h_deadline, np.full(extra, NO_DEADLINE)])
        self.h_live = np.concatenate([self.h_live, np.zeros(extra, bool)])
        self.entry_key.extend([None] * extra)
        self.entry_capacity = capacity

    def _take_entries(self, count: int) -> np.ndarray:
        reused = self.free_entries[len(self.free_entries) - min(count, len(self.free_entries)):]
        self.free_entries = self.free_entries[:len(self.free_entries) - len(reused)]
        fresh = count - len(reused)
        self._grow_entries(self.next_entry + fresh)
        taken = np.concatenate([reused, np.arange(self.next_entry, self.next_entry + fresh)])
        self.next_entry += fresh
        return taken

    def _release_entries(self, entries: np.ndarray) -> None:
        if len(entries) == 0:
            return
        self.slab.release(self.h_off[entries], self.h_klen[entries] + self.h_vlen[entries])
        self.h_live[entries] = False
        self.h_deadline[entries] = NO_DEADLINE
        index, entry_key = self.index, self.entry_key
        for entry in entries.tolist():
            key = entry_key[entry]
            entry_key[entry] = None
            if index.get(key) == entry:  # not already pointing at the key's new entry
                del index[key]
        if self.host_values:
            for entry in entries.tolist():
                self.host_values.pop(entry, None)
        self.free_entries = np.concatenate([self.free_entries, entries])
        self.count -= len(entries)

    # -- device calls (buffer layouts: gpu/kernels.py) -----------------------------------------
    def _key_ints(self, keys: list, results: int) -> np.ndarray:
        """`results` zeroed int64s, then the keys' fingerprints, offsets and lengths."""
        count = len(keys)
        klen = lengths(keys)
        ints = np.zeros(results + 3 * count, np.int64)
        ints[results:results + count] = fingerprints(keys)
        ints[results + count:results + 2 * count] = offsets_of(klen)
        ints[results + 2 * count:] = klen
        return ints

    def _lookup(self, keys: list):
        """Each key's entry (-1: not on the device), and the bytes of the found values with each
        one's position in them."""
        count = len(keys)
        ints = self._key_ints(keys, LOOKUP_HEADER + 2 * count)
        d_keys = self.keys_in.upload(pack(keys))
        while True:
            d_ints = self.ints.upload(ints)  # also zeroes the cursor
            room = self.bytes_out.capacity
            launch(kernels.lookup_gather, count)(
                self.t_fp, self.t_ent, self.arena, self.e_off, self.e_klen, self.e_vlen, d_keys,
                d_ints, count, self.bytes_out.device, room)
            found = self.ints.download(LOOKUP_HEADER + 2 * count).copy()
            total = int(found[0])
            if total <= room:
                break
            self.bytes_out.reserve(total)  # rare: values larger than the buffer; ask again
        data = bytes(self.bytes_out.download(total))
        return found[1:count + 1], found[count + 1:], data

    def _remove_from_device(self, keys: list) -> np.ndarray:
        """Delete the keys from the device; the entries removed (still to be released)."""
        count = len(keys)
        d_ints = self.ints.upload(self._key_ints(keys, count))
        d_keys = self.keys_in.upload(pack(keys))
        launch(kernels.remove, count)(
            self.t_fp, self.t_ent, self.arena, self.e_off, self.e_klen, d_keys, d_ints, count)
        old = self.ints.download(count)
        return old[old >= 0].copy()

    # -- the Engine primitives ------------------------------------------------------------------
    def mget(self, keys, now=None):
        if not keys:
            return []
        now = now_ms() if now is None else now
        if len(keys) <= self.direct_read_max and self.direct is not None:
            return self._mget_direct(keys, now)
        entries, positions, data = self._lookup(keys)
        values = [None] * len(keys)
        hits = np.flatnonzero(entries >= 0)
        if len(hits):
            found = entries[hits]
            deadline = self.h_deadline[found]
            due = (deadline != NO_DEADLINE) & (deadline <= now)
            sizes = self.h_vlen[found]
            starts = positions[hits]
            for index, start, size in zip(hits.tolist(), starts.tolist(), sizes.tolist()):
                values[index] = data[start:start + size]
            if self.host_values:
                for index, entry in zip(hits.tolist(), found.tolist()):
                    if entry in self.host_values:
                        values[index] = self.host_values[entry]
            if due.any():
                self._expire_read(keys, values, hits[due].tolist())
        if len(self.spill):
            self._read_spilled(keys, values, np.flatnonzero(entries < 0).tolist(), now)
        return values

    def _mget_direct(self, keys, now):
        """mget without a kernel: entries from the host index, values by memcpy."""
        entries = list(map(self.index.get, keys))
        values = [None] * len(keys)
        wanted, starts, sizes, expired, missing = [], [], [], [], []
        h_off, h_klen, h_vlen, h_deadline = self.h_off, self.h_klen, self.h_vlen, self.h_deadline
        for position, entry in enumerate(entries):
            if entry is None:
                missing.append(position)
                continue
            deadline = h_deadline[entry]
            if deadline != NO_DEADLINE and deadline <= now:
                expired.append(position)
            elif entry in self.host_values:
                values[position] = self.host_values[entry]
            else:
                wanted.append(position)
                starts.append(int(h_off[entry] + h_klen[entry]))
                sizes.append(int(h_vlen[entry]))
        for position, value in zip(wanted, self.direct.read(starts, sizes)):
            values[position] = value
        if expired:
            self._expire_read(keys, values, expired)
        if missing and len(self.spill):
            self._read_spilled(keys, values, missing, now)
        return values

    def _expire_read(self, keys, values, positions) -> None:
        """Keys a read found past their deadline read as absent and leave the device."""
        for position in positions:
            values[position] = None
        expired = list(dict.fromkeys(keys[i] for i in positions))  # MGET k k: remove k once
        self._release_entries(self._remove_from_device(expired))

    def _read_spilled(self, keys, values, positions, now) -> None:
        spilled = self.spill.mget([keys[i] for i in positions], now)
        for position, value in zip(positions, spilled):
            values[position] = value

    def mset(self, keys, values, deadline=None):
        final = dict(zip(keys, values))
        keys, values = list(final), list(final.values())
        if not keys:
            return
        if len(self.spill):
            self.spill.delete(keys, now=0)
        klen, vlen = lengths(keys), lengths(values)
        in_arena = klen + vlen <= PAGE
        dev_vlen = np.where(in_arena, vlen, 0)
        try:
            self._reserve_slots(len(keys))
            self._grow_entries(self.next_entry + len(keys))
            offsets = self.slab.allocate(klen + dev_vlen)
        except DEVICE_FULL:
            offsets = np.full(len(keys), NO_ROOM, np.int64)
        no_room = offsets == NO_ROOM
        if no_room.any():
            self._spill([keys[i] for i in np.flatnonzero(no_room)],
                        [values[i] for i in np.flatnonzero(no_room)], deadline)
            placed = np.flatnonzero(~no_room)
            keys = [keys[i] for i in placed]
            values = [values[i] for i in placed]
            klen, dev_vlen, in_arena, offsets = (klen[placed], dev_vlen[placed],
                                                 in_arena[placed], offsets[placed])
            if not keys:
                return
        self._upsert(keys, values, klen, dev_vlen, in_arena, offsets, deadline)

    def _upsert(self, keys, values, klen, dev_vlen, in_arena, offsets, deadline) -> None:
        count = len(keys)
        entries = self._take_entries(count)
        staged_values = values if in_arena.all() else [
            value if inside else b"" for value, inside in zip(values, in_arena.tolist())]
        ints = np.concatenate([np.zeros(count, np.int64), fingerprints(keys),
                               offsets_of(klen + dev_vlen), klen, dev_vlen, entries, offsets])
        d_ints = self.ints.upload(ints)
        d_staged = self.keys_in.upload(pack(interleave(keys, staged_values)))
        launch(kernels.upsert, count)(
            self.t_fp, self.t_ent, self.arena, self.e_off, self.e_klen, self.e_vlen, d_staged,
            d_ints, count)
        old = self.ints.download(count).copy()
        self.h_off[entries] = offsets
        self.h_klen[entries] = klen
        self.h_vlen[entries] = dev_vlen
        self.h_deadline[entries] = NO_DEADLINE if deadline is None else deadline
        self.h_live[entries] = True
        listed = entries.tolist()
        self.index.update(zip(keys, listed))
        entry_key = self.entry_key
        for key, entry in zip(keys, listed):
            entry_key[entry] = key
        for index in np.flatnonzero(~in_arena).tolist():
            self.host_values[int(entries[index])] = values[index]
        added = int((old < 0).sum())
        self.count += count
        self.occupied += added
        self._release_entries(old[old >= 0])

    def _spill(self, keys, values, deadline) -> None:
        """No room on the device: the keys go to host memory (and leave the device)."""
        self._release_entries(self._remove_from_device(keys))
        self.spill.mset(keys, values, deadline)

    def delete(self, keys, now=None):
        keys = list(dict.fromkeys(keys))
        if not keys:
            return 0
        now = now_ms() if now is None else now
        old = self._remove_from_device(keys)
        deadline = self.h_deadline[old]
        removed = int(((deadline == NO_DEADLINE) | (deadline > now)).sum())
        self._release_entries(old)
        if len(self.spill):
            removed += self.spill.delete(keys, now)
        return removed

    def _entries_of(self, keys: list) -> np.ndarray:
        """Each key's entry, -1 when not on the device (the host index: no device call)."""
        return np.fromiter(map(self.index.get, keys, [-1] * len(keys)), np.int64, len(keys))

    def deadlines(self, keys):
        if not keys:
            return []
        entries = self._entries_of(keys)
        result = self.spill.deadlines(keys) if len(self.spill) else [None] * len(keys)
        for index in np.flatnonzero(entries >= 0).tolist():
            deadline = int(self.h_deadline[entries[index]])
            result[index] = None if deadline == NO_DEADLINE else deadline
        return result

    def set_deadline(self, key, deadline):
        entry = int(self._entries_of([key])[0])
        if entry < 0:
            return self.spill.set_deadline(key, deadline)
        self.h_deadline[entry] = NO_DEADLINE if deadline is None else deadline
        return True

    def memory_usage(self, key):
        entry = int(self._entries_of([key])[0])
        if entry < 0:
            return self.spill.memory_usage(key)
        record = self.h_klen[entry:entry + 1] + self.h_vlen[entry:entry + 1]
        host = len(self.host_values.get(entry, b""))
        slot_share = SLOT_BYTES * self.t_fp.size // max(self.count, 1)
        return (int(self.slab.slot_bytes(record)[0]) + ENTRY_BYTES + MIRROR_BYTES + INDEX_BYTES
                + slot_share + host)

    def _records(self, entries: np.ndarray):
        """(key, value) of each entry, copied from the arena in one launch."""
        sizes = self.h_klen[entries] + self.h_vlen[entries]
        positions = offsets_of(sizes)
        total = int(sizes.sum())
        count = len(entries)
        d_ints = self.ints.upload(np.concatenate([entries, positions]))
        self.bytes_out.reserve(max(total, 1))
        launch(kernels.gather_records, count)(
            self.arena, self.e_off, self.e_klen, self.e_vlen, d_ints, count,
            self.bytes_out.device)
        data = bytes(self.bytes_out.download(total))
        klens = self.h_klen[entries].tolist()
        records = []
        for entry, start, klen, size in zip(entries.tolist(), positions.tolist(), klens,
                                            sizes.tolist()):
            key = data[start:start + klen]
            value = self.host_values.get(entry) or data[start + klen:start + size]
            records.append((key, value))
        return records

    def items(self, chunk: int = 1 << 16):
        live = np.flatnonzero(self.h_live[:self.next_entry])
        for begin in range(0, len(live), chunk):
            entries = live[begin:begin + chunk]
            deadlines = self.h_deadline[entries].tolist()
            for (key, value), deadline in zip(self._records(entries), deadlines):
                yield key, value, None if deadline == NO_DEADLINE else deadline
        yield from self.spill.items()

    def expire_due(self, now=None):
        now = now_ms() if now is None else now
        deadline = self.h_deadline[:self.next_entry]
        due = np.flatnonzero(self.h_live[:self.next_entry] & (deadline != NO_DEADLINE)
                             & (deadline <= now))
        if len(due):
            keys = [key for key, _ in self._records(due)]
            self._release_entries(self._remove_from_device(keys))
        return len(due) + self.spill.expire_due(now)

    # -- forked children: CUDA cannot be used after fork(), so the child gets host copies ---------
    def prepare_fork(self) -> np.ndarray:
        """The arena's pages in use, copied to host memory (one device-to-host copy in the
        parent, before the fork: ~0.33 s per GB on an H200, most of it first-touching the fresh
        host memory; docs/benchmarks.md, session 21)."""
        used = self.slab.next_page * PAGE
        return self.arena[:used].copy_to_host() if used else np.empty(0, np.uint8)

    def for_child(self, arena: np.ndarray) -> CpuEngine:
        """Every stored string in a CpuEngine, read from the entry mirror, the host copy of the
        arena and the spill tier: the child's reads and writes never reach the device."""
        engine = CpuEngine()
        engine.values.update(self.spill.values)
        engine.deadline_of.update(self.spill.deadline_of)
        live = np.flatnonzero(self.h_live[:self.next_entry])
        starts = (self.h_off[live] + self.h_klen[live]).tolist()
        ends = (self.h_off[live] + self.h_klen[live] + self.h_vlen[live]).tolist()
        host_values, entry_key, values = self.host_values, self.entry_key, engine.values
        for entry, start, end in zip(live.tolist(), starts, ends):
            value = host_values.get(entry)
            values[entry_key[entry]] = arena[start:end].tobytes() if value is None else value
        timed = live[self.h_deadline[live] != NO_DEADLINE]
        engine.deadline_of.update(zip((entry_key[entry] for entry in timed.tolist()),
                                      self.h_deadline[timed].tolist()))
        return engine

    def __len__(self):
        return self.count + len(self.spill)

    def describe(self):
        context = cuda.current_context()
        free, _total = context.get_memory_info()
        allocated = (self.slab.capacity + SLOT_BYTES * self.t_fp.size
                     + ENTRY_BYTES * self.entry_capacity)
        return {"engine": self.name, "device": device_name(context), "device_memory_used": allocated,
                "device_memory_free": free if free != float("inf") else 0,
                "arena_used": self.slab.used_bytes, "arena_capacity": self.slab.capacity,
                "host_spilled_keys": len(self.spill), "host_values": len(self.host_values)}
