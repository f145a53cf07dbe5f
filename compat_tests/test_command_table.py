"""Differential tests: the command table as clients read it (COMMAND INFO for every command:
flags, ACL categories, tips, key specs), COMMAND GETKEYS / GETKEYSANDFLAGS, and the smaller
commands that complete it (LOLWUT, FUNCTION HELP, LATENCY HISTOGRAM / GRAPH / HELP,
RESTORE-ASKING)."""

import pytest

from .conftest import as_72_noperm
from .rawclient import Err, RawClient

# Where Redis 7.2 (which Predis follows) differs from the 7.0 reference installed here.
REDIS_72_INFO = {
    "zrank": {1: -3}, "zrevrank": {1: -3},  # 7.2 added WITHSCORE: arity -3
}
# Blocking commands Redis 7.2 runs in scripts, not blocking there (7.0 refused them)
NOSCRIPT_DROPPED_IN_72 = {"wait", "blpop", "brpop", "blmove", "brpoplpush", "bzpopmin",
                          "bzpopmax"}
# Reference commands Predis does not offer (docs/architecture.md, "Known deviations").
NOT_OFFERED: set = set()


def test_command_info_matches_redis_for_every_command(diff23):
    names = sorted(diff23.ref.call("COMMAND", "LIST"))
    assert len(names) > 350
    checked = 0
    for raw_name in names:
        name = raw_name.decode()
        if name in NOT_OFFERED:
            assert diff23.predis.call("COMMAND", "INFO", name) == [None]
            continue
        expected, actual = diff23.both("COMMAND", "INFO", name)
        expected, actual = expected[0], actual[0]
        for field, value in REDIS_72_INFO.get(name, {}).items():
            expected[field] = value
        if name in NOSCRIPT_DROPPED_IN_72:
            expected[2] = [flag for flag in expected[2] if flag != b"noscript"]
        # subcommands are compared under their own names
        assert actual[:9] == expected[:9], name
        checked += 1
    assert checked == len(names) - len(NOT_OFFERED)


GETKEYS_CASES = [
    ["GET", "k"], ["SET", "k", "v"], ["SET", "k", "v", "GET"], ["SET", "k", "v", "EX", "1", "get"],
    ["MSET", "a", "1", "b", "2"], ["DEL", "a", "b", "c"], ["EXISTS", "a"], ["APPEND", "k", "v"],
    ["BITOP", "AND", "d", "a", "b"], ["BITFIELD", "k", "GET", "u8", "0"],
    ["BITFIELD", "k", "GET", "u8", "0", "OVERFLOW", "WRAP"], ["BITFIELD", "k", "SET", "u8", "0", "1"],
    ["BITFIELD", "k", "INCRBY", "u8", "0", "1"], ["BITFIELD", "k", "GET", "u8"],
    ["BITFIELD", "k"], ["BITFIELD_RO", "k", "GET", "u8", "0"],
    ["LMOVE", "a", "b", "LEFT", "LEFT"], ["BLMOVE", "a", "b", "LEFT", "LEFT", "0"],
    ["BLPOP", "a", "b", "0"], ["LMPOP", "2", "a", "b", "LEFT"], ["BLMPOP", "0", "2", "a", "b", "LEFT"],
    ["LMPOP", "0", "a", "LEFT"], ["LMPOP", "x", "a", "LEFT"], ["LMPOP", "5", "a", "LEFT"],
    ["ZUNIONSTORE", "d", "2", "a", "b"], ["ZUNIONSTORE", "d", "0", "a"], ["ZUNION", "2", "a", "b"],
    ["ZINTERCARD", "2", "a", "b", "LIMIT", "1"], ["ZDIFFSTORE", "d", "1", "a"],
    ["SINTERCARD", "2", "a", "b"], ["ZMPOP", "1", "z", "MIN"], ["BZMPOP", "0", "1", "z", "MIN"],
    ["EVAL", "return 1", "2", "k1", "k2", "a"], ["EVAL", "return 1", "0"],
    ["EVAL", "return 1", "x"], ["EVAL_RO", "return 1", "1", "k"], ["FCALL", "f", "1", "k", "a"],
    ["FCALL_RO", "f", "0"], ["EVALSHA", "abc", "1", "k"],
    ["SORT", "s"], ["SORT", "s", "STORE", "d"], ["SORT", "s", "BY", "w_*", "GET", "o_*", "STORE", "d"],
    ["SORT", "s", "STORE", "d1", "STORE", "d2"], ["SORT", "s", "LIMIT", "0", "1", "STORE", "d"],
    ["SORT", "s", "STORE", "GET", "x"], ["SORT_RO", "s", "BY", "w_*"],
    ["XREAD", "STREAMS", "s", "t", "0", "0"], ["XREAD", "COUNT", "2", "STREAMS", "s", "0"],
    ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"], ["XADD", "s", "*", "f", "v"],
    ["GEORADIUS", "g", "0", "0", "1", "km", "STORE", "d"],
    ["GEORADIUS", "g", "0", "0", "1", "km", "STOREDIST", "d"],
    ["GEORADIUSBYMEMBER", "g", "m", "1", "km", "STORE", "d", "STOREDIST", "e"],
    ["GEOSEARCHSTORE", "d", "s", "FROMMEMBER", "m", "BYRADIUS", "1", "km"],
    ["COPY", "a", "b"], ["RENAME", "a", "b"], ["SMOVE", "a", "b", "m"], ["LCS", "a", "b"],
    ["PFCOUNT", "a", "b"], ["PFMERGE", "d", "a"], ["OBJECT", "ENCODING", "k"],
    ["MEMORY", "USAGE", "k"], ["GETEX", "k"], ["GETDEL", "k"], ["WATCH", "a", "b"],
    ["XGROUP", "CREATE", "s", "g", "$"], ["XINFO", "STREAM", "s"], ["TOUCH", "a", "b"],
    ["RESTORE", "k", "0", "x"], ["RESTORE-ASKING", "k", "0", "x"], ["DUMP", "k"],
    # errors: unknown command, no key arguments, arity, no key found
    ["NOSUCH", "x"], ["PING"], ["GET"], ["GET", "a", "b"], ["CLIENT", "LIST"], ["PUBLISH", "c", "m"],
    ["OBJECT", "NOSUCH", "k"], ["PUBSUB", "PATTERN"], ["OBJECT"],  # (an unknown subcommand)
]


@pytest.mark.parametrize("subcommand", ["GETKEYS", "GETKEYSANDFLAGS"])
def test_getkeys_and_their_flags_match_redis(diff, subcommand):
    for case in GETKEYS_CASES:
        diff.assert_same("COMMAND", subcommand, *case)


def test_lolwut_draws_schotter_as_redis_does(diff23):
    """The first two rows of squares are not randomised, so those drawings must be equal."""
    def text(reply):
        return reply.decode() if isinstance(reply, bytes) else reply

    def same_art(*args):
        expected, actual = diff23.both("LOLWUT", *args)
        if not isinstance(expected, Err):
            expected = text(expected).replace("7.0.15", "7.2.4")
            actual = text(actual)
        assert actual == expected, args
        return actual

    for sizes in ([20, 3, 2], [33, 5, 1], [7, 1, 1], [100, 13, 2], [17, 200, 2], [1000, 7, 2],
                  [0, 1, 1], [-5, -1, 0], [10, 2, 2]):
        art = same_art("VERSION", "5", *sizes)
    assert art.startswith("\u2800\u2864\u2824") and "Georg Nees - schotter" in art
    assert same_art() == "Redis ver. 7.2.4\n"
    for args in (["VERSION", "4"], ["FOO"], ["VERSION"], ["VERSION", "x"], ["VERSION", "5", "x"],
                 ["VERSION", "9", "1", "2"]):
        same_art(*args)
    # the default drawing is random below row 2: same shape (49 rows of 66), other squares
    expected, actual = (text(reply).splitlines() for reply in diff23.both("LOLWUT", "VERSION", "5"))
    assert [len(line) for line in actual[:-1]] == [len(line) for line in expected[:-1]]
    assert len(actual) == 51 and len(actual[0]) == 66


# Help lines of Redis 7.2 additions, and of what Predis does not offer (SCRIPT DEBUG).
HELP_72_ONLY = {"client": ["SETINFO <option> <value>", "    Set client meta attr. Options are:",
                           "    * LIB-NAME: the client lib name.",
                           "    * LIB-VER: the client lib version.",
                           "NO-TOUCH (ON|OFF)",
                           "    Will not touch LRU/LFU stats when this mode is on."]}
def test_every_help_text_is_redis_s(diff):
    helps = [name.decode().split("|") for name in diff.ref.call(
        "COMMAND", "LIST", "FILTERBY", "PATTERN", "*|help")]
    assert len(helps) >= 15
    for container, help_ in helps:
        expected, actual = diff.both(container, help_)
        if isinstance(expected, Err):  # CLUSTER HELP without cluster mode
            assert actual == expected
            continue
        actual = [line for line in actual if line.decode() not in HELP_72_ONLY.get(container, [])]
        assert actual == expected, container


def test_latency_histogram_counts_calls_per_command(diff23):
    diff23.assert_same("CONFIG", "RESETSTAT")
    for _ in range(3):
        diff23.assert_same("SET", "k", "v")
    diff23.assert_same("CONFIG", "GET", "maxmemory")
    diff23.assert_same("LATENCY", "HISTOGRAM", "nosuch", "get")
    expected, actual = diff23.both("LATENCY", "HISTOGRAM", "set", "config", "nosuch")
    as_dict = (lambda r: r if isinstance(r, dict) else
               {r[i]: dict(zip(r[i + 1][::2], r[i + 1][1::2])) for i in range(0, len(r), 2)})
    expected, actual = as_dict(expected), as_dict(actual)
    assert sorted(actual) == sorted(expected) == [b"config|get", b"config|resetstat", b"set"]
    for name, entry in actual.items():
        assert entry[b"calls"] == as_dict(expected)[name][b"calls"]
        histogram = entry[b"histogram_usec"]
        histogram = histogram if isinstance(histogram, dict) else dict(
            zip(histogram[::2], histogram[1::2]))
        counts = list(histogram.values())
        assert counts == sorted(counts) and counts[-1] == entry[b"calls"]
        assert set(histogram) <= {1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227,
                                  8454, 16908, 33816, 67633, 135266}


def test_latency_graph(diff):
    for client in (diff.ref, diff.predis):
        client.call("LATENCY", "RESET")
    diff.assert_same("LATENCY", "GRAPH", "command")
    diff.assert_same("LATENCY", "GRAPH")
    for client in (diff.ref, diff.predis):
        client.call("CONFIG", "SET", "latency-monitor-threshold", "1")
        client.call("EVAL", "local i = 0 while i < 3000000 do i = i + 1 end", "0")
    expected, actual = diff.both("LATENCY", "GRAPH", "command")
    for graph in (expected, actual):
        lines = graph.decode().split("\n")
        assert lines[0].startswith("command - high ") and lines[1] == "-" * 80
        # one sample: the lowest level, a blank row, then its age ("0s") written downwards
        assert lines[2:7] == [" ", " ", " ", "_", " "] and lines[7].isdigit(), lines
        assert lines[8:] == ["s", ""], lines
    for client in (diff.ref, diff.predis):
        client.call("CONFIG", "SET", "latency-monitor-threshold", "0")


def test_restore_asking_restores_like_restore(diff):
    diff.assert_same("RPUSH", "l", "a", "b")
    payload = diff.ref.call("DUMP", "l")  # Redis's own payload, restored into both
    diff.assert_same("DEL", "l")
    diff.assert_same("RESTORE-ASKING", "l", "0", payload)
    diff.assert_same("LRANGE", "l", "0", "-1")
    diff.assert_same("RESTORE-ASKING", "l", "0", payload)
    diff.assert_same("RESTORE-ASKING", "l", "0", "bad payload")


def test_acl_categories_grant_what_redis_grants(pair):
    """Categories now come from Redis's table: +@fast covers APPEND, +@connection covers
    COMMAND and ASKING, and so on."""
    admins = [RawClient(server.port) for server in pair]
    try:
        for admin in admins:
            admin.call("ACL", "SETUSER", "fast", "on", ">p", "~*", "+@fast")
            admin.call("ACL", "SETUSER", "conn", "on", ">p", "~*", "+@connection")
        for user, commands in (("fast", [["APPEND", "k", "v"], ["GET", "k"], ["ECHO", "x"],
                                         ["SORT", "l"], ["DBSIZE"]]),
                               ("conn", [["COMMAND", "GETKEYS", "GET", "k"], ["ECHO", "x"], ["ASKING"],
                                         ["ROLE"], ["WAIT", "0", "0"], ["READONLY"]])):
            clients = [RawClient(server.port) for server in pair]
            replies = []
            for client in clients:
                assert client.call("AUTH", user, "p") == b"OK"
                replies.append([as_72_noperm(client.call(*args), user)
                                if client is clients[0] else client.call(*args)
                                for args in commands])
            assert replies[1] == replies[0], user
            assert any(isinstance(r, Err) for r in replies[1])
    finally:
        for admin in admins:
            admin.call("ACL", "DELUSER", "fast", "conn")
