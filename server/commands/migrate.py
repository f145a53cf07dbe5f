"""MIGRATE: move keys to another Redis (or Predis) as DUMP payloads restored there.

As in Redis the transfer is synchronous: the server waits for the target, at most `timeout`
milliseconds per step, and serves no one meanwhile. Connections are kept for the next MIGRATE
to the same host and port for 10 seconds (Redis's socket cache, SELECT included), and a
failure on a cached connection is retried once on a fresh one. Moved keys are deleted here
unless COPY is given, and the deletion is what replicas and the AOF see (a DEL).
"""

import random
import socket
import time

from ops.commandstream import encode

from .. import errors
from ..command_table import command
from ..errors import CommandError
from ..keyspace import now_ms
from ..replies import OK, SimpleString
from .common import lower, modified, to_int
from .dump import dump_payload

CACHE_SECONDS = 10
MAX_CACHED = 64
CONNECT_ERROR = "IOERR error or timeout connecting to the client"


class Link:
    __slots__ = ("sock", "last_db", "last_use")

    def __init__(self, sock):
        self.sock = sock
        self.last_db = -1  # forces a SELECT first
        self.last_use = time.monotonic()


class _SocketError(Exception):
    def __init__(self, writing: bool, timed_out: bool):
        self.writing, self.timed_out = writing, timed_out
        self.final = False  # some keys already moved: report, never retry


def cached_links(server) -> int:
    """Close the connections unused for CACHE_SECONDS; how many stay (INFO's
    migrate_cached_sockets)."""
    links = server.migrate_links
    now = time.monotonic()
    for stale in [n for n, link in links.items() if now - link.last_use > CACHE_SECONDS]:
        links.pop(stale).sock.close()
    return len(links)


def _link(server, host: bytes, port: bytes, timeout_ms: int) -> Link:
    name = bytes(host) + b":" + bytes(port)
    links = server.migrate_links
    now = time.monotonic()
    cached_links(server)
    link = links.get(name)
    if link is None:
        if len(links) >= MAX_CACHED:  # make room, as Redis does: any one of them
            links.pop(random.choice(list(links))).sock.close()
        try:
            source = server.config["bind-source-addr"]  # the address to connect from
            sock = socket.create_connection((bytes(host).decode(errors="replace"), int(port)),
                                            timeout=timeout_ms / 1000,
                                            source_address=(source, 0) if source else None)
        except (socket.timeout, socket.gaierror, ValueError):
            raise CommandError(CONNECT_ERROR) from None
        except OSError:  # refused: Redis's non-blocking connect notices it when writing
            raise _SocketError(True, False) from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        link = links[name] = Link(sock)
    link.last_use = now
    return link


def _forget(server, host: bytes, port: bytes) -> None:
    link = server.migrate_links.pop(bytes(host) + b":" + bytes(port), None)
    if link is not None:
        link.sock.close()


def _bulk(*parts) -> bytes:
    """A command as a client sends it (an array of bulk strings)."""
    return encode([part if isinstance(part, bytes) else str(part).encode() for part in parts])


def _read_line(sock, pending: bytearray) -> bytes:
    while b"\n" not in pending:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            raise _SocketError(False, True) from None
        except OSError:
            raise _SocketError(False, False) from None
        if not chunk:
            raise _SocketError(False, False)
        pending += chunk
    line, _, rest = bytes(pending).partition(b"\n")
    pending[:] = rest
    return line.rstrip(b"\r")


def _parse(args):
    """(copy, replace, username, password, keys) from MIGRATE's arguments."""
    copy = replace = False
    username = password = None
    keys = [args[3]]
    index = 6
    while index < len(args):
        option, more = lower(args[index]), len(args) - 1 - index
        if option == b"copy":
            copy = True
        elif option == b"replace":
            replace = True
        elif option == b"auth" and more >= 1:
            password, index = args[index + 1], index + 1
        elif option == b"auth2" and more >= 2:
            username, password, index = args[index + 1], args[index + 2], index + 2
        elif option == b"keys":
            if args[3]:
                raise CommandError("ERR When using MIGRATE KEYS option, the key argument must "
                                   "be set to the empty string")
            keys = args[index + 1:]
            break
        else:
            raise CommandError(errors.SYNTAX)
        index += 1
    return copy, replace, username, password, keys


@command("migrate", -6, "write", (3, 3, 1), "generic", "Atomically transfers a key from one "
         "Redis instance to another.", "2.6.0", categories="@keyspace @dangerous")
def migrate(client, args):
    copy, replace, username, password, keys = _parse(args)
    timeout = to_int(args[5])
    db_index = to_int(args[4])
    if timeout <= 0:
        timeout = 1000
    db = client.db
    present = [key for key in keys if db.lookup_read(key) is not None]
    if not present:
        return SimpleString("NOKEY")
    server = client.server
    for attempt in (1, 2):
        try:
            return _transfer(client, args, present, db_index, timeout, copy, replace,
                             username, password)
        except _SocketError as exc:
            _forget(server, args[1], args[2])
            if exc.timed_out or exc.final or attempt == 2:
                raise CommandError("IOERR error or timeout %s to target instance"
                                   % ("writing" if exc.writing else "reading")) from None


def _transfer(client, args, keys, db_index, timeout, copy, replace, username, password):
    server, db = client.server, client.db
    link = _link(server, args[1], args[2], timeout)
    sock = link.sock
    sock.settimeout(timeout / 1000)
    request = []
    if password is not None:
        request.append(_bulk(b"AUTH", *([username] if username is not None else []), password))
    select = link.last_db != db_index
    if select:
        request.append(_bulk(b"SELECT", db_index))
    moving = []
    for key in keys:
        value = db.lookup(key, touch=False)
        if value is None:
            continue  # expired since it was looked up
        deadline = db.get_expire(key)
        ttl = 0 if deadline is None else max(deadline - now_ms(), 1)
        request.append(_bulk(b"RESTORE", key, ttl, dump_payload(server, value),
                             *([b"REPLACE"] if replace else [])))
        moving.append(key)
    try:
        sock.sendall(b"".join(request))
    except socket.timeout:
        raise _SocketError(True, True) from None
    except OSError:
        raise _SocketError(True, False) from None
    pending = bytearray()
    preamble = [_read_line(sock, pending) for _ in range((password is not None) + select)]
    refused = next((line for line in preamble if line[:1] == b"-"), None)  # AUTH or SELECT
    failure = None
    for number, key in enumerate(moving):
        try:
            line = _read_line(sock, pending)
        except _SocketError as exc:
            if number == 0 or failure is not None:
                raise  # nothing confirmed: retried (or reported) by the caller
            exc.final = True  # what was confirmed stays moved; the rest is reported
            raise
        if refused is not None or line[:1] == b"-":
            failure = failure or refused or line
        elif not copy:  # RESTOREd there: gone from here (a DEL for replicas and the AOF)
            db.delete(key)
            modified(client, key, event="del")
    if failure is not None:
        link.last_db = -1
        raise CommandError("ERR Target instance replied with error: "
                           + failure[1:].decode(errors="replace"))
    link.last_db = db_index
    return OK


def keys_of(args) -> list:
    """The keys a MIGRATE names (its effects module turns the moved ones into a DEL)."""
    try:
        return _parse(args)[4]
    except CommandError:
        return []
