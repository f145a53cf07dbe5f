"""Per-connection client state: the 'session' a Connection executes commands through."""

import functools
import socket
import time

from .dispatch import dispatch, execute_batch
from .listen import is_loopback


class Client:
    """A connected client. `execute` is what the protocol layer calls for each command."""

    def __init__(self, server, connection, client_id: int):
        self.server = server
        self.conn = connection
        self.id = client_id
        self.db = server.keyspace[0]
        self.resp3 = False
        self.authenticated = not server.auth_required()
        self.user = "default"
        self.acl_user = server.acl.users["default"]  # whose permissions the commands run with
        self.name = ""
        self.lib_name = ""
        self.lib_ver = ""
        self.created = time.time()
        self.last_interaction = self.created
        self.last_command = None  # CommandSpec of the latest command (CLIENT LIST cmd=)
        self.last_args = None  # its arguments (a blocked command is propagated when served)
        self.is_primary = False  # the link a replica reads its primary's stream from
        self.replica = None  # ops.replication.primary.ReplicaState once it sent PSYNC
        self.replica_port = 0  # REPLCONF listening-port
        self.replica_ip = ""  # REPLCONF ip-address
        self.rdb_excludes = set()  # REPLCONF rdb-filter-only: "data", "functions" left out
        self.replica_capa_eof = False  # REPLCONF capa eof: it reads an RDB sent diskless
        self.reply_mode = "on"  # on | off | skip_next | skip (CLIENT REPLY)
        self.close_after_reply = False
        self.no_evict = False
        self.memory = 0  # its memory as the registry last measured it (clients.client_memory)
        self.memory_as_replica = False  # ... and whether it counted it as a replica's
        self.no_touch = False
        self.monitor = False
        self.multi = None  # commands queued since MULTI (None: not in a transaction)
        self.multi_memory = 0  # their arguments' bytes, as client_memory counts them
        # (queued commands, EXEC's arguments) while EXEC runs them: Redis's client is still
        # in MULTI then, for CLIENT LIST (flags x, multi=, cmd=exec, EXEC's argv-mem)
        self.exec_state = None
        self.multi_failed = False  # a queue-time error: EXEC answers EXECABORT
        self.in_exec = False
        self.deny_blocking = 0  # > 0 inside EXEC or a script: blocking commands do not block
        self.in_script = False  # running a script's redis.call
        self.lua_debug = None  # SCRIPT DEBUG: "sync" or "forked" for its next EVAL
        self.watched: dict = {}  # (db index, key) -> watch.ALIVE, ABSENT or STALE
        self.watch_dirty = False
        self.subscriptions: dict = {}  # channel -> None (pub/sub), in subscription order
        self.psubscriptions: dict = {}
        self.ssubscriptions: dict = {}
        self.soft_limit_since = None  # when output first passed the pubsub soft limit
        # Any subscription at all: read by the dispatcher for every command, so kept as a
        # plain attribute by PubSub rather than computed from the three dicts each time.
        self.subscribed = False
        self.flags = set()
        self.blocked = None  # what the client waits on, for CLIENT LIST / UNBLOCK
        self.woff = 0  # the replication offset after its last write (server/write_acks.py)
        self.tracking = None  # server.tracking.TrackingOptions while CLIENT TRACKING is on
        transport = connection.transport if connection is not None else None  # None: internal
        peer = transport.get_extra_info("peername") if transport else None
        sock = transport.get_extra_info("sockname") if transport else None
        socket_obj = transport.get_extra_info("socket") if transport else None
        # a Unix socket's clients are named by the socket's path, as Redis names them
        self.unix_socket = socket_obj is not None and socket_obj.family == socket.AF_UNIX
        if self.unix_socket:
            self.addr = self.laddr = server.config["unixsocket"] + ":0"
        else:
            self.addr = _format_addr(peer)
            self.laddr = _format_addr(sock)
        self.fd = socket_obj.fileno() if socket_obj is not None else -1
        # Redis's islocalClient: a Unix socket or loopback peer (and internal clients), for
        # enable-protected-configs / enable-debug-command "local"
        self.local = self.unix_socket or peer is None or is_loopback(self.addr)
        # The session interface used by server.protocol.connection: execute(args) -> reply.
        # A partial, not a method, to save a Python frame per command.
        self.execute = functools.partial(dispatch, self)
        self.execute_batch = functools.partial(execute_batch, self)

    def on_disconnect(self):
        self.server.clients.unregister(self)
        # the partials hold this client: without them (nothing runs commands for a client that
        # is gone) and the connection's link back (Connection.connection_lost), no cycle is
        # left and reference counting frees both
        self.execute = self.execute_batch = None

    def measure_memory(self):
        """Its memory counted again now (input piled up; maxmemory-clients is set)."""
        self.server.clients.measure(self)

    @property
    def obeys_unconditionally(self) -> bool:
        """Redis's mustObeyClient: the primary's link and the AOF loader (internal clients, id
        0) replay what was already accepted, so limits meant for users do not apply."""
        return self.is_primary or self.id == 0

    def log_event(self, event: str, **fields):
        self.server.log.warning(event, client_id=self.id, addr=self.addr, **fields)

    # -- helpers --------------------------------------------------------------------------
    @property
    def resp(self) -> int:
        return 3 if self.resp3 else 2

    def select(self, index: int) -> None:
        self.db = self.server.keyspace[index]

    def discard_transaction(self) -> None:
        """DISCARD, or an EXEC refused before it ran: leave MULTI and forget watched keys."""
        self.multi = None
        self.multi_failed = False
        self.server.watches.unwatch_all(self)

    def deliver(self, value, after_reply: bool = False) -> None:
        self.conn.deliver(value, after_reply)
        if self.server.limits.clients_evictable:  # output it did not ask for: counted now,
            self.server.clients.measure(self)  # so the next command can evict it (Redis)

    def kill(self, abort: bool = False) -> None:
        if self.conn is None:  # the primary's link, listed as a client while it is up
            if self.is_primary and self.server.master_link is not None:
                self.server.master_link.drop()
            return
        if abort:
            self.conn.abort()
        else:
            self.conn.close()


def _format_addr(addr) -> str:
    if not addr:
        return ""
    if isinstance(addr, str):
        return addr + ":0"
    host, port = addr[0], addr[1]
    return f"{host}:{port}"
