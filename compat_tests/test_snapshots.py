"""RDB snapshots: files written by redis-server load into Predis; Predis's own files survive a
restart (SAVE, BGSAVE, SHUTDOWN SAVE, DEBUG RELOAD); a file Predis writes in RDB 10 form loads
into the reference redis-server 7.0 with the same contents."""

import os
import shutil
import subprocess
import sys
import tempfile
import time

from .conftest import numeric
from .rawclient import RawClient
from .servers import (ROOT, free_port, redis_server_binary, refused_start, ServerProcess,
                      start_predis)

FILL = [
    ("SET", "s", "hello"), ("SET", "n", "12345"), ("SET", "big", "x" * 5000),
    ("SET", "ttl", "v", "PX", "3600000"), ("RPUSH", "l", "a", "b", "c"),
    ("SADD", "ints", "1", "2", "3"), ("SADD", "words", "x", "y"),
    ("ZADD", "z", "1.5", "a", "2", "b"), ("HSET", "h", "f", "v", "g", "w"),
    ("XADD", "st", "1-1", "f", "v"), ("XGROUP", "CREATE", "st", "g", "0"),
    ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "st", ">"),
    ("SELECT", "3"), ("SET", "in3", "three"), ("SELECT", "0"),
    ("FUNCTION", "LOAD", "#!lua name=snaplib\nredis.register_function('snapf', "
                         "function() return 'snap' end)"),
]
PROBES = [("GET", "s"), ("GET", "n"), ("STRLEN", "big"), ("TYPE", "ttl"),
          ("LRANGE", "l", "0", "-1"), ("SMEMBERS", "ints"), ("SMEMBERS", "words"),
          ("ZRANGE", "z", "0", "-1", "WITHSCORES"), ("HGETALL", "h"), ("XRANGE", "st", "-", "+"),
          ("XPENDING", "st", "g"), ("FCALL", "snapf", "0"), ("DBSIZE",)]


def _state(client):
    out = [numeric(sorted(r) if isinstance(r, list) and c[0] in ("SMEMBERS", "HGETALL") else r)
           for c in PROBES for r in [client.call(*c)]]
    client.call("SELECT", "3")
    out.append(client.call("GET", "in3"))
    client.call("SELECT", "0")
    pttl = client.call("PTTL", "ttl")
    out.append(3500000 < pttl <= 3600000)
    return out


def _fill(client):
    for command in FILL:
        client.call(*command)


def _start_redis_in(workdir):
    port = free_port()
    argv = [redis_server_binary(), "--port", str(port), "--dir", workdir, "--bind", "127.0.0.1",
            "--appendonly", "no", "--save", "", "--protected-mode", "no"]
    return ServerProcess(argv, port, workdir)


def _start_predis_in(workdir):
    server = start_predis(["--dir", workdir])
    return server


def test_redis_rdb_loads_into_predis():
    workdir = tempfile.mkdtemp(prefix="rdb-from-redis-")
    redis_server = _start_redis_in(workdir)
    ref = RawClient(redis_server.port)
    _fill(ref)
    assert ref.call("SAVE") == b"OK"
    expected = _state(ref)
    ref.close()
    redis_server.stop()
    predis = _start_predis_in(workdir)
    client = RawClient(predis.port)
    assert _state(client) == expected
    info = client.call("INFO", "persistence")
    assert b"rdb_last_load_keys_loaded:11" in info
    client.close()
    predis.stop()


def test_predis_snapshots_survive_restart_save_bgsave_shutdown():
    workdir = tempfile.mkdtemp(prefix="rdb-predis-")
    predis = _start_predis_in(workdir)
    client = RawClient(predis.port)
    _fill(client)
    expected = _state(client)
    before = client.call("LASTSAVE")
    time.sleep(1.1)
    assert client.call("BGSAVE") == b"Background saving started"
    for _ in range(100):
        if b"rdb_bgsave_in_progress:0" in client.call("INFO", "persistence"):
            break
        time.sleep(0.05)
    assert client.call("LASTSAVE") > before
    assert b"rdb_last_bgsave_status:ok" in client.call("INFO", "persistence")
    client.call("SET", "after-bgsave", "1")
    assert client.call("DEBUG", "RELOAD") == b"OK"
    assert client.call("GET", "after-bgsave") == b"1"
    client.call("DEL", "after-bgsave")
    assert _state(client) == expected
    client.send_raw(b"SHUTDOWN SAVE\r\n")
    assert client.read_all_until_close() == b""
    predis.proc.wait(10)
    predis.stop()
    again = _start_predis_in(workdir)
    client = RawClient(again.port)
    assert _state(client) == expected
    assert client.call("SAVE") == b"OK"
    client.close()
    again.stop()


def test_rdb10_file_from_predis_loads_into_redis_7_0():
    from ops.snapshot import write_snapshot
    from tests.fakes import connect, make_server

    server = make_server()
    conn, transport = connect(server)
    for command in FILL:
        conn.data_received(b"*%d\r\n" % len(command) + b"".join(
            b"$%d\r\n%b\r\n" % (len(a.encode()), a.encode()) for a in command))
    workdir = tempfile.mkdtemp(prefix="rdb10-")
    write_snapshot(server, os.path.join(workdir, "dump.rdb"), version=10)
    # The same data in a live Predis gives the expected state to compare with.
    reference_dir = tempfile.mkdtemp(prefix="rdb10-expected-")
    shutil.copy(os.path.join(workdir, "dump.rdb"), reference_dir)
    predis = _start_predis_in(reference_dir)
    expected = _state(RawClient(predis.port))
    predis.stop()
    redis_server = _start_redis_in(workdir)
    assert _state(RawClient(redis_server.port)) == expected
    redis_server.stop()


def test_a_corrupt_rdb_stops_the_start_and_is_left_as_it_was(tmp_path):
    server = start_predis(("--dir", str(tmp_path)))
    client = RawClient(server.port)
    client.call("SET", "key", "value" * 20)
    client.call("SAVE")
    client.close()
    server.stop()
    path = tmp_path / "dump.rdb"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    run = subprocess.run([sys.executable, "-m", "predis", "--port", str(free_port()),
                          "--dir", str(tmp_path), "--save", "60 1"], cwd=ROOT,
                         env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True,
                         timeout=120)
    assert run.returncode == 1
    assert b"the snapshot could not be loaded" in run.stderr
    assert path.read_bytes() == bytes(data)


def test_a_wrong_checksum_is_reported_as_redis_reports_it(tmp_path):
    """A snapshot whose CRC64 does not match stops either server's start with Redis's words
    ("Wrong RDB checksum expected: ... RDB CRC error", which Redis's integration/rdb.tcl
    looks for)."""
    port = free_port()
    redis_server = ServerProcess([redis_server_binary(), "--port", str(port), "--dir",
                                  str(tmp_path)], port, str(tmp_path))
    client = RawClient(redis_server.port)
    client.call("SET", "key", "value")
    client.call("SAVE")
    client.close()
    redis_server.proc.kill()
    redis_server.proc.wait()
    path = tmp_path / "dump.rdb"
    path.write_bytes(path.read_bytes()[:-8] + b"foobar00")
    for kind in ("redis", "predis"):
        output = refused_start(kind, ("--dir", str(tmp_path)))
        assert "Wrong RDB checksum expected: (" in output and "RDB CRC error" in output


def _changes_since_save(client: RawClient) -> int:
    info = client.call("INFO", "persistence").decode()
    return int(info.split("rdb_changes_since_last_save:")[1].split()[0])


def test_flushall_saves_when_save_points_are_set(servers):
    """Redis's FLUSHALL writes the empty data set at once when `save` has points, so the
    dirty counter is 0 after it (unit/other); without save points it only counts."""
    for server in servers:
        client = RawClient(server.port)
        saves = client.call("CONFIG", "GET", "save")[1]
        try:
            client.call("CONFIG", "SET", "save", "3600 1 300 100 60 10000")
            client.call("SET", "flushed", "v")
            assert client.call("FLUSHALL") == b"OK"
            assert _changes_since_save(client) == 0
            client.call("CONFIG", "SET", "save", "")
            client.call("SET", "flushed", "v")
            assert client.call("FLUSHALL") == b"OK"
            assert _changes_since_save(client) > 0
        finally:
            client.call("CONFIG", "SET", "save", saves)


def test_flushall_ends_a_background_save_of_the_old_data(servers):
    """FLUSHALL kills a BGSAVE still writing the data it removed, save points or not (Redis's
    integration/rdb "Test FLUSHALL aborts bgsave"; Predis did so only with save points): the
    save counts as not done (the dirty counter stays), its status stays ok, and writes go
    on."""
    def persistence(client):
        return dict(line.split(":", 1) for line in
                    client.call("INFO", "persistence").decode().split("\r\n") if ":" in line)

    for server in servers:
        client = RawClient(server.port)
        client.call("CONFIG", "SET", "save", "")
        client.call("CONFIG", "SET", "rdb-key-save-delay", "5000")  # 5 ms a key: 5 s
        try:
            client.call("DEBUG", "POPULATE", "1000")
            assert client.call("BGSAVE") == b"Background saving started"
            assert persistence(client)["rdb_bgsave_in_progress"] == "1"
            assert client.call("FLUSHALL") == b"OK"
            deadline = time.time() + 1.0
            while persistence(client)["rdb_bgsave_in_progress"] != "0":
                assert time.time() < deadline, "the BGSAVE was not ended"
                time.sleep(0.05)
            state = persistence(client)
            assert int(state["rdb_changes_since_last_save"]) > 999
            assert state["rdb_last_bgsave_status"] == "ok"
            assert client.call("SET", "x", "xx") == b"OK"
        finally:
            client.call("CONFIG", "SET", "rdb-key-save-delay", "0")
            client.close()


def test_total_forks_counts_background_saves(servers):
    for server in servers:
        client = RawClient(server.port)
        forks = lambda: int(client.call("INFO", "stats").decode()  # noqa: E731
                            .split("total_forks:")[1].split()[0])
        before = forks()
        client.call("SET", "forked", "v")
        assert client.call("BGSAVE") == b"Background saving started"
        assert forks() == before + 1
        deadline = time.time() + 10
        while b"rdb_bgsave_in_progress:1" in client.call("INFO", "persistence") \
                and time.time() < deadline:
            time.sleep(0.05)


def test_redis_cli_functions_rdb_gets_the_functions_only(servers, tmp_path):
    """`redis-cli --functions-rdb` asks for an RDB with the function libraries and no keys
    (REPLCONF rdb-filter-only functions); Predis sent the keys too (Redis's
    integration/redis-cli "Dumping an RDB - functions only: yes")."""
    import shutil

    from ops.rdb.file import read_rdb

    cli = shutil.which("redis-cli")
    for server in servers:
        client = RawClient(server.port)
        client.call("FLUSHALL")
        client.call("FUNCTION", "FLUSH")
        client.call("DEBUG", "POPULATE", "100")
        client.call("FUNCTION", "LOAD", "#!lua name=lib1\nredis.register_function('func1', "
                    "function() return 123 end)")
        for option, keys in (("--functions-rdb", 0), ("--rdb", 100)):
            path = tmp_path / f"{server.port}{option}.rdb"
            run = subprocess.run([cli, "-p", str(server.port), option, str(path)],
                                 capture_output=True, timeout=60)
            assert b"Transfer finished with success" in run.stdout + run.stderr
            kinds = [item[0] for item in read_rdb(path.read_bytes())]
            assert (kinds.count("key"), kinds.count("function")) == (keys, 1)
        for value, expected in (("functions", b"OK"), ("", b"OK")):
            assert client.call("REPLCONF", "rdb-filter-only", value) == expected
        assert client.call("REPLCONF", "rdb-filter-only", "keys") == \
            "ERR Unsupported rdb-filter-only option: keys"
        client.call("FUNCTION", "FLUSH")
        client.close()


def test_a_failed_background_save_stops_writes_with_misconf(server):
    """After a BGSAVE fails (its child killed here), with save points and
    stop-writes-on-bgsave-error yes, writes and PING get MISCONF while reads go on, in
    scripts too; turning the option off lets writes through (Redis's integration/rdb "failed
    bgsave prevents writes"; Predis went on accepting writes it could not persist)."""
    import signal

    from .servers import children_of

    client = RawClient(server.port)
    client.call("CONFIG", "SET", "save", "3600 1")
    client.call("CONFIG", "SET", "rdb-key-save-delay", "10000000")
    try:
        client.call("SET", "x", "x")
        assert client.call("BGSAVE") == b"Background saving started"
        deadline = time.time() + 10
        while not children_of(server.proc.pid):
            assert time.time() < deadline
            time.sleep(0.02)
        for child in children_of(server.proc.pid):
            os.kill(child, signal.SIGKILL)
        while b"rdb_bgsave_in_progress:0" not in client.call("INFO", "persistence"):
            assert time.time() < deadline
            time.sleep(0.05)
        assert client.call("GET", "x") == b"x"
        for command in (("SET", "x", "y"), ("PING",),
                        ("EVAL", "return redis.call('set', 'x', 1)", "1", "x"),
                        ("EVAL", "#!lua\nreturn redis.call('set', 'x', 1)", "1", "x")):
            assert client.call(*command).startswith("MISCONF Redis is configured to save RDB "
                                                    "snapshots"), command
        assert client.call("EVAL", "return redis.call('get', 'x')", "1", "x") == b"x"
        client.call("CONFIG", "SET", "stop-writes-on-bgsave-error", "no")
        assert client.call("SET", "x", "y") == b"OK"
    finally:
        client.call("CONFIG", "SET", "stop-writes-on-bgsave-error", "yes")
        client.call("CONFIG", "SET", "rdb-key-save-delay", "0")
        client.call("CONFIG", "SET", "save", "")
        client.close()
