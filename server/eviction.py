"""maxmemory enforcement: Redis's eviction policies plus Predis's learned and S3-FIFO policies.

Before a command that may grow memory runs past `maxmemory` (and from the cron after
`CONFIG SET maxmemory` lowers it), `perform()` folds the access logs and evicts keys chosen by
the ml/ kernels until memory fits, within the time `maxmemory-eviction-tenacity` allows, as
Redis's performEvictions: when the budget runs out the command proceeds and the cron goes on;
when nothing can be evicted the command gets the OOM error.
"""

import random
import time

import numpy as np

from ml import tracking
from ml.eviction import (ADAPTIVE, LEARNED, LFU, LRU, RANDOM, S3FIFO, TTL, choose_scored,
                         collect_learned, learned_width, pick_victims, restriction, sample)
from ml.features import N_FEATURES
from ml.keymeta import (BYTES, CAPACITY, HOOK_HISTORY, HOOK_NONE, HOOK_S3FIFO, MODE_LFU,
                        MODE_LRU)
from ml.model import DEFAULT_PATH, EvictionModel


# policy -> (victim code, volatile keys only, table hooks, clock mode); None: noeviction
POLICIES = {
    "noeviction": None,
    "allkeys-lru": (LRU, False, HOOK_NONE, MODE_LRU),
    "volatile-lru": (LRU, True, HOOK_NONE, MODE_LRU),
    "allkeys-lfu": (LFU, False, HOOK_NONE, MODE_LFU),
    "volatile-lfu": (LFU, True, HOOK_NONE, MODE_LFU),
    "allkeys-random": (RANDOM, False, HOOK_NONE, MODE_LRU),
    "volatile-random": (RANDOM, True, HOOK_NONE, MODE_LRU),
    "volatile-ttl": (TTL, True, HOOK_NONE, MODE_LRU),
    "allkeys-learned": (ADAPTIVE, False, HOOK_S3FIFO, MODE_LRU),
    "volatile-learned": (LEARNED, True, HOOK_HISTORY, MODE_LRU),
    "allkeys-s3fifo": (S3FIFO, False, HOOK_S3FIFO, MODE_LRU),
}
MAX_BATCH = 64
MAX_DEVICE_BATCH = 1024  # victims per batch when the GPU scores them (one call for them all)


def time_limit_us(tenacity: int) -> float:
    """Redis's evictionTimeLimitUs: 50us per step up to 10, then +15% per step, 100 = none."""
    if tenacity <= 10:
        return 50.0 * tenacity
    if tenacity < 100:
        return 500.0 * 1.15 ** (tenacity - 10)
    return float("inf")


def warm_up_kernels(weights) -> None:
    """Run each fold and eviction kernel once on a table of one key (`weights`: a model's
    arrays), so that each is compiled or loaded from numba's cache in this process."""
    from server.keyspace.keytable import KeyTable

    for hook, code in ((HOOK_NONE, LRU), (HOOK_HISTORY, LEARNED), (HOOK_S3FIFO, S3FIFO)):
        table = KeyTable(hook)
        if hook == HOOK_S3FIFO:
            table.arbitrate(0)
        table.log.append(b"warm-up")
        table.fold({b"warm-up": b""}, {}, int(time.time()), MODE_LRU, 10, 1, weights)
        out = np.empty(1, np.int64)
        found = pick_victims(table.slots, table.hist, table.state, code, 0, 5, 1,
                             int(time.time()), 1, *weights, out)
        tracking.retire_all(table.slots, table.hist, table.state, out, found)
    sample(table.slots, restriction(True), 1, np.empty(1, np.int64))
    sample(table.slots, restriction(False, 1, 1 << 12), 1, np.empty(1, np.int64))


class Evictor:
    def __init__(self, server):
        self.server = server
        self.keyspace = server.keyspace
        self.policy = None
        self.model = EvictionModel.load(DEFAULT_PATH)
        self.model_path = DEFAULT_PATH
        self._weights = self.model.arrays()
        self.keyspace.access.weights = self._weights
        self.scorer = None  # the GPU's scorer (ml/device_scoring.py) when the GPU engine runs
        self.exceeded_total = 0.0  # seconds spent over maxmemory (closed spells)
        self.exceeded_since = None  # when the current spell began (monotonic), if over now
        if server.engine == "gpu":
            from ml.device_scoring import DeviceScorer
            self.scorer = DeviceScorer()

    # -- configuration -------------------------------------------------------------------------
    def configure(self, policy_name: str) -> None:
        self.policy = POLICIES[policy_name]
        _, _, hook, mode = self.policy or (None, False, HOOK_NONE, MODE_LRU)
        self.keyspace.set_access(hook, mode)

    def load_model(self, path: str) -> EvictionModel:
        model = EvictionModel.load(path)  # raises before anything changes
        self.install(model, path)
        return model

    def install(self, model: EvictionModel, path: str) -> None:
        """Use `model` from the next eviction on (a few attribute stores: between commands)."""
        self.model, self.model_path, self._weights = model, path, model.arrays()
        self.keyspace.access.weights = self._weights

    def warm_up(self) -> None:
        """Compile (or load from numba's cache) the kernels before the first client: the first
        fold or eviction must not stall the loop for a compilation."""
        warm_up_kernels(self._weights)

    # -- eviction ------------------------------------------------------------------------------
    def perform(self) -> bool:
        """Free memory down to maxmemory. False: still over and nothing more can go (OOM).
        The time spent over the limit is counted (INFO's *_eviction_exceeded_time)."""
        outcome = self._perform()
        if outcome is not None:  # still over: running out of time, or out of victims
            if self.exceeded_since is None:
                self.exceeded_since = time.monotonic()
            return outcome
        if self.exceeded_since is not None:
            self.exceeded_total += time.monotonic() - self.exceeded_since
            self.exceeded_since = None
        return True

    def exceeded_fields(self) -> dict:
        current = time.monotonic() - self.exceeded_since if self.exceeded_since is not None \
            else 0.0
        return {"total_eviction_exceeded_time": int((self.exceeded_total + current) * 1000),
                "current_eviction_exceeded_time": int(current * 1000)}

    def reset_stats(self) -> None:
        self.exceeded_total = 0.0
        self.exceeded_since = None

    def _perform(self):
        """None when memory fits (Redis's EVICT_OK); True when eviction stopped at its time
        limit and goes on later (EVICT_RUNNING: the command runs); False when nothing more
        can go (EVICT_FAIL)."""
        server = self.server
        limit = server.maxmemory
        if not limit or server.used_memory() <= limit:  # (the cheap bound: this is per command)
            return None
        clients_limit = server.clients.eviction_limit
        if clients_limit:  # clients go first, as in Redis (measured on the way)
            server.clients.evict_over(clients_limit)
        else:
            server.clients.measure_all()  # their buffers as they are now, before judging
        if server.memory_for_eviction() <= limit:
            return None
        if self.policy is None:
            return False
        if self.keyspace.stats.expire_paused:
            return None  # Redis evicts nothing during CLIENT PAUSE (as if memory fitted)
        keyspace = self.keyspace
        keyspace.fold_all()
        config = server.config
        deadline = time.perf_counter() + time_limit_us(config["maxmemory-eviction-tenacity"]) / 1e6
        slack = min(limit // 1000, 1 << 20)  # a little extra per call: fewer, larger batches
        exhausted = set()
        while server.memory_for_eviction() > limit - slack:
            db = self._choose_db(exhausted)
            if db is None:
                break
            over = server.memory_for_eviction() - (limit - slack)
            most = MAX_DEVICE_BATCH if self.scorer is not None else MAX_BATCH
            count = max(1, min(most, over // max(db.memory // max(len(db.data), 1), 1) + 1))
            keys = self._victims(db, int(count), config["maxmemory-samples"])
            if not keys:
                exhausted.add(db.index)
                continue
            for key in keys:
                server.evict_key(db, key)
            if time.perf_counter() > deadline:
                return True  # Redis's EVICT_RUNNING: the command runs, the cron continues
        return None if server.memory_for_eviction() <= limit else False

    def evict_tenant(self, tenant) -> bool:
        """`predis-tenant-quota-policy evict`: evict the tenant's own keys (its records carry
        its number) until it is back within its quota, ranked by the tenant's model when it
        has one. False when it cannot be: no eviction policy, or no key of its left to take.
        S3-FIFO's queues cannot be restricted to a tenant, so its tables rank by the learned
        model; volatile-ttl takes the tenant's soonest-expiring keys."""
        if self.policy is None:
            return False
        server = self.server
        self.keyspace.fold_all()
        code, volatile_only, _, _ = self.policy
        restrict = restriction(volatile_only, tenant=tenant.number)
        weights = tenant.weights or self._weights
        samples = server.config["maxmemory-samples"]
        exhausted = set()
        while tenant.over_quota:
            db = next((db for db in self.keyspace.dbs if db.data and db.index not in exhausted),
                      None)
            if db is None:
                return False
            table = db.table
            count = max(1, min(MAX_BATCH, (tenant.used - tenant.quota)
                               // max(tenant.used // max(tenant.keys, 1), 1) + 1))
            if code == TTL:
                slots = self._soonest_to_expire(db, count, samples, restrict)
            else:
                victim_code = code if code in (LRU, LFU, RANDOM, LEARNED) else \
                    LEARNED if table.hook != HOOK_NONE else LRU
                slots = self._pick(table, victim_code, restrict, samples, count, weights)
                tracking.retire_all(table.slots, table.hist, table.state, slots, len(slots))
            if not len(slots):
                exhausted.add(db.index)
                continue
            keys = list(table.keys[slots])
            table.keys[slots] = None
            for key in keys:
                server.evict_key(db, key)
            tenant.evicted += len(keys)
        return True

    def _choose_db(self, exhausted: set):
        """A database with keys, picked in proportion to its memory (Redis pools across dbs)."""
        candidates = [db for db in self.keyspace.dbs if db.data and db.index not in exhausted]
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        return random.choices(candidates, weights=[db.memory for db in candidates])[0]

    def _victims(self, db, count: int, samples: int) -> list:
        code, volatile_only, _, _ = self.policy
        table = db.table
        if code == TTL:
            slots = self._soonest_to_expire(db, count, samples, restriction(True))
        else:
            if table.hook == HOOK_S3FIFO:  # a full cache's bytes are its capacity (S3-FIFO's
                table.state[CAPACITY] = table.state[BYTES]  # queue shares, ghost budget)
            if code == ADAPTIVE:
                code = table.arbitrate(db.memory)
            ab = self.server.learning.ab
            tenants = self.server.tenants
            if ab is None and code == LEARNED and tenants is not None and \
                    tenants.models_assigned:
                slots = self._pick_by_tenant(table, volatile_only, samples, count, tenants)
            elif ab is None:
                slots = self._pick(table, code, restriction(volatile_only), samples, count,
                                   self._weights)
            else:  # each arm's model evicts from its own keys (server/ab_test.py)
                code = LEARNED
                arm = ab.arm_to_evict(db)
                for arm in (arm, 1 - arm):  # the other arm when this one has nothing left
                    slots = self._pick(table, code, restriction(volatile_only, arm, ab.threshold),
                                       samples, count, ab.weights_for(arm, self._weights))
                    if len(slots):
                        break
                ab.evicted(db, arm, int(table.hist["size"][slots].sum()), len(slots))
            found = len(slots)
            if code != S3FIFO:  # S3-FIFO retired (or ghosted) the records itself
                tracking.retire_all(table.slots, table.hist, table.state, slots, found)
        keys = list(table.keys[slots])
        table.keys[slots] = None
        return keys

    def _pick_by_tenant(self, table, volatile_only: bool, samples: int, count: int,
                        tenants) -> np.ndarray:
        """Learned eviction when tenants have their own models (PREDIS.MODEL ASSIGN): a group
        (a tenant, or the keys of none) is drawn in proportion to its bytes, and its keys are
        ranked by its own model (scores of different models are not on one scale)."""
        groups = [(t.number, t.weights or self._weights, t.used) for t in tenants.tenants]
        others = self.keyspace.used_bytes() - sum(t.used for t in tenants.tenants)
        groups.append((0, self._weights, others))
        while groups:
            index = random.choices(range(len(groups)),
                                   weights=[max(g[2], 1) for g in groups])[0]
            number, weights, _ = groups.pop(index)
            slots = self._pick(table, LEARNED, restriction(volatile_only, tenant=number),
                               samples, count, weights)
            if len(slots):
                return slots
        return np.empty(0, np.int64)

    def _pick(self, table, code: int, restrict: int, samples: int, count: int,
              weights: tuple) -> np.ndarray:
        out = np.empty(count, np.int64)
        if code == LEARNED and self._scores_on_device(samples, count, weights):
            found = self._pick_scored_on_device(table, restrict, samples, count, weights, out)
        else:
            count = min(count, MAX_BATCH)
            found = pick_victims(table.slots, table.hist, table.state, code, restrict, samples,
                                 count, int(time.time()), self.keyspace.access.lfu_decay_time,
                                 *weights, out)
        return out[:found]

    def _scores_on_device(self, samples: int, count: int, weights: tuple) -> bool:
        """The GPU scores a learned batch of at least `gpu-scoring-min-rows` candidates (below
        that, its fixed cost per call exceeds the CPU kernel's whole work)."""
        return (self.scorer is not None and self.scorer.fits(weights)
                and learned_width(samples, count) >= self.server.config["gpu-scoring-min-rows"])

    def _pick_scored_on_device(self, table, restrict: int, samples: int, count: int,
                               weights: tuple, out: np.ndarray) -> int:
        width = learned_width(samples, count)
        xt = np.empty((N_FEATURES, width), np.float32)
        size_terms = np.empty(width, np.float32)
        kept = np.empty(width, np.int64)
        group_end = np.empty(count, np.int64)
        groups = collect_learned(table.slots, table.hist, table.state, restrict, samples, count,
                                 xt, size_terms, kept, group_end)
        columns = int(group_end[groups - 1]) if groups else 0
        scores = self.scorer.score(xt, columns, weights)
        return choose_scored(table.slots, kept, scores, size_terms, group_end, groups, out)

    def _soonest_to_expire(self, db, count: int, samples: int, restrict: int) -> np.ndarray:
        """volatile-ttl: of each `samples` random keys with a TTL, the one expiring first."""
        table = db.table
        candidates = np.empty(samples * count, np.int64)
        found = sample(table.slots, restrict, samples * count, candidates)
        chosen = []
        expires = db.expires
        seen = set()
        for start in range(0, found, samples):
            group = [s for s in candidates[start:start + samples] if s not in seen]
            if not group:
                continue
            best = min(group, key=lambda s: expires.get(table.keys[s], 1 << 62))
            seen.add(best)
            chosen.append(best)
        slots = np.array(chosen, np.int64)
        tracking.retire_all(table.slots, table.hist, table.state, slots, len(slots))
        return slots
