"""The append-only file: what Predis acknowledged is there after a SIGKILL and a restart, for
every family of write (including the ones logged by their effects), across BGREWRITEAOF, with
a torn last write, when turned on at run time, and when the AOF was written by redis-server."""

import os
import random
import shutil
import threading
import time

import hiredis
import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .rawclient import RawClient
from .servers import (client_without_retries, eventually, refused_start, start_predis,
                      start_redis)
from .test_random_sequences import COMMANDS

AOF = ("--appendonly", "yes", "--appendfsync", "always")


def contents(port: int) -> dict:
    """Every key of every database: type, value, and TTL (to the second)."""
    found = {}
    for index in range(16):
        client = redis.Redis(port=port, db=index)
        for key in client.scan_iter(count=1000):
            kind = client.type(key).decode()
            if kind == "string":
                value = client.get(key)
            elif kind == "hash":
                value = sorted(client.hgetall(key).items())
            elif kind == "list":
                value = client.lrange(key, 0, -1)
            elif kind == "set":
                value = sorted(client.smembers(key))
            elif kind == "zset":
                value = client.zrange(key, 0, -1, withscores=True)
            else:
                value = client.xrange(key)
            ttl = client.pttl(key)
            found[(index, key)] = (kind, value, -1 if ttl < 0 else round(ttl / 1000))
        client.close()
    return found


def killed(server) -> None:
    server.proc.kill()
    server.proc.wait()
    server.log.close()


def restarted(data_dir, *extra):
    return start_predis(("--dir", str(data_dir), *AOF, *extra))


def same_contents(before: dict, after: dict) -> None:
    assert after.keys() == before.keys()
    for key, (kind, value, ttl) in before.items():
        kind2, value2, ttl2 = after[key]
        assert (kind2, value2) == (kind, value), key
        assert abs(ttl2 - ttl) <= 10, key  # seconds passed between the two reads (a loaded
        # machine takes several to restart a server)


def assert_survives_restart(server, data_dir) -> None:
    """SIGKILL the server, start it again on the same files: the same data."""
    before = contents(server.port)
    killed(server)
    server = restarted(data_dir)
    try:
        same_contents(before, contents(server.port))
    finally:
        server.stop()


def write_every_family(client, other):
    client.set("plain", "v")
    client.set("ex", "v", ex=1000)
    client.execute_command("SETEX", "setex", 500, "v")
    client.set("keepttl", "v", px=800_000)
    client.set("keepttl", "w", keepttl=True)
    client.incrbyfloat("float", "1.1")
    client.incrbyfloat("float", "2.25")
    client.hset("hash", mapping={"a": "1", "b": "2"})
    client.hincrbyfloat("hash", "f", "0.5")
    client.rpush("list", *"abcdef")
    client.lpop("list")
    client.sadd("set", *"abcdefgh")
    client.spop("set", 3)
    client.spop("set")
    client.zadd("zset", {"a": 1, "b": 2.5, "c": -3})
    client.zpopmin("zset")
    client.xadd("stream", {"f": "v"})
    client.xadd("stream", {"f": "w"}, maxlen=10, approximate=False)
    for i in range(1, 251):  # approximate trims are logged as the exact ones they came to
        client.xadd("trimmed", {"f": i}, id=f"{i}-0")
    client.execute_command("XADD", "trimmed", "MAXLEN", "~", "10", "LIMIT", "100", "300-0",
                           "f", "v")  # LIMIT: one node of two goes
    client.execute_command("XTRIM", "trimmed", "MINID", "~", "240")
    client.expire("plain", 1000)
    client.persist("plain")
    client.set("gone", "v")
    client.expire("gone", -1)
    client.getex("ex", ex=2000)
    with client.pipeline(transaction=True) as tx:
        tx.incr("counter").incr("counter").lpush("list", "tx")
        tx.execute()
    client.eval("redis.call('set', KEYS[1], ARGV[1]); redis.call('sadd', KEYS[2], 'x', 'y'); "
                "return redis.call('spop', KEYS[2])", 2, "scripted", "sset", "s")
    client.function_load("#!lua name=aoflib\nredis.register_function('bump', function(k) "
                         "return redis.call('incrby', k[1], 5) end)")
    client.fcall("bump", 1, "bumped")
    client.execute_command("SELECT", 3)
    client.set("in-db-3", "x")
    client.execute_command("SELECT", 0)
    client.move("counter", 5)
    client.copy("plain", "copied")
    client.restore("restored", 100_000, client.dump("hash"))
    client.sadd("moved", "m")
    client.rename("moved", "renamed")
    client.delete("float")
    # a blocked pop served by another client's push
    result = {}
    waiter = threading.Thread(target=lambda: result.update(v=client.blpop("queue", 5)))
    waiter.start()
    time.sleep(0.3)
    other.rpush("queue", "first", "second")
    waiter.join()
    assert result["v"] == (b"queue", b"first")


def test_every_family_survives_sigkill_and_restart(tmp_path):
    server = restarted(tmp_path)
    client, other = redis.Redis(port=server.port), redis.Redis(port=server.port)
    write_every_family(client, other)
    before = contents(server.port)
    assert before[(0, b"scripted")][1] == b"s" and (5, b"counter") in before
    assert [i for i, _ in before[(0, b"trimmed")][1]][:1] == [b"201-0"]
    killed(server)
    server = restarted(tmp_path)
    try:
        same_contents(before, contents(server.port))
        assert redis.Redis(port=server.port).fcall("bump", 1, "bumped") == 10
    finally:
        server.stop()


def test_bgrewriteaof_keeps_everything_and_replaces_the_files(tmp_path):
    server = restarted(tmp_path)
    client = redis.Redis(port=server.port)
    for i in range(200):
        client.set(f"k{i}", i)
        client.rpush("list", i)
    assert client.bgrewriteaof()
    deadline = time.time() + 20
    while client.info("persistence")["aof_rewrites"] < 1 and time.time() < deadline:
        client.set("during", "rewrite")
        time.sleep(0.05)
    client.set("after", "rewrite")
    info = client.info("persistence")
    assert info["aof_rewrites"] == 1 and info["aof_last_bgrewrite_status"] == "ok"
    folder = tmp_path / "appendonlydir"
    manifest = (folder / "appendonly.aof.manifest").read_text()
    assert "appendonly.aof.2.base.rdb seq 2 type b" in manifest
    assert "appendonly.aof.1.base.rdb" not in manifest
    assert not (folder / "appendonly.aof.1.base.rdb").exists()
    assert_survives_restart(server, tmp_path)


def killed_after_one_write(data_dir, key, value):
    """Start, write one key, SIGKILL: the incremental file that holds the write."""
    server = restarted(data_dir)
    redis.Redis(port=server.port).set(key, value)
    killed(server)
    return data_dir / "appendonlydir" / "appendonly.aof.1.incr.aof"


def test_a_torn_last_write_is_cut_off_or_stops_the_start(tmp_path):
    incr = killed_after_one_write(tmp_path, "kept", "yes")
    whole = incr.stat().st_size
    with open(incr, "ab") as handle:
        handle.write(b"*3\r\n$3\r\nSET\r\n$4\r\nlost")
    with pytest.raises(RuntimeError, match="exited"):
        restarted(tmp_path, "--aof-load-truncated", "no")
    assert incr.stat().st_size > whole  # never changed when the start is refused
    server = restarted(tmp_path)
    try:
        client = redis.Redis(port=server.port)
        assert client.get("kept") == b"yes" and client.dbsize() == 1
        assert incr.stat().st_size == whole
    finally:
        server.stop()


@pytest.mark.parametrize("kind", ["redis", "predis"])
def test_a_multi_without_exec_at_the_end_is_reverted_like_a_short_read(tmp_path, kind):
    """Redis treats a MULTI left open at the end of the AOF as a torn write: with
    aof-load-truncated no the start is refused with its "Unexpected end of file" error, with
    yes the transaction is dropped and the file cut back to the MULTI, so what is appended
    next is not swallowed by it at the following start (Predis only warned and left the MULTI
    in the file: writes after the restart were lost on the next one)."""
    start = {"redis": start_redis, "predis": start_predis}[kind]
    server = start(("--dir", str(tmp_path), *AOF))
    redis.Redis(port=server.port).set("kept", "yes")
    killed(server)
    incr = tmp_path / "appendonlydir" / "appendonly.aof.1.incr.aof"
    whole = incr.stat().st_size
    with open(incr, "ab") as handle:
        handle.write(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$4\r\nlost\r\n$1\r\n1\r\n")
    refusal = refused_start(kind, ("--dir", str(tmp_path), *AOF, "--aof-load-truncated", "no"))
    assert "Unexpected end of file reading the append only file" in refusal
    assert incr.stat().st_size > whole
    server = start(("--dir", str(tmp_path), *AOF))
    client = redis.Redis(port=server.port)
    assert (client.get("kept"), client.get("lost"), client.dbsize()) == (b"yes", None, 1)
    assert incr.stat().st_size == whole
    client.set("after", "1")
    killed(server)
    server = start(("--dir", str(tmp_path), *AOF))
    try:
        assert redis.Redis(port=server.port).mget("kept", "after") == [b"yes", b"1"]
    finally:
        server.stop()


@pytest.mark.parametrize("kind", ["redis", "predis"])
def test_nothing_expires_while_the_aof_loads(tmp_path, kind):
    """Redis expires no key while it loads (keyIsExpired, checkAlreadyExpired): a PEXPIREAT
    or SET ... PXAT in the past leaves the key for the AOF's next commands, which extend it,
    and it goes once loaded (Redis's integration/aof "AOF+EXPIRE: List should be empty").
    Predis removed it at once, so the next RPUSH or APPEND made a new key without a deadline:
    data the primary had let expire came back."""
    from ops.commandstream import encode

    folder = tmp_path / "appendonlydir"
    folder.mkdir()
    (folder / "appendonly.aof.manifest").write_text("file appendonly.aof.1.incr.aof seq 1 "
                                                   "type i\n")
    commands = [[b"RPUSH", b"list", b"foo"], [b"PEXPIREAT", b"list", b"1000"],
                [b"RPUSH", b"list", b"bar"], [b"SET", b"k", b"v", b"PXAT", b"1000"],
                [b"APPEND", b"k", b"x"], [b"SET", b"kept", b"1"]]
    (folder / "appendonly.aof.1.incr.aof").write_bytes(b"".join(map(encode, commands)))
    start = {"redis": start_redis, "predis": start_predis}[kind]
    server = start(("--dir", str(tmp_path), *AOF))
    try:
        client = redis.Redis(port=server.port)
        assert (client.llen("list"), client.get("k"), client.get("kept")) == (0, None, b"1")
        assert (client.exists("list"), client.exists("k")) == (0, 0)
    finally:
        server.stop()


def test_garbage_in_the_middle_stops_the_start(tmp_path):
    incr = killed_after_one_write(tmp_path, "a", "1")
    data = incr.read_bytes()
    incr.write_bytes(data + b"this is not a command\r\n" + data)
    with pytest.raises(RuntimeError, match="exited"):
        restarted(tmp_path)
    assert b"this is not a command" in incr.read_bytes()


def test_config_set_appendonly_at_run_time(tmp_path):
    server = start_predis(("--dir", str(tmp_path)))
    client = redis.Redis(port=server.port)
    client.set("before", "1")
    assert client.info("persistence")["aof_enabled"] == 0
    client.config_set("appendonly", "yes")  # a forked child writes the base, as in Redis
    client.set("after", "2")
    assert client.info("persistence")["aof_enabled"] == 1
    assert eventually(lambda: client.info("persistence")["aof_rewrite_in_progress"] == 0, 10)
    client.set("last", "3")
    killed(server)
    server = restarted(tmp_path)
    try:
        assert redis.Redis(port=server.port).mget("before", "after", "last") == [b"1", b"2",
                                                                                b"3"]
    finally:
        server.stop()



def test_a_forced_shutdown_while_the_first_base_is_written_leaves_a_complete_aof(tmp_path):
    """Predis-only: a shutdown before the AOF's first base is written is refused unless forced,
    as Redis refuses it (test_shutdown.py); forced, Redis exits with the AOF incomplete, while
    Predis writes the base itself, so the AOF on disk has every write."""
    server = start_predis(("--dir", str(tmp_path)))
    client = redis.Redis(port=server.port)
    client.mset({f"k{i}": i for i in range(20)})
    client.config_set("shutdown-on-sigterm", "force")
    client.config_set("rdb-key-save-delay", 1000000)  # the child would take 20 s
    client.config_set("appendonly", "yes")
    client.incr("k0")
    assert client.info("persistence")["aof_rewrite_in_progress"] == 1
    client.config_set("rdb-key-save-delay", 0)  # (the child keeps its 1 s a key)
    server.proc.terminate()
    assert server.proc.wait(30) == 0
    server.log.close()
    again = restarted(tmp_path)
    try:
        assert redis.Redis(port=again.port).mget("k0", "k19") == [b"1", b"19"]
    finally:
        again.stop()


@pytest.mark.parametrize("fsync", ["always", "everysec"])
def test_no_acknowledged_write_is_lost_to_sigkill(tmp_path, fsync):
    """A writer counts every acknowledged INCR and SET while the server is killed mid-load."""
    server = start_predis(("--dir", str(tmp_path), "--appendonly", "yes",
                           "--appendfsync", fsync))
    acknowledged = {"incr": 0, "sets": 0}

    def write():
        client = client_without_retries(server.port)  # (a retried INCR could count twice)
        try:
            while True:
                client.incr("counter")
                acknowledged["incr"] += 1
                client.set(f"key:{acknowledged['sets']}", "x" * 100)
                acknowledged["sets"] += 1
        except redis.ConnectionError:
            pass

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(1.5 + random.random())
    killed(server)
    writer.join()
    assert acknowledged["incr"] > 100
    server = restarted(tmp_path, "--appendfsync", fsync)
    try:
        client = redis.Redis(port=server.port)
        # the kernel keeps what was written before the kill: nothing acknowledged is missing;
        # at most the one write in flight when the kill came may have landed unacknowledged
        assert int(client.get("counter")) in (acknowledged["incr"], acknowledged["incr"] + 1)
        sets = acknowledged["sets"]
        assert client.exists(*[f"key:{i}" for i in range(sets)]) == sets
    finally:
        server.stop()


def test_predis_loads_an_aof_written_by_redis_server(tmp_path):
    reference = start_redis(("--appendonly", "yes", "--appendfsync", "always"))
    client, other = redis.Redis(port=reference.port), redis.Redis(port=reference.port)
    write_every_family(client, other)
    client.bgrewriteaof()  # a base written by redis, then more commands on top
    time.sleep(1)
    client.hset("after-rewrite", "f", "v")
    client.lpush("list", "more")
    expected = contents(reference.port)
    folder = os.path.join(reference.workdir, "appendonlydir")
    shutil.copytree(folder, tmp_path / "appendonlydir")
    reference.stop()
    server = restarted(tmp_path)
    try:
        same_contents(expected, contents(server.port))
    finally:
        server.stop()


@pytest.fixture(scope="module")
def aof_server(tmp_path_factory):
    server = restarted(tmp_path_factory.mktemp("aof"))
    yield server
    server.stop()


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(sequence=st.lists(COMMANDS, min_size=5, max_size=40))
def test_random_sequences_replay_to_the_same_data(aof_server, sequence):
    """Whatever a random command sequence leaves behind, a replay of the AOF rebuilds (DEBUG
    LOADAOF: the loader a restart runs; restarts after SIGKILL are the cases above)."""
    client = RawClient(aof_server.port)
    client.call("FLUSHALL")
    for command in sequence:
        client.call(*command)
    before = contents(aof_server.port)
    assert client.call("DEBUG", "LOADAOF") == b"OK"
    same_contents(before, contents(aof_server.port))
    client.close()


def test_a_scripts_set_repl_decides_what_the_aof_gets(tmp_path):
    """redis.set_repl(redis.REPL_NONE) keeps the next writes out of the AOF, REPL_AOF keeps
    them out of replicas only (Redis's unit/scripting; the replica side is in
    test_replication_stream)."""
    from .test_replication_stream import SELECTIVE

    server = start_predis(("--dir", str(tmp_path), *AOF))
    client = RawClient(server.port)
    assert client.call("EVAL", SELECTIVE, "0") is None
    assert client.call("MGET", "sa", "sb", "sc", "sd") == [b"1", b"2", b"3", b"4"]
    assert client.call("DEBUG", "LOADAOF") == b"OK"  # the AOF replayed into an empty server
    assert client.call("MGET", "sa", "sb", "sc", "sd") == [b"1", None, b"3", b"4"]
    assert client.call("DEBUG", "LOADAOF") == b"OK"  # and it did not grow from the replay
    assert client.call("MGET", "sa", "sb", "sc", "sd") == [b"1", None, b"3", b"4"]
    killed(server)
    server = restarted(tmp_path)
    try:
        assert RawClient(server.port).call("MGET", "sa", "sb", "sc", "sd") == \
            [b"1", None, b"3", b"4"]
    finally:
        server.stop()


def test_debug_commands_are_not_logged(tmp_path):
    """DEBUG RELOAD / LOADAOF / POPULATE change the data set but are never propagated: an AOF
    replay must not reload a snapshot (or the AOF) in the middle of itself."""
    server = start_predis(("--dir", str(tmp_path), *AOF))
    client = RawClient(server.port)
    for args in (("SET", "x", "1"), ("DEBUG", "RELOAD"), ("DEBUG", "LOADAOF"),
                 ("DEBUG", "POPULATE", "3"), ("SET", "y", "2")):
        client.call(*args)
    logged = b"".join(path.read_bytes() for path in (tmp_path / "appendonlydir").glob("*.aof"))
    assert b"DEBUG" not in logged.upper() and b"$1\r\ny\r\n" in logged
    killed(server)
    server = restarted(tmp_path)
    try:
        assert RawClient(server.port).call("MGET", "x", "y") == [b"1", b"2"]
    finally:
        server.stop()


def test_debug_loadaof_reads_a_rewritten_aof_with_appendonly_off(tmp_path):
    """With appendonly off, BGREWRITEAOF still writes the files, and DEBUG LOADAOF replays
    them, functions included (Redis's unit/aofrw "AOF rewrite functions")."""
    server = start_predis(("--dir", str(tmp_path)))
    client = RawClient(server.port)
    try:
        client.call("FUNCTION", "LOAD",
                    "#!lua name=test\nredis.register_function('test', function() return 1 end)")
        client.call("SET", "kept", "1")
        assert client.call("BGREWRITEAOF")
        assert eventually(lambda: b"aof_rewrite_in_progress:0" in client.call(
            "INFO", "persistence"), 10)
        client.call("FUNCTION", "FLUSH")
        client.call("SET", "later", "1")
        assert client.call("DEBUG", "LOADAOF") == b"OK"
        assert client.call("FCALL", "test", "0") == 1
        assert client.call("MGET", "kept", "later") == [b"1", None]
    finally:
        server.stop()


def test_an_aof_made_again_keeps_its_new_incremental_file(tmp_path):
    """BGREWRITEAOF with appendonly off after an earlier AOF: the new manifest's incremental
    file took the old one's name and was deleted with the old files, so the AOF named a file
    that did not exist (found through Redis's unit/aofrw and DEBUG LOADAOF)."""
    server = start_predis(("--dir", str(tmp_path)))
    client = RawClient(server.port)

    def rewritten():
        return eventually(lambda: b"aof_rewrite_in_progress:0" in client.call(
            "INFO", "persistence"), 10)
    try:
        assert client.call("CONFIG", "SET", "appendonly", "yes") == b"OK" and rewritten()
        client.call("SET", "k", "v")
        assert client.call("CONFIG", "SET", "appendonly", "no") == b"OK"
        client.call("RPUSH", "l", "a", "b")
        assert client.call("BGREWRITEAOF") and rewritten()
        directory = tmp_path / "appendonlydir"
        manifest = (directory / "appendonly.aof.manifest").read_text()
        for line in manifest.splitlines():
            assert (directory / line.split()[1]).exists(), manifest
        assert client.call("DEBUG", "LOADAOF") == b"OK"
        assert client.call("LRANGE", "l", "0", "-1") == [b"a", b"b"]
    finally:
        server.stop()


@pytest.mark.parametrize("kind", ["redis", "predis"])
def test_consumers_that_noack_reads_create_are_in_the_aof(kind):
    """A consumer an XREADGROUP NOACK creates has no pending entry to recreate it from: its
    creation is logged (XGROUP CREATECONSUMER), also when the read blocked first and was
    served later (Redis's own test: the group is the same after DEBUG LOADAOF)."""
    server = (start_redis if kind == "redis" else start_predis)(AOF)
    try:
        client = redis.Redis(port=server.port)
        client.xgroup_create("s", "g", "$", mkstream=True)
        client.xadd("s", {"f1": "v1"})
        client.xreadgroup("g", "Alice", {"s": ">"}, noack=True)
        reader = redis.Redis(port=server.port)
        blocked = threading.Thread(
            target=lambda: reader.xreadgroup("g", "Bob", {"s": ">"}, block=0, noack=True))
        blocked.start()
        assert eventually(lambda: client.info("clients")["blocked_clients"] == 1, 5)
        client.xadd("s", {"f2": "v2"})
        blocked.join(5)
        groups = client.xinfo_groups("s")
        client.execute_command("DEBUG", "LOADAOF")
        assert client.xinfo_groups("s") == groups
        assert [c["name"] for c in client.xinfo_consumers("s", "g")] == [b"Alice", b"Bob"]
        if kind == "predis":  # Redis 7.2 creates the consumer even when nothing is read
            client.xreadgroup("g", "Dan", {"s": ">"}, noack=True)
            client.execute_command("DEBUG", "LOADAOF")
            assert [c["name"] for c in client.xinfo_consumers("s", "g")] == [
                b"Alice", b"Bob", b"Dan"]
        reader.close()
        client.close()
    finally:
        server.stop()


@pytest.mark.parametrize("kind", ["redis", "predis"])
def test_a_read_only_replica_loads_its_whole_aof(kind):
    """DEBUG LOADAOF on a read-only replica replays every write in the file (the AOF is obeyed
    as the primary is, READONLY is for clients), functions included (Redis's functions test)."""
    server = (start_redis if kind == "redis" else start_predis)(AOF)
    try:
        client = redis.Redis(port=server.port)
        client.function_load("#!lua name=lib\nredis.register_function('f', function() "
                             "return 'hello' end)")
        client.set("k", "v")
        client.rpush("l", "a", "b")
        client.config_set("replica-read-only", "yes")
        client.replicaof("127.0.0.1", "0")  # a primary that is never reached
        client.execute_command("DEBUG", "LOADAOF")
        client.replicaof("NO", "ONE")
        assert [dict(zip(lib[::2], lib[1::2]))[b"library_name"]
                for lib in client.function_list()] == [b"lib"]
        assert (client.get("k"), client.lrange("l", 0, -1)) == (b"v", [b"a", b"b"])
        client.close()
    finally:
        server.stop()


@pytest.mark.parametrize("kind", ["redis", "predis"])
def test_timestamp_annotations_mark_each_second_written(kind):
    """aof-timestamp-enabled: "#TS:<unix time>" before the first write of each second (Redis's
    integration/aof "Generate timestamp annotations in AOF"), and the file loads back."""
    server = (start_redis if kind == "redis" else start_predis)(AOF)
    try:
        client = redis.Redis(port=server.port)
        client.config_set("aof-timestamp-enabled", "yes")
        client.set("foo", "bar")
        client.set("foo2", "bar")  # (likely the same second: no annotation of its own)
        time.sleep(1.1)
        client.set("foo3", "bar")
        incr = os.path.join(server.workdir, "appendonlydir", "appendonly.aof.1.incr.aof")
        lines = open(incr, "rb").read().split(b"\r\n")
        stamps = [int(line[4:]) for line in lines if line.startswith(b"#TS:")]
        assert lines[0].startswith(b"#TS:") and 2 <= len(stamps) <= 3
        assert stamps == sorted(set(stamps)) and abs(stamps[0] - time.time()) < 10
        client.execute_command("DEBUG", "LOADAOF")
        assert client.mget("foo", "foo2", "foo3") == [b"bar"] * 3
    finally:
        server.stop()


@pytest.mark.parametrize("kind", ["redis", "predis"])
def test_an_unknown_command_in_the_aof_stops_the_start(tmp_path, kind):
    """Redis's integration/aof "Unknown command: Server should have logged an error": the load
    stops at a command it does not know (Predis logged it and went on)."""
    from ops.commandstream import encode

    folder = tmp_path / "appendonlydir"
    folder.mkdir()
    (folder / "appendonly.aof.manifest").write_text("file appendonly.aof.1.incr.aof seq 1 "
                                                   "type i\n")
    commands = [[b"SET", b"foo", b"hello"], [b"bla", b"foo", b"hello"],
                [b"SET", b"foo", b"hello"]]
    (folder / "appendonly.aof.1.incr.aof").write_bytes(b"".join(map(encode, commands)))
    refusal = refused_start(kind, ("--dir", str(tmp_path), *AOF, "--aof-load-truncated", "yes"))
    assert "Unknown command 'bla' reading the append only file appendonly.aof.1.incr.aof" in \
        refusal.strip().splitlines()[-1]


def _groups_of(client) -> list:
    """What AOF rewriting must keep of the streams' consumer groups."""
    seen = []
    for key in (b"stream", b"emptied"):
        for group in client.xinfo_groups(key):
            name = group["name"]
            consumers = sorted((c["name"], c["pending"]) for c in
                               client.xinfo_consumers(key, name))
            pending = client.xpending_range(key, name, "-", "+", 100)
            seen.append((key, name, group["last-delivered-id"], group["entries-read"],
                         group["pending"], consumers,
                         [(p["message_id"], p["consumer"], p["times_delivered"])
                          for p in pending]))
    info = client.xinfo_stream("emptied")
    seen.append((info["length"], info["last-generated-id"], info["entries-added"],
                 info["max-deleted-entry-id"]))
    return seen


@pytest.mark.parametrize("kind", ["redis", "predis"])
def test_a_rewrite_without_rdb_preamble_writes_commands(tmp_path, kind):
    """aof-use-rdb-preamble no: BGREWRITEAOF writes the base as commands (a .base.aof file,
    with aof-timestamp-enabled a "#TS:" line first) that rebuild every type, streams' groups,
    pending entries and consumers included (Predis wrote an RDB base whatever the setting)."""
    start = {"redis": start_redis, "predis": start_predis}[kind]
    extra = ("--dir", str(tmp_path), *AOF, "--aof-use-rdb-preamble", "no",
             "--aof-timestamp-enabled", "yes")
    server = start(extra)
    client, other = redis.Redis(port=server.port), redis.Redis(port=server.port)
    write_every_family(client, other)
    client.xgroup_create("stream", "readers", "0")
    client.xreadgroup("readers", "alice", {"stream": ">"}, count=1)
    client.xreadgroup("readers", "bob", {"stream": ">"})
    client.xgroup_createconsumer("stream", "readers", "carol")
    client.xgroup_create("stream", "late", "$")
    client.xadd("emptied", {"f": "v"}, id="5-1")
    client.xdel("emptied", "5-1")
    client.xgroup_create("emptied", "g", "$")
    client.rpush("long", *range(150))
    before, groups = contents(server.port), _groups_of(client)
    assert client.bgrewriteaof()

    def rewritten():
        info = client.info("persistence")
        return info["aof_rewrites"] == 1 and not info["aof_rewrite_in_progress"]
    assert eventually(rewritten, 20)
    folder = tmp_path / "appendonlydir"
    manifest = (folder / "appendonly.aof.manifest").read_text()
    base = (folder / "appendonly.aof.2.base.aof").read_bytes()
    killed(server)
    server = start(extra)
    try:
        client = redis.Redis(port=server.port)
        same_contents(before, contents(server.port))
        assert _groups_of(client) == groups
        assert redis.Redis(port=server.port).fcall("bump", 1, "bumped") == 10
    finally:
        server.stop()
    assert "file appendonly.aof.2.base.aof seq 2 type b" in manifest
    assert base.startswith(b"#TS:") and b"\r\n*2\r\n$6\r\nSELECT\r\n" in base


def _logged(server) -> list:
    """The commands in the server's incremental AOF, as argument lists."""
    path = os.path.join(server.workdir, "appendonlydir", "appendonly.aof.1.incr.aof")
    reader = hiredis.Reader()
    reader.feed(open(path, "rb").read())
    commands = []
    while (command := reader.gets()) is not False:
        commands.append(command)
    return commands


@pytest.mark.parametrize("kind", ["redis", "predis"])
def test_keys_freed_lazily_are_logged_as_unlink(kind):
    """A key removed for its deadline (EXPIRE or GETEX with one already past, or found
    expired) is logged as UNLINK under lazyfree-lazy-expire and as DEL without; an evicted
    key likewise under lazyfree-lazy-eviction."""
    server = (start_redis if kind == "redis" else start_predis)(AOF)
    try:
        client = redis.Redis(port=server.port)
        client.config_set("lazyfree-lazy-expire", "yes")
        client.set("past", "v")
        client.expire("past", -1)
        client.set("getex", "v")
        client.getex("getex", exat=1)
        client.set("found", "v", px=1)
        time.sleep(0.05)
        assert client.get("found") is None
        client.config_set("lazyfree-lazy-expire", "no")
        client.set("eager", "v")
        client.expire("eager", -1)
        without_pxat = [command[:3] for command in _logged(server)]
        assert without_pxat == [
            [b"SELECT", b"0"], [b"SET", b"past", b"v"], [b"UNLINK", b"past"],
            [b"SET", b"getex", b"v"], [b"UNLINK", b"getex"], [b"SET", b"found", b"v"],
            [b"UNLINK", b"found"], [b"SET", b"eager", b"v"], [b"DEL", b"eager"]]
        logged_before = len(without_pxat)
        client.config_set("maxmemory-policy", "allkeys-random")
        client.config_set("lazyfree-lazy-eviction", "yes")
        client.config_set("maxmemory", client.info("memory")["used_memory"] + 100_000)
        for index in range(400):
            client.set(f"filler:{index}", "x" * 1000)
        assert client.info("stats")["evicted_keys"] > 0
        assert {command[0] for command in _logged(server)[logged_before:]} == {b"SET", b"UNLINK"}
    finally:
        server.stop()
