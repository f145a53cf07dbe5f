"""A/B rollout of a challenger eviction model on a slice of the keys.

Keys whose hash falls in the slice (`predis-ab-slice` percent, ml/eviction.in_slice) form arm
B, the rest arm A; each arm is kept to its share of memory (the arm whose bytes are over its
share gives the next victims). The test has two phases: calibration, where both arms evict
with the champion's model (an A/A test: how the slices differ by themselves), then the test
proper, where arm B evicts with the challenger's. Every keyspace read is tapped for its arm's
and phase's hits and reads; when every group has the reads computed up front
(ml/sidecar/abstats.py), the test decides once on the difference in differences: promote the
challenger, or roll it back.

The difference in differences assumes each arm's hit ratio holds still within a phase: the
champion's arm must not be drifting while the challenger is measured. So each phase runs in
epochs of half its reads and ends only when two consecutive epochs agree on both arms' hit
ratios (ml/sidecar/abstats.settled); an unsettled older epoch is dropped, and the phase's
figures are its last two epochs. In the test phase this also waits out the challenger's
reshaping of its slice. (Without it, a cache still recovering from a shift made the champion's
arm gain 0.30 between the phases in one run of the live test, and a better challenger was
rolled back.) After MAX_PHASE_EPOCHS a phase ends on its last two epochs anyway, and the
status says it did not settle.
"""

import time

from ml.eviction import SLICE_BITS, slice_bytes
from ml.keymeta import BYTES
from ml.sidecar.abstats import decide_did, did_reads, settled

SLICE_REFRESH_S = 0.1  # how stale an arm's byte count may get before it is recounted
MAX_PHASE_EPOCHS = 12


def _settled_word(flag) -> str:
    return {None: "pending", True: "yes", False: "no"}[flag]


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
        self.phase = 0  # 0: calibration (A/A), 1: the test, 2: decided (reads no longer count)
        self.hits = [[0, 0], [0, 0]]  # [phase][arm]: sums over the phase's last two epochs
        self.reads = [[0, 0], [0, 0]]
        self.epoch_reads = (self.required + 1) // 2  # per arm, in an epoch
        self._epochs = [([0, 0], [0, 0])]  # this phase's (hits, reads) per epoch, last two
        self.epochs = [1, 0]  # epochs run per phase
        self.settled = [None, None]  # per phase: True/False once it ended
        self.evictions = [0, 0]
        self.started = time.time()
        self.tested_since = None
        self._slice_bytes = {}  # db index -> [bytes in arm B, when counted]

    # -- reads ---------------------------------------------------------------------------------
    def observe(self, key: bytes, hit: bool) -> None:
        """The databases' read tap."""
        phase = self.phase
        if phase == 2:
            return
        arm = ((hash(key) >> 40) & 0xFFFF) < self.threshold
        self.reads[phase][arm] += 1
        hits, reads = self._epochs[-1]
        reads[arm] += 1
        if hit:
            self.hits[phase][arm] += 1
            hits[arm] += 1
        if reads[arm] >= self.epoch_reads and min(reads) >= self.epoch_reads:
            self._end_epoch(phase)

    def _end_epoch(self, phase: int) -> None:
        """An epoch is complete: end the phase if it agrees with the one before, else drop the
        older one and run another."""
        epochs = self._epochs
        if len(epochs) == 2:
            agree = settled(*epochs[0], *epochs[1])
            if agree or self.epochs[phase] >= MAX_PHASE_EPOCHS:
                self.settled[phase] = agree
                self.phase = phase + 1
                self._epochs = [([0, 0], [0, 0])]
                if phase == 0:
                    self.epochs[1] = 1
                    self.tested_since = time.time()
                return
            epochs.pop(0)
        epochs.append(([0, 0], [0, 0]))
        self.epochs[phase] += 1
        self.hits[phase] = [sum(e[0][arm] for e in epochs) for arm in (0, 1)]
        self.reads[phase] = [sum(e[1][arm] for e in epochs) for arm in (0, 1)]

    def weights_for(self, arm: int, champion):
        """The model weights arm `arm` evicts with now."""
        return self.weights if arm and self.phase == 1 else champion

    @property
    def ready(self) -> bool:
        """The test phase has settled (or run out of epochs): time to decide."""
        return self.phase == 2

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
                "phase": ("calibrating", "testing", "decided")[self.phase],
                "calibration_epochs": self.epochs[0], "test_epochs": self.epochs[1],
                "calibration_settled": _settled_word(self.settled[0]),
                "test_settled": _settled_word(self.settled[1]),
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
