"""A/B rollout of a challenger eviction model on a slice of the keys.

Keys whose hash falls in the slice (`predis-ab-slice` percent, ml/eviction.in_slice) form arm
B: while the test runs, evictions are taken from arm B's keys by the challenger's model and
from the rest by the champion's, each arm kept to its share of memory (the arm whose bytes are
over its share gives the next victims). Every keyspace read is tapped for its arm's hits and
reads; when both arms have the reads computed up front (ml/sidecar/abstats.py), the test
decides once: promote the challenger, or roll it back.
"""

import time

from ml.eviction import SLICE_BITS, slice_bytes
from ml.keymeta import BYTES
from ml.sidecar.abstats import decide, required_reads

SLICE_REFRESH_S = 0.1  # how stale an arm's byte count may get before it is recounted


class ABTest:
    def __init__(self, version: int, weights: tuple, slice_percent: int, min_effect: float,
                 baseline: float):
        self.version = version
        self.weights = weights
        self.slice_percent = slice_percent
        self.threshold = slice_percent * (1 << SLICE_BITS) // 100
        self.min_effect = min_effect
        self.baseline = baseline
        self.required = required_reads(baseline, min_effect)
        self.hits = [0, 0]
        self.reads = [0, 0]
        self.evictions = [0, 0]
        self.started = time.time()
        self._slice_bytes = {}  # db index -> [bytes in arm B, when counted]

    # -- reads ---------------------------------------------------------------------------------
    def observe(self, key: bytes, hit: bool) -> None:
        """The databases' read tap."""
        arm = ((hash(key) >> 40) & 0xFFFF) < self.threshold
        self.reads[arm] += 1
        if hit:
            self.hits[arm] += 1

    @property
    def ready(self) -> bool:
        return min(self.reads) >= self.required

    def hit_ratio(self, arm: int) -> float:
        return self.hits[arm] / self.reads[arm] if self.reads[arm] else 0.0

    def decision(self) -> tuple:
        """('promote' | 'rollback', z) from the reads so far."""
        return decide(self.hits[0], self.reads[0], self.hits[1], self.reads[1])

    # -- memory shares -------------------------------------------------------------------------
    def arm_to_evict(self, db) -> int:
        """1 when arm B holds more than its share of db's bytes, else 0."""
        table = db.table
        counted = self._slice_bytes.get(db.index)
        now = time.monotonic()
        if counted is None or now - counted[1] > SLICE_REFRESH_S:
            counted = [slice_bytes(table.slots, table.hist, self.threshold), now]
            self._slice_bytes[db.index] = counted
        return int(counted[0] > table.state[BYTES] * self.slice_percent / 100)

    def evicted(self, db, arm: int, nbytes: int, keys: int) -> None:
        self.evictions[arm] += keys
        if arm and db.index in self._slice_bytes:
            self._slice_bytes[db.index][0] -= nbytes

    def status(self) -> dict:
        return {"challenger": self.version, "slice_percent": self.slice_percent,
                "required_reads": self.required, "baseline": round(self.baseline, 4),
                "min_effect": self.min_effect,
                "champion_reads": self.reads[0], "champion_hit_ratio": self.hit_ratio(0),
                "challenger_reads": self.reads[1], "challenger_hit_ratio": self.hit_ratio(1),
                "champion_evictions": self.evictions[0],
                "challenger_evictions": self.evictions[1],
                "z": self.decision()[1], "running_s": int(time.time() - self.started)}
