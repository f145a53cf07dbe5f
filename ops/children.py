"""Forked children as Redis's redisFork makes them, and what they report while they run.

Every fork (BGSAVE, AOF rewrite, a forked Lua debugging session) is timed: INFO's total_forks
and latest_fork_usec, the `fork` latency event. A BGSAVE or AOF-rewrite child also gets Redis's
child info pipe: about once a second it sends the keys it has written and its copy-on-write
bytes (the Private_Dirty memory it no longer shares with the parent), and its final
copy-on-write size as it exits; the parent reads them from the cron into INFO persistence's
current_* fields and rdb_last_cow_size / aof_last_cow_size.
"""

import os
import signal
import struct
import time

from . import proc_title

# (kind, keys written, copy-on-write bytes, when those were measured: CLOCK_MONOTONIC seconds,
# which parent and child share)
_RECORD = struct.Struct("<Bqqd")
CURRENT, RDB_DONE, AOF_DONE = 0, 1, 2
EXCLUSIVE = {"rdb": RDB_DONE, "aof": AOF_DONE}  # one of these runs at a time, with a pipe
REPORT_EVERY = 1024  # keys between looks at the clock
REPORT_SECONDS = 1.0
COW_DUTY_CYCLE = 100  # a CoW reading may take at most 1/100 of the child's time (Redis's)


def _die_with(parent: int) -> None:
    """In a child: be killed when the server dies (killed by the OOM killer, say), as Redis's
    children notice their parent is gone and leave; nothing else would end one writing to a
    pipe nobody reads."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # (not Linux: the child runs to its end)
        return
    if os.getppid() != parent:  # (the server died before the prctl)
        os._exit(1)


class Children:
    """The parent's side: the forks, and the running child's reports."""

    def __init__(self, server):
        self.server = server
        self.forks = 0
        self.latest_fork_usec = 0
        self.fork_rate = 0.0
        self.rdb_last_cow = self.aof_last_cow = 0
        self._pipe = -1  # the read end, while a BGSAVE or AOF-rewrite child runs
        self._partial = b""
        self._reset_current()

    def _reset_current(self) -> None:
        self.cow_peak = self.cow_bytes = 0
        self.cow_updated = 0.0
        self.keys_processed = self.keys_total = 0

    def fork(self, purpose: str, title: str = None):
        """os.fork() for "rdb", "aof" or "ldb": (pid, reporter); in the child pid is 0 and the
        reporter (None for "ldb") sends its progress to the parent. The child takes `title`
        as its process title's {title} (Redis's names: ops/proc_title.CHILD_TITLES)."""
        exclusive = purpose in EXCLUSIVE
        started = time.perf_counter_ns()
        in_child = self.server.keyspace.prepare_fork()
        read_end, write_end = os.pipe() if exclusive else (-1, -1)
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:
            if exclusive:
                os.close(read_end)
                os.close(write_end)
            raise
        if pid == 0:
            _die_with(parent)
            in_child()
            if title is not None:
                proc_title.apply(self.server.config, title)
            if not exclusive:
                return 0, None
            os.close(read_end)
            return 0, Reporter(write_end, EXCLUSIVE[purpose])
        elapsed_ns = time.perf_counter_ns() - started
        self.forks += 1
        self.latest_fork_usec = elapsed_ns // 1000
        # GB of memory forked per second (Redis's stat_fork_rate, for LATENCY DOCTOR)
        self.fork_rate = self.server.used_memory() * 1e6 / max(1, self.latest_fork_usec) / 2**30
        self.server.latency.add_if_slow("fork", elapsed_ns,
                                        self.server.config["latency-monitor-threshold"])
        if exclusive:
            os.close(write_end)
            os.set_blocking(read_end, False)
            self._close_pipe()
            self._pipe = read_end
            self._reset_current()
            self.keys_total = sum(len(db.data) for db in self.server.keyspace.dbs)
        return pid, None

    def receive(self) -> None:
        """Take in what the running child has reported (the cron, INFO, the child's end)."""
        while self._pipe >= 0:
            try:
                data = os.read(self._pipe, 4096)
            except BlockingIOError:
                return
            if not data:
                return
            self._partial += data
            while len(self._partial) >= _RECORD.size:
                self._update(*_RECORD.unpack_from(self._partial))
                self._partial = self._partial[_RECORD.size:]

    def _update(self, kind: int, keys: int, cow: int, updated: float) -> None:
        self.cow_peak = max(self.cow_peak, cow)
        if kind == CURRENT:
            self.cow_bytes, self.cow_updated, self.keys_processed = cow, updated, keys
        elif kind == RDB_DONE:
            self.rdb_last_cow = self.cow_peak
        elif kind == AOF_DONE:
            self.aof_last_cow = self.cow_peak

    def child_done(self) -> None:
        """The BGSAVE or AOF-rewrite child was reaped (or killed): its last words, then the
        current_* fields start over."""
        self.receive()
        self._close_pipe()
        self._reset_current()

    def _close_pipe(self) -> None:
        if self._pipe >= 0:
            os.close(self._pipe)
        self._pipe, self._partial = -1, b""

    def info_fields(self) -> dict:
        self.receive()
        age = int(time.monotonic() - self.cow_updated) if self.cow_updated else 0
        percent = self.keys_processed / self.keys_total * 100 if self.keys_total else 0.0
        return {"current_cow_peak": self.cow_peak, "current_cow_size": self.cow_bytes,
                "current_cow_size_age": age, "current_fork_perc": f"{percent:.2f}",
                "current_save_keys_processed": self.keys_processed,
                "current_save_keys_total": self.keys_total}


class Reporter:
    """The child's side of the pipe."""

    def __init__(self, fd: int, done_kind: int):
        self.fd = fd
        self.done_kind = done_kind
        self._last_report = time.monotonic()
        self._cow = 0
        self._cow_updated = 0.0
        self._cow_cost = 0.0

    def written(self, keys: int) -> None:
        """`keys` keys written so far: reported about once a second."""
        if keys % REPORT_EVERY == 0 and time.monotonic() - self._last_report >= REPORT_SECONDS:
            self._last_report = time.monotonic()
            self._send(CURRENT, keys)

    def finish(self) -> None:
        """The child's work is done: its copy-on-write size as it ends."""
        self._send(self.done_kind, 0, measure=True)

    def _send(self, kind: int, keys: int, measure: bool = False) -> None:
        now = time.monotonic()
        if measure or not self._cow_updated or now - self._cow_updated > \
                self._cow_cost * COW_DUTY_CYCLE:  # readings cost: Redis throttles them too
            self._cow = private_dirty_bytes()
            self._cow_updated = time.monotonic()
            self._cow_cost = self._cow_updated - now
        try:
            os.write(self.fd, _RECORD.pack(kind, keys, self._cow, self._cow_updated))
        except OSError:  # the parent is gone: nobody is waiting for this child's work
            os._exit(1)


def private_dirty_bytes() -> int:
    """This process's Private_Dirty memory (Redis's zmalloc_get_private_dirty)."""
    for path in ("/proc/self/smaps_rollup", "/proc/self/smaps"):
        try:
            with open(path, "rb") as smaps:
                return sum(int(line.split()[1]) for line in smaps
                           if line.startswith(b"Private_Dirty:")) * 1024
        except OSError:
            continue
    return 0
