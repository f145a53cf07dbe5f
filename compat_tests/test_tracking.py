"""CLIENT TRACKING (client-side caching) against redis-server: invalidation pushes in RESP3,
redirection to a RESP2 pub/sub client, BCAST prefixes, OPTIN/OPTOUT with CLIENT CACHING,
NOLOOP, flushes, TRACKINGINFO/GETREDIR and the errors."""

import time

from .rawclient import RawClient
from .servers import start_predis, start_redis

import pytest


@pytest.fixture(scope="module")
def pair():
    servers = [start_redis(), start_predis()]
    yield servers
    for server in servers:
        server.stop()


def pushes(client, wait: float = 0.3) -> list:
    """Every reply waiting on the connection."""
    client.sock.settimeout(wait)
    out = []
    try:
        while True:
            out.append(client.read_reply())
    except OSError:
        pass
    client.sock.settimeout(10)
    return out


def scenario(server, steps) -> list:
    """Run steps (client name, command...) on fresh connections; what each step answered
    and what every client then had waiting."""
    clients, ids = {}, {}
    log = []
    for name, *args in steps:
        if name not in clients:
            clients[name] = RawClient(server.port)
            ids[clients[name].call("CLIENT", "ID")] = name.encode()
        args = [next(i for i, n in ids.items() if n == a[1:].encode())
                if isinstance(a, str) and a.startswith("@") else a for a in args]
        reply = clients[name].call(*args)
        if args[0] == "HELLO":
            reply = "hello"  # the version and client id differ by server
        elif args[-1] in ("TRACKINGINFO", "GETREDIR"):
            reply = _named(reply, ids)  # the redirect target by name, not id
        log.append((name, args[0], reply))
        time.sleep(0.05)
    for name in sorted(clients):
        log.append((name, "pending", pushes(clients[name])))
        clients[name].close()
    clients.clear()
    RawClient(server.port).call("FLUSHALL")
    return log


def _named(reply, ids):
    if isinstance(reply, int):
        return ids.get(reply, reply)
    if isinstance(reply, dict):
        return {k: _named(v, ids) for k, v in reply.items()}
    if isinstance(reply, list):
        return [_named(v, ids) for v in reply]
    return reply


def same(pair, steps):
    expected, actual = (scenario(server, steps) for server in pair)
    assert actual == expected


RESP3_STEPS = [("a", "HELLO", "3"), ("a", "CLIENT", "TRACKING", "on"), ("a", "GET", "k"),
               ("a", "MGET", "x", "y"), ("b", "SET", "k", "v"), ("b", "SET", "k", "w"),
               ("b", "MSET", "x", "1", "y", "2"), ("a", "GET", "k"), ("b", "DEL", "k"),
               ("a", "CLIENT", "TRACKINGINFO"), ("a", "CLIENT", "GETREDIR")]


def test_resp3_clients_get_invalidation_pushes(pair):
    same(pair, RESP3_STEPS)


def test_redirect_to_a_resp2_subscriber(pair):
    same(pair, [("r", "SUBSCRIBE", "__redis__:invalidate"),
                ("a", "CLIENT", "TRACKING", "on", "REDIRECT", "@r"), ("a", "GET", "k"),
                ("b", "SET", "k", "v"), ("a", "CLIENT", "TRACKINGINFO")])


def test_bcast_prefixes_noloop_and_flush(pair):
    same(pair, [("a", "HELLO", "3"),
                ("a", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "NOLOOP"),
                ("b", "SET", "user:1", "x"), ("b", "SET", "other", "y"),
                ("a", "SET", "user:2", "own"), ("a", "CLIENT", "TRACKINGINFO"),
                ("b", "FLUSHALL")])


def test_optin_and_optout(pair):
    same(pair, [("a", "HELLO", "3"), ("a", "CLIENT", "TRACKING", "on", "OPTIN"),
                ("a", "GET", "skipped"), ("a", "CLIENT", "CACHING", "yes"), ("a", "GET", "kept"),
                ("b", "SET", "skipped", "1"), ("b", "SET", "kept", "1"),
                ("c", "HELLO", "3"), ("c", "CLIENT", "TRACKING", "on", "OPTOUT"),
                ("c", "CLIENT", "CACHING", "no"), ("c", "GET", "n1"), ("c", "GET", "n2"),
                ("b", "SET", "n1", "1"), ("b", "SET", "n2", "1"),
                ("c", "CLIENT", "TRACKINGINFO")])


def test_errors(pair):
    same(pair, [("a", "CLIENT", "TRACKING", "on", "PREFIX", "a"),
                ("a", "CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"),
                ("a", "CLIENT", "TRACKING", "on", "REDIRECT", "99999"),
                ("a", "CLIENT", "TRACKING", "maybe"),
                ("a", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "ab"),
                ("a", "CLIENT", "CACHING", "yes"), ("a", "CLIENT", "TRACKINGINFO"),
                ("a", "CLIENT", "TRACKING", "on", "BCAST"),
                ("a", "CLIENT", "TRACKING", "on"), ("a", "CLIENT", "TRACKING", "off"),
                ("a", "CLIENT", "TRACKINGINFO")])


def test_the_gpu_engine_remembers_what_tracking_clients_read(pair):
    """GET/SET of the GPU engine go through its batcher; a tracking client's reads must not
    (numba's CUDA simulator stands in for the GPU where there is none)."""
    gpu = start_predis(("--engine", "gpu", "--gpu-arena-size", "16mb"))
    try:
        expected = scenario(pair[0], RESP3_STEPS)
        assert scenario(gpu, RESP3_STEPS) == expected
    finally:
        gpu.stop()
