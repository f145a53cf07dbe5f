"""Differential tests: hash commands."""

import pytest


def test_hset_hget_family(diff23):
    d = diff23
    d.assert_same("HSET", "h", "f1", "v1", "f2", "v2")
    d.assert_same("HSET", "h", "f1", "new", "f3", "v3")
    d.assert_same("HSET", "h", "f1")
    d.assert_same("HGET", "h", "f1")
    d.assert_same("HGET", "h", "nope")
    d.assert_same("HGET", "missing", "f")
    d.assert_same("HMGET", "h", "f1", "nope", "f3")
    d.assert_same("HMGET", "missing", "a", "b")
    d.assert_same("HMSET", "h", "f4", "v4")
    d.assert_same("HSETNX", "h", "f4", "x")
    d.assert_same("HSETNX", "h", "f5", "x")
    d.assert_same("HLEN", "h")
    d.assert_same("HLEN", "missing")
    d.assert_same("HEXISTS", "h", "f1")
    d.assert_same("HEXISTS", "h", "zz")
    d.assert_same("HSTRLEN", "h", "f1")
    d.assert_same("HSTRLEN", "h", "zz")
    d.assert_same("HKEYS", "h")
    d.assert_same("HVALS", "h")
    d.assert_same("HGETALL", "h")
    d.assert_same("HGETALL", "missing")
    d.assert_same("HDEL", "h", "f1", "f2", "zz")
    d.assert_same("HGETALL", "h")
    d.assert_same("HDEL", "h", "f3", "f4", "f5")
    d.assert_same("EXISTS", "h")
    d.assert_same("TYPE", "h")


def test_wrongtype_both_ways(diff):
    diff.assert_same("SET", "s", "v")
    diff.assert_same("HSET", "h", "f", "v")
    for args in (["HGET", "s", "f"], ["HSET", "s", "f", "v"], ["HGETALL", "s"], ["HLEN", "s"],
                 ["GET", "h"], ["APPEND", "h", "x"], ["INCR", "h"], ["HINCRBY", "s", "f", "1"],
                 ["HDEL", "s", "f"], ["HSCAN", "s", "0"], ["STRLEN", "h"], ["SETRANGE", "h", "0", "x"],
                 ["GETRANGE", "h", "0", "1"], ["MGET", "h", "s"], ["SADD", "h", "m"],
                 ["SMEMBERS", "h"], ["GETDEL", "h"], ["SET", "h", "x", "GET"], ["BITCOUNT", "h"]):
        diff.assert_same(*args)
    diff.assert_same("TYPE", "h")
    diff.assert_same("OBJECT", "ENCODING", "h")


def test_hincrby_hincrbyfloat(diff):
    diff.assert_same("HINCRBY", "h", "n", "5")
    diff.assert_same("HINCRBY", "h", "n", "-10")
    diff.assert_same("HINCRBY", "h", "n", "x")
    diff.assert_same("HSET", "h", "s", "abc", "big", "9223372036854775807", "fl", "1.5")
    diff.assert_same("HINCRBY", "h", "s", "1")
    diff.assert_same("HINCRBY", "h", "big", "1")
    diff.assert_same("HINCRBY", "h", "fl", "1")
    diff.assert_same("HINCRBYFLOAT", "h", "fl", "2.25")
    diff.assert_same("HINCRBYFLOAT", "h", "s", "1")
    diff.assert_same("HINCRBYFLOAT", "h", "new", "1e3")
    diff.assert_same("HINCRBYFLOAT", "h", "fl", "abc")
    diff.assert_same("HINCRBYFLOAT", "h", "fl", "inf")
    diff.assert_same("HGETALL", "h")
    diff.assert_same("HINCRBY", "fresh", "f", "abc")
    diff.assert_same("EXISTS", "fresh")


def test_hrandfield(diff23):
    d = diff23
    d.assert_same("HRANDFIELD", "missing")
    d.assert_same("HRANDFIELD", "missing", "3")
    d.assert_same("HRANDFIELD", "missing", "3", "WITHVALUES")
    d.assert_same("HSET", "one", "f", "v")
    d.assert_same("HRANDFIELD", "one")
    d.assert_same("HRANDFIELD", "one", "1", "WITHVALUES")
    d.assert_same("HRANDFIELD", "one", "-3", "WITHVALUES")
    d.assert_same("HRANDFIELD", "one", "5")
    d.assert_same("HRANDFIELD", "one", "0")
    d.assert_same("HRANDFIELD", "one", "x")
    d.assert_same("HRANDFIELD", "one", "1", "FOO")
    d.assert_same("HSET", "many", *[x for i in range(20) for x in (f"f{i}", f"v{i}")])
    for count in (5, -30, 25):
        expected, actual = d.both("HRANDFIELD", "many", count)
        assert len(actual) == len(expected)
        assert set(actual) <= {f"f{i}".encode() for i in range(20)}


def test_hscan(diff):
    diff.assert_same("HSET", "small", "a", "1", "b", "2", "c", "3")
    diff.assert_same("HSCAN", "small", "0")
    diff.assert_same("HSCAN", "small", "0", "MATCH", "a*")
    diff.assert_same("HSCAN", "missing", "0")
    diff.assert_same("HSCAN", "small", "x")
    diff.assert_same("HSET", "big", *[x for i in range(600) for x in (f"f{i}", f"v{i}")])
    diff.assert_same("OBJECT", "ENCODING", "big")
    diff.assert_same("OBJECT", "ENCODING", "small")
    results = []
    for client in (diff.ref, diff.predis):
        seen, cursor = {}, b"0"
        while True:
            cursor, items = client.call("HSCAN", "big", cursor, "COUNT", "50")
            seen.update(zip(items[::2], items[1::2]))
            if cursor == b"0":
                break
        results.append(seen)
    assert results[1] == results[0] and len(results[0]) == 600


@pytest.mark.parametrize("value_len", [10, 100])
def test_hash_encoding_conversion(diff, value_len):
    diff.assert_same("HSET", "h", "f", "x" * value_len)
    diff.assert_same("OBJECT", "ENCODING", "h")
    diff.assert_same("CONFIG", "SET", "hash-max-listpack-entries", "2")
    diff.assert_same("HSET", "h2", "a", "1", "b", "2")
    diff.assert_same("OBJECT", "ENCODING", "h2")
    diff.assert_same("HSET", "h2", "c", "3")
    diff.assert_same("OBJECT", "ENCODING", "h2")
    diff.assert_same("HDEL", "h2", "c", "b")
    diff.assert_same("OBJECT", "ENCODING", "h2")
    diff.assert_same("CONFIG", "SET", "hash-max-listpack-entries", "512")


@pytest.mark.parametrize("command", [
    ("HSCAN", "missing", "0", "COUNT", "x"), ("SSCAN", "missing", "0", "MATCH"),
    ("ZSCAN", "str", "0", "COUNT", "x"),  # the type before the options
    ("HSCAN", "str", "abc"),  # the cursor before the key
    ("SSCAN", "h", "0", "COUNT", "0"), ("HSCAN", "h", "0", "NOVALUE"),
])
def test_container_scans_read_cursor_key_then_options(diff, command):
    diff.assert_same("HSET", "h", "f", "v")
    diff.assert_same("SET", "str", "v")
    diff.assert_same(*command)
