"""Differential tests: hash commands."""

import pytest


def test_hset_hget_family(diff23):
    d = diff23
    d.check("HSET", "h", "f1", "v1", "f2", "v2")
    d.check("HSET", "h", "f1", "new", "f3", "v3")
    d.check("HSET", "h", "f1")
    d.check("HGET", "h", "f1")
    d.check("HGET", "h", "nope")
    d.check("HGET", "missing", "f")
    d.check("HMGET", "h", "f1", "nope", "f3")
    d.check("HMGET", "missing", "a", "b")
    d.check("HMSET", "h", "f4", "v4")
    d.check("HSETNX", "h", "f4", "x")
    d.check("HSETNX", "h", "f5", "x")
    d.check("HLEN", "h")
    d.check("HLEN", "missing")
    d.check("HEXISTS", "h", "f1")
    d.check("HEXISTS", "h", "zz")
    d.check("HSTRLEN", "h", "f1")
    d.check("HSTRLEN", "h", "zz")
    d.check("HKEYS", "h")
    d.check("HVALS", "h")
    d.check("HGETALL", "h")
    d.check("HGETALL", "missing")
    d.check("HDEL", "h", "f1", "f2", "zz")
    d.check("HGETALL", "h")
    d.check("HDEL", "h", "f3", "f4", "f5")
    d.check("EXISTS", "h")
    d.check("TYPE", "h")


def test_wrongtype_both_ways(diff):
    diff.check("SET", "s", "v")
    diff.check("HSET", "h", "f", "v")
    for args in (["HGET", "s", "f"], ["HSET", "s", "f", "v"], ["HGETALL", "s"], ["HLEN", "s"],
                 ["GET", "h"], ["APPEND", "h", "x"], ["INCR", "h"], ["HINCRBY", "s", "f", "1"],
                 ["HDEL", "s", "f"], ["HSCAN", "s", "0"], ["STRLEN", "h"], ["SETRANGE", "h", "0", "x"],
                 ["GETRANGE", "h", "0", "1"], ["MGET", "h", "s"], ["SADD", "h", "m"],
                 ["SMEMBERS", "h"], ["GETDEL", "h"], ["SET", "h", "x", "GET"], ["BITCOUNT", "h"]):
        diff.check(*args)
    diff.check("TYPE", "h")
    diff.check("OBJECT", "ENCODING", "h")


def test_hincrby_hincrbyfloat(diff):
    diff.check("HINCRBY", "h", "n", "5")
    diff.check("HINCRBY", "h", "n", "-10")
    diff.check("HINCRBY", "h", "n", "x")
    diff.check("HSET", "h", "s", "abc", "big", "9223372036854775807", "fl", "1.5")
    diff.check("HINCRBY", "h", "s", "1")
    diff.check("HINCRBY", "h", "big", "1")
    diff.check("HINCRBY", "h", "fl", "1")
    diff.check("HINCRBYFLOAT", "h", "fl", "2.25")
    diff.check("HINCRBYFLOAT", "h", "s", "1")
    diff.check("HINCRBYFLOAT", "h", "new", "1e3")
    diff.check("HINCRBYFLOAT", "h", "fl", "abc")
    diff.check("HINCRBYFLOAT", "h", "fl", "inf")
    diff.check("HGETALL", "h")
    diff.check("HINCRBY", "fresh", "f", "abc")
    diff.check("EXISTS", "fresh")


def test_hrandfield(diff23):
    d = diff23
    d.check("HRANDFIELD", "missing")
    d.check("HRANDFIELD", "missing", "3")
    d.check("HRANDFIELD", "missing", "3", "WITHVALUES")
    d.check("HSET", "one", "f", "v")
    d.check("HRANDFIELD", "one")
    d.check("HRANDFIELD", "one", "1", "WITHVALUES")
    d.check("HRANDFIELD", "one", "-3", "WITHVALUES")
    d.check("HRANDFIELD", "one", "5")
    d.check("HRANDFIELD", "one", "0")
    d.check("HRANDFIELD", "one", "x")
    d.check("HRANDFIELD", "one", "1", "FOO")
    d.check("HSET", "many", *[x for i in range(20) for x in (f"f{i}", f"v{i}")])
    for count in (5, -30, 25):
        expected, actual = d.both("HRANDFIELD", "many", count)
        assert len(actual) == len(expected)
        assert set(actual) <= {f"f{i}".encode() for i in range(20)}


def test_hscan(diff):
    diff.check("HSET", "small", "a", "1", "b", "2", "c", "3")
    diff.check("HSCAN", "small", "0")
    diff.check("HSCAN", "small", "0", "MATCH", "a*")
    diff.check("HSCAN", "missing", "0")
    diff.check("HSCAN", "small", "x")
    diff.check("HSET", "big", *[x for i in range(600) for x in (f"f{i}", f"v{i}")])
    diff.check("OBJECT", "ENCODING", "big")
    diff.check("OBJECT", "ENCODING", "small")
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
    diff.check("HSET", "h", "f", "x" * value_len)
    diff.check("OBJECT", "ENCODING", "h")
    diff.check("CONFIG", "SET", "hash-max-listpack-entries", "2")
    diff.check("HSET", "h2", "a", "1", "b", "2")
    diff.check("OBJECT", "ENCODING", "h2")
    diff.check("HSET", "h2", "c", "3")
    diff.check("OBJECT", "ENCODING", "h2")
    diff.check("HDEL", "h2", "c", "b")
    diff.check("OBJECT", "ENCODING", "h2")
    diff.check("CONFIG", "SET", "hash-max-listpack-entries", "512")
