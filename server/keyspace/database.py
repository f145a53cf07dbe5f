"""One numbered database: a dict of key -> value plus a dict of key -> expiry deadline (ms).

Strings are stored as `bytes` (or `bytearray` once modified in place by APPEND/SETRANGE/SETBIT,
which Redis reports as the 'raw' encoding). Other types are objects with a `type_name`.
Expired keys are removed lazily on access and by the active expiry cycle (expiry.py).
Every access, creation and removal appends the key to the access table's log (keytable.py):
LRU/LFU metadata for OBJECT and eviction, without per-key Python objects.
"""

import time
from contextlib import contextmanager
from itertools import compress, repeat
from operator import is_, is_not

from .keytable import KeyTable
from .memory import DICT_SLOT, EXPIRE_SLOT, costs_of, entry_size, value_size

_BYTES_ONLY = {bytes}


_frozen_ms = None  # the time while a script or an EXEC runs (clock_frozen)


def now_ms() -> int:
    """The time keys expire by: the clock, or a script's start time while it runs."""
    if _frozen_ms is not None:
        return _frozen_ms
    return int(time.time() * 1000)


@contextmanager
def clock_frozen():
    """Keys expire by the time this is entered until it is left (an inner use keeps the outer
    one's time). Redis fixes the time a script or a transaction sees when it starts: a key
    that expires meanwhile does not vanish halfway through it."""
    global _frozen_ms
    previous = _frozen_ms
    _frozen_ms = now_ms()
    try:
        yield
    finally:
        _frozen_ms = previous


_loading = False  # data is loading: nothing expires until it is loaded (expiry_held)


@contextmanager
def expiry_held():
    """While data loads (an AOF's commands, a snapshot) no key expires, as in Redis: a
    command that reads a key whose deadline passed finds it (an AOF's RPUSH after a PEXPIREAT
    in the past appends to the doomed list, not to a new one), and the keys past their
    deadline go once loading ends."""
    global _loading
    previous, _loading = _loading, True
    try:
        yield
    finally:
        _loading = previous


def already_expired(deadline: int, server) -> bool:
    """Redis's checkAlreadyExpired: a deadline set in the past removes the key at once, but
    while data loads or on a replica (which waits for its primary's DEL)."""
    return deadline <= now_ms() and not _loading and server.master_link is None


def _ignore(_key) -> None:
    pass


def type_name(value) -> str:
    kind = type(value)
    if kind is bytes or kind is bytearray:
        return "string"
    return value.type_name


class Database:
    __slots__ = ("index", "data", "expires", "stats", "memory", "avg_ttl", "hits", "misses",
                 "table", "_note", "_touch", "touch_many", "_new_data", "read_tap", "tenants")

    def __init__(self, index: int, stats, hook: int = 0, new_data=dict):
        self.index = index
        self._new_data = new_data  # dict, or an EngineDict maker when strings live on a GPU
        self.data: dict = new_data()
        self.expires: dict = {}
        self.stats = stats  # shared KeyspaceStats
        self.memory = 0  # estimated bytes of all entries
        self.avg_ttl = 0
        self.hits = 0  # keyspace hits/misses, summed over databases for INFO
        self.misses = 0
        self.read_tap = None  # tap(key, hit) on every keyspace read while an A/B test runs
        self.tenants = None  # server/tenants.Tenants charged with each key's bytes, when set
        self.attach(KeyTable(hook))

    def attach(self, table: KeyTable) -> None:
        """Use `table` for access metadata: creations and removals always log to it, reads and
        writes of existing keys through _touch/touch_many (silenced for CLIENT NO-TOUCH)."""
        self.table = table
        self._note = self._touch = table.log.append
        self.touch_many = table.log.extend

    def silence_touches(self, silent: bool) -> None:
        if silent:
            self._touch = self.touch_many = _ignore
        else:
            self._touch, self.touch_many = self.table.log.append, self.table.log.extend

    def __len__(self):
        return len(self.data)

    # -- lookups --------------------------------------------------------------------------
    def lookup_read(self, key: bytes, touch: bool = True, notify: bool = True):
        """The live value of `key` or None, counting a keyspace hit or miss. touch=False for
        the commands Redis runs with LOOKUP_NOTOUCH (TYPE, EXISTS, TTL, OBJECT ...),
        notify=False for LOOKUP_NONOTIFY (OBJECT: no keymiss event)."""
        value = self.data.get(key)
        if value is not None and self.expires and key in self.expires:
            if self.expires[key] <= now_ms() and not _loading:
                self._expire(key)
                value = None
        if value is None:
            self.misses += 1
            if notify and self.stats.on_key_missed is not None:
                self.stats.on_key_missed(self, key)
        else:
            self.hits += 1
            if touch:
                self._touch(key)
        if self.read_tap is not None:
            self.read_tap(key, value is not None)
        return value

    def lookup(self, key: bytes, touch: bool = True):
        """The live value of `key` or None, without touching statistics (write paths)."""
        value = self.data.get(key)
        if value is not None and self.expires and key in self.expires:
            if self.expires[key] <= now_ms() and not _loading:
                self._expire(key, force=True)
                return None
        if value is not None and touch:
            self._touch(key)
        return value

    def peek(self, key: bytes):
        """The live value of `key` or None, with no effect at all: an expired key stays (Redis's
        LOOKUP_NOEFFECTS, as blocked clients look at a key they were woken for)."""
        value = self.data.get(key)
        deadline = self.expires.get(key) if value is not None and self.expires else None
        return None if deadline is not None and deadline <= now_ms() and not _loading else value

    def values_of(self, keys) -> list:
        """Each key's stored value or None, expired or not, in one call (one engine call when
        strings live on a GPU)."""
        data = self.data
        if type(data) is dict:
            return list(map(data.get, keys))
        return data.get_many(keys)

    def read_many(self, keys: list) -> list:
        """lookup_read() for each key, batched: due keys are expired first, then every value is
        fetched at once; the same replies, statistics and access log as one key at a time
        (only the keys found are logged: a miss is no access, and a fill right after it would
        otherwise count twice)."""
        expires = self.expires
        due = ()
        if expires and not _loading and not expires.keys().isdisjoint(keys):
            now = now_ms()
            due = [key for key in expires.keys() & set(keys) if expires[key] <= now]
            for key in due:
                self._expire(key)
        values = self.values_of(keys)
        if due and (self.stats.expire_paused or self.stats.on_replica):  # (due keys stayed:
            # they still read as missing)
            due = set(due)
            values = [None if key in due else value for key, value in zip(keys, values)]
        misses = values.count(None)
        self.misses += misses
        self.hits += len(values) - misses
        if not misses:
            self.touch_many(keys)
        else:
            self.touch_many(compress(keys, map(is_not, values, repeat(None))))
            if self.stats.on_key_missed is not None:
                for key in compress(keys, map(is_, values, repeat(None))):
                    self.stats.on_key_missed(self, key)
        if self.read_tap is not None:
            for key, value in zip(keys, values):
                self.read_tap(key, value is not None)
        return values

    def set(self, key: bytes, value, keep_ttl: bool = False) -> None:
        """Store `value`, replacing any old value (and dropping its TTL unless keep_ttl). An
        old value past its deadline expires first (its event and count), as Redis's
        lookupKeyWrite does before it writes."""
        if self.expires and key in self.expires:
            self.expire_if_due(key, now_ms())
        data = self.data
        old = dict.get(data, key)  # as stored: a GPU-held string is its length (accounting)
        data[key] = value
        self._note(key)
        if old is None:
            self.memory += entry_size(key, value)
            if self.tenants is not None:
                self.tenants.charge(key, entry_size(key, value), 1)
            if self.stats.on_key_added is not None:
                self.stats.on_key_added(self, key)
            return
        self.resized(key, value_size(value) - value_size(old))
        if not keep_ttl and self.expires:
            self._drop_ttl(key)

    def set_strings(self, keys: list, values: list) -> None:
        """MSET and runs of plain SETs: store `bytes` values (as parsed), dropping TTLs.

        The same end state and accounting as set() per pair, done with C-level dict and map
        operations because this is the write hot path: a later write to the same key wins,
        sizes come from a table of rounded costs."""
        data, expires = self.data, self.expires
        final = dict(zip(keys, values))
        if expires:  # (old values past their deadline expire first, as in set())
            now = now_ms()
            for key in expires.keys() & final.keys():
                self.expire_if_due(key, now)
        olds = list(map(dict.get, repeat(data, len(final)), final))  # as stored, see set()
        if self.tenants is not None:
            self._charge_tenants(final, olds)
        data.update(final)
        self.table.log.extend(final)
        memory = costs_of(map(len, final.values()))
        if None in olds:
            created = list(compress(final, map(is_, olds, repeat(None))))
            memory += costs_of(map(len, created)) + DICT_SLOT * len(created)
            if self.stats.on_key_added is not None:
                for key in created:
                    self.stats.on_key_added(self, key)
        replaced = list(compress(olds, map(is_not, olds, repeat(None))))
        if replaced:
            if set(map(type, replaced)) == _BYTES_ONLY:
                memory -= costs_of(map(len, replaced))
            else:
                memory -= sum(map(value_size, replaced))
        self.memory += memory
        if expires:
            for key in expires.keys() & final.keys():
                self._drop_ttl(key)

    def _charge_tenants(self, final: dict, olds: list) -> None:
        """set_strings' accounting, key by key, for the tenants (set() charges the same)."""
        charge = self.tenants.charge
        for (key, value), old in zip(final.items(), olds):
            if old is None:
                charge(key, entry_size(key, value), 1)
            else:
                charge(key, value_size(value) - value_size(old))

    def add(self, key: bytes, value) -> None:
        """Store a value for a key known to be absent."""
        self.data[key] = value
        self._note(key)
        self.memory += entry_size(key, value)
        if self.tenants is not None:
            self.tenants.charge(key, entry_size(key, value), 1)
        if self.stats.on_key_added is not None:
            self.stats.on_key_added(self, key)

    def entry_cost(self, key: bytes, value) -> int:
        """What a present key counts for in `memory` (a stored value, see set())."""
        return entry_size(key, value) + (EXPIRE_SLOT if key in self.expires else 0)

    def resized(self, key: bytes, delta: int) -> None:
        """A value changed size in place (a container edited, a string grown)."""
        self.memory += delta
        if self.tenants is not None:
            self.tenants.charge(key, delta)

    def delete(self, key: bytes) -> bool:
        data = self.data
        value = data.pop(key, None) if type(data) is dict else data.pop_stored(key)
        if value is None:
            return False
        self.memory -= entry_size(key, value)
        if self.tenants is not None:
            self.tenants.charge(key, -entry_size(key, value), -1)
        self._note(key)
        self.table.note_removal(key)
        if self.expires:
            self._drop_ttl(key)
        return True

    def clear(self) -> int:
        removed = len(self.data)
        if self.tenants is not None:
            for key, value in dict.items(self.data):
                self.tenants.charge(key, -self.entry_cost(key, value), -1)
        self.attach(KeyTable(self.table.hook))
        self.data = self._new_data()
        self.expires = {}
        self.memory = 0
        self.avg_ttl = 0
        return removed

    # -- expiry ---------------------------------------------------------------------------
    def get_expire(self, key: bytes):
        """Absolute deadline in ms, or None when the key has no TTL."""
        return self.expires.get(key)

    def set_expire(self, key: bytes, when_ms: int) -> None:
        if key not in self.expires:
            self.resized(key, EXPIRE_SLOT)
        self.expires[key] = when_ms

    def persist(self, key: bytes) -> bool:
        if key in self.expires:
            self._drop_ttl(key)
            return True
        return False

    def _drop_ttl(self, key: bytes) -> None:
        if self.expires.pop(key, None) is not None:
            self.resized(key, -EXPIRE_SLOT)

    def _expire(self, key: bytes, force: bool = False) -> None:
        """Remove a key past its deadline (the caller treats it as missing either way). A
        replica keeps it for its primary's DEL, as Redis's do, unless `force`: a write by the
        replica's own clients (writable replica) or its active expiry of keys they wrote."""
        if self.stats.expire_paused or (self.stats.on_replica and not force):
            return
        value = dict.get(self.data, key)  # as stored (a GPU-held string: its length)
        self.delete(key)
        self.stats.expired += 1
        hook = self.stats.on_expired
        if hook is not None:
            hook(self, key, value)

    def expire_if_due(self, key: bytes, now: int) -> bool:
        """Remove `key` if its deadline has passed (active expiry); True if it was removed."""
        when = self.expires.get(key)
        if when is not None and when <= now and not self.stats.expire_paused and not _loading:
            self._expire(key, force=True)
            return True
        return False
