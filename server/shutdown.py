"""Shutting down as Redis does. SHUTDOWN and signals first end a BGSAVE child and save when
asked (`Shutdown.prepare`); a failed save keeps the server serving unless forced.

SIGTERM and SIGINT only mark a shutdown as wanted (Redis's shutdown_asap); the server cron
carries it out (`Shutdown.carry_out`), saving as `shutdown-on-sigterm` / `shutdown-on-sigint`
say. Until then SHUTDOWN ABORT cancels it (and DEBUG PAUSE-CRON holds it back). A SIGINT while
one is already wanted is an operator insisting: the process leaves at once with status 1,
removing the temporary file of a snapshot it may be writing (the cron's save blocks the event
loop, so this runs from the signal handler itself). During a load the signal ends the load
instead (server/loading.py).

The handlers are plain `signal.signal` ones, not the event loop's: they must run while the loop
is held by a save or a load. They only set state; log lines are left to the loop.
"""

import os
import signal

from ops.snapshot import remove_quietly, temp_snapshot_path


class Shutdown:
    def __init__(self, server):
        self.server = server
        # "SIGTERM" / "SIGINT" while a shutdown is wanted; it stays set while the cron saves,
        # so that a second SIGINT then counts as insisting
        self.pending = None

    def install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._received)

    def _received(self, signum, _frame) -> None:
        name = signal.Signals(signum).name
        server = self.server
        if self.pending is not None and name == "SIGINT":
            os.write(2, b"You insist... exiting now.\n")
            remove_quietly(temp_snapshot_path(server.config["dir"], os.getpid()))
            os._exit(1)  # an error status: this was not a clean shutdown
        self.pending = name
        if server.loading is not None:
            server.loading.signal = name
        if server.loop is not None and not server.loop.is_closed():
            server.loop.call_soon_threadsafe(self._log_received, name)

    def _log_received(self, name: str) -> None:
        event = ("shutdown_signal_during_loading" if self.server.loading is not None
                 else "shutdown_signal_received")
        self.server.log.warning(event, signal=name)

    def abort(self) -> bool:
        """SHUTDOWN ABORT: forget a wanted shutdown; False if none was."""
        if self.pending is None:
            return False
        self.pending = None
        self.server.log.warning("shutdown_aborted")
        return True

    def carry_out(self) -> bool:
        """The cron's part of a signal: `default` saves when save points are set, `save`
        always, `nosave` never; with `force` a failed save still exits (`now` changes nothing:
        there is no replica wait to skip). False if the server keeps serving."""
        config = self.server.config
        flags = config["shutdown-on-" + self.pending.lower()].split()
        save = "save" in flags or ("nosave" not in flags and bool(config["save"]))
        if not self.prepare(save, force="force" in flags):
            self.pending = None  # as Redis: serve on, until another signal
            return False
        self.server.request_shutdown()
        return True

    def prepare(self, save: bool, force: bool = False) -> bool:
        """Before leaving: end a BGSAVE child, then save if asked. False, with Redis's log
        lines, when the save failed and `force` was not given."""
        server = self.server
        server.persistence.kill_child()
        if save and not server.persistence.save():
            if not force:
                server.log.warning("shutdown_save_failed")
                server.log.warning("shutdown_failed")
                return False
            server.log.warning("shutdown_save_failed_exiting_anyway")
        return True


def forked_child() -> None:
    """In a forked child (BGSAVE, AOF rewrite): the default actions again, so a signal ends
    the child rather than marking a shutdown in its copy of the server."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)
