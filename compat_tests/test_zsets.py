"""Differential tests: sorted sets. Scores are compared as numbers: the reference server here
(7.0) prints doubles with %.17g, Redis 7.2 (and Predis) with the shortest round-trip form."""

import threading
import time

import pytest

from .conftest import numeric
from .rawclient import RawClient

def assert_same_numbers(d, *args):
    expected, actual = d.both(*args)
    assert numeric(actual) == numeric(expected), (args, expected, actual)
    return actual


@pytest.fixture
def zdiff(diff23):
    d = diff23
    assert_same_numbers(d, "ZADD", "z", "1", "a", "2", "b", "3", "c", "3", "cc", "4.5", "d", "-inf", "low",
          "+inf", "high", "0.1", "tenth")
    return d


def test_zadd_options(diff23):
    d = diff23
    assert_same_numbers(d, "ZADD", "z", "1", "a", "2", "b")
    for opts in (["NX"], ["XX"], ["CH"], ["GT"], ["LT"], ["GT", "CH"], ["LT", "CH"], ["NX", "XX"],
                 ["GT", "LT"], ["NX", "GT"], ["XX", "CH"], ["INCR"], ["NX", "INCR"],
                 ["XX", "INCR"], ["GT", "INCR"]):
        assert_same_numbers(d, "ZADD", "z", *opts, "5", "a")
        assert_same_numbers(d, "ZADD", "z", *opts, "0", "b", "7", "new" + "".join(opts))
    assert_same_numbers(d, "ZADD", "z", "INCR", "1", "a", "2", "b")
    assert_same_numbers(d, "ZADD", "z", "abc", "a")
    assert_same_numbers(d, "ZADD", "z", "nan", "a")
    assert_same_numbers(d, "ZADD", "z", "1")
    assert_same_numbers(d, "ZADD", "z", "NX")
    assert_same_numbers(d, "ZADD", "z", "1", "a", "2")
    assert_same_numbers(d, "ZADD", "inf", "+inf", "x")
    assert_same_numbers(d, "ZINCRBY", "inf", "-inf", "x")
    assert_same_numbers(d, "ZRANGE", "z", "0", "-1", "WITHSCORES")


def test_scores_ranks_counts(zdiff):
    d = zdiff
    for args in (["ZSCORE", "z", "d"], ["ZSCORE", "z", "nope"], ["ZMSCORE", "z", "a", "nope", "high"],
                 ["ZCARD", "z"], ["ZCARD", "missing"], ["ZRANK", "z", "c"], ["ZREVRANK", "z", "c"],
                 ["ZRANK", "z", "nope"], ["ZINCRBY", "z", "2.5", "a"], ["ZINCRBY", "z", "x", "a"],
                 # ZADD's parser reads a flag where the increment goes: a syntax error
                 ["ZINCRBY", "z", "NX", "a"], ["ZINCRBY", "z", "incr", "a"],
                 ["ZCOUNT", "z", "1", "3"], ["ZCOUNT", "z", "(1", "(3"], ["ZCOUNT", "z", "-inf", "+inf"],
                 ["ZCOUNT", "z", "x", "3"], ["ZLEXCOUNT", "z", "-", "+"],
                 ["ZLEXCOUNT", "z", "a", "c"], ["ZSCORE", "missing", "a"]):
        assert_same_numbers(d, *args)
    # Lexicographic ranges are defined for members that share one score (as in Redis).
    assert_same_numbers(d, "ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "cc", "0", "d", "0", "e")
    for args in (["ZLEXCOUNT", "lex", "[a", "(c"], ["ZLEXCOUNT", "lex", "(a", "[cc"],
                 ["ZLEXCOUNT", "lex", "[z", "+"], ["ZRANGEBYLEX", "lex", "[b", "[cc"],
                 ["ZRANGEBYLEX", "lex", "(b", "+", "LIMIT", "1", "2"],
                 ["ZREVRANGEBYLEX", "lex", "[d", "-"], ["ZRANGE", "lex", "[b", "(d", "BYLEX"],
                 ["ZRANGE", "lex", "(e", "[b", "BYLEX", "REV", "LIMIT", "0", "2"],
                 ["ZREMRANGEBYLEX", "lex", "[c", "[cc"], ["ZRANGE", "lex", "0", "-1"]):
        assert_same_numbers(d, *args)


@pytest.mark.parametrize("args", [
    ["0", "-1"], ["0", "-1", "WITHSCORES"], ["1", "3"], ["-3", "-1"], ["5", "2"], ["0", "100"],
    ["1", "3", "REV"], ["1", "3", "REV", "WITHSCORES"],
    ["1", "3", "BYSCORE"], ["(1", "3", "BYSCORE", "WITHSCORES"], ["-inf", "+inf", "BYSCORE"],
    ["3", "1", "BYSCORE", "REV"], ["+inf", "(1", "BYSCORE", "REV", "WITHSCORES"],
    ["-inf", "+inf", "BYSCORE", "LIMIT", "1", "2"], ["-inf", "+inf", "BYSCORE", "LIMIT", "2", "-1"],
    ["+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "3"], ["-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"],
    ["-", "+", "BYLEX"], ["+", "-", "BYLEX", "REV"],
    ["-", "+", "BYLEX", "LIMIT", "1", "2"], ["-", "+", "BYLEX", "WITHSCORES"],
    ["0", "-1", "LIMIT", "1", "2"], ["x", "1"], ["a", "b", "BYSCORE"], ["a", "b", "BYLEX"],
    ["0", "-1", "FOO"],
])
def test_zrange(zdiff, args):
    assert_same_numbers(zdiff, "ZRANGE", "z", *args)
    assert_same_numbers(zdiff, "ZRANGESTORE", "dst", "z", *[a for a in args if a != "WITHSCORES"])
    assert_same_numbers(zdiff, "ZRANGE", "dst", "0", "-1", "WITHSCORES")


def test_legacy_range_commands(zdiff):
    d = zdiff
    for args in (["ZREVRANGE", "z", "0", "2"], ["ZREVRANGE", "z", "0", "2", "WITHSCORES"],
                 ["ZRANGEBYSCORE", "z", "1", "3"], ["ZRANGEBYSCORE", "z", "(1", "+inf", "WITHSCORES",
                                                    "LIMIT", "1", "2"],
                 ["ZREVRANGEBYSCORE", "z", "3", "1"], ["ZREVRANGEBYSCORE", "z", "+inf", "-inf",
                                                       "LIMIT", "0", "3"],
                 ["ZRANGEBYLEX", "z", "-", "+"],
                 ["ZREVRANGEBYLEX", "z", "+", "-", "LIMIT", "1", "1"],
                 ["ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"], ["ZRANGEBYSCORE", "z", "1"],
                 # words only ZRANGE takes are syntax errors here (found by Redis's suite)
                 ["ZRANGEBYSCORE", "z", "0", "-1", "REV"], ["ZRANGEBYLEX", "z", "-", "+", "REV"],
                 ["ZREVRANGEBYSCORE", "z", "0", "-1", "BYLEX"], ["ZREVRANGE", "z", "0", "-1",
                                                                 "BYSCORE"],
                 ["ZREVRANGE", "z", "0", "-1", "LIMIT", "0", "1"],
                 ["ZREVRANGE", "z", "0", "-1", "WITHSCORES", "WITHSCORES"],
                 ["ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"], ["ZRANGE", "z", "0", "1", "REV", "REV"],
                 ["ZRANGEBYSCORE", "z", "0", "-1", "LIMIT", "0", "1", "REV"]):
        assert_same_numbers(d, *args)


def test_numkeys_errors(diff):
    for args in (["ZINTERCARD", "0", "x"], ["ZINTERCARD", "a", "x"], ["ZINTERCARD", "2", "x"],
                 ["SINTERCARD", "a", "x"], ["SINTERCARD", "0", "x"], ["ZMPOP", "a", "x", "MIN"],
                 ["LMPOP", "a", "x", "LEFT"], ["BLMPOP", "0", "a", "x", "LEFT"],
                 ["BZMPOP", "0", "a", "x", "MIN"], ["ZINTER", "a", "x"], ["ZUNIONSTORE", "d", "0", "x"],
                 ["LMPOP", "2", "x", "LEFT"], ["SINTERCARD", "2", "x"],
                 # more keys than arguments: *MPOP's syntax error, the others' own words
                 ["ZMPOP", "10", "st", "0", "l"], ["LMPOP", "10", "a", "b", "LEFT"],
                 ["BZMPOP", "0.01", "10", "a"], ["BLMPOP", "0.01", "10", "a", "b"],
                 ["SINTERCARD", "10", "a"], ["ZINTERCARD", "10", "a"]):
        diff.assert_same(*args)


def test_an_empty_score_bound_reads_as_zero(zdiff):
    """zslParseRange takes strtod's word: "" (or "(") converts nothing and ends there, 0;
    leading white space is skipped; white space alone is no number."""
    for low, high in (("", ""), ("(", "1"), (" 1", "5"), ("  ", "5"), ("1 ", "5"),
                      ("( 0", "+inf"), ("\t1", "2")):
        assert_same_numbers(zdiff, "ZCOUNT", "z", low, high)
        assert_same_numbers(zdiff, "ZRANGEBYSCORE", "z", low, high)
    assert_same_numbers(zdiff, "SET", "str", "v")
    assert_same_numbers(zdiff, "ZRANGEBYSCORE", "str", "10", "")  # a range, then WRONGTYPE


def test_removal_and_pops(zdiff):
    d = zdiff
    assert_same_numbers(d, "ZREM", "z", "a", "nope")
    assert_same_numbers(d, "ZREMRANGEBYRANK", "z", "0", "0")
    assert_same_numbers(d, "ZREMRANGEBYSCORE", "z", "(3", "4.5")
    assert_same_numbers(d, "ZRANGE", "z", "0", "-1", "WITHSCORES")
    assert_same_numbers(d, "ZPOPMIN", "z")
    assert_same_numbers(d, "ZPOPMAX", "z", "2")
    assert_same_numbers(d, "ZPOPMIN", "z", "-1")
    assert_same_numbers(d, "ZPOPMIN", "missing")
    assert_same_numbers(d, "ZPOPMAX", "missing", "3")
    assert_same_numbers(d, "ZPOPMIN", "z", "10")
    assert_same_numbers(d, "EXISTS", "z")


def test_zmpop_and_blocking_immediate(zdiff):
    d = zdiff
    assert_same_numbers(d, "ZMPOP", "2", "missing", "z", "MIN", "COUNT", "2")
    assert_same_numbers(d, "ZMPOP", "1", "z", "MAX")
    assert_same_numbers(d, "ZMPOP", "1", "missing", "MAX")
    assert_same_numbers(d, "ZMPOP", "1", "z", "MID")
    assert_same_numbers(d, "ZMPOP", "1", "z", "MIN", "COUNT", "0")
    assert_same_numbers(d, "BZPOPMIN", "missing", "z", "0")
    assert_same_numbers(d, "BZPOPMAX", "z", "0")
    assert_same_numbers(d, "BZMPOP", "0", "1", "z", "MIN", "COUNT", "2")
    assert_same_numbers(d, "BZPOPMIN", "missing", "0.05")
    assert_same_numbers(d, "BZMPOP", "0.05", "1", "missing", "MAX")


def test_set_operations(diff23):
    d = diff23
    assert_same_numbers(d, "ZADD", "a", "1", "x", "2", "y", "3", "z")
    assert_same_numbers(d, "ZADD", "b", "10", "y", "20", "z", "30", "w")
    assert_same_numbers(d, "SADD", "s", "x", "w", "q")
    for args in (["ZUNION", "2", "a", "b"], ["ZUNION", "2", "a", "b", "WITHSCORES"],
                 ["ZUNION", "3", "a", "b", "s", "WEIGHTS", "2", "1", "5", "WITHSCORES"],
                 ["ZINTER", "2", "a", "b", "AGGREGATE", "MAX", "WITHSCORES"],
                 ["ZINTER", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"],
                 ["ZINTER", "2", "a", "missing"], ["ZDIFF", "2", "a", "b", "WITHSCORES"],
                 ["ZDIFF", "2", "a", "s"], ["ZUNION", "0", "a"], ["ZUNION", "3", "a", "b"],
                 ["ZUNION", "2", "a", "b", "WEIGHTS", "1"], ["ZUNION", "2", "a", "b", "WEIGHTS", "x", "1"],
                 ["ZUNION", "2", "a", "b", "AGGREGATE", "AVG"], ["ZINTERCARD", "2", "a", "b"],
                 ["ZINTERCARD", "2", "a", "b", "LIMIT", "1"], ["ZINTERCARD", "2", "a", "missing"],
                 ["ZUNIONSTORE", "dst", "2", "a", "b", "WEIGHTS", "1", "-1"],
                 ["ZRANGE", "dst", "0", "-1", "WITHSCORES"], ["ZINTERSTORE", "dst", "2", "a", "b"],
                 ["ZRANGE", "dst", "0", "-1", "WITHSCORES"], ["ZDIFFSTORE", "dst", "2", "a", "b"],
                 ["ZRANGE", "dst", "0", "-1", "WITHSCORES"], ["ZINTERSTORE", "dst", "2", "a", "missing"],
                 ["EXISTS", "dst"], ["ZUNIONSTORE", "dst", "1", "a", "WITHSCORES"]):
        assert_same_numbers(d, *args)


def test_zrandmember_and_encoding(diff23):
    d = diff23
    assert_same_numbers(d, "ZRANDMEMBER", "missing")
    assert_same_numbers(d, "ZRANDMEMBER", "missing", "2", "WITHSCORES")
    assert_same_numbers(d, "ZADD", "one", "1.5", "m")
    assert_same_numbers(d, "ZRANDMEMBER", "one")
    assert_same_numbers(d, "ZRANDMEMBER", "one", "-2", "WITHSCORES")
    assert_same_numbers(d, "ZRANDMEMBER", "one", "1", "FOO")
    assert_same_numbers(d, "OBJECT", "ENCODING", "one")
    assert_same_numbers(d, "ZADD", "big", *[x for i in range(200) for x in (str(i), f"m{i}")])
    assert_same_numbers(d, "OBJECT", "ENCODING", "big")
    expected, actual = d.both("ZRANDMEMBER", "big", "10")
    assert len(actual) == len(expected) == 10


def test_zscan(diff):
    assert_same_numbers(diff, "ZADD", "small", "1", "a", "2", "b")
    assert_same_numbers(diff, "ZSCAN", "small", "0")
    # an empty cursor is 0 in Redis 7.2 (7.4 refuses it); then the key's type, then options
    for args in (("small", ""), ("nokey", ""), ("small", "", "COUNT", "0"), ("small", "+")):
        assert_same_numbers(diff, "ZSCAN", *args)
    diff.assert_same("SET", "str", "v")
    for command in ("ZSCAN", "SSCAN", "HSCAN"):
        diff.assert_same(command, "str", "")
    assert_same_numbers(diff, "ZADD", "big", *[x for i in range(300) for x in (str(i), f"m{i}")])
    results = []
    for client in (diff.ref, diff.predis):
        seen, cursor = {}, b"0"
        while True:
            cursor, items = client.call("ZSCAN", "big", cursor, "COUNT", "25")
            seen.update(zip(items[::2], map(float, items[1::2])))
            if cursor == b"0":
                break
        results.append(seen)
    assert results[1] == results[0]


def test_bzpopmin_wakes_on_zadd(servers):
    outcomes = []
    for server in servers:
        admin = RawClient(server.port)
        admin.call("DEL", "zq")
        results = {}

        def wait():
            results["w"] = RawClient(server.port).call("BZPOPMIN", "zq", "5")

        thread = threading.Thread(target=wait)
        thread.start()
        time.sleep(0.2)
        admin.call("ZADD", "zq", "3", "c", "1", "a")
        thread.join(5)
        outcomes.append((numeric(results["w"]), admin.call("ZRANGE", "zq", "0", "-1")))
        admin.close()
    assert outcomes[1] == outcomes[0]


@pytest.mark.parametrize("args", [
    ["ZADD", "zz", "1e400", "a"], ["ZADD", "zz", "1e-400", "a"], ["ZADD", "zz", "0e-400", "a"],
    ["ZADD", "zz", "0x1p-2000", "c"], ["ZADD", "zz", "0x1p2000", "c"],
    ["ZINCRBY", "zz", "1e400", "a"], ["ZADD", "zz", "-inf", "d"], ["ZADD", "zz", "00.000e5", "e"],
    ["ZRANGEBYSCORE", "zz", "-1e400", "(1e-400"], ["ZCOUNT", "zz", "(-1e999", "0x1p9999"],
    ["ZUNIONSTORE", "dst", "1", "zz", "WEIGHTS", "1e400"], ["GEOADD", "g", "1e400", "0", "m"],
    ["INCRBYFLOAT", "f", "1e400"],
])
def test_doubles_out_of_a_doubles_range_are_refused_where_redis_refuses_them(diff, args):
    """string2d's rule (strtod's ERANGE: too large, or too small to be anything but 0) for
    scores, increments, weights and coordinates; score ranges take them (plain strtod), and
    INCRBYFLOAT's long double reaches further."""
    diff.assert_same("ZADD", "zz", "1", "x")
    diff.assert_same(*args)


def test_a_zincrby_that_leaves_the_score_as_it_was_changes_nothing(servers):
    """ZINCRBY by 0, or onto an infinite score, answers the score but is no change: Redis
    neither counts it (rdb_changes_since_last_save) nor signals the key (a WATCH holds)."""
    seen = []
    for server in servers:
        client, watcher = RawClient(server.port), RawClient(server.port)
        client.call("ZADD", "z", "1", "a", "inf", "b")
        watcher.call("WATCH", "z")
        before = _changes(client)
        replies = [client.call("ZINCRBY", "z", "0", "a"), client.call("ZINCRBY", "z", "1", "b"),
                   client.call("ZINCRBY", "z", "-0", "a")]
        changes = _changes(client) - before
        watcher.call("MULTI")
        watcher.call("ZSCORE", "z", "a")
        seen.append((replies, changes, watcher.call("EXEC")))
        client.call("ZINCRBY", "z", "2", "a")  # (a real change, counted once)
        seen[-1] += (_changes(client) - before,)
    assert seen[1] == seen[0] == ([b"1", b"inf", b"1"], 0, [b"1"], 1)


def _changes(client) -> int:
    info = client.call("INFO", "persistence").decode()
    return int(info.split("rdb_changes_since_last_save:")[1].split()[0])


@pytest.mark.parametrize("command", [
    # the input keys looked at (WRONGTYPE) before the options are read
    ("ZDIFF", "1", "str", "str"), ("ZUNION", "1", "str", "WEIGHTS", "x"),
    ("ZINTERSTORE", "d", "1", "str", "AGGREGATE", "x"),
    ("ZINTERCARD", "1", "str", "LIMIT", "x"),
    ("ZINTERCARD", "1", "z", "LIMIT", "5", "LIMIT", "1"),  # the last LIMIT counts
    ("ZINTERCARD", "1", "z", "LIMIT"),
    ("ZRANDMEMBER", "z", "-9223372036854775808"),
    ("ZRANDMEMBER", "z", "-9223372036854775808", "WITHSCORES"),
])
def test_zset_commands_check_in_redis_order(diff, command):
    diff.assert_same("ZADD", "z", "1", "a", "2", "b")
    diff.assert_same("SET", "str", "v")
    diff.assert_same(*command)
