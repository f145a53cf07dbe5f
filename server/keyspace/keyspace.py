"""All databases of one server, their shared statistics, and key-space wide operations."""

import random
import time

from ml.keymeta import HOOK_NONE, MODE_LFU, MODE_LRU

from .database import Database


class KeyspaceStats:
    __slots__ = ("expired", "expired_stale_perc", "expire_cycle_cpu_ms", "expire_time_caps",
                 "on_expired", "on_key_missed", "on_key_added", "expire_paused", "on_replica")

    def __init__(self):
        self.expired = 0
        self.expired_stale_perc = 0.0
        self.expire_cycle_cpu_ms = 0
        self.expire_time_caps = 0  # active expiry cycles that stopped at their time limit
        self.on_expired = None  # callback(db, key, value): notifications, WATCH, lazyfree
        # callback(db, key) or None: the 'keymiss' and 'new' keyspace events, while enabled
        self.on_key_missed = None
        self.on_key_added = None
        # CLIENT PAUSE in force: due keys read as missing but stay (Redis expires nothing
        # while clients are paused, so a failover during the pause loses no DEL)
        self.expire_paused = False
        # a replica: what reads find past its deadline stays until the primary's DEL
        self.on_replica = False

    def reset(self):
        self.expired = 0
        self.expire_cycle_cpu_ms = 0
        self.expire_time_caps = 0


class AccessSettings:
    """How access metadata is kept: the policy's table hooks and clock mode, LFU parameters,
    the learned model's arrays (for allkeys-learned's arbiter, which watches accesses), and the
    sidecar's access sampler (ml/sampler.py), fed as the logs are folded."""
    __slots__ = ("hook", "mode", "lfu_log_factor", "lfu_decay_time", "weights", "sampler")

    def __init__(self):
        self.hook = HOOK_NONE
        self.mode = MODE_LRU
        self.lfu_log_factor = 10
        self.lfu_decay_time = 1
        self.weights = ()
        self.sampler = None


class Keyspace:
    def __init__(self, databases: int = 16, new_data=dict):
        """new_data makes each database's key -> value dict: a plain dict (CPU engine) or an
        EngineDict whose strings live on the GPU."""
        self.stats = KeyspaceStats()
        self.access = AccessSettings()
        self.dbs = [Database(i, self.stats, new_data=new_data) for i in range(databases)]
        self.dirty = 0  # changes since start (INFO rdb_changes_since_last_save)

    def __getitem__(self, index: int) -> Database:
        return self.dbs[index]

    def __len__(self):
        return len(self.dbs)

    @property
    def hits(self) -> int:
        return sum(db.hits for db in self.dbs)

    @property
    def misses(self) -> int:
        return sum(db.misses for db in self.dbs)

    def reset_stats(self) -> None:
        self.stats.reset()
        for db in self.dbs:
            db.hits = db.misses = 0

    @property
    def memory(self) -> int:
        return sum(db.memory for db in self.dbs)

    def total_keys(self) -> int:
        return sum(len(db.data) for db in self.dbs)

    def engines(self) -> list:
        """The string engines in use (GPU engine: one per database that stored a string)."""
        started = [getattr(db.data, "started_engine", None) for db in self.dbs]
        return [engine for engine in started if engine is not None]

    def prepare_fork(self):
        """Before fork(): a function the child calls first, which moves GPU-held strings to
        host memory (a forked child cannot use CUDA); nothing to do on the CPU engine."""
        prepared = [(db.data, db.data.prepare_fork()) for db in self.dbs
                    if hasattr(db.data, "prepare_fork")]

        def in_child() -> None:
            for data, state in prepared:
                data.forked(state)
        return in_child

    def swap(self, a: int, b: int) -> None:
        """SWAPDB: exchange contents; Database objects keep their index."""
        da, db_ = self.dbs[a], self.dbs[b]
        for attr in ("data", "expires", "memory", "avg_ttl"):
            va, vb = getattr(da, attr), getattr(db_, attr)
            setattr(da, attr, vb)
            setattr(db_, attr, va)
        table_a = da.table
        da.attach(db_.table)
        db_.attach(table_a)

    # -- access metadata -----------------------------------------------------------------------
    def fold(self, db: Database) -> None:
        """Apply db's access log to its table (before anything reads the table; a growth
        under way is finished first)."""
        if db.table.log or db.table.growing:
            db.table.fold(*self._fold_args(db))

    def fold_all(self) -> None:
        for db in self.dbs:
            self.fold(db)

    def tend_tables(self) -> None:
        """The cron's fold: a large table that must grow does so over several ticks."""
        for db in self.dbs:
            if db.table.log or db.table.growing:
                db.table.tend(*self._fold_args(db))

    def _fold_args(self, db: Database) -> tuple:
        a = self.access
        return (db.data, db.expires, int(time.time()), a.mode, a.lfu_log_factor,
                a.lfu_decay_time, a.weights, a.sampler, db.index,
                None if db.tenants is None else db.tenants.number_of)

    def silence_touches(self, silent: bool) -> None:
        for db in self.dbs:
            db.silence_touches(silent)

    def used_bytes(self) -> int:
        """Entries and access tables of every database, in one pass (read per write command
        while maxmemory is set)."""
        return sum([db.memory + db.table.nbytes for db in self.dbs])

    def set_access(self, hook: int, mode: int) -> None:
        """A policy change. Switching between Redis's policies keeps the clocks (read with the
        new meaning, as Redis does); a change of hooks (S3-FIFO, learned) rebuilds the tables."""
        a = self.access
        self.fold_all()
        a.mode = mode
        if hook != a.hook:
            a.hook = hook
            for db in self.dbs:
                self._rebuild(db)

    def set_access_clock(self, db: Database, key: bytes, idle=None, freq=None) -> None:
        """RESTORE ... IDLETIME/FREQ: the value that fits the current policy wins, as Redis's
        objectSetLRUOrLFU."""
        now = int(time.time())
        if self.access.mode == MODE_LFU:
            clock = None if freq is None else ((now // 60) & 65535) << 8 | freq
        else:
            clock = None if idle is None else max(0, now - idle)
        if clock is not None:
            self.fold(db)
            db.table.set_clock(key, clock)

    def repair_tables(self) -> list:
        """Rebuild any table that disagrees with its data (a code path that changed keys without
        logging them); returns the indices repaired. Run after a full fold (or the cron's)."""
        repaired = []
        for db in self.dbs:
            if not (db.table.growing or db.table.log) and len(db.table) != len(db.data):
                # (a table still growing, or with log entries the cron left for its next
                # tick, is behind its data)
                self._rebuild(db)
                repaired.append(db.index)
        return repaired

    def _rebuild(self, db: Database) -> None:
        """A fresh table for db's keys under the current hooks, its records tagged with their
        tenants."""
        a = self.access
        db.attach(db.table.rebuilt(db.data, db.expires, a.hook, int(time.time()), a.mode,
                                   a.lfu_log_factor, a.lfu_decay_time))
        if db.tenants is not None:
            db.table.tag_tenants(db.tenants.number_of)

    def flushall(self) -> int:
        return sum(db.clear() for db in self.dbs)

    @staticmethod
    def random_key(db: Database):
        """A random live key (None if empty). O(n) in the worst case: dicts have no sampler.
        While expiry is paused (CLIENT PAUSE WRITE) expired keys stay, so when every key has
        a TTL the 100th draw is returned even if expired, as Redis 7.2 ends what would be an
        endless loop."""
        tries = 100
        while db.data:
            index = random.randrange(len(db.data))
            for i, key in enumerate(db.data):
                if i == index:
                    break
            if db.lookup(key) is not None:
                return key
            if db.stats.expire_paused and len(db.expires) == len(db.data):
                tries -= 1
                if not tries:
                    return key
        return None
