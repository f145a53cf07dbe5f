"""`client-output-buffer-limit` for normal clients, differentially: a client that pipelines
large replies without reading is closed by both servers once its class limit is set, and
served in full while the class has none (Redis's default)."""

import socket
import time

import pytest

from .rawclient import RawClient
from .servers import eventually, start_predis

VALUE = 64 * 1024
GETS = 400  # 25 MB of replies: far past any socket buffer


def flood(port: int) -> socket.socket:
    """A client with a small receive window that asks for GETS large values, reading nothing."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: small window
    sock.connect(("127.0.0.1", port))
    sock.sendall(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * GETS)
    return sock


def drain(sock: socket.socket) -> int:
    """Bytes the server still sends before it closes the connection or goes quiet."""
    sock.settimeout(2.0)
    received = 0
    try:
        while True:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            received += len(chunk)
    except (socket.timeout, ConnectionResetError):
        pass
    sock.close()
    return received


def alive(port: int) -> bool:
    client = RawClient(port)
    try:
        return client.call("PING") == b"PONG"
    finally:
        client.close()


@pytest.mark.parametrize("limit, closed", [("normal 256kb 0 0", True),
                                           ("normal 0 0 0", False)], ids=["hard", "none"])
def test_a_client_that_does_not_read_is_closed_at_its_class_limit(pair, limit, closed):
    full = GETS * (VALUE + len(b"$65536\r\n\r\n"))
    outcomes = []
    for server in pair:
        admin = RawClient(server.port)
        admin.call("SET", "big", b"x" * VALUE)
        assert admin.call("CONFIG", "SET", "client-output-buffer-limit", limit) == b"OK"
        sock = flood(server.port)
        time.sleep(0.5)
        received = drain(sock)
        outcomes.append(received < full if closed else received == full)
        assert alive(server.port)  # everyone else is served
        admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0")
        admin.close()
    assert outcomes == [True, True], outcomes


def _connected(admin: RawClient, name: str) -> bool:
    return f"name={name} ".encode() in admin.call("CLIENT", "LIST")


def test_a_reply_over_the_hard_limit_is_never_sent(pair):
    """Redis counts a reply against the limit as it is queued: one LRANGE of 150 KB closes a
    normal client limited to 100 KB before any of it is sent (unit/obuf-limits)."""
    for server in pair:
        admin = RawClient(server.port)
        admin.call("DEL", "obuf_list")
        admin.call("RPUSH", "obuf_list", *["x" * 1000] * 150)
        admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 100000 0 0")
        try:
            client = RawClient(server.port)
            client.call("CLIENT", "SETNAME", "obuf_big")
            client.send_raw(b"*4\r\n$6\r\nLRANGE\r\n$9\r\nobuf_list\r\n$1\r\n0\r\n$2\r\n-1\r\n")
            time.sleep(0.2)
            assert not _connected(admin, "obuf_big")
            assert client.read_all_until_close() == b""
            small = RawClient(server.port)  # a reply under the limit is served
            assert len(small.call("LRANGE", "obuf_list", "0", "49")) == 50
        finally:
            admin.call("CONFIG", "SET", "client-output-buffer-limit",
                       "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60")
            admin.call("DEL", "obuf_list")


@pytest.mark.parametrize("idle_seconds", [0.5, 0])
def test_what_the_reply_buffer_does_not_hold_counts_against_the_limit(pair, idle_seconds):
    """Redis's "Obuf limit, KEYS stopped mid-run": an idle client's reply buffer has shrunk to
    1 KB, so nearly all of a 111 KB KEYS reply is reply list, over a 100,000-byte limit. A
    client that was not idle keeps its 16 KB buffer, and the 95 KB past it count as Redis's
    list counts them: five nodes of 20,464 bytes, over the limit too."""
    outcomes = []
    for server in pair:
        admin = RawClient(server.port)
        admin.call("FLUSHALL")
        prefix = "long-key-name-prefix-of-100-chars" + "-" * 67
        admin.call("DEBUG", "POPULATE", "1000", prefix)
        admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 100000 0 0")
        try:
            idle = RawClient(server.port)
            idle.call("CLIENT", "SETNAME", "idle")
            time.sleep(idle_seconds)  # client cron turns: its buffer shrinks to 1 KB
            idle.send_raw(b"*2\r\n$4\r\nKEYS\r\n$1\r\n*\r\n")
            time.sleep(0.2)
            outcomes.append((_connected(admin, "idle"), idle.read_all_until_close()))
        finally:
            admin.call("CONFIG", "SET", "client-output-buffer-limit",
                       "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60")
            admin.call("FLUSHALL")
    assert outcomes[1] == outcomes[0] == (False, b"")


def test_a_soft_limit_runs_out_while_no_new_output_comes(pair):
    """A subscriber over the pubsub soft limit is closed once the soft seconds pass, even when
    nothing more is published meanwhile (Redis's client cron checks it)."""
    for server in pair:
        admin = RawClient(server.port)
        admin.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 0 100000 1")
        try:
            subscriber = socket.socket()
            subscriber.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            subscriber.connect(("127.0.0.1", server.port))
            subscriber.sendall(b"CLIENT SETNAME obuf_soft\r\nSUBSCRIBE obuf\r\n")
            time.sleep(0.1)
            deadline = time.time() + 10
            while b"name=obuf_soft " in admin.call("CLIENT", "LIST") and time.time() < deadline:
                line = [entry for entry in admin.call("CLIENT", "LIST").split(b"\n")
                        if b"name=obuf_soft " in entry]
                if line and int(line[0].split(b"omem=")[1].split()[0]) > 100000:
                    break  # over the soft limit: stop publishing
                admin.call("PUBLISH", "obuf", "x" * 1000)
            assert _connected(admin, "obuf_soft")
            assert eventually(lambda: not _connected(admin, "obuf_soft"), 3.5)
            subscriber.close()
        finally:
            admin.call("CONFIG", "SET", "client-output-buffer-limit",
                       "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60")


@pytest.mark.parametrize("command", [("HRANDFIELD", "h", "-999999999"),
                                     ("HRANDFIELD", "h", "-999999999", "WITHVALUES"),
                                     ("SRANDMEMBER", "s", "-999999999"),
                                     ("ZRANDMEMBER", "z", "-999999999", "WITHSCORES")])
def test_a_huge_repeated_sample_stops_at_the_output_limit(servers, command):
    """Redis's unit/obuf-limits "HRANDFIELD with huge count stopped mid-run": the client is
    cut off at its hard limit (Predis: before building a reply it could not send), and the
    server answers everyone else at once."""
    for server in servers:
        control = RawClient(server.port)
        control.call("CONFIG", "SET", "client-output-buffer-limit", "normal 1000000 0 0")
        control.call("HSET", "h", "a", "b")
        control.call("SADD", "s", "a")
        control.call("ZADD", "z", "1", "a")
        client = RawClient(server.port)
        started = time.monotonic()
        with pytest.raises((ConnectionError, OSError)):
            client.call(*command)
        assert time.monotonic() - started < 5
        assert control.call("PING") == b"PONG"
        control.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0")
        control.call("DEL", "h", "s", "z")


def test_a_client_that_has_not_authenticated_cannot_pile_up_output():
    """With a password set, a client that sends commands without reading the NOAUTH errors is
    closed once its unsent output passes 1 KB (Redis 7.2.8's unit/auth.tcl "For unauthenticated
    clients output buffer is limited"; the 7.0 reference here has no such limit); after AUTH
    the normal class's limit (none) applies."""
    server = start_predis(("--requirepass", "secret"))
    try:
        member = RawClient(server.port)
        assert member.call("AUTH", "secret") == b"OK"
        stranger = socket.create_connection(("127.0.0.1", server.port))
        stranger.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stranger.settimeout(1)
        command = b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$1\r\n5\r\n" * 1000
        dropped, deadline = False, time.time() + 60
        while not dropped and time.time() < deadline:  # (without a limit the server would
            try:  # only stop reading, its output for the stranger piling up)
                stranger.sendall(command)
            except (ConnectionResetError, BrokenPipeError):
                dropped = True
            except TimeoutError:  # the kernel's buffers are full: is it still connected?
                dropped = member.call("CLIENT", "LIST").count(b"\n") == 1
        assert dropped
        stranger.close()
        member.send_raw(b"*2\r\n$3\r\nGET\r\n$1\r\nx\r\n" * 20000)  # 100 KB of replies, unread
        time.sleep(0.5)
        assert [member.read_reply() for _ in range(20000)] == [None] * 20000
        assert member.call("PING") == b"PONG"
        member.close()
    finally:
        server.stop()
