"""Differential tests: streams and consumer groups (explicit IDs keep replies comparable)."""

import threading
import time

import pytest

from .rawclient import Err, RawClient


@pytest.fixture
def s(diff23):
    d = diff23
    for i in range(1, 6):
        d.assert_same("XADD", "s", f"{i}-0", "f", str(i), "g", "x")
    return d


def test_xadd_ids_and_errors(diff):
    d = diff
    d.assert_same("XADD", "s", "1-1", "a", "1")
    d.assert_same("XADD", "s", "1-1", "a", "1")
    d.assert_same("XADD", "s", "0-0", "a", "1")
    d.assert_same("XADD", "s", "1-*", "a", "1")
    d.assert_same("XADD", "s", "5-*", "a", "1")
    d.assert_same("XADD", "s", "5", "a", "1")
    d.assert_same("XADD", "s", "abc", "a", "1")
    d.assert_same("XADD", "s", "*", "a")
    d.assert_same("XADD", "s", "MAXLEN", "-1", "*", "a", "1")
    d.assert_same("XADD", "s", "MAXLEN", "1", "LIMIT", "5", "*", "a", "1")
    d.assert_same("XADD", "new", "NOMKSTREAM", "*", "a", "1")
    d.assert_same("EXISTS", "new")
    d.assert_same("XADD", "new", "0-0", "a", "1")
    d.assert_same("XADD", "s", "18446744073709551615-18446744073709551615", "a", "1")
    d.assert_same("XADD", "s", "*", "a", "1")
    d.assert_same("XLEN", "s")
    d.assert_same("XLEN", "missing")
    d.assert_same("TYPE", "s")
    d.assert_same("OBJECT", "ENCODING", "s")
    expected, actual = d.both("XADD", "auto", "*", "f", "v")
    assert actual.count(b"-") == expected.count(b"-") == 1


@pytest.mark.parametrize("args", [
    ["-", "+"], ["2", "4"], ["(2-0", "+"], ["-", "(3-0"], ["3", "3"], ["-", "+", "COUNT", "2"],
    ["-", "+", "COUNT", "0"], ["-", "+", "COUNT", "-1"], ["(-", "+"], ["5-0", "1-0"], ["x", "+"],
    ["-", "+", "FOO", "1"], ["(18446744073709551615-18446744073709551615", "+"],
])
def test_xrange_xrevrange(s, args):
    s.assert_same("XRANGE", "s", *args)
    s.assert_same("XREVRANGE", "s", *reversed(args[:2]), *args[2:])
    s.assert_same("XRANGE", "missing", *args)


def test_xdel_xtrim_xsetid(s):
    s.assert_same("XDEL", "s", "2-0", "9-0")
    s.assert_same("XDEL", "s", "bad")
    s.assert_same("XRANGE", "s", "-", "+")
    s.assert_same("XTRIM", "s", "MAXLEN", "3")
    s.assert_same("XTRIM", "s", "MAXLEN", "~", "1")
    s.assert_same("XTRIM", "s", "MINID", "5")
    s.assert_same("XTRIM", "s", "FOO", "5")
    s.assert_same("XTRIM", "s", "MAXLEN", "1", "LIMIT", "1")
    s.assert_same("XRANGE", "s", "-", "+")
    s.assert_same("XSETID", "s", "1-0")
    s.assert_same("XSETID", "s", "10-0")
    s.assert_same("XSETID", "missing", "10-0")
    s.assert_same("XSETID", "s", "11-0", "ENTRIESADDED", "20", "MAXDELETEDID", "3-0")
    s.assert_same("XINFO", "STREAM", "s")
    s.assert_same("XADD", "s", "10-5", "f", "v")
    s.assert_same("XADD", "t", "1-1", "f", "v")
    s.assert_same("XADD", "t", "1-2", "f", "v")
    s.assert_same("XTRIM", "t", "MAXLEN", "~", "1")  # the only node holds both: it stays
    s.assert_same("XTRIM", "t", "MAXLEN", "~", "0")  # every entry may go: the node goes
    s.assert_same("XINFO", "STREAM", "t")


@pytest.mark.parametrize("args", [
    # options in any order, each error where Redis meets it
    ("XTRIM", "t", "LIMIT", "5", "MAXLEN", "~", "0"), ("XTRIM", "t", "LIMIT", "0"),
    ("XTRIM", "t", "LIMIT", "5"), ("XTRIM", "t", "LIMIT", ""), ("XTRIM", "t", "MAXLEN"),
    ("XTRIM", "t", "MAXLEN", "~"), ("XTRIM", "t", "MAXLEN", "~", "5", "LIMIT"),
    ("XTRIM", "t", "NOMKSTREAM", "MAXLEN", "5"), ("XTRIM", "t", "MINID", "1-1", "MAXLEN", "1"),
    ("XTRIM", "t", "MAXLEN", "=", "0", "LIMIT", "1"),
    ("XADD", "t", "MAXLEN", "5", "NOMKSTREAM"),
    ("XADD", "t", "LIMIT", "5", "MAXLEN", "~", "5", "9-1", "f", "v"),
    ("XADD", "t", "MAXLEN", "5", "MAXLEN", "6", "9-2", "f", "v"),
    ("XADD", "t", "LIMIT", "0", "*", "f", "v"), ("XADD", "t", "LIMIT", "5", "*", "f", "v"),
    ("XADD", "t", "LIMIT", "5", "abc", "f", "v"),
    ("XADD", "t", "NOMKSTREAM", "MAXLEN", "=", "3", "LIMIT", "2", "9-3", "f", "v"),
    ("XADD", "t", "MINID", "~", "abc", "*", "f", "v"),
    ("XADD", "t", "MAXLEN", "-1", "*", "f", "v"),
])
def test_xadd_and_xtrim_options_in_any_order(diff, args):
    diff.assert_same("XADD", "t", "1-1", "f", "v")
    diff.assert_same(*args)
    diff.assert_same("XRANGE", "t", "-", "+")


def test_approximate_maxlen_trims_whole_nodes(diff):
    for i in range(1, 351):
        diff.assert_same("XADD", "big", f"{i}-0", "f", "v")
    diff.assert_same("XTRIM", "big", "MAXLEN", "~", "120")
    diff.assert_same("XLEN", "big")
    diff.assert_same("XADD", "big", "MAXLEN", "~", "10", "400-0", "f", "v")
    diff.assert_same("XLEN", "big")


def test_trimming_follows_redis_node_boundaries(diff):
    """Nodes close at stream-node-max-entries entries (deleted ones too) or at
    stream-node-max-bytes of listpack; exact trims and XDEL leave boundaries where they were,
    so what `~` removes afterwards depends on them (Redis's own XTRIM test does this)."""
    d = diff
    for i in range(1, 1001):
        d.assert_same("XADD", "s", f"{i}-0", "xitem" if i % 10 else "yitem", str(i))
    for spec in (["MAXLEN", "666"], ["MAXLEN", "=", "555"], ["MAXLEN", "~", "444"],
                 ["MAXLEN", "~", "400"], ["MINID", "~", "700"], ["MINID", "650"]):
        d.assert_same("XTRIM", "s", *spec)
        d.assert_same("XLEN", "s")
    for i in range(701, 760):  # empties a node: XDEL drops it
        d.assert_same("XDEL", "s", f"{i}-0")
    d.assert_same("XTRIM", "s", "MAXLEN", "~", "100", "LIMIT", "150")
    d.assert_same("XLEN", "s")
    d.assert_same("XADD", "s", "MAXLEN", "~", "10", "2000-0", "f", "v")
    d.assert_same("XLEN", "s")
    # values of 100 bytes: 4096-byte listpacks hold 33 of them
    for i in range(1, 301):
        d.assert_same("XADD", "big", f"{i}-{i % 7}", "field", "v" * 100, "n", str(i * 1000))
    for maxlen in ("250", "200", "100", "1"):
        d.assert_same("XTRIM", "big", "MAXLEN", "~", maxlen)
        d.assert_same("XLEN", "big")


def test_node_limits_follow_config(diff):
    d = diff
    try:
        d.assert_same("CONFIG", "SET", "stream-node-max-entries", "7")
        d.assert_same("CONFIG", "SET", "stream-node-max-bytes", "300")
        for i in range(1, 101):
            d.assert_same("XADD", "s", f"{i * 37}-{i % 3}", "k", "x" * (i % 40))
        for maxlen in ("90", "50", "20"):
            d.assert_same("XTRIM", "s", "MAXLEN", "~", maxlen)
            d.assert_same("XLEN", "s")
        d.assert_same("CONFIG", "SET", "stream-node-max-entries", "0")
        d.assert_same("CONFIG", "SET", "stream-node-max-bytes", "0")
        for i in range(1, 101):
            d.assert_same("XADD", "t", f"{i}-1", "k", "v")
        d.assert_same("XTRIM", "t", "MAXLEN", "~", "50")  # a single node: nothing goes
        d.assert_same("XLEN", "t")
    finally:
        d.both("CONFIG", "SET", "stream-node-max-entries", "100")
        d.both("CONFIG", "SET", "stream-node-max-bytes", "4096")


def test_xread(s):
    s.assert_same("XREAD", "STREAMS", "s", "0")
    s.assert_same("XREAD", "COUNT", "2", "STREAMS", "s", "2-0")
    s.assert_same("XREAD", "STREAMS", "s", "missing", "0", "0")
    s.assert_same("XREAD", "STREAMS", "s", "$")
    s.assert_same("XREAD", "STREAMS", "s")
    s.assert_same("XREAD", "BLOCK", "50", "STREAMS", "s", "$")
    s.assert_same("XREAD", "BLOCK", "-1", "STREAMS", "s", "$")
    s.assert_same("XREAD", "COUNT")


def test_consumer_groups(s):
    d = s
    d.assert_same("XGROUP", "CREATE", "s", "g", "0")
    d.assert_same("XGROUP", "CREATE", "s", "g", "0")
    d.assert_same("XGROUP", "CREATE", "missing", "g", "$")
    d.assert_same("XGROUP", "CREATE", "made", "g", "$", "MKSTREAM")
    d.assert_same("XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">")
    d.assert_same("XREADGROUP", "GROUP", "g", "bob", "COUNT", "1", "STREAMS", "s", ">")
    d.assert_same("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0")
    d.assert_same("XREADGROUP", "GROUP", "nog", "alice", "STREAMS", "s", ">")
    d.assert_same("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "$")
    d.assert_same("XPENDING", "s", "g")
    d.assert_same("XPENDING", "s", "nog")
    d.assert_same("XACK", "s", "g", "1-0", "9-0")
    d.assert_same("XACK", "s", "nog", "1-0")
    d.assert_same("XPENDING", "s", "g")
    d.assert_same("XDEL", "s", "2-0")
    d.assert_same("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0")
    d.assert_same("XREADGROUP", "GROUP", "g", "carol", "NOACK", "STREAMS", "s", ">")
    d.assert_same("XINFO", "GROUPS", "s")
    d.assert_same("XGROUP", "CREATECONSUMER", "s", "g", "dave")
    d.assert_same("XGROUP", "CREATECONSUMER", "s", "g", "dave")
    d.assert_same("XGROUP", "DELCONSUMER", "s", "g", "bob")
    d.assert_same("XGROUP", "DELCONSUMER", "s", "g", "nobody")
    d.assert_same("XGROUP", "SETID", "s", "g", "0")
    d.assert_same("XGROUP", "SETID", "s", "nog", "0")
    d.assert_same("XGROUP", "DESTROY", "s", "g")
    d.assert_same("XGROUP", "DESTROY", "s", "g")
    d.assert_same("XINFO", "GROUPS", "s")
    d.assert_same("XINFO", "STREAM", "missing")


def test_xpending_extended_and_claims(s):
    d = s
    d.assert_same("XGROUP", "CREATE", "s", "g", "0")
    d.assert_same("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    expected, actual = d.both("XPENDING", "s", "g", "-", "+", "10")
    assert [row[:2] + row[3:] for row in actual] == [row[:2] + row[3:] for row in expected]
    d.assert_same("XPENDING", "s", "g", "-", "+", "10", "nobody")
    d.assert_same("XPENDING", "s", "g", "IDLE", "100000", "-", "+", "10")
    d.assert_same("XPENDING", "s", "g", "-", "+")
    d.assert_same("XCLAIM", "s", "g", "bob", "0", "1-0", "2-0", "9-0")
    d.assert_same("XCLAIM", "s", "g", "bob", "0", "3-0", "JUSTID")
    d.assert_same("XCLAIM", "s", "g", "bob", "3600000", "4-0")
    d.assert_same("XCLAIM", "s", "g", "bob", "0", "4-0", "FOO")
    d.assert_same("XPENDING", "s", "g")
    d.assert_same("XAUTOCLAIM", "s", "g", "carol", "0", "0", "COUNT", "2")
    d.assert_same("XAUTOCLAIM", "s", "g", "carol", "0", "0", "JUSTID")
    d.assert_same("XDEL", "s", "5-0")
    d.assert_same("XAUTOCLAIM", "s", "g", "dave", "0", "0")
    d.assert_same("XPENDING", "s", "g")
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
        d.assert_same("XADD", "st", f"{i}-0", "f", "v")
    d.assert_same("XGROUP", "CREATE", "st", "gd", "$")
    d.assert_same("XGROUP", "CREATE", "st", "g0", "0")
    d.assert_same("XGROUP", "CREATE", "st", "g1", "1-0")
    d.assert_same("XGROUP", "CREATE", "st", "gr", "0", "ENTRIESREAD", "1")
    d.assert_same("XINFO", "GROUPS", "st")
    d.assert_same("XDEL", "st", "2-0")
    d.assert_same("XINFO", "GROUPS", "st")
    d.assert_same("XREADGROUP", "GROUP", "g0", "c", "STREAMS", "st", ">")
    d.assert_same("XREADGROUP", "GROUP", "gr", "c", "COUNT", "1", "STREAMS", "st", ">")
    d.assert_same("XINFO", "GROUPS", "st")
    d.assert_same("XADD", "st", "4-0", "f", "v")
    d.assert_same("XGROUP", "SETID", "st", "g1", "$")
    d.assert_same("XINFO", "GROUPS", "st")


def test_group_ids_and_sequence_overflow(diff):
    """Found by Redis's own suite: XGROUP takes - and +; ms-* cannot overflow the sequence."""
    for args in (["XADD", "ev", "1-0", "f", "v"], ["XGROUP", "CREATE", "ev", "g1", "$"],
                 ["XGROUP", "SETID", "ev", "g1", "-"], ["XREADGROUP", "GROUP", "g1", "c", "STREAMS",
                                                       "ev", ">"],
                 ["XGROUP", "SETID", "ev", "g1", "+"], ["XGROUP", "CREATE", "ev", "g2", "-"],
                 ["XINFO", "GROUPS", "ev"], ["XADD", "ev", "1-18446744073709551615", "a", "b"],
                 ["XADD", "ev", "1-*", "c", "d"], ["XADD", "ev", "2-*", "c", "d"]):
        diff.assert_same(*args)


def _blocked_stream_reader(server, change, *command):
    """What a blocked stream reader gets after `change` ran, then one more XADD."""
    admin = RawClient(server.port)
    admin.call("FLUSHALL")
    admin.call("XADD", "bs", "666-0", "f", "v")
    admin.call("XGROUP", "CREATE", "bs", "grp", "$")
    results = {}

    def wait():
        results["w"] = RawClient(server.port).call(*command)

    thread = threading.Thread(target=wait)
    thread.start()
    deadline = time.time() + 5
    while b"cmd=xread" not in admin.call("CLIENT", "LIST", "TYPE", "normal"):
        assert time.time() < deadline
        time.sleep(0.01)
    replies = [admin.call(*args) for args in change]
    admin.call("DEL", "bs")
    admin.call("XADD", "bs", "667-0", "f", "v")
    thread.join(5)
    admin.close()
    return results.get("w"), replies


@pytest.mark.parametrize("change", [
    [["DEL", "bs"]], [["SET", "bs", "x"]], [["MULTI"], ["DEL", "bs"], ["SADD", "bs", "e"], ["EXEC"]],
    [["FLUSHALL"]],
    [["MULTI"], ["XADD", "bs", "5000-0", "g", "h"], ["DEL", "bs"], ["LPUSH", "bs", "x"], ["EXEC"]],
], ids=["del", "set", "exec", "flushall", "xadd-del-lpush"])
@pytest.mark.parametrize("group", [False, True], ids=["xread", "xreadgroup"])
def test_blocked_reader_when_the_stream_goes(servers, change, group):
    """XREAD keeps waiting while the key is gone or not a stream. XREADGROUP runs again on any
    change, as Redis 7.2 does (7.0, the reference here, answered "UNBLOCKED the stream key no
    longer exists"), and fails as it would then: NOGROUP with the key gone, WRONGTYPE with
    another type in its place (Redis's unit/type/stream-cgroups.tcl "Blocking XREADGROUP")."""
    command = (["XREADGROUP", "GROUP", "grp", "c", "BLOCK", "5000", "STREAMS", "bs", ">"]
               if group else ["XREAD", "BLOCK", "5000", "STREAMS", "bs", "$"])
    outcomes = [_blocked_stream_reader(server, change, *command) for server in servers]
    if not group:
        assert outcomes[1] == outcomes[0]
        return
    assert outcomes[1][1] == outcomes[0][1]  # the changes' own replies
    gone = change[-1][0] in ("DEL", "FLUSHALL")
    assert outcomes[1][0] == Err(
        "NOGROUP No such key 'bs' or consumer group 'grp' in XREADGROUP with GROUP option"
        if gone else "WRONGTYPE Operation against a key holding the wrong kind of value")


def test_claims_create_consumers_only_when_they_claim(diff):
    """XCLAIM/XAUTOCLAIM create their consumer with the first entry they take; XINFO lists
    consumers in name order."""
    for args in (["XGROUP", "CREATE", "xs", "grp", "$", "MKSTREAM"], ["XADD", "xs", "1-0", "f", "v"],
                 ["XREADGROUP", "GROUP", "grp", "Zoe", "STREAMS", "xs", ">"],
                 ["XAUTOCLAIM", "xs", "grp", "Bob", "0", "1-0"],
                 ["XAUTOCLAIM", "xs", "grp", "Ann", "3600000", "1-0"],
                 ["XCLAIM", "xs", "grp", "Max", "3600000", "1-0"],
                 ["XCLAIM", "xs", "grp", "Kim", "3600000", "1-0", "FORCE"],
                 ["XCLAIM", "xs", "grp", "Eve", "0", "9-0", "FORCE"]):
        diff.assert_same(*args)
    expected, actual = diff.both("XINFO", "CONSUMERS", "xs", "grp")
    names = [[row[1], row[3]] for row in expected]
    assert [[row[1], row[3]] for row in actual] == names == [[b"Bob", 1], [b"Zoe", 0]]


def test_xautoclaim_count_includes_deleted_entries(diff):
    """COUNT bounds the reply: entries found deleted (and dropped from the PEL) use it up as
    claimed ones do, and the cursor names the next pending entry (Redis's unit suite)."""
    d = diff
    for entry_id in ("1-0", "2-0", "3-0", "4-0"):
        d.assert_same("XADD", "x", entry_id, "f", "v")
    d.assert_same("XGROUP", "CREATE", "x", "grp", "0")
    d.assert_same("XREADGROUP", "GROUP", "grp", "Alice", "STREAMS", "x", ">")
    d.assert_same("XDEL", "x", "1-0", "3-0")
    d.assert_same("XAUTOCLAIM", "x", "grp", "Bob", "0", "0-0", "COUNT", "1")
    d.assert_same("XAUTOCLAIM", "x", "grp", "Bob", "0", "2-0", "COUNT", "2")
    d.assert_same("XAUTOCLAIM", "x", "grp", "Bob", "0", "4-0", "COUNT", "1")
    expected, actual = d.both("XPENDING", "x", "grp", "-", "+", "10")
    # (id, consumer, deliveries): the idle milliseconds depend on when each server was asked
    assert [(e[0], e[1], e[3]) for e in actual] == [(e[0], e[1], e[3]) for e in expected]


def test_info_counts_blocking_keys_and_those_waiting_for_any_change(servers):
    """INFO's total_blocking_keys and total_blocking_keys_on_nokey (Redis 7.2; not in the 7.0
    reference): a key a BLPOP waits on counts once, and once more as "on nokey" while an
    XREADGROUP waits on it too (Redis's unit/type/stream-cgroups.tcl)."""
    admin = RawClient(servers[1].port)

    def counts():
        info = admin.call("INFO", "clients").decode()
        fields = dict(line.split(":", 1) for line in info.split("\r\n") if ":" in line)
        return (int(fields["blocked_clients"]), int(fields["total_blocking_keys"]),
                int(fields["total_blocking_keys_on_nokey"]),
                int(fields["clients_in_timeout_table"]))

    def until(expected):
        deadline = time.time() + 5
        while counts() != expected:
            assert time.time() < deadline, counts()
            time.sleep(0.01)

    admin.call("DEL", "mystream")
    popper, reader = RawClient(servers[1].port), RawClient(servers[1].port)
    popper.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$8\r\nmystream\r\n$1\r\n0\r\n")
    until((1, 1, 0, 0))
    admin.call("XADD", "mystream", "666-0", "key", "value")
    admin.call("XGROUP", "CREATE", "mystream", "mygroup", "$")
    reader.send_raw(b"*9\r\n$10\r\nXREADGROUP\r\n$5\r\nGROUP\r\n$7\r\nmygroup\r\n$1\r\nc\r\n"
                    b"$5\r\nBLOCK\r\n$5\r\n10000\r\n$7\r\nSTREAMS\r\n$8\r\nmystream\r\n$1\r\n>\r\n")
    until((2, 1, 1, 1))
    admin.call("DEL", "mystream")
    assert reader.read_reply() == Err(
        "NOGROUP No such key 'mystream' or consumer group 'mygroup' in XREADGROUP with GROUP "
        "option")
    assert counts() == (1, 1, 0, 0)
    popper.close()
    until((0, 0, 0, 0))
    reader.close()
    admin.close()


def test_unbalanced_stream_lists_name_the_command_and_its_special_id(servers):
    """Redis 7.2's words (#11799, #12238; 7.0 here said "XREAD" and "'$'" for both)."""
    client = RawClient(servers[1].port)
    assert client.call("XREAD", "COUNT", "1", "STREAMS", "s") == Err(
        "ERR Unbalanced 'xread' list of streams: for each stream key an ID or '$' must be "
        "specified.")
    assert client.call("XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s") == Err(
        "ERR Unbalanced 'xreadgroup' list of streams: for each stream key an ID or '>' must be "
        "specified.")
    client.close()


@pytest.mark.parametrize("command", [
    # the key (and group) looked at before the IDs: 0 or NOGROUP, not an ID error
    ("XDEL", "missing", "abc"), ("XDEL", "s", "abc"),
    ("XACK", "missing", "g", "abc"), ("XACK", "s", "nogroup", "abc"), ("XACK", "s", "g", "abc"),
    ("XCLAIM", "missing", "g", "c", "abc", "1-1"), ("XCLAIM", "s", "g", "c", "abc", "1-1"),
    ("XCLAIM", "s", "g", "c", "0", "1-0", "IDLE", "abc"),
    ("XCLAIM", "s", "g", "c", "0", "1-0", "TIME", "abc"),
    ("XCLAIM", "s", "g", "c", "0", "1-0", "RETRYCOUNT", "abc"),
    ("XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "abc"),
    ("XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "576460752303423488"),
    # XADD reads its ID before it counts the fields, and refuses 0-0 before the key
    ("XADD", "s", "MAXLEN", "1", "-1", "0-1", "f", "v"),
    ("XADD", "missing", "NOMKSTREAM", "0", "f", "v"),
    ("XREAD", "COUNT", "1", "STREAMS", "s", ">"),
    ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "missing", "$"),
    ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "missing", ">", "$"),
    # XPENDING: its argument count, then IDLE, the count, start and end; past the consumer,
    # arguments are ignored
    ("XPENDING", "s", "g", "IDLE", "abc"), ("XPENDING", "s", "g", "IDLE", "1", "-", "+"),
    ("XPENDING", "s", "g", "-", "+", "abc"), ("XPENDING", "s", "g", "abc", "+", "abc"),
    # (replies without idle times, which differ by a millisecond between the servers)
    ("XPENDING", "s", "g", "-", "+", "10", "nobody", "extra"),
    ("XPENDING", "s", "g", "IDLE", "99999999", "-", "+", "10", "c"),
    ("XPENDING", "missing", "g", "-", "+", "abc"),
    # a key with a NUL in an error: Redis prints it up to the NUL
    ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "a\x00b", ">"),
])
def test_arguments_are_checked_in_redis_order(diff, command):
    diff.assert_same("XADD", "s", "1-0", "f", "v")
    diff.assert_same("XGROUP", "CREATE", "s", "g", "0")
    diff.assert_same("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    diff.assert_same(*command)
    diff.assert_same("EXISTS", "missing")
