"""Differential tests: keyspace notifications carry the same channels and events, in order."""

import time

import pytest

from .rawclient import RawClient

SCRIPT = [
    ("SET", "s", "1"), ("SET", "s", "2", "EX", "100"), ("SETEX", "s2", "100", "v"),
    ("INCR", "s"), ("DECRBY", "s", "2"), ("INCRBYFLOAT", "s", "1.5"), ("APPEND", "s", "x"),
    ("SETRANGE", "s", "0", "z"), ("MSET", "m1", "a", "m2", "b"), ("GETDEL", "m1"),
    ("EXPIRE", "m2", "100"), ("PERSIST", "m2"), ("EXPIRE", "m2", "-1"), ("GETEX", "s", "EX", "50"),
    ("RENAME", "s", "r"), ("COPY", "r", "c"), ("MOVE", "c", "1"), ("DEL", "r", "nope"),
    ("SETBIT", "b", "3", "1"), ("BITOP", "OR", "b2", "b", "b"),
    ("RPUSH", "l", "a", "b", "c"), ("LPUSH", "l", "z"), ("LPOP", "l"), ("RPOP", "l", "2"),
    ("LSET", "l", "0", "x"), ("LINSERT", "l", "BEFORE", "x", "w"), ("LREM", "l", "0", "w"),
    ("LTRIM", "l", "0", "0"), ("RPUSH", "l2", "q"), ("LMOVE", "l2", "l", "LEFT", "RIGHT"),
    ("LPOP", "l", "5"), ("HSET", "h", "f", "1", "g", "2"), ("HINCRBY", "h", "f", "2"),
    ("HINCRBYFLOAT", "h", "f", "0.5"), ("HDEL", "h", "f", "g"), ("SADD", "st", "a", "b"),
    ("SREM", "st", "a"), ("SADD", "st2", "c"), ("SMOVE", "st", "st2", "b"),
    ("SUNIONSTORE", "st3", "st2", "st2"), ("SINTERSTORE", "st3", "st2", "nope"),
    ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZINCRBY", "z", "1", "a"),
    ("ZADD", "z", "INCR", "1", "b"), ("ZREM", "z", "a"), ("ZPOPMIN", "z"),
    ("ZREMRANGEBYSCORE", "z", "-inf", "+inf"), ("ZADD", "z2", "1", "x"),
    ("ZUNIONSTORE", "z3", "1", "z2"),
    # streams: XREADGROUP, XCLAIM and XAUTOCLAIM announce only the consumers they create
    ("XGROUP", "CREATE", "xs", "grp", "$", "MKSTREAM"), ("XGROUP", "CREATECONSUMER", "xs", "grp", "Bob"),
    ("XADD", "xs", "1-0", "f", "v"), ("XREADGROUP", "GROUP", "grp", "Alice", "STREAMS", "xs", ">"),
    ("XCLAIM", "xs", "grp", "Mike", "0", "1-0", "FORCE"), ("XGROUP", "DELCONSUMER", "xs", "grp", "Mike"),
    ("XGROUP", "DELCONSUMER", "xs", "grp", "Lee"), ("XAUTOCLAIM", "xs", "grp", "Bob", "0", "1-0"),
    ("XAUTOCLAIM", "xs", "grp", "Ann", "0", "1-0"), ("XGROUP", "DELCONSUMER", "xs", "grp", "Bob"),
    ("SET", "gone", "v", "PX", "50"),
    # a deadline already past: SET stores the key (it expires at its next read), GETEX
    # deletes it at once
    ("SET", "past", "v", "PXAT", "1"), ("DBSIZE",), ("GET", "past"), ("SET", "gx", "v"),
    ("GETEX", "gx", "PXAT", "1"),
    # GEOADD announces zadd, GEO stores their own events (class z); SORT's store is a list
    # event, an empty one deletes; PFADD and PFMERGE are string events
    ("GEOADD", "geo", "13.361389", "38.115556", "a"),
    ("GEORADIUS", "geo", "15", "37", "200", "km", "STORE", "geo2"),
    ("GEOSEARCHSTORE", "geo3", "geo", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
    ("RPUSH", "tosort", "3", "1"), ("SORT", "tosort", "STORE", "sorted"),
    ("SORT", "nope", "STORE", "sorted"), ("PFADD", "hll", "a"), ("PFMERGE", "hll2", "hll"),
    ("ZRANGESTORE", "z4", "z2", "0", "-1"),
]


# 'n' (a key created) and 'm' (a read that missed): classes outside 'A'. Reads of absent keys,
# keys created by every family (MSET interleaves each key's 'new' with its 'set'), an expired
# key read after its deadline, and a blocking pop that times out.
NEW_AND_MISS_SCRIPT = [
    ("SET", "a", "1"), ("SET", "a", "2"), ("GET", "a"), ("GET", "nokey"), ("MGET", "a", "x", "y"),
    ("EXISTS", "zz"), ("TYPE", "zz"), ("TTL", "zz"), ("LPUSH", "l", "1"), ("LPUSH", "l", "2"),
    ("LRANGE", "nol", "0", "-1"), ("HSET", "h", "f", "v"), ("HGET", "h", "nof"),
    ("HGET", "noh", "f"), ("SADD", "s", "m"), ("ZADD", "z", "1", "m"), ("INCR", "cnt"),
    ("APPEND", "ap", "x"), ("SETBIT", "bt", "3", "1"), ("MSET", "m1", "1", "m2", "2", "a", "3"),
    ("MSETNX", "n1", "1", "n2", "2"), ("RENAME", "a", "renamed"), ("COPY", "renamed", "copied"),
    ("SETRANGE", "sr", "2", "x"), ("PFADD", "hll", "a"), ("XADD", "st", "*", "f", "v"),
    ("GETDEL", "nope"), ("STRLEN", "nope"), ("GETEX", "nope"), ("SORT", "nope"), ("DUMP", "nope"),
    ("XRANGE", "nost", "-", "+"), ("SMEMBERS", "nos"), ("ZSCORE", "noz", "m"),
    ("GETRANGE", "nope", "0", "1"), ("LMOVE", "l", "l2", "LEFT", "RIGHT"),
    ("BLPOP", "nolist", "0.01"), ("HINCRBY", "h2", "f", "1"), ("EXPIRE", "nope", "10"),
    ("SET", "gone", "v", "PX", "50"),
    # a store over an existing key replaces it (no 'new'); the stores' and COPY's sources are
    # read lookups (a 'keymiss' each), XREAD looks each key up twice, OBJECT never announces
    ("SADD", "s1", "x"), ("SUNIONSTORE", "s1", "s1", "nos"), ("SINTERSTORE", "s2", "s1", "s1"),
    ("SINTERSTORE", "s2", "s1", "s1"), ("ZUNIONSTORE", "z", "2", "z", "noz"),
    ("ZRANGESTORE", "z", "z", "0", "-1"), ("SORT", "l", "STORE", "l2"),
    ("SORT", "l", "BY", "nosort", "GET", "nokey*"), ("COPY", "nope", "c2"),
    ("XREAD", "STREAMS", "nost", "0"), ("OBJECT", "ENCODING", "nope"),
]


@pytest.mark.parametrize("flags", ["KEmn", "Em", "Kn", "KEA"])
def test_new_key_and_keymiss_events_match(servers, flags):
    outcomes = [_events(server, flags, NEW_AND_MISS_SCRIPT) for server in servers]
    assert outcomes[1] == outcomes[0]
    if "m" in flags:
        assert [b"__keyevent@0__:keymiss", b"nokey"] in outcomes[0] or \
            [b"__keyspace@0__:nokey", b"keymiss"] in outcomes[0]
    if "n" in flags:
        assert [b"__keyspace@0__:m2", b"new"] in outcomes[0]


@pytest.mark.parametrize("flags", ["KEA", "El", "Kg$", "Ex", "Kz"])
def test_keyspace_notifications_match(servers, flags):
    outcomes = [_events(server, flags, SCRIPT) for server in servers]
    assert outcomes[1] == outcomes[0]
    assert outcomes[0]


def _events(server, flags, script) -> list:
    """The (channel, message) pairs a pattern subscriber hears while `script` runs."""
    admin, listener = RawClient(server.port), RawClient(server.port)
    admin.call("FLUSHALL")
    admin.call("CONFIG", "SET", "notify-keyspace-events", flags)
    listener.call("PSUBSCRIBE", "__key*__:*")
    for command in script:
        admin.call(*command)
    time.sleep(0.3)
    admin.call("GET", "gone")  # expired by now: an 'expired' event
    admin.call("PUBLISH", "end", "x")
    listener.send_raw(b"*2\r\n$9\r\nSUBSCRIBE\r\n$3\r\nend\r\n")  # marks the end
    messages = []
    while True:
        message = listener.read_reply()
        if message[0] == b"subscribe":
            break
        messages.append(message[2:])
    admin.call("CONFIG", "SET", "notify-keyspace-events", "")
    admin.close()
    listener.close()
    return messages


@pytest.mark.parametrize("command", [("SET", "a", "w"), ("MSET", "a", "w", "b", "x"),
                                     ("RENAME", "c", "a"), ("SET", "a", "w", "KEEPTTL"),
                                     ("SETEX", "a", "100", "w")])
def test_a_write_over_an_expired_key_expires_it_first(servers, command):
    """A write that replaces a key past its deadline (active expiry off) first expires it, as
    Redis's lookupKeyWrite does: an 'expired' event and INFO's expired_keys (plain SET, MSET
    and RENAME's target replaced it silently)."""
    outcomes = []
    for server in servers:
        admin = RawClient(server.port)
        admin.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        try:
            script = [("SET", "c", "cc"), ("SET", "a", "v", "PX", "1"), ("DEBUG", "SLEEP", "0.01"),
                      ("CONFIG", "RESETSTAT"), command]
            events = _events(server, "KEA", script)
            stats = admin.call("INFO", "stats").decode()
            outcomes.append((events, stats.split("expired_keys:")[1].split()[0]))
        finally:
            admin.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")
            admin.close()
    assert outcomes[1] == outcomes[0]
    assert (b"__keyevent@0__:expired", b"a") in [tuple(event) for event in outcomes[0][0]]


@pytest.mark.parametrize("script", [
    [("EVAL", "return redis.call('INCR', KEYS[1])", "1", "n")],  # (named after INCR)
    [("ZADD", "z", "XX", "1", "m"), ("ZADD", "z", "XX", "INCR", "1", "m")],  # (no key made)
    [("XADD", "s", "MAXLEN", "~", "0", "1-1", "f", "v"), ("XADD", "s", "MAXLEN", "5", "*", "f",
                                                         "v")],  # (xtrim when trimmed)
    [("SET", "a", "1"), ("SET", "b", "2"), ("RENAME", "a", "b")],  # ('new' b)
    [("ZADD", "z", "1", "m"), ("ZPOPMIN", "z", "0"), ("ZPOPMAX", "z", "0")]])  # (no pop)
def test_events_found_by_the_random_event_test(servers, script):
    outcomes = [_events(server, "KEAnm", script) for server in servers]
    assert outcomes[1] == outcomes[0]
