"""How far the server's writes have got: WAIT (replicas that processed them) and WAITAOF
(the local append-only file and the replicas' ones that fsynced them).

Writes are counted in the replication offset (Redis's master_repl_offset): the bytes of the
stream once a replica ever attached (ops/replication/primary.py), the primary's processed
offset on a replica, and before any replica one step per propagated change, which Redis counts
while the AOF is on so that WAITAOF has something to wait for. A client's own last write is
`client.woff`, the offset right after its latest command that propagated anything: WAIT and
WAITAOF wait for that, not for other clients' writes.

The local AOF's fsynced offset is the offset its last fsync covered (everything when nothing
written awaits an fsync); -1 while there is no AOF, or while the first rewrite of one just
turned on has not written its base. Replicas report theirs with REPLCONF ACK <offset> FACK
<aof offset>.
"""

from .replies import ErrorReply

NO_LOCAL_AOF = ("ERR WAITAOF cannot be used when numlocal is set but appendonly is "
                "disabled.")


class AckWait:
    """A client blocked in WAIT (`aof` False) or WAITAOF until its last write is acknowledged
    `replicas` times (and fsynced locally when `local`)."""

    __slots__ = ("client", "target", "local", "replicas", "aof", "future", "timer")

    def __init__(self, client, target, local, replicas, aof, future):
        self.client, self.target, self.local, self.replicas = client, target, local, replicas
        self.aof, self.future, self.timer = aof, future, None


class WriteAcks:
    def __init__(self, server):
        self.server = server
        self.counted = 0  # changes propagated (the offset while no replication stream exists)
        self.waiting: list = []  # AckWaits, in the order they blocked

    # -- offsets -------------------------------------------------------------------------------
    def offset(self) -> int:
        """The replication offset the next write would follow."""
        server = self.server
        if server.master_link is not None:
            return max(server.master_link.offset, 0)
        if server.replication is not None:
            return server.replication.offset
        return self.counted

    def promoted(self, offset: int) -> None:
        """A replica became a primary at `offset`: its writes count on from there."""
        self.counted = max(self.counted, offset)

    def local_fsynced(self) -> int:
        aof = self.server.aof
        if aof is None or aof.waiting_base is not None:
            return -1
        if not aof.pending and not aof.unsynced:
            return self.offset()  # nothing written awaits an fsync
        return aof.fsynced_offset

    def _counts(self, wait_target: int, aof: bool) -> tuple:
        """(1 if the local AOF fsynced past the target, replicas that acknowledged it)."""
        source = self.server.replication
        replicas = 0 if source is None else source.acknowledged(wait_target, aof)
        return int(aof and self.local_fsynced() >= wait_target), replicas

    # -- WAIT and WAITAOF ----------------------------------------------------------------------
    def wait(self, client, local: int, replicas: int, timeout_ms: int, aof: bool):
        """The reply now (enough acknowledgements, or a client that may not block), else a
        future resolved with it when they come, or at the timeout (0: never)."""
        if aof and local and self.server.aof is None:
            return ErrorReply(NO_LOCAL_AOF)
        target = client.woff
        counts = self._counts(target, aof)
        if (counts[0] >= local and counts[1] >= replicas) or client.deny_blocking:
            return _reply(counts, aof)
        loop = self.server.loop
        wait = AckWait(client, target, local, replicas, aof, loop.create_future())
        self.waiting.append(wait)
        client.blocked = wait
        if timeout_ms:
            wait.timer = loop.call_later(timeout_ms / 1000, self._time_out, wait)
        if self.server.replication is not None:
            self.server.replication.request_acks()
        return wait.future

    def timeout_reply(self, wait):
        return _reply(self._counts(wait.target, wait.aof), wait.aof)

    def _time_out(self, wait) -> None:
        wait.timer = None
        self.finish(wait, self.timeout_reply(wait))

    def changed(self) -> None:
        """Acknowledgements moved (a replica's ACK, a local fsync, the AOF turned off):
        answer every wait they satisfy."""
        if not self.waiting:
            return
        for wait in list(self.waiting):
            if wait.aof and wait.local and self.server.aof is None:
                self.finish(wait, ErrorReply(NO_LOCAL_AOF))
                continue
            counts = self._counts(wait.target, wait.aof)
            if counts[0] >= wait.local and counts[1] >= wait.replicas:
                self.finish(wait, _reply(counts, wait.aof))

    def finish(self, wait, reply) -> None:
        """End a wait with `reply` (its counts, CLIENT UNBLOCK's error, the timeout's)."""
        if wait in self.waiting:
            self.waiting.remove(wait)
        if wait.timer is not None:
            wait.timer.cancel()
        if wait.client.blocked is wait:
            wait.client.blocked = None
        if not wait.future.done():
            wait.future.set_result(reply)

    def unblock(self, client, reply=None) -> bool:
        """End `client`'s WAIT/WAITAOF with `reply` (None: the counts now, as at its timeout);
        False if it is not in one."""
        wait = client.blocked
        if not isinstance(wait, AckWait):
            return False
        self.finish(wait, self.timeout_reply(wait) if reply is None else reply)
        return True

    def forget(self, client) -> None:
        """The client disconnected: drop its wait without replying."""
        if isinstance(client.blocked, AckWait):
            self.finish(client.blocked, None)


def _reply(counts: tuple, aof: bool):
    return list(counts) if aof else counts[1]
