"""Differential tests: pipelined runs of one data-type command (LPUSH, SADD, HSET, ZADD, pops,
INCR...), which Predis does a key at a time (server/commands/keyed_runs.py), and which it does
one command at a time while something watches each write: blocked clients, WATCH, keyspace
events. Replies, end state and the dirty counter against redis-server."""

import time

from tests.test_keyed_runs import SCENARIOS

from .conftest import as_72
from .rawclient import RawClient, encode_command

# what a key of each type reads back as
READS = {
    b"string": ("GET",), b"list": ("LRANGE", 0, -1), b"set": ("SMEMBERS",),
    b"hash": ("HGETALL",), b"zset": ("ZRANGE", 0, -1, "WITHSCORES"),
}


def _pipelined(client: RawClient, commands: list) -> list:
    client.send_raw(b"".join(encode_command(*args) for args in commands))
    return [client.read_reply() for _ in commands]


def _dirty(client: RawClient) -> int:
    info = client.call("INFO", "persistence").decode()
    return int(info.split("rdb_changes_since_last_save:")[1].split()[0])


def _contents(client: RawClient) -> dict:
    state = {}
    for key in sorted(client.call("KEYS", "*")):
        kind = client.call("TYPE", key)
        value = client.call(*READS[kind][:1], key, *READS[kind][1:])
        if kind == b"set":  # (a hashtable's order is the server's own)
            value = sorted(value)
        elif kind == b"hash" and isinstance(value, list):
            value = dict(zip(value[0::2], value[1::2]))
        state[key] = value
    return state


def test_runs_answer_and_end_as_redis_does(diff23):
    """Every scenario of the in-process equivalence test, pipelined to both servers."""
    d = diff23
    for name, (setup, commands) in SCENARIOS.items():
        if name in ("spop", "xadd"):  # random picks, the clock's IDs: compared below
            continue
        for client in (d.ref, d.predis):
            client.call("FLUSHALL")
            for args in setup:
                client.call(*args)
        before = [_dirty(d.ref), _dirty(d.predis)]
        expected = [as_72(reply) for reply in _pipelined(d.ref, commands)]
        actual = _pipelined(d.predis, commands)
        assert actual == expected, name
        assert _contents(d.predis) == _contents(d.ref), name
        assert _dirty(d.predis) - before[1] == _dirty(d.ref) - before[0], name


def test_a_run_of_spops_empties_the_set_once(diff):
    members = {b"1", b"2", b"3", b"a"}
    for client in (diff.ref, diff.predis):
        client.call("SADD", "t", *members)
        replies = _pipelined(client, [["SPOP", "t"]] * 6)
        assert set(replies[:4]) == members and replies[4:] == [None, None]
    diff.assert_same("EXISTS", "t")


def test_a_run_of_xadds_appends_in_order(diff):
    results = []
    for client in (diff.ref, diff.predis):
        ids = _pipelined(client, [["XADD", "x", "*", "f", str(i)] for i in range(5)]
                         + [["XADD", "x", "1-1", "f", "v"]])
        entries = client.call("XRANGE", "x", "-", "+")
        assert ids[:5] == [entry[0] for entry in entries] and ids[:5] == sorted(set(ids[:5]))
        results.append((ids[5], [fields for _, fields in entries]))
    assert results[1] == results[0]
    diff.assert_same("XLEN", "x")


def test_a_blocked_client_is_served_between_the_pushes_of_a_run(servers):
    """Redis serves a client blocked on a key right after the command that pushed to it, so
    it takes the first element of a pipelined run of pushes, not the last."""
    results = []
    for server in servers:
        waiter, pusher = RawClient(server.port), RawClient(server.port)
        waiter.call("DEL", "queue")
        waiter.send_raw(encode_command("BLPOP", "queue", "5"))
        _wait_for_blocked(pusher)
        results.append((_pipelined(pusher, [["RPUSH", "queue", item] for item in "abc"]),
                        waiter.read_reply(), pusher.call("LRANGE", "queue", 0, -1)))
        waiter.close()
        pusher.close()
    assert results[1] == results[0]
    assert results[1][1] == [b"queue", b"a"]


def test_keyspace_events_name_every_command_of_a_run(servers):
    results = []
    for server in servers:
        listener, writer = RawClient(server.port), RawClient(server.port)
        writer.call("FLUSHALL")
        writer.call("CONFIG", "SET", "notify-keyspace-events", "KEA")
        try:
            listener.call("PSUBSCRIBE", "__keyevent@0__:*")
            _pipelined(writer, [["LPUSH", "l", "x"]] * 3 + [["HSET", "h", "f", str(i)]
                                                             for i in range(2)])
            writer.call("PUBLISH", "__keyevent@0__:end", "end")
            events = []
            while True:
                message = listener.read_reply()
                if message[2] == b"__keyevent@0__:end":
                    break
                events.append((message[2], message[3]))
            results.append(events)
        finally:
            writer.call("CONFIG", "SET", "notify-keyspace-events", "")
            listener.close()
            writer.close()
    assert results[1] == results[0]
    assert [event for event, _ in results[1]].count(b"__keyevent@0__:lpush") == 3


def test_a_run_on_a_watched_key_fails_the_transaction(servers):
    results = []
    for server in servers:
        watcher, writer = RawClient(server.port), RawClient(server.port)
        writer.call("FLUSHALL")
        writer.call("SADD", "s", "a")
        watcher.call("WATCH", "s")
        watcher.call("MULTI")
        watcher.call("SCARD", "s")
        replies = _pipelined(writer, [["SADD", "s", "a"], ["SADD", "s", "b"]])
        results.append((replies, watcher.call("EXEC")))
        watcher.close()
        writer.close()
    assert results[1] == results[0]
    assert results[1][1] is None


def _wait_for_blocked(client: RawClient) -> None:
    deadline = time.monotonic() + 5
    while b"blocked_clients:1" not in client.call("INFO", "clients"):
        assert time.monotonic() < deadline, "the waiter never blocked"
        time.sleep(0.01)
