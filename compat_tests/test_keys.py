"""Differential tests: generic key and database commands."""

import time

import pytest


def test_del_exists_type_touch(diff23):
    d = diff23
    d.check("MSET", "a", "1", "b", "2")
    d.check("EXISTS", "a", "a", "b", "missing")
    d.check("TYPE", "a")
    d.check("TYPE", "missing")
    d.check("TOUCH", "a", "b", "c")
    d.check("DEL", "a", "missing", "a")
    d.check("UNLINK", "b")
    d.check("EXISTS", "a", "b")


@pytest.mark.parametrize("command", ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
@pytest.mark.parametrize("flags", [[], ["NX"], ["XX"], ["GT"], ["LT"], ["NX", "XX"],
                                   ["GT", "LT"], ["NX", "GT"], ["FOO"], ["XX", "GT"]])
def test_expire_flags(diff, command, flags):
    far = {"EXPIRE": 1000, "PEXPIRE": 1_000_000, "EXPIREAT": int(time.time()) + 1000,
           "PEXPIREAT": int(time.time() * 1000) + 1_000_000}[command]
    diff.check("SET", "plain", "v")
    diff.check("SET", "volatile", "v", "EX", "500")
    diff.check(command, "plain", far, *flags)
    diff.check(command, "volatile", far, *flags)
    diff.check(command, "missing", far, *flags)
    diff.check("TTL", "plain")
    diff.check("TTL", "volatile")
    diff.check(command, "volatile", far * 2, *flags)
    diff.check("TTL", "volatile")


def test_expire_errors_and_past(diff):
    diff.check("SET", "k", "v")
    diff.check("EXPIRE", "k", "abc")
    diff.check("EXPIRE", "k", "9223372036854775807")
    diff.check("PEXPIRE", "k", "9223372036854775807")
    diff.check("EXPIREAT", "k", "-9223372036854775808")
    diff.check("EXPIRE", "k", "-1")
    diff.check("EXISTS", "k")
    diff.check("SET", "k", "v")
    diff.check("PEXPIREAT", "k", "1")
    diff.check("GET", "k")
    diff.check("EXPIRE", "k")


def test_ttl_family(diff23):
    d = diff23
    d.check("SET", "k", "v")
    d.check("TTL", "k")
    d.check("PTTL", "k")
    d.check("EXPIRETIME", "k")
    d.check("PEXPIRETIME", "k")
    d.check("TTL", "missing")
    d.check("PTTL", "missing")
    d.check("EXPIRETIME", "missing")
    d.check("EXPIREAT", "k", "4000000000")
    d.check("EXPIRETIME", "k")
    d.check("PEXPIRETIME", "k")
    d.check("TTL", "k")
    d.check("PERSIST", "k")
    d.check("PERSIST", "k")
    d.check("PERSIST", "missing")
    d.check("TTL", "k")


def test_lazy_expiry(diff):
    diff.check("SET", "k", "v", "PX", "30")
    diff.check("SET", "keep", "v")
    time.sleep(0.08)
    diff.check("GET", "k")
    diff.check("EXISTS", "k")
    diff.check("TTL", "k")
    diff.check("DBSIZE")


def test_active_expiry_removes_unread_keys(diff):
    for i in range(50):
        diff.check("SET", f"k{i}", "v", "PX", "50")
    time.sleep(1.0)
    diff.check("DBSIZE")


def test_keys_patterns(diff):
    diff.check("MSET", "hello", "1", "hallo", "2", "hxllo", "3", "hllo", "4", "heeeello", "5",
               "a*b", "6", "a[b", "7", "h?llo", "8")
    for pattern in ["*", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "h[b-a]llo",
                    "a\\*b", "a*", "a[b", "a\\[b", "nomatch*", "h[]llo", "*llo", "h\\?llo",
                    "[", "*[", "h[a-", "???llo", "h*", "H*"]:
        expected, actual = diff.both("KEYS", pattern)
        assert sorted(actual) == sorted(expected), pattern


def test_scan_full_iteration(diff):
    for i in range(300):
        diff.check("SET", f"key:{i}", "v")
    diff.check("SET", "other", "v")
    for options in ([], ["COUNT", "7"], ["MATCH", "key:1*"], ["MATCH", "other", "COUNT", "1000"],
                    ["TYPE", "string"], ["TYPE", "hash"]):
        results = []
        for client in (diff.ref, diff.predis):
            seen, cursor = set(), b"0"
            while True:
                cursor, keys = client.call("SCAN", cursor, *options)
                seen.update(keys)
                if cursor == b"0":
                    break
            results.append(seen)
        assert results[1] == results[0], options


def test_scan_errors(diff):
    diff.check("SCAN", "abc")
    diff.check("SCAN", "-1")
    diff.check("SCAN", "0", "COUNT", "0")
    diff.check("SCAN", "0", "COUNT", "x")
    diff.check("SCAN", "0", "MATCH")
    diff.check("SCAN", "0", "FOO", "bar")
    diff.check("SCAN", "18446744073709551616")
    diff.check("SCAN", "0")


def test_randomkey(diff):
    diff.check("RANDOMKEY")
    diff.check("SET", "only", "v")
    diff.check("RANDOMKEY")


def test_rename(diff):
    diff.check("SET", "a", "1", "EX", "100")
    diff.check("RENAME", "a", "b")
    diff.check("TTL", "b")
    diff.check("EXISTS", "a")
    diff.check("RENAME", "missing", "x")
    diff.check("RENAME", "b", "b")
    diff.check("SET", "c", "3")
    diff.check("RENAMENX", "b", "c")
    diff.check("RENAMENX", "b", "d")
    diff.check("RENAMENX", "d", "d")
    diff.check("RENAMENX", "missing", "e")
    diff.check("MGET", "b", "c", "d")


def test_copy_and_move(diff):
    diff.check("SET", "src", "v", "EX", "100")
    diff.check("COPY", "src", "dst")
    diff.check("TTL", "dst")
    diff.check("COPY", "src", "dst")
    diff.check("COPY", "src", "dst", "REPLACE")
    diff.check("COPY", "src", "src")
    diff.check("COPY", "src", "other", "DB", "1")
    diff.check("COPY", "src", "other", "DB", "99")
    diff.check("COPY", "src", "other", "DB", "x")
    diff.check("COPY", "src", "other", "FOO")
    diff.check("COPY", "missing", "x")
    diff.check("MOVE", "src", "2")
    diff.check("MOVE", "src", "2")
    diff.check("MOVE", "dst", "0")
    diff.check("MOVE", "dst", "99")
    diff.check("MOVE", "dst", "x")
    diff.check("SELECT", "2")
    diff.check("GET", "src")
    diff.check("TTL", "src")
    diff.check("SELECT", "1")
    diff.check("GET", "other")


def test_select_swapdb_dbsize_flush(diff):
    diff.check("SET", "a", "1")
    diff.check("SELECT", "1")
    diff.check("SET", "b", "2")
    diff.check("DBSIZE")
    diff.check("SWAPDB", "0", "1")
    diff.check("GET", "a")
    diff.check("GET", "b")
    diff.check("SWAPDB", "0", "99")
    diff.check("SWAPDB", "x", "1")
    diff.check("SWAPDB", "0", "y")
    diff.check("SELECT", "16")
    diff.check("SELECT", "-1")
    diff.check("SELECT", "abc")
    diff.check("FLUSHDB", "FOO")
    diff.check("FLUSHDB", "ASYNC")
    diff.check("DBSIZE")
    diff.check("SELECT", "0")
    diff.check("DBSIZE")
    diff.check("FLUSHALL", "SYNC")
    diff.check("FLUSHALL", "SYNC", "x")
    diff.check("DBSIZE")


def test_object(diff23):
    d = diff23
    d.check("SET", "int", "12345")
    d.check("SET", "neg", "-5")
    d.check("SET", "big", "99999999999999999999")
    d.check("SET", "emb", "hello")
    d.check("SET", "raw", "x" * 45)
    d.check("SET", "lead0", "0123")
    d.check("APPEND", "app", "12")
    for key in ("int", "neg", "big", "emb", "raw", "lead0", "app", "missing"):
        d.check("OBJECT", "ENCODING", key)
    d.check("OBJECT", "REFCOUNT", "int")
    d.check("OBJECT", "REFCOUNT", "emb")
    d.check("OBJECT", "REFCOUNT", "missing")
    d.check("OBJECT", "FREQ", "emb")
    d.check("OBJECT", "FOO", "emb")
    d.check("OBJECT", "ENCODING")
