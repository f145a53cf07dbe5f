"""CLIENT PAUSE / UNPAUSE: hold commands from every client until a deadline or UNPAUSE.

While a pause is active the dispatcher consults `server.gate`; a held command returns a
`Deferred` and runs, in arrival order, when the pause ends. WRITE mode holds only commands that
may change data (write / may_replicate flags), as Redis does.
"""

import time

from .command_table import MAY_WRITE_FLAGS
from .errors import CommandError
from .protocol.connection import Deferred


class PauseGate:
    def __init__(self, server):
        self.server = server
        # why clients are paused -> (mode, monotonic deadline): CLIENT PAUSE ("client"), a
        # shutdown waiting for its replicas ("shutdown"); the strongest applies, and ending
        # one (CLIENT UNPAUSE) leaves the others, as Redis's pause purposes do
        self.pauses: dict = {}
        self.mode = None  # None | "write" | "all": the strongest of them
        self.held: list = []  # (future, client, args)

    def pause(self, mode: str, millis: float, purpose: str = "client") -> None:
        until = time.monotonic() + millis / 1000
        earlier = self.pauses.get(purpose)
        if earlier is not None:  # a later pause never shortens or weakens an earlier one
            mode = "all" if "all" in (mode, earlier[0]) else mode
            until = max(until, earlier[1])
        self.pauses[purpose] = (mode, until)
        self._apply()

    def unpause(self, purpose: str = "client") -> None:
        self.pauses.pop(purpose, None)
        self._apply()

    def _apply(self) -> None:
        modes = {mode for mode, _ in self.pauses.values()}
        self.mode = "all" if "all" in modes else "write" if modes else None
        self.server.keyspace.stats.expire_paused = self.mode is not None  # nor are evicted
        if self.mode is not None:
            self.server.gate = self._hold
            return
        self.server.gate = None
        held, self.held = self.held, []
        if not held:
            return
        loop = self.server.loop
        if loop is not None and loop.is_running():
            # after the command that ended the pause, as Redis runs unpaused clients before
            # its next event loop turn: not inside that command (its propagation, its stats)
            loop.call_soon(self._run_held, held)
        else:
            self._run_held(held)

    @staticmethod
    def _run_held(held: list) -> None:
        from .dispatch import dispatch

        for future, client, args in held:  # (the primary's link has no connection)
            if not future.done() and (client.conn is None or not client.conn.closed):
                future.set_result(dispatch(client, args))

    def check_deadline(self) -> None:
        now = time.monotonic()
        ended = [purpose for purpose, (_, until) in self.pauses.items() if now >= until]
        for purpose in ended:
            del self.pauses[purpose]
        if ended:
            self._apply()

    def forget(self, client) -> None:
        self.held = [entry for entry in self.held if entry[1] is not client]

    def _hold(self, client, spec, args):
        if self.mode == "write" and not self._may_write(client, spec, args):
            return None
        future = self.server.loop.create_future()
        self.held.append((future, client, args))
        return Deferred(future)

    def _may_write(self, client, spec, args) -> bool:
        """What WRITE mode holds: write / may-replicate commands, an EXEC whose transaction
        has one, and scripts unless they declared no-writes (a shebang, a function flag)."""
        from .dispatch import _spec_of
        from .scripting.shebang import script_flags

        name = spec.name
        if name == "exec":
            return any(_spec_of(queued).flags & MAY_WRITE_FLAGS for queued in client.multi or ())
        if not spec.flags & MAY_WRITE_FLAGS:
            return False
        server = self.server
        if name == "eval":
            try:
                flags = script_flags(bytes(args[1]))[0]
            except CommandError:
                return True  # refused when it runs; holding it changes nothing
            return flags is None or "no-writes" not in flags
        if name == "evalsha":
            script = server.scripts.get(bytes(args[1]).decode("utf-8", "replace").lower())
            return script is None or script[1] is None or "no-writes" not in script[1]
        if name == "fcall":
            library = server.functions.get(bytes(args[1]).decode("utf-8", "replace").lower())
            return library is None or "no-writes" not in library.function(
                bytes(args[1]).decode("utf-8", "replace"))[2]
        return True
