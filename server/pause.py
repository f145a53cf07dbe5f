"""CLIENT PAUSE / UNPAUSE: hold commands from every client until a deadline or UNPAUSE.

While a pause is active the dispatcher consults `server.gate`; a held command returns a
`Deferred` and runs, in arrival order, when the pause ends. WRITE mode holds only commands that
may change data (write / may_replicate flags), as Redis does.
"""

import time

from .protocol.connection import Deferred

# Commands never held in WRITE mode even though flagged (they are reads or control).
_WRITE_FLAGS = frozenset({"write", "may_replicate"})


class PauseGate:
    def __init__(self, server):
        self.server = server
        self.mode = None  # None | "write" | "all"
        self.until = 0.0
        self.held: list = []  # (future, client, args)

    def pause(self, mode: str, millis: int) -> None:
        until = time.monotonic() + millis / 1000
        # A later pause never shortens or weakens an earlier one (Redis keeps the stronger).
        if self.mode == "all" and mode == "write":
            mode = "all"
        self.mode = mode
        self.until = max(self.until, until) if self.mode else until
        self.server.gate = self._hold

    def unpause(self) -> None:
        self.mode = None
        self.until = 0.0
        self.server.gate = None
        held, self.held = self.held, []
        from .dispatch import dispatch

        for future, client, args in held:
            if not future.done() and not client.conn.closed:
                future.set_result(dispatch(client, args))

    def check_deadline(self) -> None:
        if self.mode is not None and time.monotonic() >= self.until:
            self.unpause()

    def forget(self, client) -> None:
        self.held = [entry for entry in self.held if entry[1] is not client]

    def _hold(self, client, spec, args):
        if self.mode == "write" and not (spec.flags & _WRITE_FLAGS):
            return None
        future = self.server.loop.create_future()
        self.held.append((future, client, args))
        return Deferred(future)
