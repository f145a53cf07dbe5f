"""FAILOVER: a primary hands its role to one of its replicas without losing a write, as Redis's
coordinated failover does.

FAILOVER [TO host port [FORCE]] [TIMEOUT ms] pauses writes ("waiting-for-sync") until a replica
(the one named, or any) has acknowledged the whole stream. Then this server becomes that
replica's replica ("failover-in-progress") and sends it PSYNC <replid> <offset> FAILOVER: the
replica promotes itself and the partial resync continues the same history. When the target
accepts, the paused writes resume (refused now, as on any replica); when it refuses, or the
TIMEOUT passes without FORCE, or FAILOVER ABORT comes, this server is a primary again.
"""

import time

from server.errors import CommandError

from .roles import replicate_from, stop_replicating

NO_FAILOVER, WAITING, IN_PROGRESS = "no-failover", "waiting-for-sync", "failover-in-progress"


class Failover:
    def __init__(self, server):
        self.server = server
        self.state = NO_FAILOVER
        self.target = None  # (host, port) once chosen
        self.force = False
        self.deadline = None  # monotonic seconds, when a TIMEOUT was given

    @property
    def running(self) -> bool:
        """A failover is under way (writes paused; REPLICAOF and SYNC refused)."""
        return self.state != NO_FAILOVER

    @property
    def handing_over(self) -> bool:
        """This server follows the target now: its PSYNC asks it to take over."""
        return self.state == IN_PROGRESS

    @property
    def _target_text(self) -> str:
        return f"{self.target[0]}:{self.target[1]}" if self.target else "any replica"

    # -- FAILOVER -------------------------------------------------------------------------------
    def start(self, target, timeout_ms: int, force: bool) -> None:
        """FAILOVER's checks, in Redis's order, then the wait for a replica to catch up."""
        server = self.server
        if self.state != NO_FAILOVER:
            raise CommandError("ERR FAILOVER already in progress.")
        if server.master_link is not None:
            raise CommandError("ERR FAILOVER is not valid when server is a replica.")
        if server.replication is None or not server.replication.replicas:
            raise CommandError("ERR FAILOVER requires connected replicas.")
        if force and (not timeout_ms or target is None):
            raise CommandError("ERR FAILOVER with force option requires both a timeout and "
                               "target HOST and IP.")
        if target is not None:
            if self._replica_at(*target) is None:
                raise CommandError("ERR FAILOVER target HOST and PORT is not a replica.")
            self.target = target
            server.log.info("failover_requested", target=self._target_text)
        else:
            server.log.info("failover_requested_any")
        self.deadline = time.monotonic() + timeout_ms / 1000 if timeout_ms else None
        self.force = force
        self.state = WAITING
        server.pause.pause("write", float("inf"), purpose="failover")

    def abort(self, reason: str) -> None:
        """FAILOVER ABORT, a timeout, or a target that refused: a primary again."""
        if self.state == NO_FAILOVER:
            return
        self.server.log.info("failover_aborted", target=self._target_text, reason=reason)
        if self.state == IN_PROGRESS:
            stop_replicating(self.server)
        self._clear()

    def _clear(self) -> None:
        self.state, self.target, self.force, self.deadline = NO_FAILOVER, None, False, None
        self.server.pause.unpause("failover")

    # -- progress (the cron, each tick) -----------------------------------------------------------
    def cron(self) -> None:
        if self.state != WAITING:
            return
        if self.deadline is not None and time.monotonic() >= self.deadline:
            if self.force:
                self.server.log.info("failover_timeout_forced", target=self._target_text)
                self._hand_over()
            else:
                self.abort("Replica never caught up before timeout")
            return
        offset = self.server.replication.offset
        if self.target is not None:
            replica = self._replica_at(*self.target)
            caught_up = replica is not None and replica.ack_offset == offset
        else:
            replica = next((r for r in self.server.replication.replicas
                            if r.ack_offset == offset), None)
            caught_up = replica is not None
            if caught_up:
                self.target = (_announced_ip(replica), replica.listening_port)
        if caught_up:
            self.server.log.info("failover_target_synced", target=self._target_text)
            self._hand_over()

    def _hand_over(self) -> None:
        """Follow the target; the link's PSYNC carries FAILOVER while the state says so."""
        self.state = IN_PROGRESS
        replicate_from(self.server, *self.target)

    def psync_answered(self, accepted: bool) -> None:
        """The replica link's PSYNC got +CONTINUE / +FULLRESYNC, or an error."""
        if self.state != IN_PROGRESS:
            return
        if accepted:
            self._clear()
        else:
            self.abort("Failover target rejected psync request")

    def _replica_at(self, host: str, port: int):
        source = self.server.replication
        return next((r for r in (source.replicas if source is not None else ())
                     if _announced_ip(r) == host and r.listening_port == port), None)

    # -- the target's side: PSYNC ... FAILOVER -------------------------------------------------
    def requested(self, replid: str, asked_by: str) -> None:
        """A primary (`asked_by`: its CLIENT LIST line) asks this replica to take over: it
        must be following that primary's history, and becomes a primary (its old id stays
        good for the partial resync)."""
        server = self.server
        server.log.warning("failover_request_received", replid=replid)
        if server.master_link is None:
            raise CommandError("ERR PSYNC FAILOVER can't be sent to a master.")
        if replid != server.replication_source().replid:
            raise CommandError("ERR PSYNC FAILOVER replid must match my replid.")
        stop_replicating(server)
        server.log.info("failover_master_mode", client=asked_by)


def _announced_ip(replica) -> str:
    """The address a replica is known by: its REPLCONF ip-address, else its peer's."""
    return replica.client.replica_ip or replica.client.addr.rsplit(":", 1)[0]
