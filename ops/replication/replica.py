"""Predis as a replica (REPLICAOF host port): the link to the primary.

The handshake is Redis's: AUTH (masterauth/masteruser) if set, PING, REPLCONF listening-port,
REPLCONF capa eof capa psync2, then PSYNC with the last primary id and offset (`? -1` the first
time). +FULLRESYNC is followed by an RDB (`$<length>` or diskless `$EOF:<mark>`), loaded in
place of the current data; +CONTINUE resumes the stream where it stopped. The stream's
commands run through the dispatcher as the primary's client (no replies; it may write while
other clients get READONLY), the processed byte offset is reported with REPLCONF ACK every
second and on REPLCONF GETACK. A broken link reconnects with a growing delay and asks for a
partial resync first.
"""

import asyncio
import time
from collections import deque
from contextlib import contextmanager

from ops.commandstream import encode, parse_commands
from ops.snapshot import load_snapshot_bytes
from server.client import Client
from server.dispatch import dispatch
from server.keyspace import expiry_held
from server.protocol.connection import Deferred, shut_down_now
from server.loading import Loading, collector_paused


class ReplicationError(ConnectionError):
    pass


@contextmanager
def receiving(server, async_load: bool):
    """While the RDB of a full sync arrives, with `repl-diskless-load` swapdb (or on-empty-db
    and no keys), the replica is loading as Redis's is while it parses from the socket: the
    old data stays served (async_loading) when the primary continues the history the replica
    had, else clients get -LOADING (loading); either way it stays until the sync succeeds.
    With `disabled` (Redis writes the RDB to disk first) nothing changes until the load.
    Yields whether the load counts as diskless."""
    mode = server.config["repl-diskless-load"]
    if mode == "disabled" or (mode == "on-empty-db" and server.keyspace.total_keys()):
        yield False
        return
    if mode == "swapdb" and async_load:
        server.async_loading = True
        try:
            yield True
        finally:
            server.async_loading = False
        return
    server.loading = Loading(server, 0)
    try:
        with collector_paused():  # (the load inside joins this one: see server/loading.py)
            yield True
    finally:
        server.loading = None


class ReplicaLink:
    def __init__(self, server, host: str, port: int):
        self.server = server
        self.host, self.port = host, port
        # connect -> connecting -> handshake -> sync -> connected (ROLE's words)
        self.state = "connect"
        self.primary_id = "?"
        self.offset = -1  # bytes of the primary's stream processed (PSYNC asks for offset+1)
        self.unapplied = 0  # bytes read after those: INFO slave_read_repl_offset counts them
        self._pending = deque()  # the stream's (command, its bytes) not applied yet
        self._held = None  # the future of the command CLIENT PAUSE holds: the rest waits
        self.last_io = time.time()
        self.syncs = 0
        self.task = None
        self.stopped = False  # stop() was called: the task must not go on, even if the
        # cancellation was swallowed (Python 3.11's wait_for loses one that meets a result)
        self._writer = None
        self.client = self._primary_client()
        resume, server.resume_from = server.resume_from, None
        if resume is not None:  # the snapshot loaded at start said where this replica was
            self.primary_id, self.offset, db = resume
            self.client.select(db)

    def _primary_client(self):
        client = Client(self.server, None, 0)
        client.authenticated = True
        client.is_primary = True
        return client

    @property
    def link_up(self) -> bool:
        return self.state == "connected"

    def start(self) -> None:
        self.task = self.server.loop.create_task(self._run())

    def stop(self) -> None:
        self.stopped = True
        if self.task is not None:
            self.task.cancel()
            self.task = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    async def _run(self) -> None:
        delay = 0.2
        while not self.stopped:
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except TimeoutError:
                if self.state in ("connecting", "handshake"):  # Redis's replicationCron check
                    self.server.log.warning("replica_connect_timeout",
                                            primary=f"{self.host}:{self.port}")
                else:
                    self.server.log.warning("replica_link_lost", error="timeout",
                                            primary=f"{self.host}:{self.port}")
            except (OSError, EOFError, asyncio.IncompleteReadError, ValueError) as exc:
                self.server.log.warning("replica_link_lost", primary=f"{self.host}:{self.port}",
                                        error=str(exc) or type(exc).__name__)
            finally:
                if self._writer is not None:
                    self._writer.close()
                    self._writer = None
                self.state = "connect"
            if self.stopped:
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)  # (Redis tries again every second)

    async def _session(self) -> None:
        self.state = "connecting"
        timeout = self.server.config["repl-timeout"]
        tls = None
        if self.server.config["tls-replication"]:
            from ops.tls import client_context

            tls = client_context(self.server.config)
        source = self.server.config["bind-source-addr"]  # the address to connect from
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port, limit=1 << 30, ssl=tls,
                                    local_addr=(source, 0) if source else None), timeout)
        self._writer = writer
        self.state = "handshake"  # (ROLE's word from the connection to the PSYNC reply)
        config = self.server.config
        if config["masterauth"]:
            auth = [b"AUTH", config["masterauth"].encode()]
            if config["masteruser"]:
                auth.insert(1, config["masteruser"].encode())
            try:
                await self._expect(reader, writer, auth, b"+OK")
            except ReplicationError as exc:
                self.server.log.warning("replica_auth_failed", error=str(exc))
                raise
        await self._expect(reader, writer, [b"PING"], b"+PONG")
        await self._expect(reader, writer, [b"REPLCONF", b"listening-port",
                                            b"%d" % (self.server.tcp_port or 0)], b"+OK")
        await self._expect(reader, writer, [b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"],
                           b"+OK")
        psync = [b"PSYNC", self.primary_id.encode(), b"%d" % (self.offset + 1)]
        failover = self.server.failover
        if failover.handing_over:  # (ops/replication/failover.py)
            psync.append(b"FAILOVER")
        writer.write(encode(psync))
        line = b""
        while not line:  # newlines are the primary's keep-alives while it gets ready
            line = self._count_input(await asyncio.wait_for(reader.readline(), timeout)).strip()
        accepted = line.startswith((b"+FULLRESYNC", b"+CONTINUE"))
        # (a refusal ends this link from outside its task: the server is a primary again)
        self.server.loop.call_soon(failover.psync_answered, accepted)
        full_sync = line.startswith(b"+FULLRESYNC")
        if full_sync:
            _, primary_id, offset = line.split()
            self.state = "sync"
            await self._full_sync(reader, timeout, primary_id.decode())
            self.primary_id, self.offset = primary_id.decode(), int(offset)
        elif line.startswith(b"+CONTINUE"):
            parts = line.split()
            if len(parts) > 1:
                self.primary_id = parts[1].decode()
        else:
            raise ReplicationError(f"the primary refused PSYNC: {line.decode(errors='replace')}")
        # (a backlog of the primary's stream is kept from here, replicas or not, as Redis
        # keeps one: after a failover the others can continue from this server)
        self.server.replication_source().follow(self.primary_id, self.offset, full_sync)
        self.state = "connected"
        self.server.log.info("replica_link_up", primary=f"{self.host}:{self.port}",
                             offset=self.offset)
        self._list_primary_client(writer)
        self._ack(writer)  # (at once, as Redis's replica does: the primary sees it synced)
        acks = asyncio.get_running_loop().create_task(self._send_acks(writer))
        try:
            await self._stream(reader, timeout)
        finally:
            acks.cancel()
            # what the stream left unapplied (held by a pause) is dropped: the next PSYNC
            # asks for it again from the offset applied, as Redis's freed master client
            self.server.pause.forget(self.client)
            self._pending.clear()
            self._held, self.unapplied = None, 0
            if self.server.clients.by_id.get(self.client.id) is self.client:
                self.server.clients.unregister(self.client)

    def _list_primary_client(self, writer) -> None:
        """While the link is up its client is one of the server's, as Redis lists its master
        client: CLIENT LIST shows it (flags=M, the primary's address), connected_clients
        counts it, and CLIENT KILL of it drops the link (which comes back with PSYNC)."""
        clients, client = self.server.clients, self.client
        client.id = clients.next_id
        clients.next_id += 1
        client.created = client.last_interaction = time.time()
        peer, local = writer.get_extra_info("peername"), writer.get_extra_info("sockname")
        client.addr = f"{peer[0]}:{peer[1]}" if peer else ""
        client.laddr = f"{local[0]}:{local[1]}" if local else ""
        clients.register(client)

    def drop(self) -> None:
        """CLIENT KILL of the primary's client: close the connection; the link reconnects.
        The primary is told at once, as Redis's close(2) tells it: the transport's own close
        waits for the event loop, which a command running on (DEBUG SLEEP in the same EXEC)
        would hold up, and the primary would see the replica stay."""
        if self._writer is None:
            return
        shut_down_now(self._writer.get_extra_info("socket"))
        self._writer.close()

    async def _expect(self, reader, writer, command, wanted: bytes) -> None:
        writer.write(encode(command))
        line = self._count_input(await asyncio.wait_for(reader.readline(),
                                                        self.server.config["repl-timeout"]))
        if not line.startswith(wanted):
            raise ReplicationError(f"{command[0].decode()} answered "
                                   f"{line.strip().decode(errors='replace')}")

    async def _full_sync(self, reader, timeout, primary_id: str) -> None:
        line = b"\n"
        while line in (b"\n", b"\r\n"):  # the primary sends newlines while it prepares the RDB
            line = self._count_input(await asyncio.wait_for(reader.readline(), timeout))
        server = self.server
        with receiving(server, async_load=primary_id == self.primary_id) as diskless:
            if diskless:  # (Redis parses as the bytes come: its load starts now)
                server.log.info("replica_loading_rdb")
            try:
                if line.startswith(b"$EOF:"):
                    mark = line[5:45]
                    rdb = self._count_input(await reader.readuntil(mark))[:-len(mark)]
                elif line.startswith(b"$"):
                    rdb = self._count_input(await reader.readexactly(int(line[1:])))
                else:
                    raise ReplicationError(f"expected the RDB, got {line[:40]!r}")
            except asyncio.IncompleteReadError:
                if diskless:  # (Redis's words for a load cut short; the old data stays)
                    server.log.warning("rdb_load_failed", reason="Unexpected EOF reading RDB")
                raise
        if not diskless:
            server.log.info("replica_loading_rdb")
        server.keyspace.flushall()
        server.flush_functions()
        counts = load_snapshot_bytes(server, rdb)
        if server.aof is not None:  # the AOF starts over from the synced data, with a new base
            server.set_appendonly(False)  # (Redis's restartAOFAfterSYNC)
            server.set_appendonly(True)
        self.client = self._primary_client()  # the stream starts with its own SELECT
        self.syncs += 1
        server.log.info("replica_full_sync_done", bytes=len(rdb), **counts)

    async def _stream(self, reader, timeout) -> None:
        buffered = b""
        while True:
            data = await asyncio.wait_for(reader.read(1 << 16), timeout)
            if self.stopped:
                return  # (nothing more from a primary this server no longer follows)
            if not data:
                raise EOFError("the primary closed the connection")
            self._count_input(data)
            self.client.last_interaction = time.time()
            self.last_io = time.time()
            self.unapplied += len(data)
            buffered += data
            parsed, done = parse_commands(buffered, "the replication stream")
            start = 0
            for args, end in parsed:
                self._pending.append((args, buffered[start:end]))
                start = end
            buffered = buffered[done:]
            self._apply_pending()

    def _apply_pending(self) -> None:
        """Apply the stream's commands in order. One that CLIENT PAUSE holds holds the rest
        too (Redis pauses the primary's client as a whole): applying a SELECT meanwhile
        would run the held write in the wrong database."""
        pending = self._pending
        with expiry_held():  # the primary's commands find its keys as it left them: it
            while pending and self._held is None:  # expires them itself, and sends DELs
                args, raw = pending.popleft()
                if args[0].lower() == b"replconf" and len(args) > 1 and \
                        args[1].lower() == b"getack":
                    self._ack(self._writer)  # (before the GETACK itself counts, as Redis's)
                    self._applied(raw)
                    continue
                reply = dispatch(self.client, args)
                if type(reply) is Deferred:
                    self._held = reply.future
                    reply.future.add_done_callback(
                        lambda future, raw=raw: self._released(future, raw))
                    return
                self._applied(raw)

    def _released(self, future, raw: bytes) -> None:
        """The held command ran (the pause ended): the stream goes on."""
        if future is not self._held or self.stopped:
            return  # (from a stream that ended)
        self._held = None
        self._applied(raw)
        self._apply_pending()

    def _applied(self, raw: bytes) -> None:
        self.offset += len(raw)
        self.unapplied -= len(raw)
        self.server.replication.proxy(raw)  # (this server's replicas get the same bytes)

    def _count_input(self, data: bytes) -> bytes:
        """What the link read from the primary: INFO's replication input and reads."""
        limits = self.server.limits
        limits.net_repl_input_bytes += len(data)
        limits.reads += 1
        return data

    def _ack(self, writer) -> None:
        """REPLCONF ACK <offset processed>, plus FACK <offset fsynced> while the AOF is on."""
        if writer is not None:
            ack = [b"REPLCONF", b"ACK", b"%d" % self.offset]
            fsynced = self.server.acks.local_fsynced()
            if fsynced != -1:
                ack += [b"FACK", b"%d" % fsynced]
            writer.write(encode(ack))

    async def _send_acks(self, writer) -> None:
        while True:
            await asyncio.sleep(1)
            self._ack(writer)
