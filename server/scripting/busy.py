"""A script that runs past `busy-reply-threshold`, as Redis handles one: the server keeps
answering, with BUSY for everything but the allow_busy commands, and SCRIPT KILL / FUNCTION
KILL / SHUTDOWN NOSAVE can end it.

Scripts run on the event loop (that is what makes them atomic), so while one runs the loop
reads no socket. The Lua count hook calls `ScriptRun.interrupt` every `HOOK_INSTRUCTIONS`
instructions; past the threshold it serves the other clients itself (server.busy_io, Redis's
processEventsWhileBlocked) and tells the hook whether to raise the kill error.
"""

import time

from ..errors import CommandError
from ..propagation import TO_ALL
from ..replies import OK

HOOK_INSTRUCTIONS = 100_000  # Redis's count hook interval

BUSY_EVAL = ("BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
             "SHUTDOWN NOSAVE.")
BUSY_FUNCTION = ("BUSY Redis is busy running a script. You can only call FUNCTION KILL or "
                 "SHUTDOWN NOSAVE.")
NOT_BUSY = "NOTBUSY No scripts in execution right now."
UNKILLABLE_WROTE = (
    "UNKILLABLE Sorry the script already executed write commands against the dataset. You can "
    "either wait the script termination or kill the server in a hard way using the SHUTDOWN "
    "NOSAVE command.")
UNKILLABLE_FROM_PRIMARY = ("UNKILLABLE The busy script was sent by a master instance in the "
                           "context of replication and cannot be killed.")


class ScriptRun:
    """One EVAL/FCALL in execution: when it started, whether it wrote, whether it was killed."""

    def __init__(self, server, client, name: str, is_eval: bool):
        self.server = server
        self.client = client
        self.name = name  # the sha, or the function's name
        self.command = client.last_args or []
        self.is_eval = is_eval
        self.started = time.monotonic()
        self.wrote = False  # a write command ran: Redis refuses to kill it from then on
        self.repl = TO_ALL  # where its writes propagate (redis.set_repl)
        self.killed = False
        self.timed_out = False
        self.io = None  # server.busy_io.WhileBusy once timed out
        self.keys = ()  # the keys the script declared (CLIENT TRACKING remembers them)
        self.oom = False  # over maxmemory when it started, without allow-oom (set by the engine)

    @property
    def busy_error(self) -> str:
        return BUSY_EVAL if self.is_eval else BUSY_FUNCTION

    def duration_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)

    # -- the Lua hook --------------------------------------------------------------------
    def interrupt(self) -> bool:
        """Called by the count hook; True makes the hook raise the kill error."""
        if not self.timed_out:
            if time.monotonic() - self.started < self.server.config["busy-reply-threshold"] / 1000:
                return False
            self._time_out()
        try:
            self.io.serve()
        except Exception as exc:  # a fault here must not surface as a script error
            self.server.log.error("busy_script_serving_failed", error=repr(exc))
        return self.killed

    def _time_out(self) -> None:
        from ..busy_io import WhileBusy

        self.timed_out = True
        self.server.busy_script = self
        self.server.log.warning("slow_script", elapsed_ms=self.duration_ms(), script=self.name,
                                kill="SCRIPT KILL" if self.is_eval else "FUNCTION KILL")
        self.io = WhileBusy(self.server, protected=self.client)

    def finish(self) -> None:
        """The script returned (or was killed): the clients go back to the event loop."""
        if self.timed_out:
            self.server.busy_script = None
            self.io.close()
            if self.server.shutdown_event is not None and self.server.shutdown_event.is_set():
                self.client.kill()  # SHUTDOWN NOSAVE: the caller gets no reply, as in Redis

    # -- commands served while busy -------------------------------------------------------
    def kill(self, is_eval: bool):
        """SCRIPT KILL (is_eval) or FUNCTION KILL."""
        if self.client.is_primary:
            raise CommandError(UNKILLABLE_FROM_PRIMARY)
        if self.wrote:
            raise CommandError(UNKILLABLE_WROTE)
        if is_eval != self.is_eval:
            raise CommandError(self.busy_error)
        self.killed = True
        return OK

    def stop_for_shutdown(self) -> None:
        """SHUTDOWN NOSAVE ends the script whatever it wrote."""
        self.killed = True


def kill_running(server, is_eval: bool):
    run = server.busy_script
    if run is None:
        raise CommandError(NOT_BUSY)
    return run.kill(is_eval)
