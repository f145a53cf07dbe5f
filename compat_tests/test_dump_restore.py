"""DUMP/RESTORE: payloads written by redis-server restore into Predis with the same contents
(every encoding Redis 7 writes for these types), Predis round-trips its own, errors match."""

import pytest

from .conftest import numeric
from .rawclient import Err, RawClient

SETUPS = {
    "int": [("SET", "k", "12345")],
    "short": [("SET", "k", "hello")],
    "long": [("SET", "k", "abc" * 200)],
    "binary": [("SET", "k", bytes(range(256)))],
    "small_list": [("RPUSH", "k", "a", "1", "-5", "x" * 100, "70000", "-9000000000")],
    "big_list": [("RPUSH", "k", *[f"item{i}" for i in range(3000)])],
    "plain_node_list": [("RPUSH", "k", "y" * 20000, "small")],
    "intset": [("SADD", "k", "1", "2", "-3", "4000000000")],
    "set": [("SADD", "k", *[f"m{i}" for i in range(600)])],
    "small_zset": [("ZADD", "k", "1.5", "a", "-2", "b", "inf", "c", "3", "d")],
    "big_zset": [("ZADD", "k", *[x for i in range(300) for x in (str(i / 3), f"m{i}")])],
    "small_hash": [("HSET", "k", "f1", "v1", "f2", "12", "f3", "")],
    "big_hash": [("HSET", "k", *[x for i in range(700) for x in (f"f{i}", f"v{i}")])],
}
READ = {"string": ("GET", "k"), "list": ("LRANGE", "k", "0", "-1"),
        "set": ("SMEMBERS", "k"), "zset": ("ZRANGE", "k", "0", "-1", "WITHSCORES"),
        "hash": ("HGETALL", "k")}


def _contents(client):
    kind = client.call("TYPE", "k").decode()
    reply = client.call(*READ[kind])
    if kind in ("set", "hash"):
        return kind, sorted(reply) if isinstance(reply, list) else reply
    return kind, numeric(reply)


@pytest.mark.parametrize("name", sorted(SETUPS))
def test_redis_payload_restores_into_predis(servers, name):
    ref, predis = (RawClient(s.port) for s in servers)
    for client in (ref, predis):
        client.call("FLUSHALL")
    for command in SETUPS[name]:
        ref.call(*command)
    payload = ref.call("DUMP", "k")
    assert predis.call("RESTORE", "k", "0", payload) == b"OK"
    assert _contents(predis) == _contents(ref)
    own = predis.call("DUMP", "k")
    predis.call("DEL", "k")
    assert predis.call("RESTORE", "k", "0", own) == b"OK"
    assert _contents(predis) == _contents(ref)
    ref.close()
    predis.close()


def test_restore_options_and_errors(diff):
    d = diff
    d.assert_same("SET", "src", "value")
    payload = d.ref.call("DUMP", "src")
    assert d.predis.call("DUMP", "src") is not None
    for args in (("RESTORE", "new", "0", payload), ("RESTORE", "new", "0", payload),
                 ("RESTORE", "new", "0", payload, "REPLACE"), ("TTL", "new"),
                 ("RESTORE", "ttl", "100000", payload), ("RESTORE", "abs", "1", payload, "ABSTTL"),
                 ("EXISTS", "abs"), ("RESTORE", "neg", "-1", payload),
                 ("RESTORE", "bad", "0", b"garbage"), ("RESTORE", "opt", "0", payload, "IDLETIME", "-1"),
                 ("RESTORE", "opt", "0", payload, "FREQ", "300"),
                 ("RESTORE", "opt", "0", payload, "IDLETIME", "10", "FREQ", "5"),
                 ("RESTORE", "opt2", "0", payload, "FOO"), ("DUMP", "missing"), ("GET", "opt"),
                 # the options, then the key (BUSYKEY), then the TTL
                 ("RESTORE", "src", "abc", payload), ("RESTORE", "src", "-1", payload),
                 ("RESTORE", "src", "abc", payload, "FOO"),
                 ("RESTORE", "src", "abc", payload, "REPLACE")):
        d.assert_same(*args)
    expected, actual = d.both("PTTL", "ttl")
    assert 90000 < actual <= 100000 and 90000 < expected <= 100000


def test_stream_with_groups_restores_from_redis(servers):
    ref, predis = (RawClient(s.port) for s in servers)
    for client in (ref, predis):
        client.call("FLUSHALL")
    for i in range(1, 251):
        fields = ("f", str(i)) if i % 7 else ("other", str(i), "extra", "x")
        ref.call("XADD", "k", f"{i}-{i % 3}", *fields)
    ref.call("XDEL", "k", "5-2", "6-0")
    ref.call("XGROUP", "CREATE", "k", "g1", "0")
    ref.call("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "3", "STREAMS", "k", ">")
    ref.call("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "2", "STREAMS", "k", ">")
    ref.call("XACK", "k", "g1", "1-1")
    ref.call("XGROUP", "CREATE", "k", "g2", "$")
    payload = ref.call("DUMP", "k")
    assert predis.call("RESTORE", "k", "0", payload) == b"OK"
    own = predis.call("DUMP", "k")
    predis.call("RESTORE", "copy", "0", own)
    commands = [lambda key: ("XRANGE", key, "-", "+"), lambda key: ("XLEN", key),
                lambda key: ("XINFO", "GROUPS", key), lambda key: ("XPENDING", key, "g1")]
    for key in ("k", "copy"):
        for command in commands:
            assert predis.call(*command(key)) == ref.call(*command("k")), command(key)
        expected = ref.call("XINFO", "STREAM", "k")
        actual = predis.call("XINFO", "STREAM", key)
        for field in (b"length", b"last-generated-id", b"max-deleted-entry-id", b"entries-added",
                      b"recorded-first-entry-id", b"groups", b"first-entry", b"last-entry"):
            assert actual[actual.index(field) + 1] == expected[expected.index(field) + 1], field
    ref.close()
    predis.close()


def test_stream_nodes_survive_dump_and_restore(servers):
    """A stream restored from Redis's payload (or from Predis's own) keeps its node boundaries:
    approximate trimming afterwards removes what it removes in Redis."""
    ref, predis = (RawClient(s.port) for s in servers)
    for client in (ref, predis):
        client.call("FLUSHALL")
    for i in range(1, 401):
        ref.call("XADD", "k", f"{i}-0", "f", "v" * (i % 150))
    ref.call("XTRIM", "k", "MAXLEN", "333")  # inside a node: boundaries stay where they were
    payload = ref.call("DUMP", "k")
    predis.call("RESTORE", "k", "0", payload)
    predis.call("RESTORE", "copy", "0", predis.call("DUMP", "k"))
    for maxlen in ("300", "200", "150"):
        expected = ref.call("XTRIM", "k", "MAXLEN", "~", maxlen)
        for key in ("k", "copy"):
            assert predis.call("XTRIM", key, "MAXLEN", "~", maxlen) == expected, (key, maxlen)
    ref.close()
    predis.close()


STREAM_SETUP = [("XADD", "k", f"{i}-1", *(("f", str(i)) if i % 3 else ("g", "x", "h", str(i))))
                for i in range(1, 12)] + [("XGROUP", "CREATE", "k", "grp", "0"),
                                          ("XREADGROUP", "GROUP", "grp", "alice", "COUNT", "2",
                                           "STREAMS", "k", ">")]
DAMAGED_FROM = {**{name: SETUPS[name] for name in ("small_list", "intset", "small_zset",
                                                   "small_hash")},
                "listpack_set": [("SADD", "k", "a", "b", "c", "dd")], "stream": STREAM_SETUP}


def _refused_or_contents(client, payload):
    client.call("DEL", "k")
    reply = client.call("RESTORE", "k", "0", payload)
    if reply != b"OK":
        return reply
    if client.call("TYPE", "k") == b"stream":
        return [client.call("XRANGE", "k", "-", "+"), client.call("XPENDING", "k", "grp")]
    return _contents(client)


def _as_predis_keeps_it(contents):
    """Redis trusts a compact encoding's order: damage that reorders a sorted set's or a
    stream's elements stays in its replies. Predis's structures keep them in order: it sorts
    the sorted set, and refuses the stream (its entries are found by ID)."""
    if isinstance(contents, tuple) and contents[0] == "zset":
        pairs = sorted(zip(contents[1][1::2], contents[1][0::2]))
        return "zset", [x for score, member in pairs for x in (member, score)]
    if isinstance(contents, list):  # a stream
        ids = [tuple(map(int, entry[0].split(b"-"))) for entry in contents[0]]
        if ids != sorted(set(ids)):
            return Err("ERR Bad data format")
    return contents


@pytest.mark.parametrize("name", sorted(DAMAGED_FROM))
def test_damaged_payloads_refused_as_redis_refuses_them(servers, name):
    """Redis's payloads with one byte changed (and the checksum made right again): where a
    sanitizing redis-server refuses one, so does Predis, with the same error; where it takes
    it, Predis holds the same contents. Found by Redis's integration/corrupt-dump, whose
    payloads Predis took in and misread."""
    import random
    import struct

    from ops.rdb.crc64 import crc64

    ref, predis = (RawClient(s.port) for s in servers)
    for client in (ref, predis):
        client.call("FLUSHALL")
        client.call("CONFIG", "SET", "sanitize-dump-payload", "yes")
    for command in DAMAGED_FROM[name]:
        ref.call(*command)
    original = ref.call("DUMP", "k")
    body, version = original[:-10], original[-10:-8]  # (redis-server 7.0 writes RDB 10)
    rng = random.Random(name)
    refused = 0
    for _ in range(60):
        damaged = bytearray(body)
        position = rng.randrange(1, len(body))  # (the type byte stays)
        damaged[position] = rng.randrange(256)
        framed = bytes(damaged) + version
        payload = framed + struct.pack("<Q", crc64(framed))
        expected = _as_predis_keeps_it(_refused_or_contents(ref, payload))
        assert _refused_or_contents(predis, payload) == expected, (position, bytes(damaged))
        refused += not isinstance(expected, tuple | list)
    assert refused > 10  # (the damage reached the encodings, not only the values)
    for client in (ref, predis):
        client.call("CONFIG", "SET", "sanitize-dump-payload", "no")
        client.close()
