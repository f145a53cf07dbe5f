"""The active expiry cycle: removes expired keys that nobody reads, a bounded slice per tick.

Like Redis's activeExpireCycle, each tick visits databases in turn and checks keys with a TTL in
batches, continuing in a database while more than an acceptable share of a batch was expired,
and stopping when the tick's time budget is spent. Python dicts cannot be sampled at random, so
each database is swept through a snapshot of its TTL keys (rebuilt when the sweep ends); every key
with a TTL is checked once per sweep, and the sweep never holds the loop longer than the budget.
"""

import time

from .database import now_ms

KEYS_PER_BATCH = 20
ACCEPTABLE_STALE_PERCENT = 10
SLOW_CYCLE_CPU_PERCENT = 25  # share of each tick the cycle may use, as in Redis


class ActiveExpiry:
    def __init__(self, keyspace):
        self.keyspace = keyspace
        self.enabled = True
        self._sweeps: dict = {}  # db index -> [snapshot of keys, position]
        self._next_db = 0

    def run(self, hz: int, effort: int = 1) -> int:
        """One tick's worth of expiry; returns the number of keys removed."""
        if not self.enabled:
            return 0
        budget = (1.0 / max(hz, 1)) * SLOW_CYCLE_CPU_PERCENT / 100 * (1 + (effort - 1) * 0.25)
        batch = KEYS_PER_BATCH + KEYS_PER_BATCH // 4 * (effort - 1)
        stale_ok = ACCEPTABLE_STALE_PERCENT - (effort - 1)
        started = time.perf_counter()
        deadline = started + budget
        removed = checked_total = expired_total = 0
        capped = False
        dbs = self.keyspace.dbs
        for step in range(len(dbs)):
            db = dbs[(self._next_db + step) % len(dbs)]
            if not db.expires:
                continue
            while True:
                expired, checked = self._check_batch(db, batch)
                removed += expired
                checked_total += checked
                expired_total += expired
                if checked == 0 or expired * 100 <= checked * stale_ok:
                    break
                if time.perf_counter() > deadline:
                    capped = True  # keys still due: the next cycle goes on from here
                    break
            if time.perf_counter() > deadline:
                self._next_db = (self._next_db + step) % len(dbs)
                break
        else:
            self._next_db = (self._next_db + 1) % len(dbs)
        stats = self.keyspace.stats
        stats.expire_time_caps += capped
        if checked_total:
            stats.expired_stale_perc = expired_total / checked_total * 100
        stats.expire_cycle_cpu_ms += int((time.perf_counter() - started) * 1000)
        return removed

    def _check_batch(self, db, batch: int):
        sweep = self._sweeps.get(db.index)
        # A new sweep starts when the last one ended or the dict was replaced (FLUSHDB, SWAPDB).
        if sweep is None or sweep[0] is not db.expires or sweep[1] >= len(sweep[2]):
            sweep = [db.expires, 0, list(db.expires)]
            self._sweeps[db.index] = sweep
        keys, position = sweep[2], sweep[1]
        chunk = keys[position : position + batch]
        sweep[1] = position + len(chunk)
        now = now_ms()
        expired = 0
        remaining = []
        for key in chunk:
            if db.expire_if_due(key, now):
                expired += 1
            else:
                deadline = db.expires.get(key)
                if deadline is not None:
                    remaining.append(deadline - now)
        if remaining:  # INFO keyspace avg_ttl: a running estimate, smoothed as Redis does
            sample = sum(remaining) // len(remaining)
            db.avg_ttl = sample if not db.avg_ttl else (db.avg_ttl // 50) * 49 + sample // 50
        return expired, len(chunk)


class ReplicaWrittenExpiry:
    """On a writable replica (`replica-read-only no`), the keys its own clients gave a TTL
    (Redis's slaveKeysWithExpire): a replica leaves the primary's keys to the primary's DELs,
    but nothing would ever remove these, so the cron expires them."""

    MAX_CHECKS_PER_TICK = 10_000

    def __init__(self, keyspace):
        self.keyspace = keyspace
        self.keys: dict = {}  # (db index, key) -> None, in the order they were written

    def remember(self, db, keys) -> None:
        expires = db.expires
        for key in keys:
            if key in expires:
                self.keys[(db.index, bytes(key))] = None

    def forget_all(self) -> None:
        """The server became a primary (its active expiry covers every key) or a replica
        again of a primary whose data replaces these."""
        self.keys.clear()

    def run(self) -> int:
        """Remove the remembered keys past their deadline and forget those without a TTL
        any more; returns the number removed."""
        now = now_ms()
        dbs = self.keyspace.dbs
        removed = 0
        for entry in list(self.keys)[:self.MAX_CHECKS_PER_TICK]:
            index, key = entry
            db = dbs[index]
            if db.expire_if_due(key, now):
                removed += 1
                del self.keys[entry]
            elif key not in db.expires:
                del self.keys[entry]
        return removed
