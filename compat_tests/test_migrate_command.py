"""Differential test: the MIGRATE command. Redis migrates to a second redis-server, Predis to a
second Predis (each server's DUMP payloads are restored by its own kind: a 7.0 reference
refuses 7.2's payload version, as it would refuse Redis 7.2's); replies, what moved and what
stayed must match."""

from .rawclient import RawClient
from .servers import start_predis, start_redis


def _session(source, target) -> list:
    r, t = RawClient(source.port), RawClient(target.port)
    for client in (r, t):
        client.call("FLUSHALL")
    r.call("SET", "k1", "v1")
    r.call("RPUSH", "k2", "a", "b")
    r.call("SET", "k3", "x", "EX", "100")
    port = str(target.port)
    replies = [r.call(*args) for args in (
        ["MIGRATE", "127.0.0.1", port, "nokey", "0", "1000"],
        ["MIGRATE", "127.0.0.1", port, "k1", "0", "1000"], ["EXISTS", "k1"],
        ["MIGRATE", "127.0.0.1", port, "", "3", "1000", "KEYS", "k2", "k3", "nokey"],
        ["EXISTS", "k2", "k3"], ["SET", "k1", "again"],
        ["MIGRATE", "127.0.0.1", port, "k1", "0", "1000"],  # BUSYKEY there
        ["MIGRATE", "127.0.0.1", port, "k1", "0", "1000", "COPY", "REPLACE"], ["EXISTS", "k1"],
        ["MIGRATE", "127.0.0.1", port, "k1", "0", "1000", "AUTH", "pw"],
        ["MIGRATE", "127.0.0.1", port, "k1", "0", "1000", "KEYS", "k2"],
        ["MIGRATE", "127.0.0.1", port, "k1", "0", "1000", "AUTH"],
        ["MIGRATE", "127.0.0.1", "1", "k1", "0", "100"],  # refused
        ["MIGRATE", "127.0.0.1", port, "k1", "x", "100"],
        ["MIGRATE", "127.0.0.1", port, "k1", "99", "100"])]
    moved = [t.call("GET", "k1")]
    t.call("SELECT", "3")
    moved += [t.call("LRANGE", "k2", "0", "-1"), 90 < t.call("TTL", "k3") <= 100]
    return replies + moved + [_cached_sockets(r)]


def _cached_sockets(client) -> int:
    """INFO's migrate_cached_sockets: connections kept for the next MIGRATE (10 seconds)."""
    info = client.call("INFO", "stats").decode()
    return int(info.split("migrate_cached_sockets:")[1].split()[0])


def test_migrate_matches_redis():
    servers = [start_redis(), start_redis(), start_predis(), start_predis()]
    try:
        reference = _session(servers[0], servers[1])
        actual = _session(servers[2], servers[3])
        assert actual == reference
        assert reference[0] == b"NOKEY" and reference[-4:] == [b"again", [b"a", b"b"], True, 1]
    finally:
        for server in servers:
            server.stop()
