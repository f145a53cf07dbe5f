"""Differential tests: set commands (order-insensitive where Redis's order is unspecified)."""

import pytest

from .rawclient import RawClient


def sorted_reply(reply):
    return sorted(reply) if isinstance(reply, (list, set)) else reply


def assert_same_unordered(d, *args):
    expected, actual = d.both(*args)
    assert sorted_reply(actual) == sorted_reply(expected), args


def test_sadd_srem_members(diff23):
    d = diff23
    d.assert_same("SADD", "s", "a", "b", "c", "a")
    d.assert_same("SADD", "s", "c", "d")
    d.assert_same("SCARD", "s")
    d.assert_same("SISMEMBER", "s", "a")
    d.assert_same("SISMEMBER", "s", "z")
    d.assert_same("SMISMEMBER", "s", "a", "z", "d")
    d.assert_same("SMISMEMBER", "missing", "a")
    assert_same_unordered(d, "SMEMBERS", "s")
    assert_same_unordered(d, "SMEMBERS", "missing")
    d.assert_same("SREM", "s", "a", "z")
    d.assert_same("SREM", "missing", "a")
    d.assert_same("SREM", "s", "b", "c", "d")
    d.assert_same("EXISTS", "s")


def test_set_algebra(diff23):
    d = diff23
    d.assert_same("SADD", "a", "1", "2", "3", "4")
    d.assert_same("SADD", "b", "3", "4", "5")
    d.assert_same("SADD", "c", "4", "6")
    for op in ("SINTER", "SUNION", "SDIFF"):
        assert_same_unordered(d, op, "a", "b", "c")
        assert_same_unordered(d, op, "a", "missing")
        assert_same_unordered(d, op, "missing", "a")
    for op in ("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"):
        d.assert_same(op, "dest", "a", "b")
        assert_same_unordered(d, "SMEMBERS", "dest")
    d.assert_same("SINTERSTORE", "dest", "a", "missing")
    d.assert_same("EXISTS", "dest")
    d.assert_same("SET", "str", "x")
    d.assert_same("SINTER", "a", "str")
    d.assert_same("SUNIONSTORE", "dest", "a", "str")
    d.assert_same("SINTERCARD", "2", "a", "b")
    d.assert_same("SINTERCARD", "2", "a", "b", "LIMIT", "1")
    d.assert_same("SINTERCARD", "2", "a", "b", "LIMIT", "-1")
    d.assert_same("SINTERCARD", "0", "a")
    d.assert_same("SINTERCARD", "3", "a", "b")
    d.assert_same("SINTERCARD", "1", "a", "FOO", "1")


def test_smove_spop_srandmember(diff):
    diff.assert_same("SADD", "src", "a", "b")
    diff.assert_same("SMOVE", "src", "dst", "a")
    diff.assert_same("SMOVE", "src", "dst", "zz")
    diff.assert_same("SMOVE", "src", "src", "b")
    diff.assert_same("SMOVE", "src", "dst", "b")
    diff.assert_same("EXISTS", "src")
    assert_same_unordered(diff, "SMEMBERS", "dst")
    diff.assert_same("SET", "str", "v")
    diff.assert_same("SMOVE", "dst", "str", "a")
    diff.assert_same("SPOP", "missing")
    diff.assert_same("SPOP", "missing", "2")
    diff.assert_same("SPOP", "dst", "-1")
    diff.assert_same("SPOP", "dst", "0")
    diff.assert_same("SRANDMEMBER", "missing")
    diff.assert_same("SRANDMEMBER", "missing", "5")
    diff.assert_same("SADD", "one", "x")
    diff.assert_same("SRANDMEMBER", "one")
    diff.assert_same("SRANDMEMBER", "one", "-3")
    diff.assert_same("SPOP", "one")
    diff.assert_same("EXISTS", "one")
    diff.assert_same("SADD", "many", *[str(i) for i in range(50)])
    for args in (("SPOP", "many", "10"), ("SRANDMEMBER", "many", "-70"),
                 ("SRANDMEMBER", "many", "20"), ("SPOP", "many")):
        expected, actual = diff.both(*args)
        assert type(actual) == type(expected)
        if isinstance(actual, list):
            assert len(actual) == len(expected)
    diff.assert_same("SCARD", "many")


def test_set_encodings(diff):
    diff.assert_same("SADD", "ints", "1", "2", "3")
    diff.assert_same("OBJECT", "ENCODING", "ints")
    diff.assert_same("SADD", "big", *[str(i) for i in range(600)])
    diff.assert_same("OBJECT", "ENCODING", "big")


def test_sscan(diff):
    diff.assert_same("SADD", "s", *[f"m{i}" for i in range(300)])
    results = []
    for client in (diff.ref, diff.predis):
        seen, cursor = set(), b"0"
        while True:
            cursor, items = client.call("SSCAN", "s", cursor, "MATCH", "m1*", "COUNT", "20")
            seen.update(items)
            if cursor == b"0":
                break
        results.append(seen)
    assert results[1] == results[0]


def test_smove_of_a_member_the_target_has_leaves_its_watchers_alone(servers):
    """The destination did not change, so a transaction watching it still runs."""
    outcomes = []
    for server in servers:
        watcher, other = RawClient(server.port), RawClient(server.port)
        watcher.call("DEL", "src", "dst")
        watcher.call("SADD", "src", "a", "b")
        watcher.call("SADD", "dst", "a")
        watcher.call("WATCH", "dst")
        watcher.call("MULTI")
        watcher.call("SADD", "dst", "c")
        outcomes.append([other.call("SMOVE", "src", "dst", "a"), watcher.call("EXEC"),
                         watcher.call("SCARD", "dst"), watcher.call("SMEMBERS", "src")])
    assert outcomes[1] == outcomes[0] == [1, [1], 2, [b"b"]]


def test_an_intsets_members_come_out_in_order(diff):
    """A set of integers small enough to be an intset answers SMEMBERS in ascending order,
    as Redis's sorted intset does, also when restored from a DUMP payload (Redis's
    integration/redis-cli "DUMP RESTORE with -x option"); Predis answered in hash order."""
    diff.assert_same("SADD", "ints", "5", "-3", "100", "2", "1", "7", "40")
    diff.assert_same("SMEMBERS", "ints")
    payload = diff.both("DUMP", "ints")[0]
    diff.assert_same("RESTORE", "copy", "0", payload)
    diff.assert_same("SMEMBERS", "copy")
    diff.assert_same("EVAL", "return redis.call('smembers', KEYS[1])", "1", "ints")
    diff.assert_same("SADD", "ints", "x")  # a listpack now: Redis's order is insertion's,
    assert_same_unordered(diff, "SMEMBERS", "ints")  # not checked here


@pytest.mark.parametrize("command", [
    ("SMOVE", "missing", "str", "m"),  # 0 whatever the destination holds
    ("SMOVE", "s", "str", "m"), ("SMOVE", "str", "s", "m"),
    ("SINTERCARD", "1", "s", "LIMIT", "1", "LIMIT", "0"),  # a repeated LIMIT: the last one
    ("SINTERCARD", "1", "s", "LIMIT"), ("SINTERCARD", "1", "s", "LIMIT", "abc"),
    ("SRANDMEMBER", "s", "-9223372036854775808"),
])
def test_set_commands_check_in_redis_order(diff, command):
    diff.assert_same("SADD", "s", "m", "n")
    diff.assert_same("SET", "str", "v")
    diff.assert_same(*command)
