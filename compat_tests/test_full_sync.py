"""A primary's full resync as Redis makes it, on redis-server and on Predis as the primary (a
Predis replica in both cases): replicas wait for repl-diskless-sync-delay in the handshake,
several share one forked child, the primary keeps serving while the child writes slowly, the
stream written meanwhile follows the snapshot, a transfer no replica wants any more is killed,
and the disk-based (length-framed) resync still works."""

import os
import signal
import socket
import time

import pytest
import redis

from .rawclient import Err, RawClient
from .servers import start_predis, start_redis
from .test_replication import wait_until

STARTERS = {"redis": start_redis, "predis": start_predis}
LOADING = "LOADING Redis is loading the dataset in memory"


@pytest.fixture(params=sorted(STARTERS))
def primary(request):
    server = STARTERS[request.param]()
    yield server
    server.stop()


def _replica_of(primary):
    replica = start_predis(("--repl-diskless-load", "disabled"))
    redis.Redis(port=replica.port).replicaof("127.0.0.1", primary.port)
    return replica


def _state(client, number: int = 0):
    return client.info("replication").get(f"slave{number}", {}).get("state")


def _synced(primary_client, replica_server) -> bool:
    replica = redis.Redis(port=replica_server.port)
    return (replica.role()[3] == b"connected"
            and replica.dbsize() == primary_client.dbsize())


def test_replicas_wait_for_the_delay_then_share_one_child(primary):
    client = redis.Redis(port=primary.port)
    client.config_set("repl-diskless-sync-delay", 2)
    client.config_set("repl-diskless-sync-max-replicas", 0)
    client.mset({f"k{i}": i for i in range(100)})
    forks = client.info("stats")["total_forks"]
    replicas = [start_predis(("--repl-diskless-load", "disabled")) for _ in range(2)]
    try:
        redis.Redis(port=replicas[0].port).replicaof("127.0.0.1", primary.port)
        wait_until(lambda: _state(client) == "wait_bgsave")
        redis.Redis(port=replicas[1].port).replicaof("127.0.0.1", primary.port)
        wait_until(lambda: _state(client, 1) == "wait_bgsave")
        time.sleep(0.3)
        assert [redis.Redis(port=r.port).role()[3] for r in replicas] == [b"handshake"] * 2
        assert client.info("persistence")["rdb_bgsave_in_progress"] == 0
        for replica in replicas:
            wait_until(lambda: _synced(client, replica))
        assert client.info("stats")["total_forks"] == forks + 1
        wait_until(lambda: [_state(client, n) for n in (0, 1)] == ["online", "online"])
    finally:
        for replica in replicas:
            replica.stop()


def test_max_replicas_starts_at_once_and_the_primary_serves_during_a_slow_sync(primary):
    client = redis.Redis(port=primary.port)
    client.config_set("repl-diskless-sync-delay", 60)
    client.config_set("repl-diskless-sync-max-replicas", 1)
    client.mset({f"k{i}": i for i in range(200)})
    client.config_set("rdb-key-save-delay", 5000)  # 200 keys: at least a second of writing
    replica = _replica_of(primary)
    try:
        wait_until(lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 1)
        assert _state(client) == "wait_bgsave"  # (Redis's word for a diskless transfer too)
        started = time.monotonic()
        for i in range(20):  # answered at once while the child writes; these follow the RDB
            client.incr("during")
            client.set(f"new{i}", i)
        assert time.monotonic() - started < 0.5
        assert client.info("persistence")["rdb_bgsave_in_progress"] == 1
        client.config_set("rdb-key-save-delay", 0)
        wait_until(lambda: _synced(client, replica))
        replica_client = redis.Redis(port=replica.port)
        assert replica_client.get("during") == b"20"
        assert replica_client.mget("k0", "k199", "new19") == [b"0", b"199", b"19"]
    finally:
        replica.stop()


def test_a_transfer_without_replicas_is_killed_and_disk_based_syncs_work(primary):
    client = redis.Redis(port=primary.port)
    client.config_set("repl-diskless-sync-delay", 0)
    client.config_set("rdbcompression", "no")  # (data keeps flowing: Redis's parent sees the
    client.mset({f"k{i}": os.urandom(20_000) for i in range(100)})  # replica gone as it writes)
    client.config_set("rdb-key-save-delay", 100_000)  # 10 s: the replica leaves first
    replica = _replica_of(primary)
    try:
        wait_until(lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 1)
        replica.stop()
        wait_until(lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 0,
                   timeout=5)
        assert client.info("replication")["connected_slaves"] == 0
        client.config_set("rdb-key-save-delay", 0)
        client.config_set("repl-diskless-sync", "no")
        replica = _replica_of(primary)
        wait_until(lambda: _synced(client, replica))
        assert redis.Redis(port=replica.port).get("k7") == client.get("k7")
    finally:
        replica.stop()


@pytest.mark.parametrize("kind", sorted(STARTERS))
def test_a_diskless_loading_replica_is_loading_or_async_loading_while_the_rdb_arrives(kind):
    """repl-diskless-load swapdb: the first sync (another history) makes the replica load
    (-LOADING to clients); a later full sync of the same history (its offset fell out of the
    backlog) keeps serving the old data (async_loading), refusing REPLICAOF and CONFIG SET
    appendonly with -LOADING. Both end with the primary's data."""
    primary, replica = STARTERS[kind](), STARTERS[kind]()
    try:
        client, replica_client = redis.Redis(port=primary.port), redis.Redis(port=replica.port)
        client.config_set("repl-diskless-sync-delay", 0)
        client.config_set("rdbcompression", "no")  # (Redis's child writes 16 KB at a time:
        client.mset({f"k{i}": "x" * 1000 for i in range(100)})  # 100 KB keep the RDB flowing)
        client.config_set("rdb-key-save-delay", 10_000)  # 1 s of writing
        replica_client.config_set("repl-diskless-load", "swapdb")
        # (Redis serves clients while loading once per this many bytes: 2 MB by default)
        replica_client.config_set("loading-process-events-interval-bytes", 1024)
        replica_client.set("old", "1")
        raw = RawClient(replica.port)  # (redis-py retries a -LOADING reply until it passes)
        replica_client.replicaof("127.0.0.1", primary.port)
        wait_until(lambda: replica_client.info("persistence")["loading"] == 1)
        assert raw.call("GET", "old") == Err(LOADING)
        with open(os.path.join(replica.workdir, "server.log"), errors="replace") as log:
            assert "MASTER <-> REPLICA sync: Loading DB in memory" in log.read()
        wait_until(lambda: replica_client.info("replication")["master_link_status"] == "up")
        assert replica_client.dbsize() == 100

        replica_client.config_set("replica-read-only", "no")
        replica_client.set("written on the replica", "1")
        client.config_set("repl-backlog-size", 16384)
        with client.pipeline(transaction=True) as pipe:  # the link drops; what follows outruns
            pipe.client_kill_filter(_type="replica")   # the backlog: a full sync again
            for i in range(4):
                pipe.set(f"big{i}", "A" * 16384)
            pipe.execute()
        wait_until(lambda: replica_client.info("persistence")["async_loading"] == 1)
        assert replica_client.info("persistence")["loading"] == 0
        assert raw.call("GET", "written on the replica") == b"1"  # the old data, served
        assert raw.call("REPLICAOF", "NO", "ONE") == Err(LOADING)
        assert raw.call("CONFIG", "SET", "appendonly", "no") == Err(LOADING)
        wait_until(lambda: replica_client.info("replication")["master_link_status"] == "up"
                   and replica_client.info("persistence")["async_loading"] == 0)
        assert replica_client.get("written on the replica") is None
        assert replica_client.dbsize() == 104
        raw.close()
    finally:
        primary.stop()
        replica.stop()


def test_a_replica_that_stops_reading_is_dropped_and_its_transfer_ends(primary):
    """SIGSTOP of the replica mid-transfer: after repl-timeout seconds without progress the
    primary drops it (the pipe is not read on for it meanwhile) and, with no replica left,
    ends the child."""
    client = redis.Redis(port=primary.port)
    client.config_set("repl-diskless-sync-delay", 0)
    client.config_set("rdbcompression", "no")
    client.execute_command("DEBUG", "POPULATE", 1500, "k", 20_000)  # 30 MB
    client.config_set("repl-timeout", 2)
    replica = _replica_of(primary)
    try:
        wait_until(lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 1)
        os.kill(replica.proc.pid, signal.SIGSTOP)
        wait_until(lambda: client.info("replication")["connected_slaves"] == 0
                   and client.info("persistence")["rdb_bgsave_in_progress"] == 0, timeout=10)
    finally:
        os.kill(replica.proc.pid, signal.SIGCONT)
        replica.stop()


def test_an_online_replica_that_stops_acknowledging_is_dropped(primary):
    client = redis.Redis(port=primary.port)
    client.config_set("repl-diskless-sync-delay", 0)
    client.set("k", "v")
    replica = _replica_of(primary)
    try:
        wait_until(lambda: _state(client) == "online")
        client.config_set("repl-timeout", 1)
        os.kill(replica.proc.pid, signal.SIGSTOP)
        wait_until(lambda: client.info("replication")["connected_slaves"] == 0, timeout=6)
    finally:
        os.kill(replica.proc.pid, signal.SIGCONT)
        replica.stop()


@pytest.mark.parametrize("first, command", [("SYNC", "XINFO HELP"), ("PSYNC an-id -1", "GET foo")])
def test_a_replica_whose_command_makes_a_reply_is_dropped(primary, first, command):
    """Nothing but the stream goes down a replication link: a replica's command that would be
    answered is logged (Redis's words) and the replica disconnected; the server serves on. A
    command that touches the keyspace is refused first. A PSYNC with an offset that is not a
    number is refused and logged."""
    client = RawClient(primary.port)
    client.send_raw(first.encode() + b"\r\n")
    time.sleep(0.3)  # (attached as a replica)
    client.send_raw(command.encode() + b"\r\n")
    client.read_all_until_close()  # the RDB, then the end
    assert RawClient(primary.port).call("PING") == b"PONG"
    assert RawClient(primary.port).call("PSYNC", "an-id", "offset") == Err(
        "ERR value is not an integer or out of range")
    with open(os.path.join(primary.workdir, "server.log"), errors="replace") as log:
        text = log.read()
    name = "get" if command == "GET foo" else "xinfo|help"
    assert f"Replica generated a reply to command '{name}', disconnecting it: id=" in text
    assert "asks for synchronization but with a wrong offset" in text
    if name == "get":
        assert ("== CRITICAL == This master is sending an error to its replica: 'Replica "
                "can't interact with the keyspace' after processing the command 'get'") in text


def _slow_disk_based(primary, save: str):
    """The primary's client, set for disk-based resyncs whose child takes a second."""
    client = redis.Redis(port=primary.port)
    client.config_set("repl-diskless-sync", "no")
    client.config_set("save", save)
    client.mset({f"k{i}": i for i in range(10)})
    client.config_set("rdb-key-save-delay", 100_000)
    return client


def test_a_replica_joins_a_disk_based_transfer_that_runs(primary):
    """repl-diskless-sync no: a replica that comes while another's BGSAVE for replication
    runs shares it (one fork), and both get every write made meanwhile."""
    client = _slow_disk_based(primary, save="")
    forks = client.info("stats")["total_forks"]
    saves = client.info("persistence")["rdb_saves"]
    replicas = [start_predis(("--repl-diskless-load", "disabled")) for _ in range(2)]
    try:
        redis.Redis(port=replicas[0].port).replicaof("127.0.0.1", primary.port)
        wait_until(lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 1)
        client.set("between", "1")
        redis.Redis(port=replicas[1].port).replicaof("127.0.0.1", primary.port)
        wait_until(lambda: _state(client, 1) == "wait_bgsave")
        client.set("after", "2")
        for replica in replicas:
            wait_until(lambda: _synced(client, replica))
            assert redis.Redis(port=replica.port).mget("between", "after") == [b"1", b"2"]
        assert client.info("stats")["total_forks"] == forks + 1
        assert client.info("persistence")["rdb_saves"] == saves + 1  # (it wrote dump.rdb)
        assert os.path.exists(os.path.join(primary.workdir, "dump.rdb"))
    finally:
        for replica in replicas:
            replica.stop()


def test_a_disk_based_transfer_whose_replicas_left_finishes_its_dump_with_save_points(primary):
    client = _slow_disk_based(primary, save="900 1")
    saves = client.info("persistence")["rdb_saves"]
    replica = start_predis(("--repl-diskless-load", "disabled"))
    try:
        redis.Redis(port=replica.port).replicaof("127.0.0.1", primary.port)
        wait_until(lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 1)
        redis.Redis(port=replica.port).replicaof("no", "one")
        wait_until(lambda: client.info("replication")["connected_slaves"] == 0)
        assert client.info("persistence")["rdb_bgsave_in_progress"] == 1  # it goes on
        wait_until(lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 0)
        assert client.info("persistence")["rdb_saves"] == saves + 1
    finally:
        replica.stop()


def test_the_stream_waits_for_a_diskless_replicas_first_ack(primary):
    """After a diskless RDB's EOF mark the primary sends nothing more until the replica's
    first REPLCONF ACK, as Redis: `redis-cli --rdb` finds the end by the mark being the last
    bytes it read, and waited forever when writes made during the transfer followed it."""
    import shutil
    import subprocess
    import threading

    client = redis.Redis(port=primary.port)
    client.config_set("repl-diskless-sync-delay", 0)
    client.execute_command("DEBUG", "POPULATE", 100)
    client.config_set("rdb-key-save-delay", 5000)  # 100 keys: half a second of writing
    writing = threading.Event()

    def write_meanwhile():
        writer = redis.Redis(port=primary.port)
        while not writing.is_set():
            writer.incr("counter")
            time.sleep(0.01)

    writer = threading.Thread(target=write_meanwhile)
    writer.start()
    try:
        run = subprocess.run([shutil.which("redis-cli"), "-p", str(primary.port), "--rdb",
                              os.path.join(primary.workdir, "copy.rdb")],
                             capture_output=True, timeout=20)
    finally:
        writing.set()
        writer.join()
        client.config_set("rdb-key-save-delay", 0)
    assert b"Transfer finished with success" in run.stdout + run.stderr
    replica = _replica_of(primary)  # a real replica gets the stream once it ACKs
    try:
        client.incr("counter")
        wait_until(lambda: redis.Redis(port=replica.port).get("counter") ==
                   client.get("counter"))
    finally:
        replica.stop()


@pytest.mark.parametrize("first", [b"PING\r\n", b"REPLCONF listening-port 1234\r\n"])
@pytest.mark.parametrize("sync", [b"SYNC\r\n", b"PSYNC ? -1\r\n"])
def test_sync_refused_behind_replies_not_yet_written(servers, first, sync):
    """SYNC and PSYNC sent in the same read as another command: that command's reply is
    still pending, and Redis refuses ("invalid with pending output") rather than mix it into
    the replica's stream."""
    answers = []
    for server in servers:
        connection = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        connection.sendall(first + sync)
        received = b""
        while received.count(b"\r\n") < 2:
            received += connection.recv(4096)
        connection.close()
        answers.append(received)
    assert answers[1] == answers[0]
    assert answers[1].endswith(b"-ERR SYNC and PSYNC are invalid with pending output\r\n")
