"""All databases of one server, their shared statistics, and key-space wide operations."""

import random

from .database import Database


class KeyspaceStats:
    __slots__ = ("expired", "expired_stale_perc", "expire_cycle_cpu_ms", "on_expired")

    def __init__(self):
        self.expired = 0
        self.expired_stale_perc = 0.0
        self.expire_cycle_cpu_ms = 0
        self.on_expired = None  # callback(db, key): notifications, WATCH invalidation

    def reset(self):
        self.expired = 0
        self.expire_cycle_cpu_ms = 0


class Keyspace:
    def __init__(self, databases: int = 16):
        self.stats = KeyspaceStats()
        self.dbs = [Database(i, self.stats) for i in range(databases)]
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

    def swap(self, a: int, b: int) -> None:
        """SWAPDB: exchange contents; Database objects keep their index."""
        da, db_ = self.dbs[a], self.dbs[b]
        for attr in ("data", "expires", "memory", "avg_ttl"):
            va, vb = getattr(da, attr), getattr(db_, attr)
            setattr(da, attr, vb)
            setattr(db_, attr, va)

    def flushall(self) -> int:
        return sum(db.clear() for db in self.dbs)

    @staticmethod
    def random_key(db: Database):
        """A random live key (None if empty). O(n) in the worst case: dicts have no sampler."""
        for _ in range(100):
            if not db.data:
                return None
            index = random.randrange(len(db.data))
            for i, key in enumerate(db.data):
                if i == index:
                    break
            if db.lookup(key) is not None:
                return key
        return key if db.lookup(key) is not None else None
