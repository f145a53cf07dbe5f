"""Pipelined runs done a key at a time (server/commands/keyed_runs.py) leave exactly what the
same commands sent one read each leave: replies, values, memory accounting, the dirty count,
keyspace statistics and the access log the eviction policies and samplers read."""

import random

import pytest

from server.keyspace.containers import Hash, List, Set, ZSet
from server.keyspace.stream import Stream
from tests.fakes import connect, make_server

# name -> (setup commands, the commands under test: pipelined on one side, one by one on the
# other); each covers several keys, a key of the wrong type and the edges of its command
SCENARIOS = {
    "lpush": ([["SET", "s", "v"], ["RPUSH", "old", "x"]],
              [["LPUSH", "l", "a"], ["LPUSH", "l", "b"], ["LPUSH", "old", "c"],
               ["LPUSH", "l", "d"], ["LPUSH", "s", "e"], ["LPUSH", "s", "f"], ["LPUSH", "l", "g"]]),
    "rpush": ([["SET", "s", "v"]],
              [["RPUSH", "l", "a"], ["RPUSH", "l", "b" * 100], ["RPUSH", "s", "c"],
               ["RPUSH", "s", "c"], ["RPUSH", "l", "d"]]),
    "lpop": ([["SET", "s", "v"], ["RPUSH", "l", "a", "b", "c"], ["RPUSH", "m", "z"]],
             [["LPOP", "l"], ["LPOP", "l"], ["LPOP", "m"], ["LPOP", "l"], ["LPOP", "l"],
              ["LPOP", "l"], ["LPOP", "missing"], ["LPOP", "missing"], ["LPOP", "s"],
              ["LPOP", "s"]]),
    "rpop": ([["RPUSH", "l", "a", "b", "c"]],
             [["RPOP", "l"], ["RPOP", "l"], ["RPOP", "l"], ["RPOP", "l"], ["RPUSH", "l", "n"],
              ["RPOP", "l"]]),
    "sadd": ([["SET", "s", "v"], ["SADD", "ints", "1"]],
             [["SADD", "ints", "2"], ["SADD", "ints", "2"], ["SADD", "ints", "x"],
              ["SADD", "t", "a"], ["SADD", "t", "a"], ["SADD", "s", "a"], ["SADD", "s", "b"]]),
    "srem": ([["SET", "s", "v"], ["SADD", "t", "a", "b", "1"], ["SADD", "u", "x", "y"]],
             [["SREM", "t", "a"], ["SREM", "t", "a"], ["SREM", "t", "zz"], ["SREM", "u", "x"],
              ["SREM", "t", "b"], ["SREM", "t", "1"], ["SREM", "t", "1"], ["SREM", "t", "a"],
              ["SREM", "s", "v"], ["SREM", "s", "v"], ["SREM", "missing", "m"],
              ["SREM", "missing", "m"], ["SREM", "u", "y"], ["SREM", "u", "z"]]),
    "spop": ([["SADD", "t", "1", "2", "3", "a"], ["SET", "s", "v"]],
             [["SPOP", "t"]] * 6 + [["SPOP", "s"], ["SPOP", "s"], ["SPOP", "missing"]]),
    "hset": ([["SET", "s", "v"]],
             [["HSET", "h", "f", "1"], ["HSET", "h", "f", "2"], ["HSET", "h", "g", "x" * 80],
              ["HSET", "s", "f", "1"], ["HSET", "s", "f", "1"], ["HSET", "k", "f", "1"]]),
    "zadd": ([["SET", "s", "v"], ["ZADD", "z", "5", "e"]],
             [["ZADD", "z", "1", "a"], ["ZADD", "z", "1", "a"], ["ZADD", "z", "2", "a"],
              ["ZADD", "z", "nx", "b"], ["ZADD", "z", "abc", "b"], ["ZADD", "z", "nan", "b"],
              ["ZADD", "z", "-inf", "c"], ["ZADD", "z", "0", "e"], ["ZADD", "z", "-0", "e"],
              ["ZADD", "s", "1", "a"], ["ZADD", "s", "x", "a"], ["ZADD", "s", "2", "b"],
              ["ZADD", "new", "1e3", "m"]]),
    "zincrby": ([["SET", "s", "v"], ["ZADD", "z", "1.5", "a", "inf", "b"]],
                [["ZINCRBY", "z", "2", "a"], ["ZINCRBY", "z", "-0.25", "a"],
                 ["ZINCRBY", "z", "1", "c"], ["ZINCRBY", "z", "-inf", "b"],
                 ["ZINCRBY", "z", "1", "b"], ["ZINCRBY", "z", "x", "a"], ["ZINCRBY", "z", "0", "a"],
                 ["ZINCRBY", "s", "1", "m"], ["ZINCRBY", "s", "1", "m"],
                 ["ZINCRBY", "new", "3e2", "m"], ["ZINCRBY", "new", "-1", "n"]]),
    "zpopmin": ([["ZADD", "z", "1", "a", "2", "b", "2", "c"], ["SET", "s", "v"]],
                [["ZPOPMIN", "z"]] * 4 + [["ZPOPMIN", "s"], ["ZPOPMIN", "s"]]),
    "zpopmax": ([["ZADD", "z", "1", "a", "2", "b", "2", "c"]],
                [["ZPOPMAX", "z"]] * 4 + [["ZPOPMAX", "missing"]]),
    "incr": ([["SET", "n", "5"], ["SET", "text", "abc"], ["SET", "max", "9223372036854775805"],
              ["SADD", "t", "a"], ["SET", "ttl", "1", "EX", "100"]],
             [["INCR", "n"], ["INCR", "n"], ["INCR", "new"], ["INCR", "new"], ["INCR", "text"],
              ["INCR", "text"], ["INCR", "max"], ["INCR", "max"], ["INCR", "max"],
              ["INCR", "max"], ["INCR", "t"], ["INCR", "t"], ["INCR", "ttl"], ["INCR", "ttl"]]),
    "decr": ([["SET", "n", "5"], ["SET", "text", "abc"], ["SET", "min", "-9223372036854775806"],
              ["SADD", "t", "a"], ["SET", "ttl", "1", "EX", "100"]],
             [["DECR", "n"], ["DECR", "n"], ["DECR", "new"], ["DECR", "new"], ["DECR", "text"],
              ["DECR", "min"], ["DECR", "min"], ["DECR", "min"], ["DECR", "t"], ["DECR", "ttl"],
              ["DECR", "ttl"]]),
    "hincrby": ([["SET", "s", "v"], ["HSET", "h", "n", "5", "text", "x", "max",
                                        "9223372036854775806"]],
                [["HINCRBY", "h", "n", "2"], ["HINCRBY", "h", "n", "-3"],
                 ["HINCRBY", "h", "m", "1"], ["HINCRBY", "h", "text", "1"],
                 ["HINCRBY", "h", "max", "1"], ["HINCRBY", "h", "max", "1"],
                 ["HINCRBY", "h", "n", "1"], ["HINCRBY", "h", "n", "x"],
                 ["HINCRBY", "h", "n", "1"], ["HINCRBY", "s", "f", "1"],
                 ["HINCRBY", "s", "f", "1"], ["HINCRBY", "new", "f", "4"],
                 ["HINCRBY", "new", "g", "-4"]]),
    "incrby": ([["SET", "n", "5"], ["SET", "max", "9223372036854775800"], ["SET", "text", "x"]],
               [["INCRBY", "n", "3"], ["INCRBY", "n", "-10"], ["INCRBY", "n", "0"],
                ["INCRBY", "new", "7"], ["INCRBY", "new", "7"], ["INCRBY", "new", "7"],
                ["INCRBY", "max", "4"], ["INCRBY", "max", "4"], ["INCRBY", "max", "-1"],
                ["INCRBY", "max", "9"], ["INCRBY", "max", "3"], ["INCRBY", "n", "x"],
                ["INCRBY", "n", "1"], ["INCRBY", "text", "1"], ["INCRBY", "text", "2"],
                ["INCRBY", "z", "0"], ["INCRBY", "z", "0"], ["INCRBY", "fresh", "2"],
                ["INCRBY", "fresh", "5"]]),
    "decrby": ([["SET", "n", "5"], ["SET", "min", "-9223372036854775800"]],
               [["DECRBY", "n", "3"], ["DECRBY", "n", "3"], ["DECRBY", "min", "5"],
                ["DECRBY", "min", "5"], ["DECRBY", "min", "-2"], ["DECRBY", "min", "4"],
                ["DECRBY", "n", "-9223372036854775808"], ["DECRBY", "n", "1"],
                ["DECRBY", "new", "-4"], ["DECRBY", "new", "-4"]]),
    "xadd": ([["SET", "s", "v"], ["XADD", "x", "5-0", "a", "1"]],
             [["XADD", "x", "*", "f", "v"], ["XADD", "x", "*", "g", "w"],
              ["XADD", "y", "*", "f", "v"],
              ["XADD", "x", "*", "f", "v"], ["XADD", "x", "9-9", "f", "v"],
              ["XADD", "x", "NOMKSTREAM", "*", "f"], ["XADD", "s", "*", "f", "v"],
              ["XADD", "s", "*", "f", "v"], ["XADD", "z", "*", "f", "v"]]),
}
CLOCK_MS = 1_700_000_000_000  # XADD's `*` IDs, the same on both sides


def encode(args: list) -> bytes:
    words = [word.encode() for word in args]
    return b"*%d\r\n" % len(words) + b"".join(b"$%d\r\n%b\r\n" % (len(w), w) for w in words)


def _contents(value):
    kind = type(value)
    if kind is List:
        return list(value.items)
    if kind is Set:
        return sorted(value.members), value.kind
    if kind is Hash:
        return dict(value.fields), value.big
    if kind is ZSet:
        return dict(value.scores), list(value.order.islice(0, len(value))), value.big
    if kind is Stream:
        return dict(value.entries), value.last_id, [
            (node.master_id, node.fields, node.live, node.body) for node in value.nodes.nodes]
    return value


def _state(server):
    db = server.keyspace[0]
    return {
        "data": {key: (_contents(value), getattr(value, "nbytes", None))
                 for key, value in db.data.items()},
        "volatile": sorted(db.expires), "memory": db.memory, "dirty": server.keyspace.dirty,
        "hits": db.hits, "misses": db.misses, "log": list(db.table.log),
    }


def _run(commands: list, setup: list, pipelined: bool, resp3: bool):
    server = make_server("--predis-sidecar", "no")
    connection, transport = connect(server)
    for args in [["HELLO", "3"]] * resp3 + setup:
        connection.data_received(encode(args))
    transport.writes.clear()
    server.keyspace[0].table.log.clear()
    random.seed(7)  # SPOP's choices
    if pipelined:
        connection.data_received(b"".join(map(encode, commands)))
    else:
        for args in commands:
            connection.data_received(encode(args))
    return transport.output, _state(server)


@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_a_run_leaves_what_the_commands_one_by_one_leave(name, resp3, monkeypatch):
    monkeypatch.setattr("server.commands.streams.now_ms", lambda: CLOCK_MS)
    setup, commands = SCENARIOS[name]
    one_by_one = _run(commands, setup, pipelined=False, resp3=resp3)
    pipelined = _run(commands, setup, pipelined=True, resp3=resp3)
    assert pipelined[0] == one_by_one[0]
    assert pipelined[1] == one_by_one[1]
    assert pipelined[1]["log"], "the scenario logged no access"


def test_runs_take_the_key_at_a_time_path(monkeypatch):
    """The scenarios above exercise the run handlers' own path, not the command-by-command
    loop they fall back to when something watches each write."""
    from server.commands import keyed_runs

    asked = []
    quiet = keyed_runs.quiet_writes
    monkeypatch.setattr(keyed_runs, "quiet_writes", lambda server: asked.append(1) or quiet(server))
    for name, (setup, commands) in SCENARIOS.items():
        asked.clear()
        _run(commands, setup, pipelined=True, resp3=False)
        assert asked, name
