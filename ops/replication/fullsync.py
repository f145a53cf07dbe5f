"""A primary's full resyncs, made as Redis makes them: by a forked child, so the primary keeps
serving while the snapshot is written.

A replica that needs a full resync waits (INFO state=wait_bgsave) until no other child runs
and, with `repl-diskless-sync yes`, until `repl-diskless-sync-delay` seconds have passed since
the first one came or `repl-diskless-sync-max-replicas` are waiting, so one child serves them
all. The child writes the RDB into a pipe (with `rdb-key-save-delay` per key, as a BGSAVE's
child does); the parent forwards what it reads: to each replica as it comes, framed by
`$EOF:<mark>` (diskless), or whole with its `$<length>` once the child is done (disk-based:
the child writes dump.rdb, a BGSAVE that counts as one, and the parent sends the file; with
save points set it is finished even when every replica left, as Redis does). Each replica got its +FULLRESYNC when
the child started; the stream produced since then waits in its `pending` buffer and follows the
snapshot (state=wait_bgsave until then, online after). A replica that leaves is dropped from the
transfer; when none is left the child is killed.
"""

import os
import secrets
import signal
import time

from ops.proc_title import CHILD_TITLES
from ops.snapshot import (in_forked_child, remove_quietly, snapshot_path, temp_snapshot_path,
                          write_rdb, write_snapshot)

HELD_BACK = 8 << 20  # a replica's unsent RDB bytes past which the pipe is not read
WAIT_BGSAVE, ONLINE = "wait_bgsave", "online"  # INFO's words (Redis shows send_bulk only
#                                                   while it sends a file from disk)
CHUNK = 1 << 20


class FullSyncs:
    def __init__(self, source):
        self.source = source
        self.server = source.server
        self.waiting: list = []  # ReplicaStates waiting for a child (in arrival order)
        self.waiting_since = 0.0
        self.transfer = None  # the running one
        self.keepalive_sent = 0.0

    @property
    def child_pid(self) -> int:
        return self.transfer.pid if self.transfer is not None else 0

    def add(self, replica) -> None:
        """A replica that needs a full resync: it joins a disk-based transfer that runs for
        the same parts (it will get the same RDB, and the stream since its fork), else it
        waits for the next child."""
        replica.state = WAIT_BGSAVE
        transfer = self.transfer
        if transfer is not None and transfer.can_join(replica):
            transfer.join(replica)
            return
        if not self.waiting:
            self.waiting_since = time.monotonic()
        self.waiting.append(replica)
        self.start_if_due()

    def start_if_due(self) -> None:
        config, server = self.server.config, self.server
        if not self.waiting or self.transfer is not None or server.has_active_child():
            return
        if config["repl-diskless-sync"]:
            most = config["repl-diskless-sync-max-replicas"]
            waited = time.monotonic() - self.waiting_since
            if waited < config["repl-diskless-sync-delay"] and not (
                    most and len(self.waiting) >= most):
                return
        # replicas that want the same parts (REPLCONF rdb-filter-only) and framing share one
        # child; one that never said `capa eof` gets the RDB with its length (Redis's disk
        # target)
        first = self.waiting[0]
        diskless = bool(config["repl-diskless-sync"]) and first.client.replica_capa_eof
        excludes = first.client.rdb_excludes
        batch = [r for r in self.waiting if r.client.rdb_excludes == excludes
                 and (r.client.replica_capa_eof or not diskless)]
        self.waiting = [r for r in self.waiting if r not in batch]
        self.waiting_since = time.monotonic()
        self.transfer = Transfer(self, batch, excludes, diskless)

    def drop(self, replica) -> None:
        """A replica left (its connection closed)."""
        if replica in self.waiting:
            self.waiting.remove(replica)
        elif self.transfer is not None:
            self.transfer.drop(replica)

    def cron(self) -> None:
        """Start a child when it is due; newlines to replicas still waiting for one (Redis's
        keep-alive: they would time out otherwise)."""
        self.start_if_due()
        now = time.monotonic()
        if self.waiting and now - self.keepalive_sent >= 1:  # (Redis's: once a second)
            self.keepalive_sent = now
            for replica in self.waiting:
                replica.client.conn.send_raw(b"\n")
        if self.transfer is not None:
            self.transfer.check_timeouts()

    def stop(self) -> None:
        """Shutdown, or this server becomes a replica: no transfer survives it."""
        if self.transfer is not None:
            self.transfer.abort()

    def finished(self) -> None:
        self.transfer = None
        self.start_if_due()  # (replicas that came during the transfer)


class Transfer:
    """One child writing one RDB for a batch of replicas."""

    def __init__(self, syncs: FullSyncs, replicas: list, excludes, diskless: bool):
        self.syncs, self.replicas, self.diskless = syncs, list(replicas), diskless
        self.server = server = syncs.server
        source = syncs.source
        if not source.active:  # the backlog again, under a new history
            source.active = True
            source.replid = secrets.token_hex(20)
            source.backlog_start = source.offset + 1
        # disk-based with the whole data set: the child writes dump.rdb, as a BGSAVE (and the
        # pipe only tells the parent it is done); otherwise the RDB comes through the pipe
        self.to_file = None if diskless or excludes else snapshot_path(server.config)
        self.started, self.dirty_at_fork = time.monotonic(), server.keyspace.dirty
        read_end, write_end = os.pipe()
        self.pid, reporter = server.children.fork(
            "rdb", CHILD_TITLES["bgsave" if self.to_file else "fullsync"])  # (Redis's titles)
        if self.pid == 0:  # the child: the RDB, then leave
            status = 1
            try:
                in_forked_child(server)
                os.close(read_end)
                with os.fdopen(write_end, "wb", buffering=CHUNK) as handle:
                    if self.to_file is not None:
                        write_snapshot(server, self.to_file, version=10, reporter=reporter)
                    else:  # (RDB 10: redis-server 7.0 replicas load it too)
                        write_rdb(server, handle, version=10,
                                  key_delay=server.config["rdb-key-save-delay"],
                                  excludes=excludes, reporter=reporter)
                reporter.finish()
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)
        os.set_blocking(read_end, False)
        self.pipe = read_end
        self.mark = secrets.token_hex(20).encode()
        self.collected = bytearray()  # disk-based: the whole RDB before it is sent
        self.paused = False  # the pipe is not read until the replicas catch up
        self.excludes = excludes
        self.resync = b"+FULLRESYNC %s %d\r\n" % (source.replid.encode(), source.offset)
        for replica in self.replicas:
            self._begin(replica)
        source.selected = -1  # the replicas' stream needs a SELECT first
        server.loop.add_reader(read_end, self._readable)
        server.log.info("full_sync_started", replicas=len(self.replicas),
                        target="replicas sockets" if diskless else "disk")
        server.log.info("rdb_transfer_started" if diskless else "bgsave_started", pid=self.pid)

    def _begin(self, replica) -> None:
        replica.in_transfer = True
        replica.last_io, replica.unsent = time.monotonic(), 0
        conn = replica.client.conn
        if not replica.legacy:
            conn.send_raw(self.resync)
        if self.diskless:
            conn.send_raw(b"$EOF:" + self.mark + b"\r\n")

    def can_join(self, replica) -> bool:
        """Redis lets a replica share a running disk-based BGSAVE for replication (nothing of
        its RDB was sent yet) when it wants the same parts."""
        return (not self.diskless and self.pipe >= 0 and bool(self.replicas)
                and replica.client.rdb_excludes == self.excludes)

    def join(self, replica) -> None:
        replica.pending = bytearray(self.replicas[0].pending)  # the stream since the fork
        self.replicas.append(replica)
        self._begin(replica)

    def _readable(self) -> None:
        try:
            data = os.read(self.pipe, CHUNK)
        except BlockingIOError:
            return
        if data:
            if self.diskless:
                for replica in self.replicas:
                    replica.client.conn.send_raw(data)
                if self._unsent() > HELD_BACK:  # the slowest replica sets the pace (the child
                    self.server.loop.remove_reader(self.pipe)  # waits on the full pipe); the
                    self.paused = True                          # cron reads on once it drains
            else:
                self.collected += data
            return
        self._close(kill=False)
        ok = self._reap()
        if self.diskless:
            self.server.log.info("diskless_transfer_done", replicas=len(self.replicas))
        elif ok and self.to_file is not None:
            self.server.persistence.saved_in_background(self.started, self.dirty_at_fork)
            with open(self.to_file, "rb") as handle:
                self.collected = handle.read()
        for replica in self.replicas:
            if not ok:
                replica.client.kill(abort=True)
                continue
            conn = replica.client.conn
            conn.send_raw(self.mark if self.diskless
                          else b"$%d\r\n" % len(self.collected) + bytes(self.collected))
            replica.state, replica.in_transfer = ONLINE, False
            replica.last_ack = time.time()  # (its ACKs are due from now on)
            if self.diskless:
                replica.stream_on_ack = True  # (the stream follows its first ACK)
            else:
                replica.send_pending()
        self.syncs.finished()

    def drop(self, replica) -> None:
        if replica not in self.replicas:
            return
        self.replicas.remove(replica)
        if not self.replicas:
            if self.diskless:
                self.server.log.warning("diskless_transfer_last_replica_dropped")
            elif self.to_file is not None and self.server.config["save"]:
                return  # (a dump.rdb is still worth finishing where save points are set)
            self.abort()

    def _unsent(self) -> int:
        return max((r.client.conn.output_buffer_size() for r in self.replicas), default=0)

    def check_timeouts(self) -> None:
        """The cron's look: a replica whose unsent RDB bytes did not go down for repl-timeout
        seconds is dropped; the pipe is read again once the replicas have taken half of what
        held it back."""
        timeout = self.server.config["repl-timeout"]
        now = time.monotonic()
        for replica in list(self.replicas):
            unsent = replica.client.conn.output_buffer_size()
            if unsent == 0 or unsent < replica.unsent:
                replica.last_io = now
            elif now - replica.last_io > timeout:
                self.server.log.warning("replica_full_sync_timeout", replica=replica.name())
                replica.client.kill(abort=True)
            replica.unsent = unsent
        if self.paused and self.pipe >= 0 and self._unsent() < HELD_BACK // 2:
            self.paused = False
            self.server.loop.add_reader(self.pipe, self._readable)

    def abort(self) -> None:
        """Kill the child (no replica wants its RDB any more, or the server stops)."""
        pid = self.pid
        self._close(kill=True)
        self._reap()
        if self.to_file is not None:  # (its half-written temporary file goes too)
            remove_quietly(temp_snapshot_path(os.path.dirname(self.to_file) or ".", pid))
        replicas, self.replicas = self.replicas, []
        for replica in replicas:
            replica.client.kill(abort=True)
        self.syncs.finished()

    def _close(self, kill: bool) -> None:
        if self.pipe < 0:
            return
        if not self.paused:
            self.server.loop.remove_reader(self.pipe)
        os.close(self.pipe)
        self.pipe = -1
        if kill:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _reap(self) -> bool:
        if not self.pid:
            return False
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        self.server.children.child_done()
        return os.waitstatus_to_exitcode(status) == 0
