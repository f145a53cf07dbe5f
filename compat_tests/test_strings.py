"""Differential tests: string commands against a real redis-server."""

import time

import pytest


def test_get_set_basic(diff23):
    d = diff23
    d.assert_same("SET", "k", "v")
    d.assert_same("GET", "k")
    d.assert_same("GET", "missing")
    d.assert_same("SET", "k", "")
    d.assert_same("GET", "k")
    d.assert_same("SET", "bin", b"\x00\xff\r\n")
    d.assert_same("GET", "bin")


@pytest.mark.parametrize("options", [
    ["NX"], ["XX"], ["NX", "XX"], ["XX", "NX"], ["GET"], ["NX", "GET"], ["XX", "GET"],
    ["EX", "100"], ["PX", "100000"], ["EX", "0"], ["EX", "-1"], ["PX", "0"], ["EX", "abc"],
    ["EX"], ["EX", "10", "PX", "10"], ["KEEPTTL"], ["KEEPTTL", "EX", "10"], ["EX", "10", "KEEPTTL"],
    ["EXAT", "99999999999"], ["PXAT", "99999999999999"], ["EXAT", "1"], ["FOO"],
    ["EX", "9223372036854775807"], ["PX", "9223372036854775807"], ["ex", "10", "nx"],
    ["EX", "9223372036854775"], ["GET", "GET"],
])
def test_set_options(diff, options):
    diff.assert_same("SET", "exists", "old")
    diff.assert_same("SET", "exists", "new", *options)
    diff.assert_same("GET", "exists")
    diff.assert_same("SET", "fresh", "new", *options)
    diff.assert_same("GET", "fresh")
    diff.assert_same("EXISTS", "exists", "fresh")


def test_set_get_on_wrong_type_and_ttl_kept(diff):
    diff.assert_same("SET", "k", "v", "EX", "100")
    diff.assert_same("SET", "k", "w", "KEEPTTL")
    diff.assert_same("TTL", "k")
    diff.assert_same("SET", "k", "x")
    diff.assert_same("TTL", "k")


def test_setnx_setex_psetex_getset(diff):
    diff.assert_same("SETNX", "a", "1")
    diff.assert_same("SETNX", "a", "2")
    diff.assert_same("GET", "a")
    diff.assert_same("SETEX", "b", "100", "v")
    diff.assert_same("TTL", "b")
    diff.assert_same("SETEX", "b", "0", "v")
    diff.assert_same("SETEX", "b", "-5", "v")
    diff.assert_same("SETEX", "b", "x", "v")
    diff.assert_same("PSETEX", "c", "100000", "v")
    diff.assert_same("PSETEX", "c", "0", "v")
    diff.assert_same("GETSET", "a", "3")
    diff.assert_same("GETSET", "nope", "3")
    diff.assert_same("SETNX", "a")


def test_mget_mset_msetnx(diff23):
    d = diff23
    d.assert_same("MSET", "a", "1", "b", "2", "c", "3")
    d.assert_same("MGET", "a", "b", "missing", "c")
    d.assert_same("MSET", "a", "1", "b")
    d.assert_same("MSETNX", "x", "1", "a", "9")
    d.assert_same("MSETNX", "x", "1", "y", "2")
    d.assert_same("MGET", "x", "y", "a")
    d.assert_same("MSETNX", "x")


def test_getdel_getex(diff):
    diff.assert_same("SET", "k", "v")
    diff.assert_same("GETEX", "k", "EX", "100")
    diff.assert_same("TTL", "k")
    diff.assert_same("GETEX", "k", "PERSIST")
    diff.assert_same("TTL", "k")
    diff.assert_same("GETEX", "k", "PX", "0")
    diff.assert_same("GETEX", "k", "EX", "10", "PX", "10")
    diff.assert_same("GETEX", "k", "FOO")
    diff.assert_same("GETEX", "missing", "EX", "10")
    diff.assert_same("GETEX", "k", "PXAT", "1")
    diff.assert_same("EXISTS", "k")
    diff.assert_same("SET", "k", "v")
    diff.assert_same("GETDEL", "k")
    diff.assert_same("GETDEL", "k")
    diff.assert_same("EXISTS", "k")


def test_a_deadline_already_past_is_stored_by_set(diff):
    """SET with a past EXAT/PXAT stores the key (counted by DBSIZE, found by DEBUG OBJECT)
    until it is read or swept; only GETEX deletes at once."""
    diff.assert_same("FLUSHDB")
    diff.assert_same("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        for command in [("SET", "k", "v", "PXAT", "1"), ("SET", "j", "v", "EXAT", "1"),
                        ("PSETEX", "m", "1", "v")]:
            diff.assert_same(*command)
        time.sleep(0.01)
        diff.assert_same("DBSIZE")
        assert diff.predis.call("DEBUG", "OBJECT", "k").startswith(b"Value at:")
        diff.assert_same("EXISTS", "k", "j", "m")
        diff.assert_same("DBSIZE")
    finally:
        diff.assert_same("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_append_strlen_getrange_setrange(diff):
    diff.assert_same("APPEND", "s", "hello")
    diff.assert_same("APPEND", "s", " world")
    diff.assert_same("GET", "s")
    diff.assert_same("STRLEN", "s")
    diff.assert_same("STRLEN", "missing")
    for start, end in [(0, 4), (-5, -1), (6, 100), (-100, 3), (5, 2), (-1, -5), (0, -1),
                       (100, 200), (-3, -1)]:
        diff.assert_same("GETRANGE", "s", start, end)
    diff.assert_same("GETRANGE", "missing", 0, -1)
    diff.assert_same("GETRANGE", "s", "a", 1)
    diff.assert_same("SUBSTR", "s", 0, 3)
    diff.assert_same("SETRANGE", "s", 6, "Redis")
    diff.assert_same("GET", "s")
    diff.assert_same("SETRANGE", "s", 20, "!")
    diff.assert_same("GET", "s")
    diff.assert_same("SETRANGE", "s", -1, "x")
    diff.assert_same("SETRANGE", "new", 3, "abc")
    diff.assert_same("GET", "new")
    diff.assert_same("SETRANGE", "empty", 3, "")
    diff.assert_same("EXISTS", "empty")
    diff.assert_same("SETRANGE", "s", 0, "")
    diff.assert_same("SETRANGE", "s", 536870911, "x")
    diff.assert_same("SETRANGE", "s", 536870912, "x")


def test_counters(diff):
    diff.assert_same("INCR", "n")
    diff.assert_same("INCRBY", "n", 10)
    diff.assert_same("DECR", "n")
    diff.assert_same("DECRBY", "n", 5)
    diff.assert_same("DECRBY", "n", "-9223372036854775808")
    diff.assert_same("INCRBY", "n", "abc")
    diff.assert_same("INCRBY", "n", " 1")
    diff.assert_same("INCRBY", "n", "01")
    diff.assert_same("SET", "big", "9223372036854775807")
    diff.assert_same("INCR", "big")
    diff.assert_same("SET", "small", "-9223372036854775808")
    diff.assert_same("DECR", "small")
    diff.assert_same("SET", "text", "abc")
    diff.assert_same("INCR", "text")
    diff.assert_same("SET", "spaced", " 1")
    diff.assert_same("INCR", "spaced")
    diff.assert_same("SET", "ttl", "1", "EX", "100")
    diff.assert_same("INCR", "ttl")
    diff.assert_same("TTL", "ttl")


@pytest.mark.parametrize("start,increment", [
    ("10.5", "0.1"), ("5.0e3", "2.0e2"), ("3", "1.5"), ("0", "1e-5"), ("1", "-1"),
    ("10", "abc"), ("abc", "1"), ("1", "inf"), ("1", "nan"), ("0x10", "1"), ("1", " 1"),
    ("1.5", "1e308"), ("1e308", "1e308"), ("7", "-7.5"), ("1.1", "2.2"), ("100", "1_0"),
])
def test_incrbyfloat(diff, start, increment):
    diff.assert_same("SET", "f", start)
    diff.assert_same("INCRBYFLOAT", "f", increment)
    diff.assert_same("GET", "f")


def test_incrbyfloat_missing_key(diff):
    diff.assert_same("INCRBYFLOAT", "f", "3.25")
    diff.assert_same("GET", "f")


def test_lcs(diff23):
    d = diff23
    d.assert_same("MSET", "a", "ohmytext", "b", "mynewtext")
    d.assert_same("LCS", "a", "b")
    d.assert_same("LCS", "a", "b", "LEN")
    d.assert_same("LCS", "a", "b", "IDX")
    d.assert_same("LCS", "a", "b", "IDX", "MINMATCHLEN", "4")
    d.assert_same("LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN")
    d.assert_same("LCS", "a", "b", "IDX", "WITHMATCHLEN")
    d.assert_same("LCS", "a", "b", "LEN", "IDX")
    d.assert_same("LCS", "a", "missing")
    d.assert_same("LCS", "a", "b", "FOO")
    d.assert_same("RPUSH", "list", "x")
    d.assert_same("LCS", "a", "list", "FOO")  # the keys' types before the options
    d.assert_same("LCS", "list", "a", "LEN", "IDX")
    d.assert_same("MSET", "c", "abcdefghij", "e", "xaxbxcxdxexfx")
    d.assert_same("LCS", "c", "e", "IDX", "WITHMATCHLEN")
    # the table Redis would allocate is bounded by proto-max-bulk-len (found by Redis's
    # corrupt-dump tests: Predis tried to build a 400k x 400k table)
    d.assert_same("SETRANGE", "big", "423324", "1450173551")
    d.assert_same("LCS", "big", "big")
    d.assert_same("CONFIG", "SET", "proto-max-bulk-len", "1mb")
    d.assert_same("SET", "x", "a" * 600)
    d.assert_same("LCS", "x", "x", "LEN")
    d.assert_same("SET", "x", "a" * 400)
    d.assert_same("LCS", "x", "x", "LEN")
    d.assert_same("CONFIG", "SET", "proto-max-bulk-len", "512mb")


def test_wrong_type_errors(diff):
    # No other types exist yet in the core; use a type Redis has, via a command both share:
    # the WRONGTYPE path is exercised by data-type tests once hashes/lists land. Here: arity.
    for args in [("GET",), ("SET", "k"), ("GETRANGE", "k", "0"), ("APPEND", "k"),
                 ("INCRBY", "k"), ("MGET",), ("STRLEN",), ("SETEX", "k", "1")]:
        diff.assert_same(*args)
