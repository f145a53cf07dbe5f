"""`client-output-buffer-limit` for normal clients, differentially: a client that pipelines
large replies without reading is closed by both servers once its class limit is set, and
served in full while the class has none (Redis's default)."""

import socket
import time

import pytest

from .rawclient import RawClient

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
