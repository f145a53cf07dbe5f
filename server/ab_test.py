"""A/B rollout of a challenger eviction model on a slice of the keys.

Keys whose hash falls in the slice (`predis-ab-slice` percent, ml/eviction.in_slice) form arm
B, the rest arm A; each arm is kept to its share of memory (the arm whose bytes are over its
share gives the next victims). The test has two phases: calibration, where both arms evict
with the champion's model (an A/A test: how the slices differ by themselves), then the test
proper, where arm B evicts with the challenger's. Every keyspace read is tapped for its arm's
and phase's hits and reads; when every group has the reads computed up front
(ml/sidecar/abstats.py), the test decides once on the difference in differences: promote the
challenger, or roll it back.
"""

import time

from ml.eviction import SLICE_BITS, slice_bytes
from ml.keymeta import BYTES
from ml.sidecar.abstats import decide_did, did_reads

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
        self.required = did_reads(baseline, min_effect)  # per arm and phase
        self.phase = 0  # 0: calibration (A/A), 1: the test
        self.hits = [[0, 0], [0, 0]]  # [phase][arm]
        self.reads = [[0, 0], [0, 0]]
        self.evictions = [0, 0]
        self.started = time.time()
        self.tested_since = None
        self._slice_bytes = {}  # db index -> [bytes in arm B, when counted]

    # -- reads ---------------------------------------------------------------------------------
    def observe(self, key: bytes, hit: bool) -> None:
        """The databases' read tap."""
        arm = ((hash(key) >> 40) & 0xFFFF) < self.threshold
        reads = self.reads[self.phase]
        reads[arm] += 1
        if hit:
            self.hits[self.phase][arm] += 1
        if not self.phase and reads[0] >= self.required and reads[1] >= self.required:
            self.phase, self.tested_since = 1, time.time()

    def weights_for(self, arm: int, champion):
        """The model weights arm `arm` evicts with now."""
        return self.weights if arm and self.phase else champion

    @property
    def ready(self) -> bool:
        return self.phase == 1 and min(self.reads[1]) >= self.required

    def hit_ratio(self, phase: int, arm: int) -> float:
        reads = self.reads[phase][arm]
        return self.hits[phase][arm] / reads if reads else 0.0

    def decision(self) -> tuple:
        """('promote' | 'rollback', z, effect) from the reads so far."""
        return decide_did(self.hits, self.reads)

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
        """Hit ratios are the test phase's (0 while calibrating); `effect` is the difference
        in differences the decision rests on."""
        _, z, effect = self.decision()
        return {"challenger": self.version, "slice_percent": self.slice_percent,
                "phase": ("calibrating", "testing")[self.phase],
                "required_reads": self.required, "baseline": round(self.baseline, 4),
                "min_effect": self.min_effect,
                "champion_reads": sum(r[0] for r in self.reads),
                "challenger_reads": sum(r[1] for r in self.reads),
                "calibration_champion_hit_ratio": self.hit_ratio(0, 0),
                "calibration_challenger_hit_ratio": self.hit_ratio(0, 1),
                "champion_hit_ratio": self.hit_ratio(1, 0),
                "challenger_hit_ratio": self.hit_ratio(1, 1),
                "champion_evictions": self.evictions[0],
                "challenger_evictions": self.evictions[1],
                "effect": effect, "z": z, "running_s": int(time.time() - self.started)}
