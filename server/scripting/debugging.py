"""Running an EVAL under the Lua debugger, for a client that sent SCRIPT DEBUG.

SCRIPT DEBUG SYNC: the script runs here, and the whole server waits on the debugging client
(its changes stay). SCRIPT DEBUG YES: the server forks; the child runs the script against its
copy of the data and talks to the client, the parent drops its side of the connection and goes
on serving, so the session's changes vanish with the child (redis-cli --ldb's default mode).
Either way the client is disconnected after the EVAL's reply, as Redis does.
"""

import os
import signal

from ..errors import CommandError
from ..protocol.ldb_wire import BlockingChannel
from ..protocol.writer import encode
from ..replies import NO_REPLY, ErrorReply
from .debugger import DebugSession

SYNC, FORKED = "sync", "forked"


def debug_eval(client, source: bytes, run):
    """The reply of EVAL `source` for a debugging client; `run()` runs the EVAL itself."""
    server = client.server
    if client.fd < 0 or client.conn is None:
        raise CommandError("ERR the Lua debugger needs a client connected over a socket")
    if client.conn.transport.get_extra_info("ssl_object") is not None:
        raise CommandError("ERR the Lua debugger is not available over TLS connections")
    mode, client.lua_debug = client.lua_debug, None
    if mode == FORKED:
        return _fork(client, source, run)
    server.log.warning("ldb_sync_session_started")
    reply = _session(client, source, run)
    server.log.warning("ldb_sync_session_ended")
    client.close_after_reply = True
    return reply


def _session(client, source: bytes, run):
    server = client.server
    engine = server.lua()
    client.conn.flush()  # what was answered before the EVAL goes first
    session = DebugSession(engine, BlockingChannel(client.fd), source,
                           server.config["busy-reply-threshold"])
    engine.debugger = session
    try:
        reply = run()
    except CommandError as exc:
        reply = ErrorReply(exc.message)
    finally:
        engine.debugger = None
    session.end()
    return reply


def _fork(client, source: bytes, run):
    server = client.server
    client.conn.flush()  # what was answered before the EVAL goes first
    try:
        pid, _ = server.children.fork("ldb")
    except OSError as exc:
        raise CommandError("ERR Fork() failed: can't run EVAL in debugging mode: "
                           f"{exc.strerror}") from None
    if pid:
        server.debug_sessions.add(pid)
        client.kill()  # the child answers the client from now on
        return NO_REPLY
    status = 1
    try:
        for sig in (signal.SIGTERM, signal.SIGINT):  # the parent's to handle, as in Redis
            signal.signal(sig, signal.SIG_IGN)
        _silence_everything_else(server)
        server.log.warning("ldb_forked")
        reply = _session(client, source, run)
        BlockingChannel(client.fd).write(encode(reply, client.resp3))
        server.log.warning("ldb_child_exiting")
        status = 0
    finally:
        os._exit(status)


class _NoOutput:
    """A transport for the child's copies of the connections: what the session's commands
    would send to other clients, replicas or monitors (keyspace events, invalidations) must
    not reach the parent's sockets."""

    def write(self, data) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def _silence_everything_else(server) -> None:
    for other in server.clients:
        if other.conn is not None:
            other.conn.transport = _NoOutput()
    server.propagation = None  # no AOF write, no replication feed from the child


class ForkedSessions:
    """The children of SCRIPT DEBUG YES sessions: reaped by the cron, killed at shutdown."""

    def __init__(self, server):
        self.server = server
        self.children: set = set()

    def add(self, pid: int) -> None:
        self.children.add(pid)

    def reap(self) -> None:
        for pid in list(self.children):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                self.children.discard(pid)

    def kill_all(self) -> None:
        for pid in self.children:
            self.server.log.warning("ldb_session_killed", pid=pid)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.children.clear()
