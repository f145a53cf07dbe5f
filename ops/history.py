"""What the dashboard plots over time: a sample per second for the last ten minutes (ops/s, hit
ratio, latency percentiles, memory, clients, evictions) and a sample per minute for the last
week (ops/s and hit ratio, what the 24-hour hit-ratio forecast is fitted to).

Each sample is the change in the server's counters since the previous one, so a rate or ratio
describes that interval, not the whole uptime. Sampled from the server's cron, never on the
request path; a second's sample costs a sum over the histograms of commands that ran.
"""

import time
from collections import deque

import numpy as np

from server.latency_stats import BUCKETS, percentiles

SECOND_SAMPLES = 600
MINUTE_SAMPLES = 7 * 24 * 60
LATENCY_PERCENTILES = (50.0, 99.0, 99.9)


def _latency_total(specs) -> np.ndarray:
    """All commands' latency histograms added up (the buckets are the same for every command)."""
    total = np.zeros(BUCKETS, dtype=np.uint64)
    for spec in specs:
        for item in (spec, *spec.subcommands.values()):
            if item.calls:
                total += np.frombuffer(item.latency, dtype=np.uint64)
    return total


def _delta(now: int, before: int) -> int:
    """A counter's growth; a counter that went down was reset (CONFIG RESETSTAT)."""
    return now - before if now >= before else now


class Counters:
    """The cumulative counters a sample is the difference of."""

    def __init__(self, server, specs):
        self.time = time.time()
        self.calls = sum(spec.calls + sum(sub.calls for sub in spec.subcommands.values())
                         for spec in specs)
        self.hits = server.keyspace.hits
        self.misses = server.keyspace.misses
        self.evicted = server.evicted_keys
        self.latency = _latency_total(specs) if server.latency_tracking else None


class History:
    def __init__(self, server, specs_source):
        self.server = server
        self.specs_source = specs_source  # () -> every CommandSpec (command_table.all_commands)
        self.seconds = deque(maxlen=SECOND_SAMPLES)
        self.minutes = deque(maxlen=MINUTE_SAMPLES)
        self._last = None
        self._minute_start = None

    def tick(self) -> None:
        """From the cron: a per-second sample once a second has passed, a per-minute one once a
        minute has."""
        now = time.time()
        if self._last is not None and now - self._last.time < 1.0:
            return
        current = Counters(self.server, list(self.specs_source()))
        if self._last is not None:
            self.seconds.append(self._second_sample(self._last, current))
        if self._minute_start is None:
            self._minute_start = current
        elif current.time - self._minute_start.time >= 60.0:
            self.minutes.append(self._rates(self._minute_start, current))
            self._minute_start = current
        self._last = current

    @staticmethod
    def _rates(before: Counters, now: Counters) -> dict:
        span = max(now.time - before.time, 1e-6)
        hits, misses = _delta(now.hits, before.hits), _delta(now.misses, before.misses)
        return {"time": round(now.time, 3),
                "ops_per_sec": round(_delta(now.calls, before.calls) / span, 1),
                "lookups": hits + misses,
                "hit_ratio": round(hits / (hits + misses), 5) if hits + misses else None,
                "evicted_per_sec": round(_delta(now.evicted, before.evicted) / span, 2)}

    def _second_sample(self, before: Counters, now: Counters) -> dict:
        sample = self._rates(before, now)
        server = self.server
        sample.update(used_memory=server.used_memory(), maxmemory=server.config["maxmemory"],
                      connected_clients=len(server.clients))
        if now.latency is not None and before.latency is not None:
            interval = now.latency - before.latency if (now.latency >= before.latency).all() \
                else now.latency
            if interval.any():
                values = percentiles(interval.tolist(), list(LATENCY_PERCENTILES))
                sample["latency_usec"] = {f"p{p:g}": round(v / 1000, 3)
                                          for p, v in zip(LATENCY_PERCENTILES, values)}
        return sample
