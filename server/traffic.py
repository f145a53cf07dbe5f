"""What the server counts of its traffic and of its event loop, for INFO stats.

Connections update these on every read and write, so they are plain attributes of objects
every connection shares (`Limits` also carries the limits each read is checked against).
"""

import time
from time import perf_counter_ns

from .command_table import total_calls


class ServerStats:
    def __init__(self):
        self.connections_received = 0
        self.rejected_connections = 0
        self.error_replies = 0
        self.unexpected_error_replies = 0  # errors sent to the primary, a replica or the AOF
        self.errors: dict = {}

    def reset(self):
        self.__init__()


class Limits:
    """What every connection reads and counts: plain attributes, shared, for speed."""

    __slots__ = ("query_buffer_limit", "proto_max_bulk_len", "net_input_bytes",
                 "net_output_bytes", "net_repl_input_bytes", "net_repl_output_bytes", "reads",
                 "writes", "cycle", "before_reply", "clients_evictable")

    def __init__(self):
        self.query_buffer_limit = 1 << 30
        self.proto_max_bulk_len = 512 << 20
        self.cycle = EventLoopCycles()
        self.reset_counts()
        # before_reply(connection) runs before any output leaves (the AOF writes its buffer);
        # True holds the output: the AOF flushes the connection after its next fsync
        self.before_reply = None
        # maxmemory-clients is set: a read that leaves input waiting re-measures its client
        self.clients_evictable = False

    def reset_counts(self) -> None:
        """CONFIG RESETSTAT. Bytes to and from replicas and the primary count apart (the
        repl counters), as in Redis; INFO's totals add them up."""
        self.net_input_bytes = self.net_output_bytes = 0
        self.net_repl_input_bytes = self.net_repl_output_bytes = 0
        self.reads = self.writes = 0  # reads from and writes to sockets
        self.cycle.reset()


class EventLoopCycles:
    """Redis 7.2's eventloop_cycles and eventloop_duration_sum: how many turns of the event
    loop did work, and the time they took.

    asyncio does not tell where a turn of its loop starts or ends. A cycle here opens with the
    turn's first read (or its cron tick) and closes in a call_soon callback, which the loop
    runs once the ready I/O callbacks of that turn are done; the time asleep in the poll is
    not in it, as in Redis. Turns that only slept are not counted (Redis's wake for its cron
    only, as here)."""

    __slots__ = ("cycles", "duration_ns", "open", "started", "loop")

    def __init__(self):
        self.loop = None  # set when the server starts
        self.open = False
        self.started = 0
        self.reset()

    def reset(self) -> None:
        self.cycles = self.duration_ns = 0

    def begin(self) -> None:
        if self.loop is not None:
            self.open = True
            self.started = perf_counter_ns()
            self.loop.call_soon(self._end)

    def _end(self) -> None:
        self.open = False
        self.cycles += 1
        self.duration_ns += perf_counter_ns() - self.started


SAMPLES = 16  # Redis's STATS_METRIC_SAMPLES
PERIOD_MS = 100  # how often the cron samples (Redis's run_with_period(100))


class InstantaneousMetrics:
    """INFO's instantaneous_* figures, as Redis's trackInstantaneousMetric computes them: every
    100 ms each counter's change is divided by the change of its base (the time, or for the
    duration of a cycle the number of cycles), and a figure is the sum of the last 16 such
    samples over 16 (so it starts at 0 and reaches the rate after 1.6 s)."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.reset()

    def reset(self) -> None:
        # name -> [samples, next index, last value, last base]; a metric is sampled once its
        # last base is above 0 (Redis's rule: the first reading after a reset only records)
        self.state = {name: [[0] * SAMPLES, 0, 0, 0] for name in self._readings(0)}
        self.ticks = 0

    def _readings(self, now_ms: int) -> dict:
        """name -> (value, base, factor)"""
        limits, cycle = self.limits, self.limits.cycle
        return {
            "ops": (total_calls(), now_ms, 1000),
            "net_input": (limits.net_input_bytes, now_ms, 1000),
            "net_output": (limits.net_output_bytes, now_ms, 1000),
            "net_repl_input": (limits.net_repl_input_bytes, now_ms, 1000),
            "net_repl_output": (limits.net_repl_output_bytes, now_ms, 1000),
            "eventloop_cycles": (cycle.cycles, now_ms, 1000),
            "eventloop_duration_us": (cycle.duration_ns // 1000, cycle.cycles, 1),
        }

    def cron(self, hz: int) -> None:
        """One cron tick: a sample every 100 ms (every tick when hz <= 10)."""
        self.ticks += 1
        if self.ticks % max(1, PERIOD_MS * hz // 1000):
            return
        for name, (value, base, factor) in self._readings(int(time.monotonic() * 1000)).items():
            state = self.state[name]
            samples, index, last_value, last_base = state
            if last_base > 0:
                delta = base - last_base
                samples[index] = (value - last_value) * factor // delta if delta > 0 else 0
                state[1] = (index + 1) % SAMPLES
            state[2], state[3] = value, base

    def get(self, name: str) -> int:
        return sum(self.state[name][0]) // SAMPLES

    def kbps(self, name: str) -> str:
        return f"{self.get(name) / 1024:.2f}"
