"""Differential tests: list commands, including blocking behaviour."""

import threading
import time

import pytest

from .rawclient import RawClient


def test_push_pop_range(diff23):
    d = diff23
    d.assert_same("RPUSH", "l", "a", "b", "c")
    d.assert_same("LPUSH", "l", "z", "y")
    d.assert_same("LPUSHX", "missing", "x")
    d.assert_same("RPUSHX", "l", "end")
    d.assert_same("LLEN", "l")
    for start, stop in [(0, -1), (1, 2), (-2, -1), (5, 10), (-100, 100), (3, 1), (0, 0)]:
        d.assert_same("LRANGE", "l", start, stop)
    d.assert_same("LRANGE", "missing", 0, -1)
    d.assert_same("LINDEX", "l", 0)
    d.assert_same("LINDEX", "l", -1)
    d.assert_same("LINDEX", "l", 99)
    d.assert_same("LPOP", "l")
    d.assert_same("RPOP", "l")
    d.assert_same("LPOP", "l", "2")
    d.assert_same("RPOP", "l", "0")
    d.assert_same("LPOP", "l", "-1")
    d.assert_same("LPOP", "missing")
    d.assert_same("LPOP", "missing", "2")
    d.assert_same("RPOP", "l", "10")
    d.assert_same("EXISTS", "l")
    d.assert_same("LPOP", "l", "1", "2")


def test_lset_linsert_lrem_ltrim(diff):
    diff.assert_same("RPUSH", "l", "a", "b", "a", "c", "a")
    diff.assert_same("LSET", "l", "1", "B")
    diff.assert_same("LSET", "l", "-1", "Z")
    diff.assert_same("LSET", "l", "10", "x")
    diff.assert_same("LSET", "missing", "0", "x")
    diff.assert_same("LINSERT", "l", "BEFORE", "c", "before-c")
    diff.assert_same("LINSERT", "l", "AFTER", "c", "after-c")
    diff.assert_same("LINSERT", "l", "AFTER", "nope", "x")
    diff.assert_same("LINSERT", "missing", "AFTER", "c", "x")
    diff.assert_same("LINSERT", "l", "MIDDLE", "c", "x")
    diff.assert_same("LRANGE", "l", 0, -1)
    diff.assert_same("LREM", "l", "1", "a")
    diff.assert_same("LREM", "l", "-1", "a")
    diff.assert_same("LREM", "l", "0", "zz")
    diff.assert_same("LRANGE", "l", 0, -1)
    diff.assert_same("LTRIM", "l", "1", "-2")
    diff.assert_same("LRANGE", "l", 0, -1)
    diff.assert_same("LTRIM", "l", "5", "1")
    diff.assert_same("EXISTS", "l")


def test_lpos(diff23):
    d = diff23
    d.assert_same("RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c")
    for opts in ([], ["RANK", "2"], ["RANK", "-1"], ["COUNT", "0"], ["COUNT", "2"],
                 ["RANK", "-2", "COUNT", "2"], ["MAXLEN", "3"], ["RANK", "0"], ["COUNT", "-1"],
                 ["MAXLEN", "-1"], ["RANK"], ["FOO", "1"]):
        d.assert_same("LPOS", "l", "c", *opts)
    d.assert_same("LPOS", "l", "zz")
    d.assert_same("LPOS", "missing", "c", "COUNT", "2")


def test_lmove_rpoplpush_lmpop(diff23):
    d = diff23
    d.assert_same("RPUSH", "src", "1", "2", "3")
    d.assert_same("LMOVE", "src", "dst", "LEFT", "RIGHT")
    d.assert_same("LMOVE", "src", "dst", "RIGHT", "LEFT")
    d.assert_same("LMOVE", "src", "src", "LEFT", "RIGHT")
    d.assert_same("LMOVE", "src", "dst", "UP", "LEFT")
    d.assert_same("RPOPLPUSH", "src", "dst")
    d.assert_same("RPOPLPUSH", "src", "dst")
    d.assert_same("LRANGE", "dst", 0, -1)
    d.assert_same("SET", "str", "v")
    d.assert_same("LMOVE", "dst", "str", "LEFT", "LEFT")
    d.assert_same("LRANGE", "dst", 0, -1)
    d.assert_same("LMPOP", "2", "missing", "dst", "LEFT")
    d.assert_same("LMPOP", "2", "missing", "dst", "RIGHT", "COUNT", "10")
    d.assert_same("LMPOP", "1", "missing", "LEFT")
    d.assert_same("LMPOP", "0", "dst", "LEFT")
    d.assert_same("LMPOP", "1", "dst", "LEFT", "COUNT", "0")
    d.assert_same("LMPOP", "2", "dst", "LEFT")
    d.assert_same("LMPOP", "1", "dst")


def test_blocking_returns_immediately_when_data_exists(diff23):
    d = diff23
    d.assert_same("RPUSH", "l", "a", "b")
    d.assert_same("BLPOP", "missing", "l", "0")
    d.assert_same("BRPOP", "l", "0")
    d.assert_same("BLPOP", "missing", "0.05")
    d.assert_same("BLPOP", "l", "-1")
    d.assert_same("BLPOP", "l", "abc")
    d.assert_same("RPUSH", "l", "x")
    d.assert_same("BLMOVE", "l", "dst", "LEFT", "LEFT", "0")
    d.assert_same("BRPOPLPUSH", "missing", "dst", "0.05")
    d.assert_same("BLMPOP", "0.05", "1", "missing", "LEFT")
    d.assert_same("BLMPOP", "0", "1", "dst", "RIGHT", "COUNT", "5")


def wait_until_blocked(admin, count: int, timeout: float = 5.0) -> None:
    """Wait until the server reports `count` blocked clients (no guessing with sleeps)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if b"blocked_clients:%d\r\n" % count in admin.call("INFO", "clients"):
            return
        time.sleep(0.01)
    raise AssertionError(f"never saw {count} blocked clients")


def _waiter(port, results, name, *command):
    client = RawClient(port)
    results[name] = client.call(*command)
    client.close()


def blocked_waiter(server, admin, results, *command) -> threading.Thread:
    """A client running a blocking `command` (its reply lands in results["w"]), started
    and seen blocked by the server."""
    thread = threading.Thread(target=_waiter, args=(server.port, results, "w", *command))
    thread.start()
    wait_until_blocked(admin, 1)
    return thread


@pytest.mark.parametrize("command,push", [
    (("BLPOP", "q1", "q2", "5"), ("RPUSH", "q2", "v1", "v2")),
    (("BRPOP", "q1", "5"), ("LPUSH", "q1", "v1")),
    (("BLMOVE", "q1", "out", "RIGHT", "LEFT", "5"), ("RPUSH", "q1", "x", "y")),
    (("BRPOPLPUSH", "q1", "out", "5"), ("RPUSH", "q1", "z")),
    (("BLMPOP", "5", "2", "q1", "q2", "LEFT", "COUNT", "3"), ("RPUSH", "q2", "1", "2")),
])
def test_blocked_client_is_woken_by_a_push(servers, command, push):
    outcomes = []
    for server in servers:
        admin = RawClient(server.port)
        admin.call("DEL", "q1", "q2", "out")
        results = {}
        thread = threading.Thread(target=_waiter, args=(server.port, results, "w", *command))
        thread.start()
        time.sleep(0.2)
        assert "w" not in results
        blocked = admin.call("INFO", "clients")
        push_reply = admin.call(*push)
        thread.join(5)
        outcomes.append((results["w"], push_reply, b"blocked_clients:1" in blocked,
                         admin.call("LRANGE", "out", 0, -1), admin.call("LRANGE", "q2", 0, -1)))
        admin.close()
    assert outcomes[1] == outcomes[0]


def test_waiters_are_served_in_arrival_order(servers):
    outcomes = []
    for server in servers:
        admin = RawClient(server.port)
        admin.call("DEL", "fifo")
        results, threads = {}, []
        for number, name in enumerate(("first", "second", "third"), 1):
            thread = threading.Thread(target=_waiter,
                                      args=(server.port, results, name, "BLPOP", "fifo", "5"))
            thread.start()
            threads.append(thread)
            wait_until_blocked(admin, number)
        admin.call("RPUSH", "fifo", "a", "b")
        time.sleep(0.3)
        admin.call("RPUSH", "fifo", "c")
        for thread in threads:
            thread.join(5)
        outcomes.append(results)
        admin.close()
    assert outcomes[1] == outcomes[0]
    assert outcomes[0]["first"][1] == b"a" and outcomes[0]["third"][1] == b"c"


def test_blocking_timeout_and_client_unblock(servers):
    outcomes = []
    for server in servers:
        admin = RawClient(server.port)
        started = time.time()
        timed_out = RawClient(server.port).call("BLPOP", "nothing", "0.3")
        elapsed = time.time() - started
        victim = RawClient(server.port)
        victim_id = victim.call("CLIENT", "ID")
        victim.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$7\r\nnothing\r\n$1\r\n0\r\n")
        time.sleep(0.2)
        first = admin.call("CLIENT", "UNBLOCK", str(victim_id), "ERROR")
        error_reply = victim.read_reply()
        victim.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$7\r\nnothing\r\n$1\r\n0\r\n")
        time.sleep(0.2)
        second = admin.call("CLIENT", "UNBLOCK", str(victim_id))
        timeout_reply = victim.read_reply()
        again = admin.call("CLIENT", "UNBLOCK", str(victim_id))
        bad = admin.call("CLIENT", "UNBLOCK", str(victim_id), "MAYBE")
        outcomes.append((timed_out, 0.25 < elapsed < 2, first, error_reply, second,
                         timeout_reply, again, bad))
        admin.close()
        victim.close()
    assert outcomes[1] == outcomes[0]


def test_disconnected_waiter_does_not_steal_elements(servers):
    for server in servers:
        admin = RawClient(server.port)
        admin.call("DEL", "q")
        ghost = RawClient(server.port)
        ghost.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n")
        time.sleep(0.2)
        ghost.close()
        time.sleep(0.2)
        admin.call("RPUSH", "q", "kept")
        assert admin.call("LRANGE", "q", 0, -1) == [b"kept"]
        admin.close()


@pytest.mark.parametrize("wake", [
    [("RPUSH", "src", "a", "b"), ("RENAME", "src", "q1")],
    [("MULTI",), ("RPUSH", "q1", "x"), ("RPUSH", "q1", "y"), ("LPOP", "q1"), ("EXEC",)],
    [("RPUSH", "other", "z"), ("LMOVE", "other", "q1", "LEFT", "LEFT")],
    [("SELECT", "1"), ("RPUSH", "q1", "db1"), ("MOVE", "q1", "0")],
])
def test_blocked_client_is_woken_by_rename_exec_and_moves(servers, wake):
    outcomes = []
    for server in servers:
        admin = RawClient(server.port)
        admin.call("FLUSHALL")
        results = {}
        thread = threading.Thread(target=_waiter,
                                  args=(server.port, results, "w", "BLPOP", "q1", "5"))
        thread.start()
        time.sleep(0.2)
        replies = [admin.call(*command) for command in wake]
        thread.join(5)
        admin.call("SELECT", "0")
        outcomes.append((results.get("w"), replies, admin.call("LRANGE", "q1", 0, -1)))
        admin.close()
    assert outcomes[1] == outcomes[0]


def test_pipelined_pushes_serve_the_waiter_after_each_push(servers):
    outcomes = []
    for server in servers:
        admin = RawClient(server.port)
        admin.call("DEL", "pq")
        results = {}
        thread = blocked_waiter(server, admin, results, "BLPOP", "pq", "5")
        admin.send_raw(b"LPUSH pq a\r\nLPUSH pq b\r\nLPUSH pq c\r\nLRANGE pq 0 -1\r\n")
        replies = [admin.read_reply() for _ in range(4)]
        thread.join(5)
        outcomes.append((results["w"], replies))
        admin.close()
    assert outcomes[1] == outcomes[0]


def test_blmove_waiter_gets_wrongtype_when_its_target_changed_type(servers):
    outcomes = []
    for server in servers:
        admin = RawClient(server.port)
        admin.call("DEL", "bsrc", "bdst")
        results = {}
        thread = blocked_waiter(server, admin, results, "BLMOVE", "bsrc", "bdst", "LEFT", "LEFT",
                                "5")
        admin.call("SET", "bdst", "now a string")
        admin.call("RPUSH", "bsrc", "x")
        thread.join(5)
        outcomes.append((results.get("w"), admin.call("PING")))
        admin.close()
    assert outcomes[1] == outcomes[0]


def test_waiter_stays_blocked_while_its_key_holds_another_type(servers):
    """LPUSH + DEL + SET in one transaction: the key is a string when the waiter is looked at,
    so it keeps waiting (no WRONGTYPE) and gets the next push."""
    outcomes = []
    for server in servers:
        admin = RawClient(server.port)
        admin.call("DEL", "wl")
        results = {}
        thread = blocked_waiter(server, admin, results, "BLPOP", "wl", "5")
        replies = [admin.call(*args) for args in (
            ["MULTI"], ["LPUSH", "wl", "a"], ["DEL", "wl"], ["SET", "wl", "foo"], ["EXEC"],
            ["CLIENT", "LIST", "TYPE", "normal"])]
        blocked_after_exec = b"cmd=blpop" in replies[-1]
        admin.call("DEL", "wl")
        admin.call("LPUSH", "wl", "b")
        thread.join(5)
        outcomes.append((results.get("w"), replies[:5], blocked_after_exec))
        admin.close()
    assert outcomes[1] == outcomes[0]
    assert outcomes[0][0] == [b"wl", b"b"] and outcomes[0][2]


def _quicklist_fields(reply: bytes) -> dict:
    return dict(field.split(b":", 1) for field in reply.split() if field.startswith(b"ql_"))


def _mixed_elements() -> list:
    """Strings of 0-69 bytes and integers of every listpack width, six of 300 bytes (plain nodes
    from a threshold of 300)."""
    elements = [b"x" * (i % 70) if i % 3 else b"%d" % (i * 7919 - 5000000) for i in range(2500)]
    elements[100:2500:400] = [b"y" * 300] * 6
    return elements


@pytest.mark.parametrize("fill, compress, threshold, elements", [
    (-2, 0, 0, _mixed_elements()), (-1, 3, 0, _mixed_elements()), (-5, 0, 0, _mixed_elements()),
    (5, 1, 0, _mixed_elements()), (1000, 0, 0, _mixed_elements()),
    (-1, 0, 300, _mixed_elements()),
    # 59-byte elements: a node's room for the next one is judged with quicklist's 8-byte
    # estimate of an entry's overhead (46 nodes; 45 without it)
    (-1, 0, 0, [b"z" * 59] * 3000)], ids=["mixed-2", "mixed-1-compressed", "mixed-5",
                                            "count5", "count1000", "plain-nodes", "uniform"])
def test_debug_object_counts_quicklist_nodes_as_redis_does(diff, fill, compress, threshold,
                                                            elements):
    """A list pushed at its tail: its nodes as Redis cuts them by list-max-listpack-size (bytes
    or entries a node), elements of the packed threshold or more in plain nodes of their
    own."""
    try:
        diff.assert_same("CONFIG", "SET", "list-max-listpack-size", fill)
        diff.assert_same("CONFIG", "SET", "list-compress-depth", compress)
        diff.assert_same("DEBUG", "QUICKLIST-PACKED-THRESHOLD", threshold)
        for start in range(0, len(elements), 100):
            diff.assert_same("RPUSH", "l", *elements[start:start + 100])
        expected, actual = diff.both("DEBUG", "OBJECT", "l")
        assert b"encoding:quicklist" in actual
        assert _quicklist_fields(actual) == _quicklist_fields(expected), (expected, actual)
        assert len(_quicklist_fields(actual)) == 5
    finally:
        diff.assert_same("CONFIG", "SET", "list-max-listpack-size", -2)
        diff.assert_same("CONFIG", "SET", "list-compress-depth", 0)
        diff.assert_same("DEBUG", "QUICKLIST-PACKED-THRESHOLD", 0)


@pytest.mark.parametrize("command", [
    ("LPOS", "l", "a", "COUNT", "abc"), ("LPOS", "l", "a", "MAXLEN", "abc"),
    ("LPOS", "l", "a", "COUNT", "-1"), ("LPOS", "l", "a", "MAXLEN", "-1"),
    ("LSET", "missing", "abc", "x"),  # the key looked at before the index is read
    ("HRANDFIELD", "h", "-9223372036854775808"),
])
def test_list_and_hash_arguments_are_checked_in_redis_order(diff, command):
    diff.assert_same("RPUSH", "l", "a", "b")
    diff.assert_same("HSET", "h", "f", "v")
    diff.assert_same(*command)
