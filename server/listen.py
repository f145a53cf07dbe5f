"""Where the server listens and who may connect: `bind` addresses (with redis.conf's `-`
optional prefix and `*` / `::*` wildcards), the listening sockets (and CONFIG SET port's
re-binding), the Unix domain socket (`unixsocket`), protected mode's loopback test and
refusal."""

import asyncio
import os
import socket


PROTECTED_MODE_DENIED = (
    b"-DENIED Redis is running in protected mode because protected mode is enabled and no "
    b"password is set for the default user. In this mode connections are only accepted from the "
    b"loopback interface. If you want to connect from external computers to Redis you may adopt "
    b"one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG "
    b"SET protected-mode no' from the loopback interface by connecting to Redis from the same "
    b"host the server is running, however MAKE SURE Redis is not publicly accessible from "
    b"internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively "
    b"you can just disable the protected mode by editing the Redis configuration file, and "
    b"setting the protected mode option to 'no', and then restarting the server. 3) If you "
    b"started the server manually just for testing, restart it with the '--protected-mode no' "
    b"option. 4) Set up an authentication password for the default user. NOTE: You only need to "
    b"do one of the above things in order for the server to start accepting connections from "
    b"the outside.\r\n")


def is_loopback(addr: str) -> bool:
    host = addr.rsplit(":", 1)[0].strip("[]")
    return host.startswith("127.") or host in ("::1", "localhost", "") or \
        host.startswith("::ffff:127.")


def bind_hosts(binds: list) -> list:
    hosts = []
    for item in binds:
        optional = item.startswith("-")
        host = item[1:] if optional else item
        if host == "*":
            host = "0.0.0.0"
        elif host == "::*":
            host = "::"
        hosts.append(("-" if optional else "") + host)
    return hosts


def bound_sockets(host: str, port: int, backlog: int, reuse_port: bool) -> list:
    """Listening sockets for every address `host` resolves to, bound now (so a busy port is
    an error here, not later in the event loop). `reuse_port` sets SO_REUSEPORT, which lets
    a second Predis run by the same user bind the same port: `predis upgrade`'s hand-over."""
    sockets = []
    try:
        for family, kind, proto, _, address in socket.getaddrinfo(
                host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # accepted ones inherit it
            sock.bind(address)
            sock.listen(backlog)
            sock.setblocking(False)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class UnixSocketError(Exception):
    """The Unix socket could not be opened; the text is anet's (after Redis's "Failed opening
    Unix socket: ")."""


def unix_socket(path: str, perm: int, backlog: int) -> socket.socket:
    """A listening socket at `path`, as Redis's anetUnixServer makes it: a file left there by an
    earlier server is removed first, and `perm` (unixsocketperm, when not 0) is applied."""
    limit = 108  # sizeof(sockaddr_un.sun_path) on Linux
    if len(path.encode()) > limit - 1:
        raise UnixSocketError(f"unix socket path too long ({len(path.encode())}), "
                              f"must be under {limit}")
    try:
        os.unlink(path)
    except OSError:
        pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        step = "bind"
        sock.bind(path)
        if perm:
            os.chmod(path, perm)
        step = "listen"
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        raise UnixSocketError(f"{step}: {exc.strerror}") from None
    sock.setblocking(False)
    return sock


class Listeners:
    """The server's listening sockets: plain TCP on `port` (re-bound by CONFIG SET port, closed
    by `port 0`, as Redis does) and TLS on `tls-port`, on the `bind` addresses (CONFIG SET
    bind moves both), and the Unix socket at `unixsocket` (removed again at shutdown)."""

    def __init__(self, server, hosts: list):
        self.server = server
        self.hosts = hosts
        self.plain = []  # asyncio Servers on `port`
        self.tls = []
        self.port = 0  # the plain port actually bound (INFO tcp_port)
        self._pending = []  # sockets bound by CONFIG SET port, not yet served
        self._tls = (0, None)  # tls-port and its context, for CONFIG SET bind
        self._pending_tls = []
        self.unix = []  # the asyncio Server on `unixsocket`
        self.unix_path = ""

    def _bind(self, port: int) -> list:
        """Sockets on every bind address; '-' prefixed addresses may fail (as in Redis)."""
        config = self.server.config
        sockets = []
        try:
            for host in self.hosts:
                try:
                    sockets += bound_sockets(host.lstrip("-"), port, config["tcp-backlog"],
                                             config["predis-reuseport"])
                except OSError:
                    if not host.startswith("-"):
                        raise
        except OSError:
            for sock in sockets:
                sock.close()
            raise
        return sockets

    async def _serve(self, sockets: list, tls=None, serving: bool = True) -> list:
        loop, factory = self.server.loop, self.server.protocol_factory
        backlog = self.server.config["tcp-backlog"]  # asyncio listens again: its default is 100
        return [await loop.create_server(factory, sock=sock, ssl=tls, backlog=backlog,
                                         start_serving=serving)
                for sock in sockets]

    async def open(self, port: int, tls_port: int, tls_context, unix_path: str = "",
                   unix_perm: int = 0) -> None:
        """Listen on `port` (0: no plain TCP), `tls-port` and `unix_path`; raises OSError for a
        port that cannot be bound, UnixSocketError for the socket. The event loop accepts
        nothing before start_serving(): connections made while the data loads are taken by
        server/loading.py, which answers -LOADING."""
        if port:
            sockets = self._bind(port)
            self.port = sockets[0].getsockname()[1] if sockets else 0
            self.plain = await self._serve(sockets, serving=False)
        if tls_port:
            self.tls = await self._serve(self._bind(tls_port), tls_context, serving=False)
        self._tls = (tls_port, tls_context)
        if unix_path:
            sock = unix_socket(unix_path, unix_perm, self.server.config["tcp-backlog"])
            self.unix_path = unix_path
            self.unix = [await self.server.loop.create_unix_server(
                self.server.protocol_factory, sock=sock,
                backlog=self.server.config["tcp-backlog"], start_serving=False)]

    async def start_serving(self) -> None:
        for srv in self.servers:
            await srv.start_serving()

    def readdress(self, binds: list) -> None:
        """CONFIG SET bind: listen on these addresses instead, as Redis's changeBindAddr does:
        the listeners close, and reopen on the old addresses if the new ones cannot be bound."""
        from ops.config import ConfigError

        old = self.hosts
        self._close_tcp()
        try:
            self._listen_on(bind_hosts(binds))
        except OSError:
            self._listen_on(old)
            raise ConfigError("Failed to bind to specified addresses.") from None

    def _listen_on(self, hosts: list) -> None:
        self.hosts = hosts
        port, (tls_port, _) = self.server.config["port"], self._tls
        plain = self._bind(port) if port else []
        try:
            tls = self._bind(tls_port) if tls_port else []
        except OSError:
            for sock in plain:
                sock.close()
            raise
        self._pending, self._pending_tls = plain, tls
        self.port = plain[0].getsockname()[1] if plain else 0
        asyncio.ensure_future(self._adopt_both(plain, tls))

    async def _adopt_both(self, plain: list, tls: list) -> None:
        if self._pending is plain and self._pending_tls is tls:
            self._pending, self._pending_tls = [], []
            self.plain = await self._serve(plain)
            self.tls = await self._serve(tls, self._tls[1])

    def rebind(self, port: int) -> None:
        """CONFIG SET port: listen on the new port first, then close the old listeners, so a
        port that cannot be bound leaves the server as it was."""
        from ops.config import ConfigError

        if port == self.port and self.plain:
            return
        try:
            sockets = self._bind(port) if port else []
        except OSError:
            raise ConfigError("Unable to listen on this port. Check server logs.") from None
        for srv in self.plain:
            srv.close()
        for sock in self._pending:  # a second CONFIG SET port before the first was served
            sock.close()
        self.plain, self._pending = [], sockets
        self.port = sockets[0].getsockname()[1] if sockets else 0
        if sockets:
            asyncio.ensure_future(self._adopt(sockets))
        self.server.log.info("listening_port_changed", port=self.port)

    async def _adopt(self, sockets: list) -> None:
        if self._pending is sockets:
            self._pending = []
            self.plain = await self._serve(sockets)

    @property
    def servers(self) -> list:
        return self.plain + self.tls + self.unix

    def _close_tcp(self) -> list:
        servers = self.plain + self.tls
        for srv in servers:
            srv.close()
        for sock in self._pending + self._pending_tls:
            sock.close()
        self.plain, self.tls, self._pending, self._pending_tls = [], [], [], []
        return servers

    def close(self) -> list:
        """Stop accepting (the Unix socket's file is removed, as Redis does at shutdown);
        returns the servers to wait on."""
        servers = self._close_tcp() + self.unix
        for srv in self.unix:
            srv.close()
        if self.unix:
            try:
                os.unlink(self.unix_path)
            except OSError:
                pass
        self.unix = []
        return servers
