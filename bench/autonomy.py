"""The autonomy run: simulated days of traffic against a live Predis that looks after its own
eviction model, beside an oracle that is handed a model retrained on each new phase at the
moment it starts. Nobody touches the autonomous server.

    python -m bench.autonomy --days 30 --out bench/results/autonomy     (make autonomy)

Time is compressed: a simulated day is `--requests-per-day` requests, spread over 24 hours by
a diurnal curve (load varies threefold; the sidecar counts time in sampled requests, so load
alone must not look like drift). The schedule mixes long stationary stretches with shifts:
the hot set moving within a key family, a new family appearing, an old one dying, and a phase
replayed from a shared trace. Both servers get the same requests, as a cache-aside app sends
them (MGET, then MSET of the misses).

The report (report.md, hit_ratio.png, drift.png, summary.json) gives, per shift, when the
sidecar declared it; false alarms in stationary stretches; retrains, candidates accepted and
rejected, A/B outcomes; and per phase the hit ratio over its second half for both servers.
It passes when every shift is detected within its phase, the generated stationary stretches
raise at most one false alarm in all (the trace phase drifts on its own: its later
declarations are reported separately), and each phase's hit ratio is within `--tolerance` of
the oracle's (or above it).
"""

import argparse
import json
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np
import redis

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from compat_tests.servers import sidecar_settled_ticks, start_predis  # noqa: E402
from ml.model import DEFAULT_PATH, EvictionModel  # noqa: E402
from ml.sampler import OP_ACCESS, RECORD  # noqa: E402
from ml.sidecar.retrain import retrain  # noqa: E402

TRACE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests",
                         "data")  # a shared trace kept with the tests (a clean clone has it)
BATCH = 100
TTL_S = 30 * 86400
# A shift's own declarations: within this many windows of it (a shift can be declared twice,
# e.g. once when a new family arrives and once when its keys have warmed); later ones, in the
# stationary rest of the phase, are false alarms
SETTLE_WINDOWS = 8


@dataclass
class Phase:
    """Traffic for `days`: a mix of (share, family, Zipf alpha, universe, hot-set seed,
    value bytes), stationary once it has begun, or a shared trace's keys (`trace`), which
    drift on their own as real traffic does: declarations there are reported, not counted as
    false alarms."""
    name: str
    days: int
    mix: list = field(default_factory=list)
    trace: str = ""

    @property
    def stationary(self) -> bool:
        return not self.trace


def schedule(days: int) -> list:
    """The 30-day schedule, scaled to `days` (each phase keeps its share of the run)."""
    base = [
        Phase("stationary", 6, [(1.0, "users", 1.1, 20_000, 1, 100)]),
        Phase("hot set moves", 5, [(1.0, "users", 1.1, 20_000, 2, 100)]),
        Phase("new family appears", 5, [(0.5, "users", 1.1, 20_000, 2, 100),
                                        (0.5, "carts", 1.3, 10_000, 3, 400)]),
        Phase("old family dies", 6, [(1.0, "carts", 1.3, 10_000, 3, 400)]),
        Phase("trace", 8, trace="cache2k_web12.oracleGeneral.bin.zst"),
    ]
    scale = days / sum(p.days for p in base)
    # the first stretch also warms the sidecar's history (8 windows) and sets its reference
    return [Phase(p.name, max(2 if i == 0 else 1, round(p.days * scale)), p.mix, p.trace)
            for i, p in enumerate(base)]


def diurnal(hour: int) -> float:
    """Relative load at an hour of the day: low at night, peak in the afternoon."""
    return 1.0 + 0.5 * math.sin(2 * math.pi * (hour - 9) / 24)


class Workload:
    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)
        self._perms = {}
        self._traces = {}

    def _perm(self, universe: int, seed: int) -> np.ndarray:
        if (universe, seed) not in self._perms:
            self._perms[(universe, seed)] = np.random.default_rng(seed).permutation(universe)
        return self._perms[(universe, seed)]

    def requests(self, phase: Phase, n: int, offset: int) -> list:
        """n (key, value size) requests of `phase`, starting at its request `offset`."""
        if phase.trace:
            ids = self._trace(phase.trace)
            chosen = ids[(offset + np.arange(n)) % len(ids)]
            return [(b"trace:%d" % i, 200) for i in chosen.tolist()]
        shares = np.array([m[0] for m in phase.mix])
        which = self.rng.choice(len(phase.mix), n, p=shares / shares.sum())
        out = []
        for index in which.tolist():
            _, family, alpha, universe, seed, size = phase.mix[index]
            rank = min(int(self.rng.zipf(alpha)), universe) - 1
            out.append((b"%s:%d" % (family.encode(), self._perm(universe, seed)[rank]), size))
        return out

    def _trace(self, name: str) -> np.ndarray:
        if name not in self._traces:
            from ml.sim.traces import read_oracle

            self._traces[name] = read_oracle(os.path.join(TRACE_DIR, name)).ids
        return self._traces[name]


class Cache:
    """One server as a cache-aside app sees it: MGET, then SET with a TTL for each miss (the
    TTL makes every key volatile, so under volatile-learned the model decides every eviction)."""

    def __init__(self, server, log_hours: list):
        self.server = server
        self.client = redis.Redis(port=server.port)
        self.hits = self.reads = 0
        self.hours = log_hours

    def send(self, requests: list) -> None:
        for start in range(0, len(requests), BATCH):
            chunk = requests[start:start + BATCH]
            keys = [key for key, _ in chunk]
            values = self.client.mget(keys)
            missed = {key: b"v" * size for (key, size), value in zip(chunk, values)
                      if value is None}
            if missed:
                pipe = self.client.pipeline(transaction=False)
                for key, value in missed.items():
                    pipe.set(key, value, ex=TTL_S)
                pipe.execute()
            self.hits += len(chunk) - len(missed)
            self.reads += len(chunk)

    def close_hour(self) -> float:
        ratio = self.hits / self.reads if self.reads else 0.0
        self.hours.append(ratio)
        self.hits = self.reads = 0
        return ratio


def fields(reply) -> dict:
    return {(k.decode() if isinstance(k, bytes) else k): v
            for k, v in zip(reply[::2], reply[1::2])}


def oracle_model(phase: Phase, n: int, capacity: int, champion: EvictionModel) -> EvictionModel:
    """The model an oracle would run from the phase's start: retrained on the phase's own
    first requests (future knowledge), kept only if it beats the champion on their later
    part, as the sidecar would decide."""
    preview = Workload(seed=12345).requests(phase, n, 0)
    records = np.zeros(len(preview), RECORD)
    records["hash"] = [hash(key) for key, _ in preview]
    records["seq"] = np.arange(len(preview))
    records["size"] = [size for _, size in preview]
    records["op"] = OP_ACCESS
    outcome = retrain(records, champion, capacity, margin=0.0)
    return outcome["candidate"] if outcome["accepted"] else champion


def run_autonomy(days: int, requests_per_day: int, out: str, rate: float = 0.25,
                 window: int = 500, cache_bytes: int = 2_000_000, tolerance: float = 0.02,
                 policy: str = "volatile-learned", seed: int = 0, log=print) -> dict:
    os.makedirs(out, exist_ok=True)
    phases = schedule(days)
    common = ("--maxmemory-policy", policy, "--predis-sample-rate", str(rate),
              "--predis-drift-window", str(window))
    auto_dir, oracle_dir = tempfile.mkdtemp(), tempfile.mkdtemp()
    autonomous = start_predis(("--dir", auto_dir, *common), sidecar=True)
    oracle = start_predis(("--dir", oracle_dir, *common))
    auto_hours, oracle_hours, versions, drift_scores = [], [], [], []
    admin = redis.Redis(port=autonomous.port, decode_responses=True)
    try:
        for server in (autonomous, oracle):
            client = redis.Redis(port=server.port)
            client.config_set("maxmemory", client.info("memory")["used_memory"] + cache_bytes)
            client.close()
        caches = (Cache(autonomous, auto_hours), Cache(oracle, oracle_hours))
        workload = Workload(seed)
        champion = EvictionModel.load(DEFAULT_PATH)
        boundaries = []  # (phase, first hour, sidecar ticks at its start)
        for number, phase in enumerate(phases):
            ticks = sidecar_settled_ticks(autonomous.port, at_least=0)
            boundaries.append((phase.name, len(auto_hours), ticks))
            if number:  # the oracle gets a model retrained on the new phase, at once
                keys = caches[1].client.dbsize()  # the preview is every request: full scale
                model = oracle_model(phase, 30_000, max(10, keys), champion)
                if model is not champion:
                    champion = model
                    path = os.path.join(oracle_dir, f"oracle-{number}.npz")
                    champion.save(path)
                    caches[1].client.execute_command("PREDIS.MODEL", "LOAD", path)
            log(f"phase {number} '{phase.name}' from hour {len(auto_hours)} (tick {ticks})")
            offset = 0
            for day in range(phase.days):
                for hour in range(24):
                    n = int(requests_per_day / 24 * diurnal(hour))
                    requests = workload.requests(phase, n, offset)
                    offset += n
                    for cache in caches:
                        cache.send(requests)
                        cache.close_hour()
                    info = fields(admin.execute_command("PREDIS.INFO"))
                    versions.append(info["model_version"] or 0)
                    drift_scores.append(_largest_psi(admin))
        sidecar_settled_ticks(autonomous.port, at_least=0)
        _wait_for_retrains(admin)
        summary = _summarise(admin, phases, boundaries, auto_hours, oracle_hours, versions,
                             window, tolerance)
        _report(out, summary, auto_hours, oracle_hours, versions, drift_scores, boundaries)
        return summary
    finally:
        admin.close()
        autonomous.stop()
        oracle.stop()


def _wait_for_retrains(admin, timeout: float = 120.0) -> None:
    """A retrain started by the last shift (or queued behind one) counts once it ends: on a
    loaded machine the replay can finish first."""
    deadline = time.monotonic() + timeout
    while fields(admin.execute_command("PREDIS.INFO"))["retraining"] and \
            time.monotonic() < deadline:
        time.sleep(0.2)


def _summarise(admin, phases, boundaries, auto_hours, oracle_hours, versions, window,
               tolerance) -> dict:
    drift = fields(admin.execute_command("PREDIS.DRIFT"))
    detections = list(drift["detection_ticks"])
    history = [fields(h) for h in admin.execute_command("PREDIS.RETRAIN", "HISTORY")]
    ab = fields(admin.execute_command("PREDIS.AB", "STATUS"))
    info = fields(admin.execute_command("PREDIS.INFO"))
    shifts, false_alarms, trace_declarations, per_phase = [], 0, 0, []
    starts = [b[2] for b in boundaries] + [float("inf")]
    settle = SETTLE_WINDOWS * window  # declarations this soon after a shift belong to it
    for index, (name, hour, tick) in enumerate(boundaries):
        inside = [t for t in detections if tick < t <= starts[index + 1]]
        own = [t for t in inside if t - tick <= settle] if index else []
        if phases[index].stationary:
            false_alarms += len(inside) - len(own)
        else:
            trace_declarations += len(inside) - len(own)
        if index:
            shifts.append({"phase": name, "start_tick": tick, "detected": bool(own),
                           "delay_sampled_requests": own[0] - tick if own else None,
                           "declarations": len(own)})
        end = boundaries[index + 1][1] if index + 1 < len(boundaries) else len(auto_hours)
        half = hour + (end - hour) // 2
        auto = float(np.mean(auto_hours[half:end])) if end > half else 0.0
        orac = float(np.mean(oracle_hours[half:end])) if end > half else 0.0
        per_phase.append({"phase": name, "hours": end - hour, "autonomous_hit_ratio": auto,
                          "oracle_hit_ratio": orac, "gap": orac - auto,
                          "within_tolerance": orac - auto <= tolerance})
    accepted = [h for h in history if h.get("accepted") == 1]
    summary = {
        "days": sum(p.days for p in phases), "shifts": shifts, "false_alarms": false_alarms,
        "trace_phase_declarations": trace_declarations,
        "detections": detections, "retrains": info["retrains"],
        "retrains_accepted": info["retrains_accepted"],
        "retrains_rejected": info["retrains"] - info["retrains_accepted"],
        "ab_tests": [fields(t) for t in ab["finished"]], "phases": per_phase,
        "model_versions_seen": sorted(set(versions)),
        "retrain_history": history[-20:],
    }
    summary["passed"] = (all(s["detected"] for s in shifts) and false_alarms <= 1
                         and all(p["within_tolerance"] for p in per_phase))
    summary["accepted_versions"] = [h.get("version") for h in accepted]
    return summary


def _largest_psi(admin) -> float:
    """The largest PSI among the last window's features (0 before the first comparison)."""
    scores = fields(fields(admin.execute_command("PREDIS.DRIFT"))["scores"])
    return max([float(v) for k, v in scores.items() if k.endswith("_psi")] or [0.0])


def _report(out, summary, auto_hours, oracle_hours, versions, drift_scores,
            boundaries) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(os.path.join(out, "summary.json"), "w") as handle:
        json.dump(summary, handle, indent=1, default=str)
    figure, (top, middle, bottom) = plt.subplots(3, 1, figsize=(11, 8), sharex=True)
    top.plot(auto_hours, label="autonomous", linewidth=0.8)
    top.plot(oracle_hours, label="oracle (retrained at each shift)", linewidth=0.8, alpha=0.7)
    for name, hour, _ in boundaries[1:]:
        top.axvline(hour, color="grey", linestyle=":")
        top.text(hour, 0.02, name, rotation=90, fontsize=7, va="bottom")
    top.set_ylabel("hit ratio per hour")
    top.set_ylim(0, 1)
    top.legend(loc="lower right", fontsize=8)
    middle.plot(drift_scores, linewidth=0.8, color="tab:red")
    middle.set_ylabel("largest PSI, last window")
    middle.set_yscale("symlog", linthresh=0.1)
    bottom.step(range(len(versions)), versions, where="post")
    bottom.set_ylabel("model version")
    bottom.set_xlabel("simulated hour")
    figure.tight_layout()
    figure.savefig(os.path.join(out, "hit_ratio.png"), dpi=110)
    plt.close(figure)
    lines = ["# Autonomy run", "",
             f"{summary['days']} simulated days; passed: **{summary['passed']}**", "",
             "| shift | at tick | detected | delay (sampled requests) | declarations |",
             "|---|---|---|---|---|"]
    for shift in summary["shifts"]:
        lines.append(f"| {shift['phase']} | {shift['start_tick']} | {shift['detected']} | "
                     f"{shift['delay_sampled_requests']} | {shift['declarations']} |")
    lines += ["", f"False alarms in stationary stretches: {summary['false_alarms']}; "
              f"later declarations inside the trace phase (the trace's own drift): "
              f"{summary['trace_phase_declarations']}; all declarations at ticks "
              f"{summary['detections']}",
              f"Retrains: {summary['retrains']} ({summary['retrains_accepted']} accepted, "
              f"{summary['retrains_rejected']} rejected); A/B tests: "
              + ", ".join(f"v{t['challenger']} {t['outcome']}" for t in summary["ab_tests"]),
              "", "| phase | hours | autonomous | oracle | gap |", "|---|---|---|---|---|"]
    for phase in summary["phases"]:
        lines.append(f"| {phase['phase']} | {phase['hours']} | "
                     f"{phase['autonomous_hit_ratio']:.3f} | {phase['oracle_hit_ratio']:.3f} | "
                     f"{phase['gap']:+.3f} |")
    lines += ["", "Hit ratios are over each phase's second half. Detection delays count sampled "
              "requests on the sidecar's own clock. The drift panel shows the scores the "
              "sidecar had published when each simulated hour ended: in compressed time it "
              "runs behind, so its peaks trail the shift lines.", "",
              "![hit ratio, drift scores and model versions](hit_ratio.png)", ""]
    with open(os.path.join(out, "report.md"), "w") as handle:
        handle.write("\n".join(lines))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--requests-per-day", type=int, default=24_000)
    parser.add_argument("--rate", type=float, default=0.25)
    parser.add_argument("--window", type=int, default=500)
    parser.add_argument("--cache-bytes", type=int, default=2_000_000)
    parser.add_argument("--tolerance", type=float, default=0.02)
    parser.add_argument("--policy", default="volatile-learned",
                        choices=("volatile-learned", "allkeys-learned"))
    parser.add_argument("--out", default="bench/results/autonomy")
    args = parser.parse_args(argv)
    summary = run_autonomy(args.days, args.requests_per_day, args.out, args.rate, args.window,
                           args.cache_bytes, args.tolerance, args.policy)
    print(open(os.path.join(args.out, "report.md")).read())
    return 0 if summary["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
