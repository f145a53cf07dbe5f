"""Shutting down as Redis does. SHUTDOWN and signals first end a BGSAVE child and save when
asked (`Shutdown.prepare`); a failed save keeps the server serving unless forced.

SIGTERM and SIGINT only mark a shutdown as wanted (Redis's shutdown_asap); the server cron
carries it out (`Shutdown.cron`, then `begin`), saving as `shutdown-on-sigterm` / `shutdown-on-sigint`
say. Until then SHUTDOWN ABORT cancels it (and DEBUG PAUSE-CRON holds it back). A SIGINT while
one is already wanted is an operator insisting: the process leaves at once with status 1,
removing the temporary file of a snapshot it may be writing (the cron's save blocks the event
loop, so this runs from the signal handler itself). During a load the signal ends the load
instead (server/loading.py).

With replicas that have not acknowledged the whole replication stream, a shutdown (unless
SHUTDOWN NOW, or shutdown-timeout 0) first waits for them, as Redis 7 does: writes are paused,
the replicas are asked for their offsets (REPLCONF GETACK), and the cron finishes the shutdown
once they all caught up or shutdown-timeout seconds passed (INFO's shutdown_in_milliseconds);
SHUTDOWN clients stay blocked meanwhile, and get an error if the shutdown then fails or is
aborted.

The handlers are plain `signal.signal` ones, not the event loop's: they must run while the loop
is held by a save or a load. They only set state; log lines are left to the loop.
"""

import os
import signal
import time

from ops.snapshot import remove_quietly, temp_snapshot_path

from .replies import ErrorReply

FAILED = "ERR Errors trying to SHUTDOWN. Check logs."


class ShutdownWait:
    """A SHUTDOWN client blocked while its shutdown waits for replicas."""

    __slots__ = ("client", "future")

    def __init__(self, client, future):
        self.client, self.future = client, future


class Shutdown:
    def __init__(self, server):
        self.server = server
        # "SIGTERM" / "SIGINT" while a shutdown is wanted; it stays set while the cron saves,
        # so that a second SIGINT then counts as insisting
        self.pending = None
        self.deadline = None  # time.monotonic() a shutdown waits for its replicas until
        self.options = (False, False)  # (save, force) of the shutdown under way
        self.waiting: list = []  # ShutdownWaits

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

    @property
    def initiated(self) -> bool:
        """A shutdown waits for its replicas."""
        return self.deadline is not None

    def milliseconds_left(self) -> int:
        return int((self.deadline - time.monotonic()) * 1000)

    def abort(self) -> bool:
        """SHUTDOWN ABORT: forget a wanted shutdown, or end one that waits for its replicas;
        False if there is neither."""
        if self.initiated:
            self._cancel()
        elif self.pending is not None:
            self.pending = None
        else:
            return False
        self.server.log.warning("shutdown_aborted")
        return True

    def cron(self) -> bool:
        """The cron's part: a signal's shutdown begins (`shutdown-on-sigterm` / `-sigint`
        flags: `default` saves when save points are set, `save` always, `nosave` never, `now`
        does not wait for replicas, `force` exits even if the save fails); a waiting one ends
        once its replicas caught up or its time is out. True if the server stops."""
        if self.initiated:
            if time.monotonic() >= self.deadline or not self._lagging():
                return self._finish()
            return False
        if self.pending is None:
            return False
        config = self.server.config
        flags = config["shutdown-on-" + self.pending.lower()].split()
        save = "save" in flags or ("nosave" not in flags and bool(config["save"]))
        return self.begin(save, now="now" in flags, force="force" in flags) == "done"

    def begin(self, save: bool, now: bool = False, force: bool = False) -> str:
        """Redis's prepareForShutdown: 'done' (the server stops), 'failed' (the save failed:
        the server serves on) or 'waiting' (for replicas; also when a shutdown already
        waits)."""
        if self.initiated:
            return "waiting"
        server = self.server
        if server.loading is not None:  # a half-loaded dataset is never saved
            save = False
        self.options = (save, force)
        server.log.warning("shutdown_requested")
        if not now and server.config["shutdown-timeout"] and self._lagging():
            self.deadline = time.monotonic() + server.config["shutdown-timeout"]
            if server.pause.mode is None:
                server.replication.request_acks()
            server.pause.pause("write", float("inf"), purpose="shutdown")
            server.log.info("shutdown_waiting_for_replicas")
            return "waiting"
        return "done" if self._finish() else "failed"

    def block(self, client):
        """SHUTDOWN's client waits for the outcome: no reply if the server stops, an error if
        the shutdown fails or is aborted."""
        wait = ShutdownWait(client, self.server.loop.create_future())
        client.blocked = wait
        self.waiting.append(wait)
        return wait.future

    def forget(self, client) -> None:
        """The client disconnected."""
        self.waiting = [wait for wait in self.waiting if wait.client is not client]

    def _lagging(self) -> list:
        source = self.server.replication
        return source.lagging() if source is not None else []

    def _finish(self) -> bool:
        """Redis's finishShutdown: say which replicas lag, end a BGSAVE child, save if asked;
        a failed save (unless forced) cancels the shutdown."""
        server = self.server
        source = server.replication
        if source is not None and source.replicas:
            now = time.time()
            lagging = self._lagging()
            for replica, behind in lagging:
                server.log.warning("shutdown_replica_lagging", replica=replica.name(),
                                   behind=behind, state=replica.state,
                                   lag=int(now - replica.last_ack) if replica.acked else 0)
            server.log.info("shutdown_replicas_in_sync", replicas=len(source.replicas),
                            in_sync=len(source.replicas) - len(lagging))
        if not self.prepare(*self.options):
            self._cancel()
            return False
        server.request_shutdown()
        return True

    def _cancel(self) -> None:
        """Redis's cancelShutdown: serve on; blocked SHUTDOWN clients get an error."""
        self.pending = self.deadline = None
        waiting, self.waiting = self.waiting, []
        for wait in waiting:
            if wait.client.blocked is wait:
                wait.client.blocked = None
            if not wait.future.done():
                wait.future.set_result(ErrorReply(FAILED))
        self.server.pause.unpause("shutdown")

    def prepare(self, save: bool, force: bool = False) -> bool:
        """Before leaving: end a BGSAVE child, then save if asked. False, with Redis's log
        lines, when the save failed or the AOF's first base is still being written, and
        `force` was not given (forced, the base is written before the AOF closes)."""
        server = self.server
        server.persistence.kill_child()
        server.debug_sessions.kill_all()
        aof = server.aof
        if aof is not None and aof.child is not None and aof.waiting_base is not None:
            # the AOF was just turned on and its first base is still being written: without
            # it the AOF holds no dataset (Redis's AOF_WAIT_REWRITE)
            if not force:
                server.log.warning("shutdown_initial_aof_unwritten")
                server.log.warning("shutdown_failed")
                return False
            server.log.warning("shutdown_initial_aof_exiting_anyway")
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
