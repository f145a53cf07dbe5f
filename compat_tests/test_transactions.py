"""Differential tests: MULTI/EXEC/DISCARD/WATCH, and redis-py transactional pipelines."""

import time

import pytest
import redis

from .rawclient import RawClient


def test_multi_exec_basic(diff23):
    d = diff23
    d.assert_same("MULTI")
    d.assert_same("SET", "a", "1")
    d.assert_same("INCR", "a")
    d.assert_same("LPUSH", "a", "x")  # runtime error: does not abort the rest
    d.assert_same("GET", "a")
    d.assert_same("EXEC")
    d.assert_same("EXEC")
    d.assert_same("DISCARD")
    d.assert_same("MULTI")
    d.assert_same("MULTI")
    d.assert_same("DISCARD")
    d.assert_same("GET", "a")


def test_queue_time_errors_abort(diff):
    diff.assert_same("MULTI")
    diff.assert_same("SET", "k", "v")
    diff.assert_same("NOSUCHCOMMAND")
    diff.assert_same("GET")
    diff.assert_same("EXEC")
    diff.assert_same("EXISTS", "k")
    diff.assert_same("MULTI")
    diff.assert_same("WATCH", "k")
    diff.assert_same("SET", "k", "v")
    diff.assert_same("EXEC")


def test_watch_aborts_on_change_by_another_client(servers):
    outcomes = []
    for server in servers:
        client, other = RawClient(server.port), RawClient(server.port)
        client.call("SET", "w", "1")
        steps = [client.call("WATCH", "w"), other.call("SET", "w", "2"), client.call("MULTI"),
                 client.call("SET", "w", "3"), client.call("EXEC"), client.call("GET", "w")]
        steps += [client.call("WATCH", "w"), client.call("MULTI"), client.call("INCR", "w"),
                  client.call("EXEC")]
        steps += [client.call("WATCH", "w"), client.call("UNWATCH"), other.call("SET", "w", "9"),
                  client.call("MULTI"), client.call("GET", "w"), client.call("EXEC")]
        for change in (("FLUSHALL",), ("RENAME", "w2", "w"), ("DEL", "w"), ("EXPIRE", "w", "100")):
            client.call("SET", "w", "x")
            client.call("SET", "w2", "y")
            steps += [client.call("WATCH", "w"), other.call(*change), client.call("MULTI"),
                      client.call("PING"), client.call("EXEC")]
        outcomes.append(steps)
        client.close()
        other.close()
    assert outcomes[1] == outcomes[0]


def test_watch_fails_when_a_watched_key_expires(servers):
    outcomes = []
    for server in servers:
        client = RawClient(server.port)
        client.call("SET", "e", "v", "PX", "400")  # (a slow run, the GPU engine's simulator,
        steps = [client.call("WATCH", "e")]  # must still watch it alive)
        time.sleep(0.6)
        steps += [client.call("MULTI"), client.call("PING"), client.call("EXEC")]
        client.call("SET", "missing-at-watch", "x")
        client.call("DEL", "missing-at-watch")
        steps += [client.call("WATCH", "missing-at-watch"), client.call("MULTI"),
                  client.call("PING"), client.call("EXEC")]
        outcomes.append(steps)
        client.close()
    assert outcomes[1] == outcomes[0]


# SWAPDB with keys already expired (active expiry off, so they stay in memory): an expired key
# counts as no key, so none of these changes what the watching client sees (Redis's
# touchAllWatchedKeysInDb); a live key swapped in or out does.
SWAPDB_CASES = {
    "stale key swapped for no key": ([(1, "x", "PX", "1")], 1),
    "no key swapped for a stale key": ([(0, "x", "PX", "1")], 1),
    "stale key swapped for another stale key": ([(1, "x", "PX", "1"), (0, "x", "PX", "1")], 1),
    "no key swapped for a live key": ([(0, "x")], 1),
    "live key swapped for no key": ([(1, "x")], 1),
    "stale key swapped for a live key": ([(1, "x", "PX", "1"), (0, "x")], 1),
}


def test_swapdb_touches_watched_keys_only_when_they_change_logically(servers):
    for name, (writes, watched_db) in SWAPDB_CASES.items():
        outcomes = []
        for server in servers:
            client = RawClient(server.port)
            client.call("FLUSHALL")
            client.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")
            for db, key, *ttl in writes:
                client.call("SELECT", str(db))
                client.call("SET", key, "v", *ttl)
            time.sleep(0.01)
            client.call("SELECT", str(watched_db))
            steps = [client.call("WATCH", "x"), client.call("SWAPDB", "0", "1"),
                     client.call("MULTI"), client.call("PING"), client.call("EXEC"),
                     # after the swap, deleting what is now there (stale or not) in place
                     client.call("WATCH", "x"), client.call("SWAPDB", "0", "1"),
                     client.call("DEL", "x"), client.call("MULTI"), client.call("PING"),
                     client.call("EXEC")]
            client.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")
            client.call("SELECT", "0")
            outcomes.append(steps)
            client.close()
        assert outcomes[1] == outcomes[0], name


def test_blocking_command_inside_multi_does_not_block(diff):
    diff.assert_same("MULTI")
    diff.assert_same("BLPOP", "nothing", "0")
    diff.assert_same("BZPOPMIN", "nothing", "0")
    diff.assert_same("EXEC")


def test_redis_py_transaction_pipeline_and_watch(servers):
    outcomes = []
    for server in servers:
        client = redis.Redis(port=server.port)
        client.flushall()
        with client.pipeline(transaction=True) as pipe:
            pipe.set("t", 1).incr("t").get("t")
            first = pipe.execute()

        def transfer(pipe):
            value = int(pipe.get("t"))
            pipe.multi()
            pipe.set("t", value * 10)

        second = client.transaction(transfer, "t")
        outcomes.append((first, second, client.get("t")))
        client.close()
    assert outcomes[1] == outcomes[0]


def test_transactions_and_a_primary_turned_replica(pair):
    """Found by Redis's own suite: a REPLICAOF inside EXEC does not stop the writes queued after
    it; an EXEC of writes on a server that became a replica meanwhile is aborted; a FLUSHALL
    only touches watched keys that existed."""
    transcripts = []
    for server in pair:
        a, b = RawClient(server.port), RawClient(server.port)
        a.call("FLUSHALL")
        seen = [a.call(*args) for args in (
            ["SET", "foo", "bar"], ["MULTI"], ["SET", "foo2", "bar"],
            ["REPLICAOF", "localhost", "9999"], ["SET", "foo3", "bar"], ["EXEC"],
            ["SET", "foo4", "bar"], ["REPLICAOF", "NO", "ONE"], ["MULTI"], ["SET", "a", "1"])]
        seen.append(b.call("REPLICAOF", "localhost", "9999"))
        seen += [a.call("EXEC"), b.call("REPLICAOF", "NO", "ONE")]
        seen += [a.call(*args) for args in (
            ["DEL", "x"], ["WATCH", "x"], ["FLUSHALL"], ["MULTI"], ["PING"], ["EXEC"])]
        transcripts.append(seen)
    assert transcripts[1] == transcripts[0]
    assert transcripts[0][5] == [b"OK", b"OK", b"OK"] and transcripts[0][-1] == [b"PONG"]
    assert transcripts[0][11].startswith("EXECABORT Transaction discarded because of: READONLY")


def test_out_of_memory_inside_multi(pair):
    """Found by Redis's own suite: when nothing more can be evicted, anything queued in MULTI
    is refused, and DISCARD still works."""
    transcripts = []
    for server in pair:
        r, admin = RawClient(server.port), RawClient(server.port)
        r.call("FLUSHALL")
        transcripts.append([admin.call("CONFIG", "SET", "maxmemory", "1")] + [
            r.call(*args) for args in (["MULTI"], ["SET", "x", "1"], ["GET", "x"], ["DISCARD"],
                                       ["MULTI"], ["PING"], ["EXEC"], ["GET", "x"],
                                       ["SET", "x", "1"], ["EVAL", "return 1", "0"])
        ] + [admin.call("CONFIG", "SET", "maxmemory", "0")])
    assert transcripts[1] == transcripts[0]
    assert transcripts[0][5] == b"OK"


def test_a_replica_cut_off_from_its_primary_refuses_what_needs_fresh_data(servers):
    """replica-serve-stale-data no: while the link to the primary is down, commands without
    the `stale` flag get MASTERDOWN, also queued ones at EXEC (EXECABORT), even when the link
    went down after they were queued; `stale` commands (INFO, MULTI, CONFIG) still run."""
    from .servers import free_port

    nowhere = str(free_port())  # nothing listens there: the link never comes up
    steps = [("SET", "xx", "1"), ("CONFIG", "SET", "replica-serve-stale-data", "no"),
             ("MULTI",), ("GET", "xx"), ("REPLICAOF", "127.0.0.1", nowhere), ("EXEC",),
             ("GET", "xx"), ("PING",), ("MULTI",), ("PING",), ("EXEC",),
             ("REPLICAOF", "NO", "ONE"), ("MULTI",), ("GET", "xx"), ("EXEC",),
             ("CONFIG", "SET", "replica-serve-stale-data", "yes")]
    outcomes = []
    for server in servers:
        client, admin = RawClient(server.port), RawClient(server.port)
        replies = []
        for step in steps:
            target = admin if step[0] == "REPLICAOF" else client
            replies.append(target.call(*step))
        outcomes.append([str(reply) for reply in replies])
        client.close()
        admin.close()
    assert outcomes[1] == outcomes[0]
    assert outcomes[0][5].startswith("EXECABORT") and "MASTERDOWN" in outcomes[0][5]


def test_a_limit_set_inside_multi_does_not_refuse_the_rest_of_it(pair):
    """EXEC is judged against maxmemory once, before it runs: a CONFIG SET maxmemory inside
    the transaction neither refuses nor evicts before the commands after it; the eviction
    comes after EXEC (Redis's unit/maxmemory "propagation with eviction in MULTI")."""
    transcripts = []
    for server in pair:
        r, admin = RawClient(server.port), RawClient(server.port)
        r.call("FLUSHALL")
        try:
            replies = [r.call(*args) for args in (
                ["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"], ["MULTI"],
                ["INCR", "x"], ["CONFIG", "SET", "maxmemory", "1"], ["INCR", "x"], ["EXEC"])]
            deadline = time.time() + 5
            while admin.call("DBSIZE") != 0 and time.time() < deadline:
                time.sleep(0.02)
            transcripts.append(replies + [admin.call("DBSIZE")])
        finally:
            admin.call("CONFIG", "SET", "maxmemory", "0")
            admin.call("CONFIG", "SET", "maxmemory-policy", "noeviction")
    assert transcripts[1] == transcripts[0]
    assert transcripts[0][5] == [1, b"OK", 2] and transcripts[0][6] == 0


def test_client_list_names_exec_after_a_transaction(servers):
    """CLIENT LIST's cmd= is EXEC after a transaction, not the last command it ran."""
    outcomes = []
    for server in servers:
        client, admin = RawClient(server.port), RawClient(server.port)
        client_id = client.call("CLIENT", "ID")
        for args in (["MULTI"], ["SET", "k", "v"], ["GET", "k"], ["EXEC"]):
            client.call(*args)
        line = next(entry for entry in admin.call("CLIENT", "LIST").split(b"\n")
                    if entry.startswith(b"id=%d " % client_id))
        outcomes.append(line.split(b" cmd=")[1].split(b" ")[0])
        client.close()
        admin.close()
    assert outcomes == [b"exec", b"exec"]


def _transaction_fields(line: bytes) -> list:
    return [field for field in line.split() if field.split(b"=")[0] in (
        b"flags", b"multi", b"argv-mem", b"multi-mem", b"cmd")]


@pytest.mark.parametrize("commands", [
    [["MULTI"], ["SET", "a", "1"], ["GET", "b"], ["SET", "c", "2"], ["GET", "d"]],
    [["MULTI"], ["SET", "a", "1"], ["NOSUCH"], ["SET", "c", "2"]],
    [["WATCH", "w"], ["@SET", "w", "1"], ["MULTI"], ["SET", "a", "1"]],
    [["WATCH", "w"], ["@SET", "w", "1"], ["WATCH", "x"], ["MULTI"], ["GET", "b"]],
    [["MULTI"], ["SET", "a", "1"], ["CLIENT", "INFO"], ["EXEC"]]])
def test_client_list_follows_the_transaction_as_redis_keeps_it(servers, commands):
    """CLIENT LIST's multi= and multi-mem= (the queued arguments, as Redis's argv_len_sums)
    after each command; a transaction already doomed (a queue-time error, a watched key
    changed) keeps nothing more, and a changed watched key drops the client's watches. A
    CLIENT INFO inside EXEC sees its client still in MULTI, running EXEC. ('@': sent by
    another client.)"""
    outcomes = []
    for server in servers:
        client, admin = RawClient(server.port), RawClient(server.port)
        client.call("CLIENT", "SETNAME", "txn")
        seen = []
        for args in commands:
            if args[0].startswith("@"):
                admin.call(args[0][1:], *args[1:])
                continue
            reply = client.call(*args)
            if args == ["EXEC"]:
                seen.append(_transaction_fields(reply[-1]))
            line = next(entry for entry in admin.call("CLIENT", "LIST").split(b"\n")
                        if b" name=txn " in entry)
            seen.append(_transaction_fields(line))
        outcomes.append(seen)
        admin.call("DEL", "w")
        client.close()
        admin.close()
    assert outcomes[1] == outcomes[0]
