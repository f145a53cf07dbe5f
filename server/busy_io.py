"""Serving clients while a busy script or a load holds the event loop (Redis's
processEventsWhileBlocked; server/loading.py for loads).

The loop cannot run while a script runs inside one of its callbacks, so `WhileBusy.serve`,
called from the script's Lua hook, does the loop's work by hand: it polls the clients' sockets
and the listening sockets without waiting, reads what arrived and hands it to each client's
Connection exactly as the loop would (`data_received`), so commands go through the usual
dispatcher, which answers BUSY to all but the allow_busy ones. Replies go out through the
clients' own transports, in order with anything already queued there.

Connections accepted meanwhile get a `BusyTransport` over their socket; when the script ends
they are handed to the event loop (`connect_accepted_socket`) and keep their session.

Not served while busy: the script's own client (as in Redis), TLS clients (their bytes would
have to pass through the TLS layer the loop owns) and the TLS port: they wait for the script.
"""

import asyncio
import os
import select
import socket

READ_SIZE = 64 * 1024
# Re-list the clients to poll at most this often (new connections are added at once).
REFRESH_SECONDS = 0.05


class WhileBusy:
    def __init__(self, server, protected):
        self.server = server
        self.protected = protected  # the script's caller: not read until its reply is sent
        self.listeners = [_listening_copy(sock)
                          for srv in server.listen.plain + server.listen.unix
                          for sock in srv.sockets]
        self.accepted: list = []  # (socket, Connection) taken while busy
        self._poll = None
        self._connections: dict = {}  # fd -> Connection
        self._listed_at = 0.0

    # -- one round --------------------------------------------------------------------------
    def serve(self) -> None:
        now = self.server.loop.time()
        if self._poll is None or now - self._listed_at > REFRESH_SECONDS:
            self._list_sockets()
            self._listed_at = now
        for fd, _ in self._poll.poll(0):
            if fd in self._connections:
                self._read(fd)
            else:
                self._accept(fd)
        for sock, conn in self.accepted:
            if not conn.closed:
                conn.transport.send_pending()

    def _list_sockets(self) -> None:
        poll = select.poll()
        connections = {}
        for client in self.server.clients:
            conn = client.conn
            if (client is self.protected or conn is None or conn.closed
                    or conn.transport is None or conn.reading_paused
                    or conn.transport.get_extra_info("ssl_object") is not None):
                continue
            fd = client.fd if client.fd >= 0 else _fileno(conn.transport)
            if fd < 0:
                continue
            connections[fd] = conn
            poll.register(fd, select.POLLIN)
        for sock in self.listeners:
            poll.register(sock.fileno(), select.POLLIN)
        self._poll, self._connections = poll, connections

    def _read(self, fd: int) -> None:
        conn = self._connections[fd]
        if conn.closed or conn.reading_paused:
            return
        try:
            data = os.read(fd, READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # EOF or an error: the client is gone now, as Redis frees it at once (a
            self._poll.unregister(fd)  # replica that left no longer counts, for one)
            del self._connections[fd]
            conn.close()
            conn.connection_lost(None)  # (the loop's own call comes later and is ignored)
            return
        conn.data_received(data)

    def _accept(self, fd: int) -> None:
        listener = next(s for s in self.listeners if s.fileno() == fd)
        while True:
            try:
                sock, _ = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # out of descriptors and the like: the loop retries later
                self.server.log.warning("busy_accept_failed", error=str(exc))
                return
            sock.setblocking(False)
            if sock.family != socket.AF_UNIX:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = self.server.protocol_factory()
            conn.connection_made(BusyTransport(sock, conn, self.server.loop))
            self.accepted.append((sock, conn))
            if not conn.closed:
                self._connections[sock.fileno()] = conn
                self._poll.register(sock.fileno(), select.POLLIN)

    # -- the end of the script ---------------------------------------------------------------
    def close(self, hand_over: bool = True) -> None:
        """Done: connections accepted meanwhile go to the event loop (or, when the server is
        about to exit, are closed)."""
        for sock in self.listeners:
            sock.close()
        loop = self.server.loop
        for sock, conn in self.accepted:
            if conn.closed:
                continue
            if hand_over:
                asyncio.ensure_future(loop.connect_accepted_socket(lambda c=conn: c, sock))
            else:
                conn.transport.close()


class BusyTransport(asyncio.Transport):
    """The transport of a connection accepted while a script is busy, until the event loop
    adopts its socket: writes are sent at once, what the socket will not take yet is kept
    and sent on the next round (or handed to the loop's transport)."""

    def __init__(self, sock, protocol, loop):
        super().__init__({"socket": sock, "peername": _peer(sock), "sockname": sock.getsockname()})
        self._sock = sock
        self._protocol = protocol
        self._loop = loop
        self._pending = bytearray()
        self._closing = False

    def write(self, data) -> None:
        if self._closing:
            return
        self._pending += data
        self.send_pending()

    def send_pending(self) -> None:
        while self._pending:
            try:
                sent = self._sock.send(self._pending)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self._pending.clear()
                return
            del self._pending[:sent]

    def hand_over(self, transport) -> None:
        """The loop's own transport takes over: unsent bytes go first."""
        if self._pending:
            transport.write(bytes(self._pending))
            self._pending.clear()

    def get_write_buffer_size(self) -> int:
        return len(self._pending)

    def set_write_buffer_limits(self, high=None, low=None) -> None:
        pass  # a reply to a busy client is one error line; the loop's transport enforces them

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self.send_pending()
            self._sock.close()
            self._loop.call_soon(self._protocol.connection_lost, None)

    def abort(self) -> None:
        self._pending.clear()
        self.close()


def _listening_copy(transport_socket):
    """A socket object of our own on a listening descriptor the loop owns (a duplicate, so
    closing it leaves the loop's alone)."""
    sock = socket.socket(fileno=os.dup(transport_socket.fileno()))
    sock.setblocking(False)
    return sock


def _fileno(transport) -> int:
    sock = transport.get_extra_info("socket")
    return sock.fileno() if sock is not None else -1


def _peer(sock):
    try:
        return sock.getpeername()
    except OSError:
        return None
