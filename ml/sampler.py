"""Spatial (SHARDS) sampling of key accesses for the ML sidecar.

A key is sampled when the low HASH_BITS bits of its hash fall under `rate` of that range, so
the sample is a consistent subset of keys and every access to a sampled key is in it (what
miss-ratio curves and reuse gaps need). Nothing runs per request: the server already appends
every accessed key to its access log, and when the log is folded (every cron tick) the hashes
computed for the fold are filtered here in one vectorised step. Records go to a bounded ring;
the server hands what accumulated to the sidecar in batches, and when the sidecar falls behind
the oldest records are overwritten and counted as dropped.

Beside it, at the same rate, a random sample of all accesses followed to their keys' next
access (ml/reuse.py): the miss-ratio curve's LRU estimate, which a spatial sample of a small
keyspace gets wrong.
"""

import numpy as np

from .reuse import EVENT, ReuseSampler

HASH_BITS = 24
HASH_MASK = (1 << HASH_BITS) - 1

# seq: the access's position in the whole access stream (every key, sampled or not), the
# virtual clock that reuse gaps and the sample's scale are measured on
# ns: the key's namespace, its tenant's number (server/tenants.py; 0: none), for the
# sidecar's per-namespace models
RECORD = np.dtype([("hash", "<i8"), ("seq", "<i8"), ("time_ms", "<i8"), ("size", "<u4"),
                   ("op", "u1"), ("db", "u1"), ("ns", "u1")])
OP_ACCESS, OP_INSERT, OP_DELETE = 0, 1, 2


def threshold_of(rate: float) -> int:
    """Hash values below this are sampled (0: sampling off)."""
    return int(round(rate * (1 << HASH_BITS))) if rate > 0 else 0


class Ring:
    """A bounded ring of numpy records: the newest `capacity` kept, the overwritten counted."""

    def __init__(self, dtype, capacity: int):
        self.array = np.zeros(capacity, dtype)
        self.written = 0  # records ever written
        self.taken = 0  # records ever handed off (or dropped)
        self.dropped = 0

    @property
    def capacity(self) -> int:
        return len(self.array)

    @property
    def pending(self) -> int:
        return self.written - self.taken

    def write(self, records: np.ndarray) -> None:
        capacity = len(self.array)
        skipped = len(records) - capacity
        if skipped > 0:  # as if written and overwritten at once: counted as dropped below
            records = records[skipped:]
            self.written += skipped
        start = self.written % capacity
        first = min(len(records), capacity - start)
        self.array[start:start + first] = records[:first]
        self.array[:len(records) - first] = records[first:]
        self.written += len(records)
        overrun = self.written - self.taken - capacity
        if overrun > 0:
            self.dropped += overrun
            self.taken += overrun

    def take(self) -> np.ndarray:
        """Every record not handed off yet, oldest first (a copy)."""
        count = self.pending
        capacity = len(self.array)
        start = self.taken % capacity
        if start + count <= capacity:
            out = self.array[start:start + count].copy()
        else:
            out = np.concatenate([self.array[start:], self.array[:start + count - capacity]])
        self.taken = self.written
        return out


class AccessSampler:
    """The spatial sample (`records`) and, at the same rate, the reuse-time sample's events
    (`reuse`, ml/reuse.py), each in its own ring until the server hands them off."""

    def __init__(self, rate: float = 0.01, capacity: int = 1 << 16, seed: int = 0):
        self.records = Ring(RECORD, capacity)
        self.follower = ReuseSampler(rate, seed=seed)
        self.reuse = Ring(EVENT, capacity)
        self.seen = 0  # accesses looked at: the stream's virtual clock
        self.set_rate(rate)

    def set_rate(self, rate: float) -> None:
        self.rate = rate
        self.threshold = threshold_of(rate)
        dropped = self.follower.set_rate(rate)
        if dropped.size:
            self.reuse.write(dropped)

    @property
    def pending(self) -> int:
        return self.records.pending

    @property
    def dropped(self) -> int:
        return self.records.dropped

    def observe(self, hashes: np.ndarray, present: np.ndarray, added: np.ndarray, size_of,
                db_index: int, now_ms: int, namespace_of=None) -> None:
        """One folded log: hashes[i] of the i-th logged key, whether it exists now and whether
        the fold created its record; size_of(indices) gives the sizes of those entries and
        namespace_of(indices), when tenants are declared, their namespaces."""
        base = self.seen
        self.seen += len(hashes)
        events = self.follower.follow(hashes, present, db_index)
        if events.size:
            self.reuse.write(events)
        picked = np.flatnonzero((hashes & HASH_MASK) < self.threshold)
        if not picked.size:
            return
        records = np.zeros(picked.size, RECORD)
        records["hash"] = hashes[picked]
        records["seq"] = base + picked
        records["time_ms"] = now_ms
        records["db"] = db_index
        if namespace_of is not None:
            records["ns"] = namespace_of(picked)
        exists = present[picked]
        records["op"] = np.where(~exists, OP_DELETE,
                                 np.where(added[picked], OP_INSERT, OP_ACCESS))
        if exists.any():
            live = picked[exists]
            records["size"][exists] = np.minimum(size_of(live), 0xFFFFFFFF)
        self.records.write(records)

    def half_full(self) -> bool:
        """Time to hand off, before either ring overwrites what was not taken."""
        return self.records.pending >= self.records.capacity // 2 or \
            self.reuse.pending >= self.reuse.capacity // 2

    def take(self) -> np.ndarray:
        """The spatial sample's records not handed off yet, oldest first."""
        return self.records.take()

    def take_reuse(self) -> tuple:
        """The reuse-time sample's events since the last call, oldest first, and the clock
        they end at."""
        return self.reuse.take(), self.follower.clock

    def stats(self) -> dict:
        return {"rate": self.rate, "seen": self.seen, "sampled": self.records.written,
                "pending": self.pending, "dropped": self.dropped,
                "capacity": self.records.capacity, "reuse_events": self.reuse.written,
                "reuse_dropped": self.reuse.dropped, "reuse_open": self.follower.open}
