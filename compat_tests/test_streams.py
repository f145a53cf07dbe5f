"""Differential tests: streams and consumer groups (explicit IDs keep replies comparable)."""

import threading
import time

import pytest

from .rawclient import RawClient


@pytest.fixture
def s(diff23):
    d = diff23
    for i in range(1, 6):
        d.check("XADD", "s", f"{i}-0", "f", str(i), "g", "x")
    return d


def test_xadd_ids_and_errors(diff):
    d = diff
    d.check("XADD", "s", "1-1", "a", "1")
    d.check("XADD", "s", "1-1", "a", "1")
    d.check("XADD", "s", "0-0", "a", "1")
    d.check("XADD", "s", "1-*", "a", "1")
    d.check("XADD", "s", "5-*", "a", "1")
    d.check("XADD", "s", "5", "a", "1")
    d.check("XADD", "s", "abc", "a", "1")
    d.check("XADD", "s", "*", "a")
    d.check("XADD", "s", "MAXLEN", "-1", "*", "a", "1")
    d.check("XADD", "s", "MAXLEN", "1", "LIMIT", "5", "*", "a", "1")
    d.check("XADD", "new", "NOMKSTREAM", "*", "a", "1")
    d.check("EXISTS", "new")
    d.check("XADD", "new", "0-0", "a", "1")
    d.check("XADD", "s", "18446744073709551615-18446744073709551615", "a", "1")
    d.check("XADD", "s", "*", "a", "1")
    d.check("XLEN", "s")
    d.check("XLEN", "missing")
    d.check("TYPE", "s")
    d.check("OBJECT", "ENCODING", "s")
    expected, actual = d.both("XADD", "auto", "*", "f", "v")
    assert actual.count(b"-") == expected.count(b"-") == 1


@pytest.mark.parametrize("args", [
    ["-", "+"], ["2", "4"], ["(2-0", "+"], ["-", "(3-0"], ["3", "3"], ["-", "+", "COUNT", "2"],
    ["-", "+", "COUNT", "0"], ["-", "+", "COUNT", "-1"], ["(-", "+"], ["5-0", "1-0"], ["x", "+"],
    ["-", "+", "FOO", "1"], ["(18446744073709551615-18446744073709551615", "+"],
])
def test_xrange_xrevrange(s, args):
    s.check("XRANGE", "s", *args)
    s.check("XREVRANGE", "s", *reversed(args[:2]), *args[2:])
    s.check("XRANGE", "missing", *args)


def test_xdel_xtrim_xsetid(s):
    s.check("XDEL", "s", "2-0", "9-0")
    s.check("XDEL", "s", "bad")
    s.check("XRANGE", "s", "-", "+")
    s.check("XTRIM", "s", "MAXLEN", "3")
    s.check("XTRIM", "s", "MAXLEN", "~", "1")
    s.check("XTRIM", "s", "MINID", "5")
    s.check("XTRIM", "s", "FOO", "5")
    s.check("XTRIM", "s", "MAXLEN", "1", "LIMIT", "1")
    s.check("XRANGE", "s", "-", "+")
    s.check("XSETID", "s", "1-0")
    s.check("XSETID", "s", "10-0")
    s.check("XSETID", "missing", "10-0")
    s.check("XSETID", "s", "11-0", "ENTRIESADDED", "20", "MAXDELETEDID", "3-0")
    s.check("XINFO", "STREAM", "s")
    s.check("XADD", "s", "10-5", "f", "v")


def test_approximate_maxlen_trims_whole_nodes(diff):
    for i in range(1, 351):
        diff.check("XADD", "big", f"{i}-0", "f", "v")
    diff.check("XTRIM", "big", "MAXLEN", "~", "120")
    diff.check("XLEN", "big")
    diff.check("XADD", "big", "MAXLEN", "~", "10", "400-0", "f", "v")
    diff.check("XLEN", "big")


def test_xread(s):
    s.check("XREAD", "STREAMS", "s", "0")
    s.check("XREAD", "COUNT", "2", "STREAMS", "s", "2-0")
    s.check("XREAD", "STREAMS", "s", "missing", "0", "0")
    s.check("XREAD", "STREAMS", "s", "$")
    s.check("XREAD", "STREAMS", "s")
    s.check("XREAD", "BLOCK", "50", "STREAMS", "s", "$")
    s.check("XREAD", "BLOCK", "-1", "STREAMS", "s", "$")
    s.check("XREAD", "COUNT")


def test_consumer_groups(s):
    d = s
    d.check("XGROUP", "CREATE", "s", "g", "0")
    d.check("XGROUP", "CREATE", "s", "g", "0")
    d.check("XGROUP", "CREATE", "missing", "g", "$")
    d.check("XGROUP", "CREATE", "made", "g", "$", "MKSTREAM")
    d.check("XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">")
    d.check("XREADGROUP", "GROUP", "g", "bob", "COUNT", "1", "STREAMS", "s", ">")
    d.check("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0")
    d.check("XREADGROUP", "GROUP", "nog", "alice", "STREAMS", "s", ">")
    d.check("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "$")
    d.check("XPENDING", "s", "g")
    d.check("XPENDING", "s", "nog")
    d.check("XACK", "s", "g", "1-0", "9-0")
    d.check("XACK", "s", "nog", "1-0")
    d.check("XPENDING", "s", "g")
    d.check("XDEL", "s", "2-0")
    d.check("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0")
    d.check("XREADGROUP", "GROUP", "g", "carol", "NOACK", "STREAMS", "s", ">")
    d.check("XINFO", "GROUPS", "s")
    d.check("XGROUP", "CREATECONSUMER", "s", "g", "dave")
    d.check("XGROUP", "CREATECONSUMER", "s", "g", "dave")
    d.check("XGROUP", "DELCONSUMER", "s", "g", "bob")
    d.check("XGROUP", "DELCONSUMER", "s", "g", "nobody")
    d.check("XGROUP", "SETID", "s", "g", "0")
    d.check("XGROUP", "SETID", "s", "nog", "0")
    d.check("XGROUP", "DESTROY", "s", "g")
    d.check("XGROUP", "DESTROY", "s", "g")
    d.check("XINFO", "GROUPS", "s")
    d.check("XINFO", "STREAM", "missing")


def test_xpending_extended_and_claims(s):
    d = s
    d.check("XGROUP", "CREATE", "s", "g", "0")
    d.check("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    expected, actual = d.both("XPENDING", "s", "g", "-", "+", "10")
    assert [row[:2] + row[3:] for row in actual] == [row[:2] + row[3:] for row in expected]
    d.check("XPENDING", "s", "g", "-", "+", "10", "nobody")
    d.check("XPENDING", "s", "g", "IDLE", "100000", "-", "+", "10")
    d.check("XPENDING", "s", "g", "-", "+")
    d.check("XCLAIM", "s", "g", "bob", "0", "1-0", "2-0", "9-0")
    d.check("XCLAIM", "s", "g", "bob", "0", "3-0", "JUSTID")
    d.check("XCLAIM", "s", "g", "bob", "3600000", "4-0")
    d.check("XCLAIM", "s", "g", "bob", "0", "4-0", "FOO")
    d.check("XPENDING", "s", "g")
    d.check("XAUTOCLAIM", "s", "g", "carol", "0", "0", "COUNT", "2")
    d.check("XAUTOCLAIM", "s", "g", "carol", "0", "0", "JUSTID")
    d.check("XDEL", "s", "5-0")
    d.check("XAUTOCLAIM", "s", "g", "dave", "0", "0")
    d.check("XPENDING", "s", "g")
    expected, actual = d.both("XINFO", "CONSUMERS", "s", "g")
    names = lambda rows: [r[b"name"] if isinstance(r, dict) else r[1] for r in rows]
    assert names(actual) == names(expected)


def test_xread_block_wakes_on_xadd(servers):
    outcomes = []
    for server in servers:
        admin = RawClient(server.port)
        admin.call("DEL", "bs")
        admin.call("XADD", "bs", "1-0", "a", "1")
        results = {}

        def wait():
            results["w"] = RawClient(server.port).call("XREAD", "BLOCK", "5000", "STREAMS", "bs",
                                                       "$")

        thread = threading.Thread(target=wait)
        thread.start()
        time.sleep(0.2)
        admin.call("XADD", "bs", "2-0", "b", "2")
        thread.join(5)
        outcomes.append(results["w"])
        admin.close()
    assert outcomes[1] == outcomes[0]


def test_group_lag_and_entries_read(diff23):
    d = diff23
    for i in (1, 2, 3):
        d.check("XADD", "st", f"{i}-0", "f", "v")
    d.check("XGROUP", "CREATE", "st", "gd", "$")
    d.check("XGROUP", "CREATE", "st", "g0", "0")
    d.check("XGROUP", "CREATE", "st", "g1", "1-0")
    d.check("XGROUP", "CREATE", "st", "gr", "0", "ENTRIESREAD", "1")
    d.check("XINFO", "GROUPS", "st")
    d.check("XDEL", "st", "2-0")
    d.check("XINFO", "GROUPS", "st")
    d.check("XREADGROUP", "GROUP", "g0", "c", "STREAMS", "st", ">")
    d.check("XREADGROUP", "GROUP", "gr", "c", "COUNT", "1", "STREAMS", "st", ">")
    d.check("XINFO", "GROUPS", "st")
    d.check("XADD", "st", "4-0", "f", "v")
    d.check("XGROUP", "SETID", "st", "g1", "$")
    d.check("XINFO", "GROUPS", "st")
