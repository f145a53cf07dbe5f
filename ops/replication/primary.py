"""Predis as a primary: replicas connect with PSYNC (or SYNC) and receive an RDB of the data,
then every change as the commands that redo it (a propagation sink, server/propagation.py).

The stream is kept in a backlog of `repl-backlog-size` bytes, so a replica that reconnects
with the id and offset it had continues from there (+CONTINUE) instead of a full resync. The
replication id changes when this server stops being a replica (REPLICAOF NO ONE); the previous
id stays valid up to the offset where the change happened, as Redis's psync2. Replicas report
their offset with REPLCONF ACK (and their AOF's fsynced offset with FACK), which WAIT and
WAITAOF count (server/write_acks.py).
"""

import secrets
import time

from ops.commandstream import encode
from ops.replication.fullsync import ONLINE, FullSyncs
from server import output_limits
from server.dispatch import refuse_replica_keyspace_access
from server.replies import NO_REPLY
from server.propagation import TO_REPLICAS


class ReplicaState:
    """A connected replica, as the primary sees it."""

    def __init__(self, client, listening_port: int):
        self.client = client
        self.listening_port = listening_port
        self.ack_offset = 0
        self.aof_offset = 0  # FACK: the offset its AOF fsynced (Redis's repl_aof_off)
        self.last_ack = time.time()
        self.acked = False  # it sent an ACK: the snapshot is loaded and the stream flows
        self.legacy = False  # it came with SYNC: no +FULLRESYNC line, and it never ACKs
        self.state = ONLINE  # or WAIT_BGSAVE until its full resync's snapshot was sent
        self.in_transfer = False  # its snapshot is on its way: the stream waits in `pending`
        # a diskless snapshot ended by its EOF mark: the stream waits for the first ACK, as
        # Redis's (a reader that finds the mark by the last bytes it read misses it when the
        # stream follows in the same read: redis-cli --rdb waited forever)
        self.stream_on_ack = False
        self.pending = bytearray()
        self.last_io = 0.0  # (a full resync's: when its unsent output last went down,
        self.unsent = 0  # and how much there was at the cron's last look)

    def send_pending(self) -> None:
        """The stream held while its snapshot was on its way (or until its first ACK)."""
        if self.pending:
            self.client.conn.send_raw(bytes(self.pending))
            self.pending = bytearray()

    def name(self) -> str:
        """ip:listening-port, as Redis names a replica in its log."""
        return f"{self.client.addr.rsplit(':', 1)[0]}:{self.listening_port}"


class ReplicationSource:
    target = TO_REPLICAS  # what Propagation sends here (PUBLISH too, not the AOF's)

    def __init__(self, server):
        self.server = server
        link = server.master_link  # a replica's replicas follow its primary's history
        self.replid = link.primary_id if link is not None and link.primary_id != "?" \
            else server.run_id
        self.replid2, self.second_offset = "0" * 40, -1
        # bytes of stream produced (master_repl_offset), on from the changes the AOF counted
        # (on a replica: the primary's stream processed)
        self.offset = server.acks.offset()
        self.backlog = bytearray()
        self.backlog_start = self.offset + 1  # offset of the backlog's first byte
        self.replicas: list = []
        self.selected = -1
        self.last_ping = self.no_replicas_since = time.time()
        self.active = True  # the backlog is kept (repl-backlog-ttl frees it on a lone primary)
        self.syncs = FullSyncs(self)
        self.full_syncs = self.partial_ok = self.partial_err = 0  # INFO stats

    # -- the stream ----------------------------------------------------------------------------
    def feed(self, index: int, commands: list) -> None:
        if self.server.master_link is not None:
            return  # a replica's replicas get its primary's stream as it came (proxy)
        if not self.active and not self.replicas:
            return  # (no backlog to keep: the offset stays, as Redis's does)
        data = b"".join(map(encode, commands))
        if index != self.selected:
            data = encode([b"SELECT", b"%d" % index]) + data
            self.selected = index
        self._append(data)

    def inject(self, command: list) -> None:
        """DEBUG REPLICATE: a command into the stream as it is, without a SELECT (where
        feed() would send something)."""
        if self.server.master_link is None and (self.active or self.replicas):
            self._append(encode(command))

    def proxy(self, data: bytes) -> None:
        """On a replica: the bytes of the primary's stream it just processed, passed on as
        they came, as Redis does, so every replica down a chain shares its primary's id and
        offsets (and can continue from any other after a failover)."""
        self._append(data)

    def follow(self, replid: str, offset: int, full_sync: bool) -> None:
        """This server's link to its primary came up: after a full sync the history starts
        over at the primary's id and offset (the backlog is emptied, the replicas must sync
        again); a partial one under a new id (the primary was promoted) keeps the old id as
        the second one, and tells the replicas by dropping them, as Redis does."""
        if full_sync:
            self.replid, self.offset = replid, offset
            self.replid2, self.second_offset = "0" * 40, -1
            self.backlog.clear()
            self.backlog_start = offset + 1
        elif replid != self.replid:
            self.replid2, self.second_offset = self.replid, self.offset + 1
            self.replid = replid
        else:
            return
        self.selected = -1
        for replica in list(self.replicas):
            replica.client.kill()

    def _append(self, data: bytes) -> None:
        self.offset += len(data)
        self.backlog += data
        limit = self.server.config["repl-backlog-size"]
        if len(self.backlog) > limit:
            cut = len(self.backlog) - limit
            del self.backlog[:cut]
            self.backlog_start += cut
        for replica in self.replicas:
            if replica.state == ONLINE and not replica.stream_on_ack:
                replica.client.conn.send_raw(data)
            elif replica.in_transfer or replica.stream_on_ack:  # (one still waiting for a
                replica.pending += data   # child gets the stream from the offset it starts at)

    def buffer_memory(self) -> int:
        """Redis's mem_total_replication_buffers: the replicas and the backlog share one
        buffer, which holds the backlog and whatever the slowest replica has not been sent."""
        waiting = (replica.client.conn.output_buffer_size() for replica in self.replicas
                   if replica.client.conn is not None)
        return max(len(self.backlog), max(waiting, default=0))

    def cron(self) -> None:
        """PING the replicas every repl-ping-replica-period seconds (part of the stream); drop
        one whose last ACK is older than repl-timeout, as Redis does."""
        self.syncs.cron()
        now = time.time()
        for replica in self.replicas:
            if replica.state == ONLINE and not replica.legacy and now - replica.last_ack > \
                    self.server.config["repl-timeout"]:  # (SYNC's replicas never ACK)
                self.server.log.warning("replica_timed_out", replica=replica.name())
                replica.client.kill(abort=True)
        if self.server.master_link is not None:
            return  # (a replica passes its primary's PINGs on)
        if self.replicas and now - self.last_ping >= self.server.config["repl-ping-replica-period"] \
                and not self.server.failover.running:  # (offsets hold still for a failover)
            self.last_ping = now
            self._append(encode([b"PING"]))
        ttl = self.server.config["repl-backlog-ttl"]
        if not self.replicas and self.active and ttl and now - self.no_replicas_since > ttl:
            self._free_backlog(ttl)

    def _free_backlog(self, ttl: int) -> None:
        """A primary without replicas for repl-backlog-ttl seconds frees its backlog and
        starts a new history (no replica can continue the old one), as Redis does."""
        self.active = False
        self.replid, self.replid2, self.second_offset = secrets.token_hex(20), "0" * 40, -1
        self.backlog.clear()
        self.backlog_start = self.offset + 1
        self.server.log.info("replication_backlog_freed", seconds=ttl)

    # -- replicas ------------------------------------------------------------------------------
    def can_continue(self, replid: str, offset: int) -> bool:
        if not self.active:
            return False
        if replid == self.replid:
            pass
        elif replid == self.replid2 and offset <= self.second_offset:
            pass
        else:
            return False
        return self.backlog_start <= offset <= self.offset + 1

    def attach(self, client, replid: str, offset: int, listening_port: int,
               legacy: bool = False) -> None:
        """PSYNC: continue from the backlog when possible, else a full resync. `legacy` (the
        old SYNC command): always a full resync, the RDB sent without a +FULLRESYNC line."""
        conn = client.conn
        conn.replica_link = True  # what it is sent from now on counts as replication output
        full = False
        if not legacy and self.can_continue(replid, offset):
            self.partial_ok += 1
            conn.send_raw(b"+CONTINUE %s\r\n" % self.replid.encode())
            start = offset - self.backlog_start
            if start < len(self.backlog):
                conn.send_raw(bytes(self.backlog[start:]))
        else:
            full = True
            self.full_syncs += 1
            self.partial_err += replid != "?"
        _refuse_replies(client)
        state = ReplicaState(client, listening_port)
        state.ack_offset = offset - 1
        state.legacy = legacy
        client.replica = state
        self.replicas.append(state)
        if full:
            self.syncs.add(state)
        self.server.log.info("replica_attached", addr=client.addr, offset=self.offset)

    def acknowledge(self, replica, offset: int, aof_offset: int = None) -> None:
        """REPLCONF ACK <offset> [FACK <aof_offset>] from a replica."""
        if not replica.acked:  # from its first ACK on (the snapshot is loaded: what is
            replica.acked = True  # pending is stream) the replica class's limit holds
            output_limits.watch(self.server, replica.client)
        if replica.stream_on_ack:
            replica.stream_on_ack = False
            replica.send_pending()
        replica.ack_offset = max(replica.ack_offset, offset)
        if aof_offset is not None:
            replica.aof_offset = max(replica.aof_offset, aof_offset)
        replica.last_ack = time.time()
        self.server.acks.changed()

    def detach(self, client) -> None:
        if client.replica is not None:
            self.syncs.drop(client.replica)
        self.replicas = [r for r in self.replicas if r.client is not client]
        if not self.replicas:
            self.no_replicas_since = time.time()

    def acknowledged(self, offset: int, aof: bool = False) -> int:
        """How many replicas have processed the stream up to `offset` (`aof`: and fsynced it
        to their AOF; a replica counts once it acknowledged its sync)."""
        if aof:
            return sum(1 for replica in self.replicas
                       if replica.acked and replica.aof_offset >= offset)
        return sum(1 for replica in self.replicas if replica.ack_offset >= offset)

    def lagging(self) -> list:
        """(replica, bytes behind) for each replica that has not acknowledged the whole stream
        (a shutdown waits for them)."""
        return [(replica, self.offset - replica.ack_offset) for replica in self.replicas
                if replica.ack_offset < self.offset]

    def request_acks(self) -> None:
        """REPLCONF GETACK * (WAIT, WAITAOF): replicas answer with their offsets at once."""
        if self.replicas and self.server.master_link is None:
            self._append(encode([b"REPLCONF", b"GETACK", b"*"]))

    def new_history(self) -> None:
        """This server became a primary again (REPLICAOF NO ONE): a new id; the old one stays
        good for replicas that followed it up to here."""
        self.replid2, self.second_offset = self.replid, self.offset + 1
        self.replid = secrets.token_hex(20)
        self.selected = -1  # (the last SELECT its replicas got was the old primary's)
        for replica in list(self.replicas):  # they come back with PSYNC and learn the new id
            replica.client.kill()


def _refuse_replies(client) -> None:
    """Nothing but the replication stream goes down a replica's link: a command of the replica
    that makes a reply is logged and the replica dropped, as Redis does (its REPLCONF ACKs make
    none). The client's execute functions are swapped for this one connection only."""
    execute = client.execute

    def execute_as_replica(args):
        reply = refuse_replica_keyspace_access(client, args) or execute(args)
        if reply is NO_REPLY or client.conn is None or client.conn.closed:
            return NO_REPLY
        from server.commands.connection import client_line

        spec = client.last_command
        client.server.log.warning("replica_generated_reply", client=client_line(client),
                                  command=spec.fullname if spec is not None else "?")
        client.kill(abort=True)
        return NO_REPLY

    def execute_batch_as_replica(commands, start, replies):
        for index in range(start, len(commands)):
            replies.append(execute_as_replica(commands[index]))
            if client.conn.closed:
                return index + 1
        return len(commands)

    client.execute, client.execute_batch = execute_as_replica, execute_batch_as_replica
