"""Loading a dataset as Redis does (the RDB or AOF at start, DEBUG RELOAD, a replica's full
sync): the server already listens, and each time another `loading-process-events-interval-bytes`
of the input has been read it serves its clients (server/busy_io.py: the loop is held by the
load), who get `-LOADING` for every command without the `loading` flag (server/dispatch.py).
`key-load-delay` (microseconds per key, or with a negative -N a 1 us sleep for one key in N,
Redis's debugDelay) slows loading down, which is how Redis's tests catch a server mid-load.

INFO persistence reads `loading:1` and the loading_* progress fields from the state here.

While a dataset loads the cycle collector is paused, and what the load made is frozen after
it (server/collector.py).
"""

import random
import time
from contextlib import contextmanager

from .collector import paused_for_load
from .keyspace.database import expiry_held


class LoadingInterrupted(Exception):
    """SHUTDOWN (or a signal, at start) arrived while loading: stop, save nothing."""


class Loading:
    def __init__(self, server, total_bytes: int, protected=None):
        self.server = server
        self.start_time = int(time.time())
        self.total_bytes = total_bytes
        self.loaded_bytes = 0
        self.signal = None  # set by a signal handler the caller installed for the load
        self._base = 0  # bytes of the inputs already read whole (an AOF's earlier files)
        self._interval = server.config["loading-process-events-interval-bytes"]
        self._next_serve = self._interval
        self._delay = server.config["key-load-delay"]
        self._protected = protected  # the client whose command loads (DEBUG RELOAD): not served
        self._io = None  # server.busy_io.WhileBusy, from the first time clients are served

    def read(self, position: int, serve: bool = True) -> None:
        """One key (or AOF command) loaded; `position` bytes of the current input are read.
        `serve`: serve clients once past another interval (an AOF's replay serves by command
        count instead, as Redis's does)."""
        if self._delay:
            debug_delay(self._delay)
        self.loaded_bytes = loaded = self._base + position
        if serve and loaded >= self._next_serve:
            self._next_serve = loaded - loaded % self._interval + self._interval
            self.serve()

    def input_done(self, size: int) -> None:
        """The current input was read whole; positions of the next one count after it."""
        self._base += size
        self.loaded_bytes = self._base

    def serve(self) -> None:
        from .busy_io import WhileBusy

        if self.server.listen is None:  # not listening (a server built by tests): no one
            return
        if self._io is None:
            self._io = WhileBusy(self.server, protected=self._protected)
        try:
            self._io.serve()
        except Exception as exc:  # a fault serving clients must not fail the load
            self.server.log.error("loading_serving_failed", error=repr(exc))
        shutdown = self.server.shutdown_event
        if self.signal is not None or (shutdown is not None and shutdown.is_set()):
            raise LoadingInterrupted(self.signal or "SHUTDOWN")

    def finish(self, interrupted: bool) -> None:
        if self._io is not None:  # clients accepted meanwhile go to the event loop
            self._io.close(hand_over=not interrupted)

    def info_fields(self) -> dict:
        """INFO persistence's loading_* lines, computed as Redis does."""
        total, loaded = self.total_bytes, self.loaded_bytes
        perc = loaded / total * 100 if total else 0.0
        remaining = total - loaded if total else 1
        elapsed = int(time.time()) - self.start_time
        eta = 1 if elapsed == 0 else elapsed * remaining // (loaded + 1)
        return {"loading_start_time": self.start_time, "loading_total_bytes": total,
                "loading_rdb_used_mem": 0, "loading_loaded_bytes": loaded,
                "loading_loaded_perc": f"{perc:.2f}", "loading_eta_seconds": eta}


@contextmanager
def loading(server, total_bytes: int, protected=None):
    """The server is loading for the duration; an inner load (the RDB base of an AOF) joins
    the outer one's state."""
    if server.loading is not None:
        yield server.loading
        return
    state = server.loading = Loading(server, total_bytes, protected)
    interrupted = False
    try:
        # (the keys past their deadline go once loaded, as in Redis)
        with expiry_held(), collector_paused():
            yield state
    except LoadingInterrupted:
        interrupted = True
        raise
    finally:  # (a load that failed, e.g. on a damaged file, leaves a server that serves on)
        server.loading = None
        state.finish(interrupted)


def collector_paused():
    """The cycle collector paused for a load, which a SHUTDOWN may cut short."""
    return paused_for_load((LoadingInterrupted,))


def debug_delay(usec: int) -> None:
    """Redis's debugDelay: sleep `usec` microseconds, or with a negative -N, 1 us one time in
    N (key-load-delay, rdb-key-save-delay)."""
    if usec < 0:
        usec = 1 if random.randrange(-usec) == 0 else 0
    if usec:
        time.sleep(usec / 1e6)
