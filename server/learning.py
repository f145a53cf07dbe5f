"""The server's half of the MLOps loop: the access sampler, the sidecar link, model swaps and
A/B tests.

- The sampler (ml/sampler.py) takes sampled accesses as the access logs are folded; once a
  second the cron hands what accumulated to the sidecar with the server's counters.
- The sidecar (ml/sidecar/worker.py, supervised by ml/sidecar/supervisor.py) answers with its
  state (drift, miss-ratio curve, retrains), kept here for PREDIS.* commands, INFO and /api,
  and with candidates: retrained models that passed validation and are in the registry.
- A candidate becomes the challenger; with `predis-ab-auto` and a learned policy evicting, an
  A/B test (server/ab_test.py) starts, and the cron ends it with a promotion or a rollback.
- Every champion change goes through `make_champion`: the weights are loaded first (a broken
  file changes nothing) and installed between two commands, so no request sees half a model.
"""

import time

from ml.model import EvictionModel
from ml.sampler import AccessSampler
from ml.sidecar.registry import RegistryError

from .ab_test import ABTest

# the configuration parameters configure() applies
LEARNING_PARAMS = ("predis-sample-rate", "predis-drift-window", "predis-drift-patience",
                   "predis-drift-psi-threshold", "predis-drift-ks-alpha",
                   "predis-retrain-on-drift", "predis-retrain-interval", "predis-retrain-margin",
                   "predis-tenant-retrain")
SEND_EVERY_S = 1.0
KEEP_EVENTS = 50
KEEP_LOADED = 4  # registered model versions kept loaded
LEARNED_POLICIES = ("allkeys-learned", "volatile-learned")


class ModelSwapError(ValueError):
    pass


class LearningLoop:
    def __init__(self, server):
        self.server = server
        self.sampler = None
        self.supervisor = None
        self.sidecar = {}  # the sidecar's latest published state
        self.events = []  # drift, candidates, A/B starts and decisions: newest last
        self.ab = None  # the running ABTest
        self.ab_results = []
        self._loaded = {}  # version -> (EvictionModel, path), least recently used first
        self.swaps = 0
        self.last_swap_ms = 0.0
        self.max_swap_ms = 0.0
        self._sent_at = 0.0
        self._counters = None

    # -- configuration and lifecycle -------------------------------------------------------------
    def configure(self) -> None:
        """(Re)apply predis-sample-rate and the sidecar's settings."""
        config = self.server.config
        rate = config["predis-sample-rate"]
        wanted = rate > 0 and config["predis-sidecar"]
        if wanted and self.sampler is None:
            self.sampler = AccessSampler(rate)
        if self.sampler is not None:
            self.sampler.set_rate(rate if wanted else 0.0)
        self.server.keyspace.access.sampler = self.sampler if wanted else None
        if self.supervisor is not None:
            self._send_config()

    def start(self) -> None:
        """Start the sidecar (from the running event loop) when it is wanted."""
        config = self.server.config
        if not config["predis-sidecar"] or self.supervisor is not None:
            return
        from ml.sidecar.supervisor import SidecarSupervisor

        self.supervisor = SidecarSupervisor(self.server.model_registry().root,
                                            self._on_message, self._on_connect,
                                            self.server.log)
        self.supervisor.start()

    async def close(self) -> None:
        if self.supervisor is not None:
            await self.supervisor.stop()

    def _settings(self) -> dict:
        c = self.server.config
        return {"rate": c["predis-sample-rate"], "window": c["predis-drift-window"],
                "patience": c["predis-drift-patience"],
                "psi_threshold": c["predis-drift-psi-threshold"],
                "ks_alpha": c["predis-drift-ks-alpha"],
                "retrain_on_drift": c["predis-retrain-on-drift"],
                "retrain_interval": c["predis-retrain-interval"],
                "margin": c["predis-retrain-margin"],
                "namespaces": c["predis-tenant-retrain"] and self.server.tenants is not None}

    def _send_config(self) -> None:
        self.supervisor.send({"op": "config", "settings": self._settings()})

    def _send_champion(self) -> None:
        evictor = self.server.evictor
        self.supervisor.send({"op": "champion", "path": evictor.model_path,
                              "version": self.server.model_version})

    def _on_connect(self) -> None:
        self._send_config()
        self._send_champion()

    # -- the cron's part -------------------------------------------------------------------------
    def tick(self) -> None:
        if self.ab is not None and self.ab.ready:
            version = self.ab.version
            try:
                self.finish_ab(self.ab.decision()[0])
            except ModelSwapError as exc:  # e.g. its files went: the champion stays
                self._event("ab_promotion_failed", version=version, error=str(exc))
        sampler = self.sampler
        if sampler is None or self.supervisor is None or not self.supervisor.connected:
            return
        now = time.monotonic()
        if now - self._sent_at < SEND_EVERY_S and not sampler.half_full():
            return
        self._sent_at = now
        records = sampler.take()
        events, clock = sampler.take_reuse()
        counters = self._counter_deltas()
        server = self.server
        gauges = {"keys": server.keyspace.total_keys(), "maxmemory": server.maxmemory,
                  "used_memory": server.used_memory(), "evicted_keys": server.evicted_keys,
                  "policy": server.config["maxmemory-policy"]}
        self.supervisor.send({"op": "batch", "counters": counters, "gauges": gauges,
                              "records": len(records), "reuse_clock": clock},
                             records.tobytes() + events.tobytes())

    def _counter_deltas(self) -> dict:
        from .command_table import all_commands

        reads = writes = 0
        for spec in all_commands():
            calls = spec.calls + sum(sub.calls for sub in spec.subcommands.values())
            if "write" in spec.flags:
                writes += calls
            elif "readonly" in spec.flags:
                reads += calls
        keyspace = self.server.keyspace
        now = {"reads": reads, "writes": writes, "hits": keyspace.hits,
               "misses": keyspace.misses}
        before, self._counters = self._counters or now, now
        # CONFIG RESETSTAT can move counters back: a negative delta counts as none
        return {name: max(0, now[name] - before[name]) for name in now}

    # -- messages from the sidecar ---------------------------------------------------------------
    def _on_message(self, header: dict) -> None:
        op = header["op"]
        if op == "state":
            self.sidecar = header["state"]
        elif op == "log":
            self._event(header.get("event", "sidecar"), **{k: v for k, v in header.items()
                                                          if k not in ("op", "event")})
        elif op == "candidate":
            self._candidate(int(header["version"]), header.get("outcome", {}))
        elif op == "namespace_candidate":
            self._namespace_candidate(int(header["version"]), int(header["namespace"]))

    def _event(self, kind: str, **fields) -> None:
        self.events = (self.events + [{"time": time.time(), "event": kind, **fields}])[
            -KEEP_EVENTS:]
        self.server.log.info(f"ml_{kind}", **fields)

    def _candidate(self, version: int, outcome: dict) -> None:
        self._event("candidate_registered", version=version, trigger=outcome.get("reason"),
                    detail=outcome.get("detail"))
        server = self.server
        registry = server.model_registry()
        try:
            registry.move_alias("challenger", version, "sidecar retrain passed validation")
        except RegistryError as exc:
            self._event("candidate_unusable", version=version, error=str(exc))
            return
        if server.config["predis-ab-auto"] and self.ab is None and server.maxmemory and \
                server.config["maxmemory-policy"] in LEARNED_POLICIES:
            try:
                self.start_ab(version, server.config["predis-ab-slice"])
            except ModelSwapError as exc:
                self._event("ab_not_started", version=version, error=str(exc))

    def _namespace_candidate(self, version: int, number: int) -> None:
        """A model retrained on one tenant's keys and better there than the champion: the
        tenant ranks its keys by it from now on (as PREDIS.MODEL ASSIGN would)."""
        tenants = self.server.tenants
        tenant = next((t for t in tenants.tenants if t.number == number), None) \
            if tenants is not None else None
        if tenant is None:  # the tenants were declared again meanwhile
            self._event("namespace_candidate_unused", version=version, namespace=number)
            return
        try:
            model, _ = self.load_version(version)
        except ModelSwapError as exc:
            self._event("candidate_unusable", version=version, error=str(exc))
            return
        tenant.model_version, tenant.weights = version, model.arrays()
        self._event("tenant_model_assigned", version=version, tenant=tenant.name,
                    reason="sidecar retrain on the tenant's keys passed validation")

    def request(self, op: str, **fields) -> bool:
        """Send an operator request (retrain, mrc) to the sidecar; False if it is not up."""
        if self.supervisor is None or not self.supervisor.connected:
            return False
        return self.supervisor.send({"op": op, **fields})

    # -- champion and challenger -----------------------------------------------------------------
    def load_version(self, version: int) -> tuple:
        """(model, path) of a registered version. Versions never change, so the last few
        loaded stay in memory: swapping back and forth, or promoting the challenger an A/B
        test already loaded, does no file work on the event loop."""
        loaded = self._loaded.pop(version, None)
        if loaded is None:
            registry = self.server.model_registry()
            try:
                path = registry.model_path(version)
                loaded = (EvictionModel.load(path), path)
            except (RegistryError, OSError, ValueError, KeyError) as exc:
                raise ModelSwapError(f"can't use model version {version}: {exc}") from None
        self._loaded[version] = loaded  # most recent last
        while len(self._loaded) > KEEP_LOADED:
            del self._loaded[next(iter(self._loaded))]
        return loaded

    def make_champion(self, version: int, reason: str) -> None:
        server = self.server
        started = time.perf_counter()
        model, path = self.load_version(version)  # raises before any change
        try:
            server.model_registry().move_alias("champion", version, reason)
        except (RegistryError, OSError) as exc:
            raise ModelSwapError(f"can't use model version {version}: {exc}") from None
        server.evictor.install(model, path)
        server.model_version = version
        elapsed = (time.perf_counter() - started) * 1000
        self.swaps += 1
        self.last_swap_ms, self.max_swap_ms = elapsed, max(self.max_swap_ms, elapsed)
        self._event("champion_changed", version=version, reason=reason,
                    swap_ms=round(elapsed, 3))
        if self.supervisor is not None and self.supervisor.connected:
            self._send_champion()

    def start_ab(self, version: int, slice_percent: int) -> None:
        server = self.server
        if self.ab is not None:
            raise ModelSwapError(f"an A/B test of version {self.ab.version} is running")
        if server.config["maxmemory-policy"] not in LEARNED_POLICIES:
            raise ModelSwapError("A/B tests need a learned maxmemory-policy "
                                 "(allkeys-learned or volatile-learned)")
        registry = server.model_registry()
        weights = self.load_version(version)[0].arrays()
        try:
            if registry.aliases()["challenger"] != version:
                registry.move_alias("challenger", version, "A/B test started")
        except (RegistryError, OSError) as exc:
            raise ModelSwapError(f"can't use model version {version}: {exc}") from None
        keyspace = server.keyspace
        reads = keyspace.hits + keyspace.misses
        baseline = keyspace.hits / reads if reads else 0.5
        self.ab = ABTest(version, weights, slice_percent,
                         server.config["predis-ab-min-effect"], baseline)
        for db in keyspace.dbs:
            db.read_tap = self.ab.observe
        self._event("ab_started", version=version, slice_percent=slice_percent,
                    required_reads=self.ab.required)

    def finish_ab(self, outcome: str, reason: str = "decided") -> None:
        """End the running test: 'promote' makes the challenger champion, 'rollback' and
        'stop' keep the champion ('rollback' also clears the challenger alias)."""
        ab, self.ab = self.ab, None
        for db in self.server.keyspace.dbs:
            db.read_tap = None
        result = {**ab.status(), "outcome": outcome, "reason": reason, "ended": time.time()}
        self.ab_results = (self.ab_results + [result])[-KEEP_EVENTS:]
        registry = self.server.model_registry()
        if outcome == "promote":
            self.make_champion(ab.version, f"A/B test: challenger better (z={result['z']:.2f})")
            registry.move_alias("challenger", None, "promoted")
        elif outcome == "rollback":
            registry.move_alias("challenger", None, f"A/B test: rolled back "
                                f"(z={result['z']:.2f}, {reason})")
        self._event("ab_finished", version=ab.version, outcome=outcome,
                    z=round(result["z"], 3), effect=round(result["effect"], 4), reason=reason)

    # -- reporting -------------------------------------------------------------------------------
    def info(self) -> dict:
        """The INFO fields (section `predis_ml`) and the metrics' source."""
        sup = self.supervisor.info() if self.supervisor is not None else \
            {"status": "disabled", "pid": 0, "restarts": 0, "dropped_frames": 0,
             "uptime_s": 0, "last_exit": ""}
        sampler = self.sampler.stats() if self.sampler is not None else {}
        state = self.sidecar
        return {
            "sidecar_status": sup["status"], "sidecar_pid": sup["pid"],
            "sidecar_restarts": sup["restarts"], "sidecar_uptime_s": sup["uptime_s"],
            "sidecar_dropped_batches": sup["dropped_frames"],
            "sidecar_last_exit": sup["last_exit"],
            "sample_rate": self.server.config["predis-sample-rate"],
            "sampled_accesses": sampler.get("sampled", 0),
            "sample_dropped": sampler.get("dropped", 0),
            "drift_windows": state.get("windows", 0),
            "drift_streak": state.get("drift_streak", 0),
            "drift_detections": len(state.get("drift_detections", [])),
            "retrains": state.get("retrain_count", 0),
            "retrains_accepted": state.get("retrain_accepted", 0),
            "retraining": state.get("retraining") or "",
            "model_version": "" if self.server.model_version is None
            else self.server.model_version,
            "model_swaps": self.swaps, "model_last_swap_ms": round(self.last_swap_ms, 3),
            "model_max_swap_ms": round(self.max_swap_ms, 3),
            "ab_running": int(self.ab is not None),
            "ab_challenger": self.ab.version if self.ab is not None else "",
        }
