"""A database's per-key access metadata: the numba table of ml/keymeta.py plus the key objects.

Reads and writes only append the key to `log` (a list append on the request path); `fold()`
applies the log in one numba call: the cron does it every tick, eviction and OBJECT before they
read the table. A logged key that still exists is an access (LRU clock, LFU counter, history); one
that no longer exists is removed. Keys live in `keys`, an object array beside the records, so a
sampled record names the key to evict.

A large table grows gradually: the cron copies a slice of its records into the new arrays per
tick (`tend`) while the old records stay the table, and the log waits until the copy is done
(a rebuild in one go held the event loop 0.35-0.47 s at 1.4M keys). Key objects move with their
records, so anything else that reads the table folds first, which finishes the copy.
"""

import time

import numpy as np

from ml import arbiter, tracking
from ml.eviction import TENANT_MASK, TENANT_SHIFT
from ml.keymeta import (GHOST, HOOK_NONE, POLICY, Q_COUNT, SLOT, USED, new_hist, new_slots,
                        new_state)
from ml.s3fifo import GHOSTQ

from .memory import entry_size

SHRINK_FROM = 1024  # slots; smaller tables are not worth rebuilding to shrink
GROWTH_STEP = 65_536  # old slots copied per cron tick at least; smaller tables grow at once
GROWTH_TICKS = 16  # and in at most this many copying ticks (the log piles up meanwhile)
FOLD_PART = 32_768  # a cron tick folds at most max(this, an eighth of the log) entries
# A value as its database stores it, for sizes: a GPU-held string is then its length (an
# EngineDict's own lookup would fetch it from the device)
_stored = dict.__getitem__


class KeyTable:
    __slots__ = ("slots", "hist", "state", "keys", "log", "removed", "arbiter",
                 "arbiter_basis", "expert", "nbytes", "growth")

    def __init__(self, hook: int = HOOK_NONE, capacity: int = 16):
        self.state = new_state()
        self.state[POLICY] = hook
        self.slots = new_slots(capacity)
        self.hist = new_hist(capacity if hook != HOOK_NONE else 0)
        self.keys = np.empty(capacity, object)
        self.log: list = []
        # key -> log index of its latest removal: a key removed and created again before a
        # fold is a new key (Redis's new object: a fresh LFU counter and clock)
        self.removed: dict = {}
        self.arbiter = None  # allkeys-learned's shadows (ml/arbiter.py), made at first eviction
        self.arbiter_basis = 0
        self.expert = None  # the arbiter's choice, kept until its shadows see more accesses
        self.nbytes = 0  # bytes of every array here (used_memory reads it per command)
        self.growth = None  # a _Growth while the table grows over several cron ticks
        self._measure()

    @property
    def hook(self) -> int:
        return int(self.state[POLICY])

    def __len__(self):
        """Keys with a record (S3-FIFO's ghosts are records of keys already gone)."""
        ghosts = self.state[Q_COUNT + GHOSTQ] if self.hook != HOOK_NONE else 0
        return int(self.state[USED] - ghosts)

    def _measure(self) -> None:
        """Recount nbytes after arrays were (re)allocated. The log is left out: a transient
        list of references to keys counted already, emptied every cron tick."""
        shadows = sum(a.nbytes for a in self.arbiter) if self.arbiter is not None else 0
        growing = self.growth.nbytes() if self.growth is not None else 0
        self.nbytes = self.slots.nbytes + self.hist.nbytes + self.keys.nbytes + shadows + growing

    def arbitrate(self, held_bytes: int) -> int:
        """The expert allkeys-learned evicts with now; shadows sized to the keys held and their
        `held_bytes` (made again when the key count has moved by more than 2x)."""
        held = max(len(self), 1)
        if self.arbiter is None or not self.arbiter_basis / 2 <= held <= self.arbiter_basis * 2:
            self.arbiter = arbiter.new_arbiter(held, held_bytes)
            self.arbiter_basis = held
            self.expert = None
            self._measure()
        if self.expert is None:
            self.expert = arbiter.expert(self.arbiter)
        return self.expert

    # -- applying the log ----------------------------------------------------------------------
    def fold(self, data: dict, expires: dict, now_sec: int, mode: int, log_factor: int,
             decay_time: int, weights: tuple = (), sampler=None, db_index: int = 0,
             tenant_of=None, gradual: bool = False) -> None:
        """Apply the log; `weights` (the model's arrays) when an arbiter watches the accesses;
        `sampler` (ml/sampler.py) takes the sampled keys' accesses from the same hashes;
        `tenant_of` (server/tenants.py) tags new records with their key's tenant. `gradual`
        (the cron's fold): a large table that must grow starts growing, and the log waits;
        a long log is applied a part at a time (the rest stays for the next tick)."""
        if self.growth is not None:
            self._finish_growth()
        if not self.log:
            return
        log = self.log
        if gradual and len(log) > FOLD_PART:
            log = log[:max(FOLD_PART, len(log) // 8)]
        taken = len(log)
        if tracking.needs_rebuild(self.state, len(self.slots), taken):
            # a log repeats its hot keys: make room for the distinct keys it names, not for its
            # length (which would grow the table, and used_memory, with the request rate)
            distinct = len(set(log))
            if tracking.needs_rebuild(self.state, len(self.slots), distinct):
                if gradual and len(self.slots) > 2 * GROWTH_STEP:
                    self.growth = _Growth(self, int(self.state[USED]) + distinct)
                    self._measure()
                    return
                self._grow(int(self.state[USED]) + distinct)
        if self.removed:
            log = self._forget_removed(log, data, expires, now_sec, mode, log_factor,
                                       decay_time)
        if log:
            self._apply(log, data, expires, now_sec, mode, log_factor, decay_time, weights,
                        sampler, db_index, tenant_of)
        del self.log[:taken]

    def _apply(self, log, data, expires, now_sec, mode, log_factor, decay_time, weights,
               sampler, db_index, tenant_of) -> None:
        n = len(log)
        hashes = np.fromiter(map(hash, log), np.int64, n)
        present = np.fromiter(map(data.__contains__, log), np.bool_, n)
        volatile = np.fromiter(map(expires.__contains__, log), np.bool_, n) if expires \
            else np.zeros(n, np.bool_)
        if len(self.slots) > 4 * tracking.capacity_for(int(self.state[USED]) + n) and \
                len(self.slots) > SHRINK_FROM:
            self._grow(int(self.state[USED]) + n)  # most keys went: give the room back
        out_slots = np.empty(n, np.int64)
        out_added = np.empty(n, np.bool_)
        tracking.fold(self.slots, self.hist, self.state, hashes, present, volatile, now_sec,
                      mode, log_factor, decay_time, out_slots, out_added)
        if not present.all():  # (before the new keys: a slot freed here may be reused)
            self._release_keys(out_slots[~present])
        added = np.flatnonzero(out_added)
        if added.size:
            new_keys = [log[i] for i in added]
            slots = out_slots[added]
            self.keys[slots] = _object_array(new_keys)
            if tenant_of is not None:
                self.tag_tenants(tenant_of, slots)
            if self.hook != HOOK_NONE:
                sizes = np.fromiter((entry_size(k, _stored(data, k)) for k in new_keys),
                                    np.int64, len(new_keys))
                tracking.set_sizes(self.hist, self.state, slots, sizes)
        if self.arbiter is not None and weights and \
                arbiter.observe_all(self.arbiter, hashes, present, now_sec, *weights):
            self.expert = None
        if sampler is not None and sampler.threshold:
            sampler.observe(hashes, present, out_added,
                            lambda picked: [entry_size(log[i], _stored(data, log[i]))
                                            for i in picked],
                            db_index, int(time.time() * 1000),
                            None if tenant_of is None else
                            lambda picked: [tenant_of(log[i]) for i in picked])

    def _forget_removed(self, log, data, expires, now_sec, mode, log_factor, decay_time):
        """Drop the records of keys removed within `log` (the log, or a first part of it), and
        the entries from up to each removal: what follows it concerns a new key. Removals past
        the part stay for later; the part's entries of those keys go now."""
        taken = len(log)
        removed = self.removed
        self.removed = {key: at - taken for key, at in removed.items() if at >= taken}
        keys = [key for key, at in removed.items() if at < taken]
        n = len(keys)
        freed = np.empty(n, np.int64)
        tracking.fold(self.slots, self.hist, self.state,
                      np.fromiter(map(hash, keys), np.int64, n), np.zeros(n, np.bool_),
                      np.zeros(n, np.bool_), now_sec, mode, log_factor, decay_time,
                      freed, np.empty(n, np.bool_))
        self._release_keys(freed)
        return [key for index, key in enumerate(log) if removed.get(key, -1) < index]

    def _release_keys(self, freed: np.ndarray) -> None:
        """Let go of the key objects of records a fold dropped (slots, -1 for none): a deleted
        key's bytes must not stay alive in `keys` until its slot is reused."""
        self.keys[freed[freed >= 0]] = None

    def note_removal(self, key: bytes) -> None:
        """`key` was removed, its removal just logged."""
        self.removed[key] = len(self.log) - 1

    @property
    def growing(self) -> bool:
        return self.growth is not None

    def tend(self, *fold_args) -> None:
        """The cron's turn: one step of a growth under way (the log is folded from the tick
        after its last), else fold(*fold_args, gradual=True)."""
        if self.growth is not None:
            if self.growth.step():
                self._finish_growth()
            return  # (the log is folded from the next tick on)
        self.fold(*fold_args, gradual=True)

    def _finish_growth(self) -> None:
        growth, self.growth = self.growth, None
        while not growth.step():
            pass
        tracking.relink(growth.slots, growth.hist, self.state, growth.moved)
        self.slots, self.hist, self.keys = growth.slots, growth.hist, growth.finished_keys()
        self._measure()

    def _grow(self, records: int) -> None:
        """Rebuild for `records` records (larger or smaller than now), dropping tombstones."""
        self.growth = _Growth(self, records, at_once=True)
        self._finish_growth()

    def tag_tenants(self, tenant_of, slots=None) -> None:
        """Write each key's tenant number (0: none) into its record's flags, where eviction
        within one tenant finds it (ml/eviction.restriction); every record when no slots."""
        if slots is None:
            slots = np.flatnonzero(np.not_equal(self.keys, None))
        ids = np.fromiter(map(tenant_of, self.keys[slots]), np.uint8, len(slots))
        flags = self.slots["flags"]
        flags[slots] = (flags[slots] & np.uint8(0xFF ^ TENANT_MASK)) | (ids << TENANT_SHIFT)

    # -- reading and setting one key -----------------------------------------------------------
    def slot_of(self, key: bytes) -> int:
        slot = tracking.find_key(self.slots, hash(key))
        return -1 if slot < 0 or self.slots[slot]["flags"] & GHOST else slot

    def clock_of(self, key: bytes):
        slot = self.slot_of(key)
        return None if slot < 0 else int(self.slots[slot]["clock"])

    def set_clock(self, key: bytes, clock: int) -> None:
        slot = self.slot_of(key)
        if slot >= 0:
            self.slots[slot]["clock"] = clock


    # -- rebuilding from the data ---------------------------------------------------------------
    def rebuilt(self, data: dict, expires: dict, hook: int, now_sec: int, mode: int,
                log_factor: int, decay_time: int) -> "KeyTable":
        """A fresh table for `hook` holding every key of `data` (policy switch, or repair when
        the table and the data disagree). Keys enter as if accessed now; S3-FIFO puts them in
        MAIN, as it does with every key before its first eviction."""
        table = KeyTable(hook, tracking.capacity_for(len(data)))
        table.log.extend(data)
        table.fold(data, expires, now_sec, mode, log_factor, decay_time)
        return table


class _Growth:
    """A table's next arrays, cleared then filled a slice per step."""
    __slots__ = ("old_slots", "old_hist", "old_keys", "slots", "hist", "keys", "moved", "done",
                 "per_step", "cleared", "clear_per_step")

    def __init__(self, table: KeyTable, records: int, at_once: bool = False):
        capacity = tracking.capacity_for(records)
        self.old_slots, self.old_hist, self.old_keys = table.slots, table.hist, table.keys
        # The records go to random places of the new array, so its first step would fault in
        # every page of it (0.1 s for 37 MB under this VM's kernel): a gradual growth clears
        # it a quarter at a time first.
        self.slots = new_slots(capacity) if at_once else np.empty(capacity, SLOT)
        self.cleared = capacity if at_once else 0
        self.clear_per_step = max(4 * GROWTH_STEP, -(-capacity // 4))
        self.hist = new_hist(capacity if len(table.hist) else 0)
        # every old slot's key goes to its new slot in one scatter a step, those of no record
        # to a spare last element (gathering the kept ones first touched each key twice more:
        # 0.21 s against 0.16 s for 1.4M keys here)
        self.keys = np.empty(capacity + 1, object)
        self.moved = np.full(len(table.slots), -1, np.int64)
        self.done = 0
        self.per_step = len(table.slots) if at_once else \
            max(GROWTH_STEP, -(-len(table.slots) // GROWTH_TICKS))

    def nbytes(self) -> int:
        return self.slots.nbytes + self.hist.nbytes + self.keys.nbytes + self.moved.nbytes

    def step(self) -> bool:
        """Clear the next slice of the new records, or once they are clear copy the next slice
        of old records and their keys; True once all are copied."""
        if self.cleared < len(self.slots):
            start, end = self.cleared, min(self.cleared + self.clear_per_step, len(self.slots))
            self.slots.view(np.uint8)[start * SLOT.itemsize:end * SLOT.itemsize] = 0
            self.cleared = end
            return False
        start, end = self.done, min(self.done + self.per_step, len(self.old_slots))
        tracking.copy_range(self.old_slots, self.old_hist, self.slots, self.hist, self.moved,
                            start, end)
        moved = self.moved[start:end]
        self.keys[np.where(moved >= 0, moved, len(self.slots))] = self.old_keys[start:end]
        # (let go of the copied references now: dropping the whole old array at the end
        # would touch every key object in one tick, 30 ms for 1.4M keys here)
        self.old_keys[start:end] = None
        self.done = end
        return end == len(self.old_slots)

    def finished_keys(self) -> np.ndarray:
        self.keys[-1] = None  # (the spare element)
        return self.keys[:-1]


def _object_array(items: list) -> np.ndarray:
    array = np.empty(len(items), object)
    array[:] = items
    return array
