"""WAIT and WAITAOF: what a client's own writes reached.

WAIT's argument checks, its place in MULTI, CLIENT UNBLOCK of a waiting client and the end of
every blocked client when a primary becomes a replica are differential (redis-server 7.0 here
behaves as 7.2 there). WAITAOF is new in Redis 7.2 and the reference installed here does not
have it: those tests hold Predis to what Redis 7.2's own tests (tests/unit/wait.tcl) expect,
with the same scenarios."""

import os
import signal
import subprocess
import time

import pytest
import redis

from .rawclient import Err, RawClient
from .servers import STARTERS, start_predis

NO_LOCAL_AOF = "WAITAOF cannot be used when numlocal is set but appendonly is disabled."


def wait_until(check, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


# -- WAIT, against redis-server -----------------------------------------------------------------
@pytest.mark.parametrize("args", [
    ("WAIT", "2", "9223372036854775808"), ("WAIT", "2", "-1"), ("WAIT", "x", "0"),
    ("WAIT", "0", "1.5"), ("BLPOP", "k", "-0.5"), ("BLPOP", "k", "x"),
    ("XREAD", "BLOCK", "-1", "STREAMS", "s", "$"),
])
def test_wait_and_blocking_timeouts_answer_as_redis(diff, args):
    diff.assert_same(*args)


# Redis 7.2 refuses a timeout whose deadline would pass LLONG_MAX (7.0, installed here, let it
# overflow): the cases of Redis's tests/unit/wait.tcl and type/list.tcl
@pytest.mark.parametrize("args", [
    ("WAIT", "2", "9223372036854775807"), ("BLPOP", "k", "9223372036854775807"),
    ("BLPOP", "k", "9223372036854775"), ("BLPOP", "k", "inf"),
    ("XREAD", "BLOCK", "9223372036854775807", "STREAMS", "s", "$"),
])
def test_timeouts_past_the_largest_deadline_are_out_of_range(diff, args):
    assert diff.predis.call(*args) == Err("ERR timeout is out of range")


def test_wait_inside_multi_does_not_block(diff):
    for client in (diff.ref, diff.predis):
        client.call("SET", "k", "v")
    diff.assert_same("MULTI")
    diff.assert_same("WAIT", "1", "0")
    diff.assert_same("EXEC")


def test_client_unblock_ends_a_wait_with_its_count_or_an_error(server):
    waiter, admin = RawClient(server.port), RawClient(server.port)
    waiter.call("SET", "k", "v")
    waiter_id = waiter.call("CLIENT", "ID")
    for mode, expected in (("TIMEOUT", 0), ("ERROR", Err(
            "UNBLOCKED client unblocked via CLIENT UNBLOCK"))):
        waiter.send_raw(b"*3\r\n$4\r\nWAIT\r\n$1\r\n1\r\n$1\r\n0\r\n")
        wait_until(lambda: admin.call("INFO", "clients").count(b"blocked_clients:1"))
        assert admin.call("CLIENT", "UNBLOCK", str(waiter_id), mode) == 1
        assert waiter.read_reply() == expected
    assert admin.call("CLIENT", "UNBLOCK", str(waiter_id)) == 0  # not blocked any more


def test_blocked_clients_end_when_their_primary_becomes_a_replica(server):
    """Redis's disconnectAllBlockedClients: BLPOP and WAIT get UNBLOCKED and the connection
    closes once the reply is out."""
    primary = STARTERS["redis"]()
    try:
        blpop, wait, admin = (RawClient(server.port) for _ in range(3))
        blpop.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$4\r\nlist\r\n$1\r\n0\r\n")
        wait.call("SET", "k", "v")
        wait.send_raw(b"*3\r\n$4\r\nWAIT\r\n$1\r\n1\r\n$1\r\n0\r\n")
        wait_until(lambda: admin.call("INFO", "clients").count(b"blocked_clients:2"))
        assert admin.call("REPLICAOF", "127.0.0.1", str(primary.port)) == b"OK"
        demoted = Err("UNBLOCKED force unblock from blocking operation, instance state "
                      "changed (master -> replica?)")
        for client in (blpop, wait):
            assert client.read_reply() == demoted
            assert client.sock.recv(1) == b""  # closed (a timeout here raises)
        assert admin.call("PING") == b"PONG"
    finally:
        primary.stop()


def test_wait_counts_only_the_clients_own_writes():
    """A client that wrote nothing waits for nothing; one that wrote waits for its write."""
    primary_server = start_predis()
    replica_server = start_predis(("--replicaof", "127.0.0.1", str(primary_server.port)))
    try:
        primary = redis.Redis(port=primary_server.port)
        replica = redis.Redis(port=replica_server.port)
        wait_until(lambda: replica.info("replication")["master_link_status"] == "up")
        writer = redis.Redis(port=primary_server.port)
        writer.set("k", "v")
        assert writer.execute_command("WAIT", 1, 5000) == 1
        assert replica.get("k") == b"v"
        assert primary.execute_command("WAIT", 2, 100) == 1  # the one replica there is
    finally:
        replica_server.stop()
        primary_server.stop()


def test_wait_in_a_script_does_not_block():
    """Redis 7.2 lets WAIT run in scripts (7.0 refused it), answering at once."""
    server = start_predis()
    try:
        client = redis.Redis(port=server.port)
        client.set("k", "v")
        assert client.eval("return redis.pcall('wait', '1', '0')", 0) == 0
        with pytest.raises(redis.ResponseError, match="not allowed from script"):
            client.eval("return redis.pcall('waitaof', '0', '1', '0')", 0)
    finally:
        server.stop()


# -- WAITAOF (Redis 7.2) -----------------------------------------------------------------------
@pytest.fixture
def aof_server():
    server = start_predis(("--appendonly", "yes", "--auto-aof-rewrite-percentage", "0"))
    yield server
    server.stop()


def test_waitaof_arguments_and_a_server_without_aof():
    server = start_predis()
    try:
        client = RawClient(server.port)
        assert client.call("WAITAOF", "2", "0", "0") == Err(
            "ERR value is out of range, value must between 0 and 1")
        assert client.call("WAITAOF", "x", "0", "0") == Err(
            "ERR value is not an integer or out of range")
        assert client.call("WAITAOF", "0", "-1", "0") == Err(
            "ERR value is out of range, must be positive")
        assert client.call("WAITAOF", "0", "0", "-1") == Err("ERR timeout is negative")
        assert client.call("WAITAOF", "0") == Err(
            "ERR wrong number of arguments for 'waitaof' command")
        client.call("INCR", "foo")
        assert client.call("WAITAOF", "1", "0", "0") == Err(f"ERR {NO_LOCAL_AOF}")
        assert client.call("WAITAOF", "0", "0", "0") == [0, 0]
        assert client.call("WAITAOF", "0", "1", "50") == [0, 0]  # no replica: the timeout
        assert client.call("INFO", "replication").count(b"master_repl_offset:0")
        assert client.call("COMMAND", "INFO", "waitaof")[0][:3] == [b"waitaof", 4, [b"noscript"]]
    finally:
        server.stop()


def test_waitaof_local_follows_appendfsync(aof_server):
    client = RawClient(aof_server.port)
    client.call("CONFIG", "SET", "appendfsync", "no")
    client.call("INCR", "foo")
    assert client.call("WAITAOF", "1", "0", "50") == [0, 0]  # never fsynced: the timeout
    client.call("CONFIG", "SET", "appendfsync", "everysec")
    client.call("INCR", "foo")
    assert client.call("WAITAOF", "1", "0", "0") == [1, 0]  # within the second
    client.call("CONFIG", "SET", "appendfsync", "always")
    client.call("INCR", "foo")
    assert client.call("WAITAOF", "1", "0", "0") == [1, 0]
    # with the AOF on, every propagated write moves the offset, replica or not
    assert not client.call("INFO", "replication").count(b"master_repl_offset:0\r")


def test_waitaof_blocked_on_the_local_aof_ends_when_the_aof_stops(aof_server):
    waiter, admin = RawClient(aof_server.port), RawClient(aof_server.port)
    admin.call("CONFIG", "SET", "appendfsync", "no")
    waiter.call("INCR", "foo")
    waiter.send_raw(b"*4\r\n$7\r\nWAITAOF\r\n$1\r\n1\r\n$1\r\n0\r\n$1\r\n0\r\n")
    wait_until(lambda: admin.call("INFO", "clients").count(b"blocked_clients:1"))
    admin.call("CONFIG", "SET", "appendonly", "no")
    assert waiter.read_reply() == Err(f"ERR {NO_LOCAL_AOF}")
    assert waiter.call("WAITAOF", "1", "0", "0") == Err(f"ERR {NO_LOCAL_AOF}")


def test_waitaof_waits_for_the_base_of_an_aof_turned_on_at_run_time():
    server = start_predis(("--rdb-key-save-delay", "200000"))
    try:
        client = RawClient(server.port)
        for i in range(20):
            client.call("SET", f"k{i}", "v")
        client.call("BGSAVE")  # holds the AOF's first rewrite back
        client.call("CONFIG", "SET", "appendonly", "yes")
        assert client.call("INFO", "persistence").count(b"aof_rewrite_scheduled:1")
        client.call("SET", "x", "y")
        assert client.call("WAITAOF", "1", "0", "100") == [0, 0]  # no base yet
        client.call("CONFIG", "SET", "rdb-key-save-delay", "0")
        os.kill(_child_pid(server), signal.SIGKILL)  # the BGSAVE goes; the rewrite runs
        assert client.call("WAITAOF", "1", "0", "10000") == [1, 0]
        assert client.call("INFO", "persistence").count(b"aof_rewrite_in_progress:0")
    finally:
        server.stop()


def _child_pid(server) -> int:
    out = subprocess.run(["pgrep", "-P", str(server.proc.pid)], capture_output=True, text=True)
    return int(out.stdout.split()[0])


def test_waitaof_counts_replicas_that_fsynced():
    primary_server = start_predis(("--appendonly", "yes", "--appendfsync", "always"))
    replica_server = start_predis(("--appendonly", "yes", "--appendfsync", "no",
                                   "--replicaof", "127.0.0.1", str(primary_server.port)))
    try:
        primary = RawClient(primary_server.port)
        replica = RawClient(replica_server.port)
        wait_until(lambda: replica.call("INFO", "replication").count(b"master_link_status:up"))
        primary.call("INCR", "foo")
        assert primary.call("WAITAOF", "0", "1", "50") == [1, 0]  # the replica never fsyncs
        replica.call("CONFIG", "SET", "appendfsync", "everysec")
        primary.call("INCR", "foo")
        assert primary.call("WAITAOF", "1", "1", "0") == [1, 1]
        assert replica.call("WAITAOF", "0", "0", "0") == Err(
            "ERR WAITAOF cannot be used with replica instances. Please also note that writes "
            "to replicas are just local and are not propagated.")
        replica.call("CONFIG", "SET", "appendonly", "no")
        primary.call("INCR", "foo")
        assert primary.call("WAITAOF", "1", "1", "100") == [1, 0]
        assert primary.call("WAIT", "1", "1000") == 1
        # a promoted replica counts its own writes on from where it was
        replica.call("CONFIG", "SET", "appendonly", "yes")
        replica.call("REPLICAOF", "NO", "ONE")
        replica.call("INCR", "foo")
        wait_until(lambda: replica.call("INFO", "persistence").count(b"aof_rewrite_in_progress:0"))
        assert replica.call("WAITAOF", "1", "0", "0") == [1, 0]
        assert replica.call("GET", "foo") == b"4"
    finally:
        replica_server.stop()
        primary_server.stop()


def test_a_replicas_aof_holds_what_its_full_sync_loaded(tmp_path):
    """The AOF starts over after a full sync (Redis's restartAOFAfterSYNC): restarted from its
    AOF alone, the replica has the primary's data."""
    primary_server = start_predis()
    replica_server = start_predis(("--appendonly", "yes"))
    try:
        primary = redis.Redis(port=primary_server.port)
        for i in range(50):
            primary.set(f"k{i}", i)
        replica = redis.Redis(port=replica_server.port)
        replica.set("stale", "gone after the sync")
        replica.replicaof("127.0.0.1", primary_server.port)
        wait_until(lambda: replica.info("replication")["master_link_status"] == "up")
        primary.set("streamed", "after")
        wait_until(lambda: replica.get("streamed") == b"after")
        wait_until(lambda: replica.info("persistence")["aof_rewrite_in_progress"] == 0)
        replica.replicaof("no", "one")
        replica.execute_command("DEBUG", "LOADAOF")
        assert replica.dbsize() == 51 and replica.get("k49") == b"49"
        assert replica.get("stale") is None
    finally:
        replica_server.stop()
        primary_server.stop()
