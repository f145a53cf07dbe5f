"""The sidecar process: `python -m ml.sidecar.worker --fd N --registry DIR`.

The server starts it (ml/sidecar/supervisor.py) with one end of a socketpair and sends it
frames (ml/sidecar/wire.py): "config" (the predis-* settings), "champion" (the model in use),
"batch" (sampled accesses, the reuse-time sample's events and the server's counters),
"retrain" and "mrc" (operator requests), "stop". It answers with "state" (everything PREDIS.INFO/DRIFT/MRC show),
"candidate" (a retrained model that passed validation, already in the registry),
"namespace_candidate" (the same for one tenant's keys: each retrain also trains a model per
namespace with enough sampled requests, the rest stay on the global one) and "log".

Per window of sampled requests it checks drift (ml/sidecar/drift.WorkloadDrift); a declared
drift, the schedule or PREDIS.RETRAIN start a retrain in a thread, so batches keep being taken
while it trains. It never touches the server's keyspace: everything arrives as copies.
"""

import argparse
import faulthandler
import os
import signal
import socket
import sys
import tempfile
import threading
import time

import numpy as np

from ..model import EvictionModel, DEFAULT_PATH
from ..reuse import EVENT
from ..sampler import OP_DELETE, RECORD
from . import wire
from .drift import WorkloadDrift
from .mrc import ReuseCohort, aet_mrc, miniature_mrc, sample_trace, sampled_lru_mrc
from .registry import ModelRegistry
from .retrain import retrain
from .workload import WorkloadWindows

HISTORY = 200_000  # sampled records kept (newest)
REUSE_COHORT = 20_000  # sampled accesses followed to their reuse (newest), for the LRU curve
REUSE_MINIMUM = 200  # below this many, the LRU curve comes from the spatial sample (SHARDS)
MRC_REQUESTS = 50_000  # the most recent sampled requests the miniature simulations replay
LEARNED_MRC_REQUESTS = 10_000  # fewer for the learned policy: it scores every candidate
MRC_FACTORS = (0.25, 0.5, 1.0, 2.0, 4.0)  # cache sizes as multiples of the live one
MRC_POLICIES = ("allkeys-lfu", "allkeys-s3fifo", "volatile-learned")
MRC_EVERY_S = 60.0  # a refresh costs ~0.5 s of CPU at the default sizes (PREDIS.MRC REFRESH
#                     recomputes at once)
KEEP_WINDOWS = 200
KEEP_RETRAINS = 20

DEFAULTS = {"rate": 0.01, "window": 2000, "patience": 2, "psi_threshold": 0.25,
            "ks_alpha": 0.001, "retrain_on_drift": True, "retrain_interval": 0,
            "margin": 0.005, "horizon_windows": 8, "namespaces": False}


class Sidecar:
    def __init__(self, send, registry: ModelRegistry):
        self.send = send
        self.registry = registry
        self.settings = dict(DEFAULTS)
        self.history = np.zeros(0, RECORD)
        self.gauges = {}  # the server's latest keys / maxmemory / used_memory / policy
        self.champion_path, self.champion_version = DEFAULT_PATH, None
        self.retained = None
        self.retraining = None  # the reason of the retrain running now
        self.retrain_next = None  # a drift declared meanwhile: retrained once this one ends
        self.retrains = []  # the last KEEP_RETRAINS outcomes
        self.retrain_count = self.retrain_accepted = 0
        self.last_retrain = time.time()
        self.windows_log = []
        self.detection_ticks = []  # the request clock at each declared drift
        self.reuse = ReuseCohort(REUSE_COHORT)
        self.mrc = None
        self.mrc_at = 0.0
        self.batches = 0
        self._reset_detector()

    def _reset_detector(self) -> None:
        s = self.settings
        self.windows = WorkloadWindows(s["window"], s["horizon_windows"])
        self.drift = WorkloadDrift(s["psi_threshold"], s["ks_alpha"], s["patience"])

    # -- messages ------------------------------------------------------------------------------
    def handle(self, header: dict, payload: bytes) -> bool:
        """One frame; False when the server asked the sidecar to stop."""
        op = header["op"]
        if op == "batch":
            split = header.get("records", len(payload) // RECORD.itemsize) * RECORD.itemsize
            self.reuse.add(np.frombuffer(payload[split:], EVENT), header.get("reuse_clock", 0))
            self.ingest(np.frombuffer(payload[:split], RECORD), header.get("counters", {}),
                        header.get("gauges", {}))
        elif op == "config":
            detector_changed = any(header["settings"].get(k) != self.settings.get(k) for k in
                                   ("window", "patience", "psi_threshold", "ks_alpha"))
            self.settings.update(header["settings"])
            if detector_changed:
                self._reset_detector()
        elif op == "champion":
            self.champion_path = header["path"]
            self.champion_version = header.get("version")
        elif op == "retrain":
            self.start_retrain(header.get("reason", "requested"))
        elif op == "mrc":
            self.update_mrc()
            self.publish()
        elif op == "stop":
            return False
        return True

    def ingest(self, records: np.ndarray, counters: dict, gauges: dict) -> None:
        self.batches += 1
        self.gauges = gauges
        self.history = np.concatenate([self.history, records])[-HISTORY:]
        published = False
        for window in self.windows.add(records, counters):
            self._check(window)
            published = True
        interval = self.settings["retrain_interval"]
        if interval and time.time() - self.last_retrain >= interval:
            self.start_retrain("schedule")
        if time.time() - self.mrc_at >= MRC_EVERY_S and len(self.history):
            self.update_mrc()
            published = True
        if published:
            self.publish()

    def _check(self, window: dict) -> None:
        entry = {"end_tick": window["end_tick"], "warm": window["warm"],
                 "hit_ratio": window["hit_ratio"], "time": time.time()}
        if window["warm"]:
            predicted = self._predicted_hit_ratio()
            if window["hit_ratio"] is not None and predicted is not None:
                window["hit_gap"] = window["hit_ratio"] - predicted
            self.drift.update(window)
            entry.update(scores=self.drift.scores_, over=self.drift.over_,
                         drift=self.drift.drift_detected, window=self.drift.windows_)
        self.windows_log = (self.windows_log + [entry])[-KEEP_WINDOWS:]
        if window["warm"] and self.drift.drift_detected:
            self.detection_ticks.append(window["end_tick"])
            self.send({"op": "log", "event": "drift_detected", "window": self.drift.windows_,
                       "features": self.drift.over_})
            if self.settings["retrain_on_drift"]:
                self.start_retrain("drift")

    # -- miss-ratio curve ------------------------------------------------------------------------
    def _live_size(self) -> int:
        """The live cache's size in keys (or the sample's footprint scaled up without keys)."""
        keys = int(self.gauges.get("keys", 0))
        if keys:
            return keys
        unique = len(np.unique(self.history["hash"])) if len(self.history) else 0
        return max(1, int(unique / max(self.settings["rate"], 1e-9)))

    def _predicted_hit_ratio(self):
        if self.mrc is None or not self.gauges.get("maxmemory"):
            return None
        return 1.0 - self.mrc["lru"][self.mrc["sizes"].index(self.mrc["live_size"])]

    def update_mrc(self) -> None:
        rate = self.settings["rate"]
        live = self._live_size()
        sizes = [max(1, int(live * f)) for f in MRC_FACTORS]
        requests = self.history[self.history["op"] != OP_DELETE]
        if len(self.reuse) >= REUSE_MINIMUM:
            lru, estimate = aet_mrc(*self.reuse.observations(), sizes), "aet"
        else:
            lru, estimate = sampled_lru_mrc(requests["hash"], rate, sizes), "shards"
        curves = {"lru": [lru[s] for s in sizes]}
        if len(requests):
            for policy in MRC_POLICIES:
                learned = policy == "volatile-learned"
                recent = requests[-(LEARNED_MRC_REQUESTS if learned else MRC_REQUESTS):]
                curve = miniature_mrc(sample_trace(recent), rate, sizes, policy,
                                      self._champion_model() if learned else None)
                curves[policy] = [curve[s] for s in sizes]
        self.mrc = {"sizes": sizes, "factors": list(MRC_FACTORS), "live_size": sizes[2],
                    "requests": int(len(requests)), "rate": rate, "time": time.time(),
                    "lru_estimate": estimate, "reuse_samples": len(self.reuse), **curves}
        self.mrc_at = time.time()

    def _champion_model(self) -> EvictionModel:
        try:
            return EvictionModel.load(self.champion_path)
        except (OSError, ValueError, KeyError):
            return EvictionModel.load(DEFAULT_PATH)

    # -- retraining ------------------------------------------------------------------------------
    def start_retrain(self, reason: str) -> bool:
        if self.retraining is not None:
            if reason == "drift":  # the new workload must not wait for the next declaration
                self.retrain_next = reason
            return False
        self.retraining = reason
        self.last_retrain = time.time()
        records = self.history.copy()
        capacity = self._capacity(records)
        thread = threading.Thread(target=self._retrain, args=(records, capacity, reason),
                                  daemon=True, name="retrain")
        thread.start()
        self.publish()
        return True

    def _capacity(self, records) -> int:
        rate = self.settings["rate"]
        keys = int(self.gauges.get("keys", 0))
        if self.gauges.get("maxmemory") and keys:
            return max(10, int(keys * rate))
        unique = len(np.unique(records["hash"])) if len(records) else 0
        return max(10, unique // 10)  # nothing evicts: judge at a tenth of the footprint

    def _retrain(self, records, capacity: int, reason: str) -> None:
        self._attempt(records, capacity, reason)
        if self.settings["namespaces"]:
            for namespace in np.unique(records["ns"]):
                if namespace:
                    self._attempt(records, capacity, reason, int(namespace))
        self.retraining = None
        following, self.retrain_next = self.retrain_next, None
        if following is None or not self.start_retrain(following):
            self.publish()

    def _attempt(self, records, capacity: int, reason: str, namespace: int = 0) -> None:
        """One retrain and its outcome: for the whole sample (namespace 0, with the rows
        retained from earlier retrains), or for one tenant's keys, trained and validated on
        its share of the sample against the global champion; with too few sampled requests
        a namespace is not trained and stays on the global model. A registered candidate
        goes to the server ("candidate" or "namespace_candidate")."""
        outcome = {"reason": reason, "started": time.time(), "parent": self.champion_version}
        if namespace:
            mine = records[records["ns"] == namespace]
            share = len(np.unique(mine["hash"])) / max(len(np.unique(records["hash"])), 1)
            records, capacity = mine, max(10, int(capacity * share))
            outcome["namespace"] = namespace
        try:
            result = retrain(records, self._champion_model(), capacity,
                             self.settings["margin"], None if namespace else self.retained)
            if not namespace:
                self.retained = result["retained"]
            outcome.update(accepted=result["accepted"], detail=result["reason"],
                           **{k: result[k] for k in ("champion_miss_ratio",
                                                     "candidate_miss_ratio", "gain")
                              if k in result})
            if result["accepted"]:
                outcome["version"] = self._register(
                    result["candidate"], f"{reason}, namespace {namespace}" if namespace
                    else reason)
        except Exception as exc:  # a failed retrain is reported, the sidecar lives on
            outcome.update(accepted=False, detail=f"failed: {exc!r}")
        outcome["finished"] = time.time()
        self.retrains = (self.retrains + [outcome])[-KEEP_RETRAINS:]
        self.retrain_count += 1
        self.retrain_accepted += bool(outcome.get("version") is not None)
        if outcome.get("version") is not None:
            self.send({"op": "namespace_candidate" if namespace else "candidate",
                       "version": outcome["version"], "outcome": outcome,
                       "namespace": namespace})

    def _register(self, candidate: EvictionModel, reason: str) -> int:
        candidate.meta["trigger"] = reason
        folder = tempfile.mkdtemp(prefix=".candidate-", dir=self.registry.root)
        path = os.path.join(folder, "model.npz")
        try:
            candidate.save(path)
            return self.registry.register(path, source=f"sidecar retrain ({reason})",
                                          parent=self.champion_version)
        finally:
            for name in os.listdir(folder):
                os.unlink(os.path.join(folder, name))
            os.rmdir(folder)

    # -- state -----------------------------------------------------------------------------------
    def state(self) -> dict:
        drift = self.drift
        return {"pid": os.getpid(), "batches": self.batches, "history": int(len(self.history)),
                "ticks": self.windows.tick_, "window": self.settings["window"],
                "windows": drift.windows_, "drift_streak": drift.streak_,
                "drift_detections": list(drift.detections_),
                "drift_detection_ticks": self.detection_ticks, "drift_scores": drift.scores_,
                "drift_over": list(drift.over_), "recent_windows": self.windows_log[-20:],
                "retraining": self.retraining, "retrains": self.retrains,
                "retrain_count": self.retrain_count, "retrain_accepted": self.retrain_accepted,
                "champion_version": self.champion_version, "mrc": self.mrc}

    def publish(self) -> None:
        self.send({"op": "state", "state": self.state()})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="predis-sidecar")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--registry", required=True)
    args = parser.parse_args(argv)
    # The server comes first: the sidecar yields the CPU to it, and trains on one thread
    os.nice(10)
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # read when torch is first imported
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 <pid>`: every thread's stack to stderr
    sock = socket.socket(fileno=args.fd)
    stream = sock.makefile("rb")
    lock = threading.Lock()

    def send(header: dict) -> None:
        with lock:
            sock.sendall(wire.encode(header))

    sidecar = Sidecar(send, ModelRegistry(args.registry))
    send({"op": "hello", "pid": os.getpid()})
    while True:
        frame = wire.read_frame_blocking(stream)
        if frame is None or not sidecar.handle(*frame):
            return 0


if __name__ == "__main__":
    sys.exit(main())
