"""Differential tests: generic key and database commands."""

import time

import pytest

from .rawclient import RawClient


def test_del_exists_type_touch(diff23):
    d = diff23
    d.assert_same("MSET", "a", "1", "b", "2")
    d.assert_same("EXISTS", "a", "a", "b", "missing")
    d.assert_same("TYPE", "a")
    d.assert_same("TYPE", "missing")
    d.assert_same("TOUCH", "a", "b", "c")
    d.assert_same("DEL", "a", "missing", "a")
    d.assert_same("UNLINK", "b")
    d.assert_same("EXISTS", "a", "b")


@pytest.mark.parametrize("command", ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
@pytest.mark.parametrize("flags", [[], ["NX"], ["XX"], ["GT"], ["LT"], ["NX", "XX"],
                                   ["GT", "LT"], ["NX", "GT"], ["FOO"], ["XX", "GT"]])
def test_expire_flags(diff, command, flags):
    far = {"EXPIRE": 1000, "PEXPIRE": 1_000_000, "EXPIREAT": int(time.time()) + 1000,
           "PEXPIREAT": int(time.time() * 1000) + 1_000_000}[command]
    diff.assert_same("SET", "plain", "v")
    diff.assert_same("SET", "volatile", "v", "EX", "500")
    diff.assert_same(command, "plain", far, *flags)
    diff.assert_same(command, "volatile", far, *flags)
    diff.assert_same(command, "missing", far, *flags)
    diff.assert_close("TTL", "plain")
    diff.assert_close("TTL", "volatile")
    diff.assert_same(command, "volatile", far * 2, *flags)
    diff.assert_close("TTL", "volatile")


def test_expire_errors_and_past(diff):
    diff.assert_same("SET", "k", "v")
    diff.assert_same("EXPIRE", "k", "abc")
    diff.assert_same("EXPIRE", "k", "9223372036854775807")
    diff.assert_same("PEXPIRE", "k", "9223372036854775807")
    diff.assert_same("EXPIREAT", "k", "-9223372036854775808")
    for ttl in ("-9223372036854776", "-9223372036854775", "9223372036854776"):  # C's LLONG/1000
        diff.assert_same("EXPIRE", "k", ttl)
        diff.assert_same("EXPIREAT", "k", ttl)
        diff.assert_same("SET", "k", "v")
    diff.assert_same("EXPIRE", "k", "-1")
    diff.assert_same("EXISTS", "k")
    diff.assert_same("SET", "k", "v")
    diff.assert_same("PEXPIREAT", "k", "1")
    diff.assert_same("GET", "k")
    diff.assert_same("EXPIRE", "k")


def test_ttl_family(diff23):
    d = diff23
    d.assert_same("SET", "k", "v")
    d.assert_same("TTL", "k")
    d.assert_same("PTTL", "k")
    d.assert_same("EXPIRETIME", "k")
    d.assert_same("PEXPIRETIME", "k")
    d.assert_same("TTL", "missing")
    d.assert_same("PTTL", "missing")
    d.assert_same("EXPIRETIME", "missing")
    d.assert_same("EXPIREAT", "k", "4000000000")
    d.assert_same("EXPIRETIME", "k")
    d.assert_same("PEXPIRETIME", "k")
    d.assert_close("TTL", "k")  # a second may tick between the two servers' replies
    d.assert_same("PERSIST", "k")
    d.assert_same("PERSIST", "k")
    d.assert_same("PERSIST", "missing")
    d.assert_same("TTL", "k")


def test_lazy_expiry(diff):
    diff.assert_same("SET", "k", "v", "PX", "30")
    diff.assert_same("SET", "keep", "v")
    time.sleep(0.08)
    diff.assert_same("GET", "k")
    diff.assert_same("EXISTS", "k")
    diff.assert_same("TTL", "k")
    diff.assert_same("DBSIZE")


def test_active_expiry_removes_unread_keys(diff):
    for i in range(50):
        diff.assert_same("SET", f"k{i}", "v", "PX", "50")
    time.sleep(1.0)
    diff.assert_same("DBSIZE")


def test_keys_patterns(diff):
    diff.assert_same("MSET", "hello", "1", "hallo", "2", "hxllo", "3", "hllo", "4", "heeeello", "5",
               "a*b", "6", "a[b", "7", "h?llo", "8")
    for pattern in ["*", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "h[b-a]llo",
                    "a\\*b", "a*", "a[b", "a\\[b", "nomatch*", "h[]llo", "*llo", "h\\?llo",
                    "[", "*[", "h[a-", "???llo", "h*", "H*"]:
        expected, actual = diff.both("KEYS", pattern)
        assert sorted(actual) == sorted(expected), pattern


def test_scan_full_iteration(diff):
    for i in range(300):
        diff.assert_same("SET", f"key:{i}", "v")
    diff.assert_same("SET", "other", "v")
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
    diff.assert_same("SCAN", "abc")
    diff.assert_same("SCAN", "-1")
    diff.assert_same("SCAN", "0", "COUNT", "0")
    diff.assert_same("SCAN", "0", "COUNT", "x")
    diff.assert_same("SCAN", "0", "MATCH")
    diff.assert_same("SCAN", "0", "FOO", "bar")
    diff.assert_same("SCAN", "18446744073709551616")
    diff.assert_same("SCAN", "0")


def test_randomkey(diff):
    diff.assert_same("RANDOMKEY")
    diff.assert_same("SET", "only", "v")
    diff.assert_same("RANDOMKEY")


def test_rename(diff):
    diff.assert_same("SET", "a", "1", "EX", "100")
    diff.assert_same("RENAME", "a", "b")
    diff.assert_same("TTL", "b")
    diff.assert_same("EXISTS", "a")
    diff.assert_same("RENAME", "missing", "x")
    diff.assert_same("RENAME", "b", "b")
    diff.assert_same("SET", "c", "3")
    diff.assert_same("RENAMENX", "b", "c")
    diff.assert_same("RENAMENX", "b", "d")
    diff.assert_same("RENAMENX", "d", "d")
    diff.assert_same("RENAMENX", "missing", "e")
    diff.assert_same("MGET", "b", "c", "d")


def test_copy_and_move(diff):
    diff.assert_same("SET", "src", "v", "EX", "100")
    diff.assert_same("COPY", "src", "dst")
    diff.assert_same("TTL", "dst")
    diff.assert_same("COPY", "src", "dst")
    diff.assert_same("COPY", "src", "dst", "REPLACE")
    diff.assert_same("COPY", "src", "src")
    diff.assert_same("COPY", "src", "other", "DB", "1")
    diff.assert_same("COPY", "src", "other", "DB", "99")
    diff.assert_same("COPY", "src", "other", "DB", "x")
    diff.assert_same("COPY", "src", "other", "FOO")
    diff.assert_same("COPY", "missing", "x")
    diff.assert_same("MOVE", "src", "2")
    diff.assert_same("MOVE", "src", "2")
    diff.assert_same("MOVE", "dst", "0")
    diff.assert_same("MOVE", "dst", "99")
    diff.assert_same("MOVE", "dst", "x")
    diff.assert_same("SELECT", "2")
    diff.assert_same("GET", "src")
    diff.assert_same("TTL", "src")
    diff.assert_same("SELECT", "1")
    diff.assert_same("GET", "other")


def test_select_swapdb_dbsize_flush(diff):
    diff.assert_same("SET", "a", "1")
    diff.assert_same("SELECT", "1")
    diff.assert_same("SET", "b", "2")
    diff.assert_same("DBSIZE")
    diff.assert_same("SWAPDB", "0", "1")
    diff.assert_same("GET", "a")
    diff.assert_same("GET", "b")
    diff.assert_same("SWAPDB", "0", "99")
    diff.assert_same("SWAPDB", "x", "1")
    diff.assert_same("SWAPDB", "0", "y")
    diff.assert_same("SELECT", "16")
    diff.assert_same("SELECT", "-1")
    diff.assert_same("SELECT", "abc")
    diff.assert_same("FLUSHDB", "FOO")
    diff.assert_same("FLUSHDB", "ASYNC")
    diff.assert_same("DBSIZE")
    diff.assert_same("SELECT", "0")
    diff.assert_same("DBSIZE")
    diff.assert_same("FLUSHALL", "SYNC")
    diff.assert_same("FLUSHALL", "SYNC", "x")
    diff.assert_same("DBSIZE")


def test_object(diff23):
    d = diff23
    d.assert_same("SET", "int", "12345")
    d.assert_same("SET", "neg", "-5")
    d.assert_same("SET", "big", "99999999999999999999")
    d.assert_same("SET", "emb", "hello")
    d.assert_same("SET", "raw", "x" * 45)
    d.assert_same("SET", "lead0", "0123")
    d.assert_same("APPEND", "app", "12")
    for key in ("int", "neg", "big", "emb", "raw", "lead0", "app", "missing"):
        d.assert_same("OBJECT", "ENCODING", key)
    d.assert_same("OBJECT", "REFCOUNT", "int")
    d.assert_same("OBJECT", "REFCOUNT", "emb")
    d.assert_same("OBJECT", "REFCOUNT", "missing")
    d.assert_same("OBJECT", "FREQ", "emb")
    d.assert_same("OBJECT", "FOO", "emb")
    d.assert_same("OBJECT", "ENCODING")


def test_glob_patterns_match_as_redis_and_never_backtrack_forever(diff):
    """Found by Redis's own suite: a*a*...*b against a long run of a's made the old
    regex-based matcher backtrack exponentially (the server hung). Random patterns with
    stars, ?, sets, ranges and escapes must select the same keys as Redis's KEYS."""
    import random

    diff.assert_same("SET", "a" * 40, "1")
    diff.assert_same("KEYS", "a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b")
    rng = random.Random(5)
    keys = {"".join(rng.choice("ab-x\\") for _ in range(rng.randint(0, 6))) for _ in range(300)}
    for key in keys:
        diff.assert_same("SET", key, "v")
    for _ in range(400):
        pattern = "".join(rng.choice(["a", "b", "*", "?", "[ab]", "[^a]", "[a-b]", "\\*", "x",
                                      "-", "[]", "\\\\"]) for _ in range(rng.randint(1, 6)))
        expected, actual = diff.both("KEYS", pattern)
        assert sorted(actual) == sorted(expected), pattern


def test_a_pattern_past_a_thousand_nested_stars_matches_nothing(diff):
    """stringmatchlen recurses once per star that something follows and answers "no match"
    past 1000 levels (Redis's unit/keyspace.tcl "Regression for pattern matching very long
    nested loops"): 1000 such stars still match, 1001 never do, a final star does not count."""
    diff.assert_same("SET", "a" * 3000, "1")
    diff.assert_same("SET", "ab", "1")
    for count in (1000, 1001):
        for pattern in ("*?" * count, "*a" * count, "*a" * count + "*", "a*" * (count + 1),
                        "?*" * (count + 1)):
            expected, actual = diff.both("KEYS", pattern)
            assert sorted(actual) == sorted(expected), (pattern[:8], count)
            expected, actual = diff.both("SCAN", "0", "MATCH", pattern, "COUNT", "100")
            assert sorted(actual[1]) == sorted(expected[1]), (pattern[:8], count)
    assert diff.both("KEYS", "*?" * 1001) == ([], [])


def test_a_key_deleted_and_set_again_is_new_to_lfu(servers):
    """A new key's LFU counter starts at LFU_INIT_VAL (5) even when the key it replaces,
    deleted in the same breath, was hot (Redis's unit/maxmemory.tcl "lru/lfu value of the key
    just added")."""
    outcomes = []
    for server in servers:
        client = RawClient(server.port)
        client.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
        client.call("SET", "foo", "a")
        for _ in range(30):
            client.call("GET", "foo")
        hot = client.call("OBJECT", "FREQ", "foo")
        client.send_raw(b"*2\r\n$3\r\nDEL\r\n$3\r\nfoo\r\n*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$1\r\na\r\n"
                        b"*3\r\n$6\r\nOBJECT\r\n$4\r\nFREQ\r\n$3\r\nfoo\r\n")
        outcomes.append((hot > 5, [client.read_reply() for _ in range(3)]))
        client.call("CONFIG", "SET", "maxmemory-policy", "noeviction")
        client.close()
    assert outcomes[1] == outcomes[0] == (True, [1, b"OK", 5])


def test_randomkey_returns_an_expired_key_while_expiry_is_paused(servers):
    """With every key expired but none deletable (CLIENT PAUSE WRITE), RANDOMKEY answers with
    one of them rather than searching forever (Redis 7.2's unit/pause.tcl; the 7.0 reference
    here loops forever), and nothing once the pause ends."""
    client = RawClient(servers[1].port)
    client.call("FLUSHALL")
    for args in (["MULTI"], ["SET", "key", "value", "PX", "3"], ["CLIENT", "PAUSE", "10000",
                                                                 "WRITE"], ["EXEC"]):
        client.call(*args)
    time.sleep(0.05)
    assert client.call("RANDOMKEY") == b"key"
    assert client.call("CLIENT", "UNPAUSE") == b"OK"
    assert client.call("RANDOMKEY") is None
    client.close()
