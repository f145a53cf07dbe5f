"""Differential tests: the Unix domain socket (`unixsocket`, `unixsocketperm`), its clients as
CLIENT LIST shows them, CLIENT LIST's flags in Redis's order, and the listening errors."""

import os
import stat
import subprocess
import sys
import tempfile

import pytest

from .rawclient import RawClient
from .servers import ROOT, redis_server_binary, start_predis, start_redis


@pytest.fixture
def socket_servers():
    """redis-server and Predis, each also listening on a Unix socket of its own (mode 700)."""
    started = []
    try:
        for start in (start_redis, start_predis):
            path = os.path.join(tempfile.mkdtemp(prefix="unixsock-"), "server.sock")
            server = start(("--unixsocket", path, "--unixsocketperm", "700"))
            server.socket_path = path
            started.append(server)
        yield started
    finally:
        for server in started:
            server.stop()


def _fields(line: bytes, path: str) -> dict:
    fields = dict(item.split(b"=", 1) for item in line.split())
    return {key: value.replace(path.encode(), b"PATH") for key, value in fields.items()}


def test_clients_of_the_unix_socket_are_named_by_its_path(socket_servers):
    seen = []
    for server in socket_servers:
        path = server.socket_path
        mode = stat.S_IMODE(os.stat(path).st_mode)
        client = RawClient(unix_path=path)
        answers = [client.call("SET", "k", "v"), client.call("GET", "k")]
        info = _fields(client.call("CLIENT", "INFO"), path)
        other = RawClient(server.port)  # a TCP client sees the socket client in CLIENT LIST
        listed = [_fields(line, path) for line in other.call("CLIENT", "LIST").splitlines()]
        socket_clients = [fields[b"flags"] for fields in listed if fields[b"addr"] == b"PATH:0"]
        killed = other.call("CLIENT", "KILL", path + ":0")
        gone = client.read_all_until_close()
        seen.append((mode, answers, info[b"addr"], info[b"laddr"], info[b"flags"],
                     socket_clients, killed, gone))
        other.close()
    assert seen[1] == seen[0]
    assert seen[0][0] == 0o700 and seen[0][2:5] == (b"PATH:0", b"PATH:0", b"U")


def test_the_socket_file_goes_with_the_server(socket_servers):
    for server in socket_servers:
        client = RawClient(unix_path=server.socket_path)
        client.send_raw(b"SHUTDOWN NOSAVE\r\n")
        assert client.read_all_until_close() == b""
        server.proc.wait(10)
    assert [os.path.exists(server.socket_path) for server in socket_servers] == [False, False]


def test_a_stale_socket_file_is_replaced():
    """A file left at the path (a server that was killed) does not stop the next one."""
    for start in (start_redis, start_predis):
        path = os.path.join(tempfile.mkdtemp(prefix="unixsock-"), "server.sock")
        with open(path, "w") as stale:
            stale.write("left behind")
        server = start(("--unixsocket", path))
        try:
            assert RawClient(unix_path=path).call("PING") == b"PONG"
        finally:
            server.stop()


def _startup_failure(argv: list) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=ROOT))
    assert result.returncode == 1
    return result.stdout + result.stderr


@pytest.mark.parametrize("args, words", [
    (["--port", "0"], "Configured to not listen anywhere, exiting."),
    (["--port", "0", "--unixsocket", "/nonexistent-dir/server.sock"],
     "Failed opening Unix socket: bind: No such file or directory"),
    (["--port", "0", "--unixsocket", "/tmp/" + "x" * 120],
     "Failed opening Unix socket: unix socket path too long (125), must be under 108"),
])
def test_listening_errors(args, words):
    common = ["--save", "", "--dir", tempfile.mkdtemp(prefix="unixsock-")]
    assert words in _startup_failure([redis_server_binary(), *args, *common])
    predis = _startup_failure([sys.executable, "-m", "predis", *args, *common])
    assert words in predis and "Traceback" not in predis


def test_client_list_flags_in_redis_order(servers):
    """Tracking (t, B, R: an invalidation found the redirect client gone), a dirty WATCH (d),
    MULTI (x) and subscribers (P), as CLIENT LIST writes them for clients in several states at
    once; TRACKINGINFO reports the broken redirect only once an invalidation found it."""
    flags = []
    for server in servers:
        watcher, subscriber, redirected, other = (RawClient(server.port) for _ in range(4))
        doomed = RawClient(server.port)
        # (the flags are read by these ids: a connection another test left may be listed)
        listed = [client.call("CLIENT", "ID") for client in (watcher, subscriber, redirected)]
        watcher.call("CLIENT", "TRACKING", "on", "BCAST")
        watcher.call("WATCH", "k")
        watcher.call("MULTI")
        other.call("SET", "k", "changed")
        subscriber.call("SUBSCRIBE", "ch")
        redirected.call("CLIENT", "TRACKING", "on", "REDIRECT", doomed.call("CLIENT", "ID"))
        redirected.call("GET", "r")
        other.call("CLIENT", "KILL", "ID", doomed.call("CLIENT", "ID"))
        before = redirected.call("CLIENT", "TRACKINGINFO")[1]  # its flags
        other.call("SET", "r", "changed")  # the invalidation finds no redirect client
        after = redirected.call("CLIENT", "TRACKINGINFO")[1]
        ids = {}
        for line in other.call("CLIENT", "LIST").splitlines():
            fields = dict(item.split(b"=", 1) for item in line.split())
            ids[int(fields[b"id"])] = fields[b"flags"]
        flags.append([ids[client_id] for client_id in listed] + [before, after])
        for client in (watcher, subscriber, redirected, other):
            client.close()
    assert flags[1] == flags[0]
    assert flags[0] == [b"xtBd", b"P", b"tR", [b"on"], [b"on", b"broken_redirect"]]
