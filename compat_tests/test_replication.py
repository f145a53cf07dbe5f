"""Replication against real redis-server: Predis as a replica of Redis (full sync, the command
stream under a write load, partial resync after a dropped link, READONLY, REPLICAOF NO ONE),
redis-server as a replica of Predis, and Predis replicating Predis with WAIT."""

import os
import threading
import time

import pytest
import redis

from .servers import shut_down, start_predis, start_redis
from .test_aof import contents, same_contents, write_every_family


def wait_until(check, timeout=20.0, step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return True
        time.sleep(step)
    raise AssertionError("condition not reached in time")


def in_sync(primary, replica) -> bool:
    info_primary = primary.info("replication")
    info_replica = replica.info("replication")
    return (info_replica.get("master_link_status") == "up"
            and info_replica.get("slave_repl_offset") == info_primary["master_repl_offset"])


def one_history(*clients) -> bool:
    """Every server in sync, reporting the same replication id and offset."""
    infos = [client.info("replication") for client in clients]
    return all(in_sync(a, b) for a, b in zip(clients, clients[1:])) and \
        len({(info["master_replid"], info["master_repl_offset"]) for info in infos}) == 1


@pytest.fixture
def redis_primary():
    server = start_redis()
    yield server
    server.stop()


def test_predis_follows_redis_through_full_sync_and_a_write_load(redis_primary):
    primary = redis.Redis(port=redis_primary.port)
    write_every_family(primary, redis.Redis(port=redis_primary.port))
    replica_server = start_predis(("--replicaof", "127.0.0.1", str(redis_primary.port)))
    try:
        replica = redis.Redis(port=replica_server.port)
        wait_until(lambda: in_sync(primary, replica))
        same_contents(contents(redis_primary.port), contents(replica_server.port))

        stop = threading.Event()

        def load():
            writer = redis.Redis(port=redis_primary.port)
            i = 0
            while not stop.is_set():
                with writer.pipeline(transaction=False) as pipe:
                    pipe.set(f"k{i % 300}", i).incr("counter").rpush("log", i)
                    pipe.hincrbyfloat("h", f"f{i % 7}", 0.5).expire(f"k{i % 300}", 1000)
                    pipe.zadd("z", {f"m{i % 50}": i}).spop("s").sadd("s", i, i + 1)
                    pipe.execute()
                i += 1
            writer.close()

        writer = threading.Thread(target=load)
        writer.start()
        time.sleep(2)
        stop.set()
        writer.join()
        wait_until(lambda: in_sync(primary, replica))
        same_contents(contents(redis_primary.port), contents(replica_server.port))
        role = replica.execute_command("ROLE")
        assert role[0] == b"slave" and role[3] == b"connected"
    finally:
        replica_server.stop()


def test_replica_is_read_only_and_promotion_keeps_the_data(redis_primary):
    primary = redis.Redis(port=redis_primary.port)
    primary.set("kept", "yes")
    replica_server = start_predis(("--replicaof", "127.0.0.1", str(redis_primary.port)))
    try:
        replica = redis.Redis(port=replica_server.port)
        wait_until(lambda: in_sync(primary, replica))
        with pytest.raises(redis.ReadOnlyError):
            replica.set("x", "1")
        with pytest.raises(redis.ReadOnlyError, match="read only replica"):
            replica.eval("return redis.call('set', 'x', '1')", 0)
        pipe = replica.pipeline(transaction=False)  # a run of SETs, sent in one write
        for i in range(5):
            pipe.set(f"x{i}", "1")
        results = pipe.execute(raise_on_error=False)
        assert [type(r) for r in results] == [redis.ReadOnlyError] * 5
        assert replica.get("kept") == b"yes" and replica.exists("x0") == 0
        assert replica.execute_command("REPLICAOF", "NO", "ONE") == b"OK"
        assert replica.set("x", "1") and replica.get("kept") == b"yes"
        assert replica.info("replication")["role"] == "master"
    finally:
        replica_server.stop()


def test_a_dropped_link_resumes_with_a_partial_resync(redis_primary):
    primary = redis.Redis(port=redis_primary.port)
    replica_server = start_predis(("--replicaof", "127.0.0.1", str(redis_primary.port)))
    try:
        replica = redis.Redis(port=replica_server.port)
        wait_until(lambda: in_sync(primary, replica))
        primary.set("before", "1")
        wait_until(lambda: in_sync(primary, replica))
        full_syncs = primary.info("stats")["sync_full"]
        primary.client_kill_filter(_type="replica")
        primary.set("during", "2")
        wait_until(lambda: in_sync(primary, replica))
        stats = primary.info("stats")
        assert stats["sync_full"] == full_syncs and stats["sync_partial_ok"] >= 1
        assert replica.mget("before", "during") == [b"1", b"2"]
    finally:
        replica_server.stop()


def test_redis_server_follows_predis(tmp_path):
    primary_server = start_predis()
    primary = redis.Redis(port=primary_server.port)
    write_every_family(primary, redis.Redis(port=primary_server.port))
    replica_server = start_redis(("--replicaof", "127.0.0.1", str(primary_server.port)))
    try:
        replica = redis.Redis(port=replica_server.port)
        wait_until(lambda: replica.info("replication")["master_link_status"] == "up")
        primary.set("streamed", "after sync")
        primary.lpush("list", "streamed")
        wait_until(lambda: replica.get("streamed") == b"after sync")
        same_contents(contents(primary_server.port), contents(replica_server.port))
    finally:
        replica_server.stop()
        primary_server.stop()


@pytest.fixture
def predis_pair():
    """A Predis primary and a Predis replica of it, in sync: (servers, clients)."""
    primary_server = start_predis()
    replica_server = start_predis(("--replicaof", "127.0.0.1", str(primary_server.port)))
    primary = redis.Redis(port=primary_server.port)
    replica = redis.Redis(port=replica_server.port)
    try:
        wait_until(lambda: in_sync(primary, replica))
        yield (primary_server, replica_server), (primary, replica)
    finally:
        replica_server.stop()
        primary_server.stop()


def test_predis_replicates_predis_and_wait_counts_acks(predis_pair):
    (primary_server, replica_server), (primary, replica) = predis_pair
    for i in range(100):
        primary.set(f"k{i}", i)
    assert primary.execute_command("WAIT", 1, 2000) == 1
    assert replica.get("k99") == b"99"
    backlog = primary.info("replication")["repl_backlog_histlen"]
    memory = primary.info("memory")  # the backlog is memory INFO shows
    assert backlog > 100 * 10 and memory["mem_replication_backlog"] == backlog
    info = primary.info("replication")
    assert info["connected_slaves"] == 1 and info["slave0"]["state"] == "online"
    for i in range(5):
        primary.xadd("jobs", {"n": i}, id=f"{i + 1}-0")
    primary.xgroup_create("jobs", "workers", "0")
    primary.xreadgroup("workers", "alice", {"jobs": ">"}, count=3)
    primary.xreadgroup("workers", "bob", {"jobs": ">"}, noack=True)
    primary.xack("jobs", "workers", "2-0")
    assert primary.execute_command("WAIT", 1, 2000) == 1

    def groups(client):  # (idle times move between the two calls)
        pending = client.xpending_range("jobs", "workers", "-", "+", 10)
        return client.xinfo_groups("jobs"), [(p["message_id"], p["consumer"],
                                              p["times_delivered"]) for p in pending]
    assert groups(replica) == groups(primary)  # XREADGROUP went as XCLAIMs and SETID
    primary.function_load("#!lua name=replicated\nredis.register_function{function_name="
                          "'hi', callback=function() return 'hello' end, "
                          "flags={'no-writes'}}")
    dump = primary.function_dump()
    primary.function_delete("replicated")
    assert primary.function_restore(dump)  # (FUNCTION RESTORE is not RESTORE)
    assert primary.execute_command("WAIT", 1, 2000) == 1
    assert replica.fcall("hi", 0) == b"hello"
    listener = replica.pubsub()
    listener.subscribe("news")
    assert listener.get_message(timeout=2)["type"] == "subscribe"
    assert primary.publish("news", "from the primary") == 0  # no subscriber there
    message = listener.get_message(timeout=5)
    assert message and message["data"] == b"from the primary"  # PUBLISH reaches replicas
    listener.close()
    assert primary.client_kill_filter(_type="replica") == 1
    primary.set("after", "drop")
    wait_until(lambda: replica.get("after") == b"drop")
    stats = primary.info("stats")
    assert (stats["sync_full"], stats["sync_partial_ok"]) == (1, 1)
    same_contents(contents(primary_server.port), contents(replica_server.port))


def test_a_replica_keeps_the_groups_read_counter_after_plain_reads(predis_pair):
    """XREADGROUP without NOACK reaches the replica as XCLAIMs, which do not move a group's
    entries-read: Redis 7.2.5 sends XGROUP SETID ... ENTRIESREAD after them (its unit/type/
    stream-cgroups "XREADGROUP ACK would propagate entries-read"), so lag agrees too."""
    primary, replica = predis_pair[1]
    primary.xadd("mystream", {"a": "b", "c": "d"})
    primary.xgroup_create("mystream", "mygroup", "$")
    primary.xreadgroup("mygroup", "ryan", {"mystream": ">"}, count=1)
    primary.xadd("mystream", {"a1": "b1"})
    primary.xadd("mystream", {"name": "v1"})
    primary.xreadgroup("mygroup", "ryan", {"mystream": ">"}, count=1)
    primary.xreadgroup("mygroup", "ryan", {"mystream": ">"}, count=1)
    assert primary.execute_command("WAIT", 1, 2000) == 1
    counters = [[(group["entries-read"], group["lag"]) for group in
                 client.xinfo_stream("mystream", full=True)["groups"]]
                for client in (primary, replica)]
    assert counters[1] == counters[0] == [(3, 0)]


def test_replicaof_port_checks(diff):
    for port in ("99999", "-1", "abc", "0"):
        diff.assert_same("REPLICAOF", "localhost", port)
        diff.assert_same("REPLICAOF", "NO", "ONE")
    # what REPLICAOF set shows in CONFIG GET (and so CONFIG REWRITE keeps it for a restart;
    # found by Redis's integration/psync2, whose restarted replica came back as a primary)
    diff.assert_same("REPLICAOF", "127.0.0.1", "1")
    diff.assert_same("CONFIG", "GET", "replicaof")
    diff.assert_same("REPLICAOF", "NO", "ONE")
    diff.assert_same("CONFIG", "GET", "replicaof")


def test_a_replica_connects_from_bind_source_addr(redis_primary):
    """bind-source-addr is the address a replica (and MIGRATE) connects from: the primary
    sees the replica at it (Redis's unit/networking)."""
    replica_server = start_predis(("--bind-source-addr", "127.0.0.2", "--replicaof",
                                   "127.0.0.1", str(redis_primary.port)))
    try:
        primary = redis.Redis(port=redis_primary.port)
        replica = redis.Redis(port=replica_server.port)
        wait_until(lambda: in_sync(primary, replica))
        assert primary.info("replication")["slave0"]["ip"] == "127.0.0.2"
    finally:
        replica_server.stop()


@pytest.mark.parametrize("start_replica", [start_redis, start_predis], ids=["redis", "predis"])
def test_a_paused_replica_reads_but_applies_after_unpause(redis_primary, start_replica):
    """CLIENT PAUSE WRITE on a replica holds what its primary sends, in order: it reads the
    stream (slave_read_repl_offset grows) without applying it (slave_repl_offset stays, as
    Redis's unit/pause checks); after CLIENT UNPAUSE each write lands in its own database
    (a SELECT applied while the write before it was held would misplace that write)."""
    replica_server = start_replica(("--replicaof", "127.0.0.1", str(redis_primary.port)))
    try:
        primary = redis.Redis(port=redis_primary.port)
        primary.config_set("repl-ping-replica-period", 3600)
        replica = redis.Redis(port=replica_server.port)
        primary.set("before", "0")  # (the stream's SELECT 0 comes with it)
        wait_until(lambda: in_sync(primary, replica))
        applied = replica.info("replication")["slave_repl_offset"]
        replica.execute_command("CLIENT", "PAUSE", "100000", "WRITE")
        primary.set("held", "1")
        redis.Redis(port=redis_primary.port, db=1).set("other", "2")
        primary.set("after", "3")
        written = primary.info("replication")["master_repl_offset"]
        wait_until(lambda: replica.info("replication")["slave_read_repl_offset"] == written)
        assert replica.info("replication")["slave_repl_offset"] == applied
        assert replica.get("held") is None
        assert replica.execute_command("CLIENT", "UNPAUSE") == b"OK"
        wait_until(lambda: in_sync(primary, replica))
        assert replica.mget("held", "other", "after") == [b"1", None, b"3"]
        assert redis.Redis(port=replica_server.port, db=1).get("other") == b"2"
    finally:
        replica_server.stop()


@pytest.mark.parametrize("start_replica", [start_redis, start_predis], ids=["redis", "predis"])
def test_a_write_held_when_the_link_drops_is_applied_once(redis_primary, start_replica):
    """The link drops while a pause holds the primary's INCR: the replica continues from the
    offset it applied, so the INCR comes again and lands once."""
    replica_server = start_replica(("--replicaof", "127.0.0.1", str(redis_primary.port)))
    try:
        primary = redis.Redis(port=redis_primary.port)
        replica = redis.Redis(port=replica_server.port)
        primary.set("before", "0")
        wait_until(lambda: in_sync(primary, replica))
        replica.execute_command("CLIENT", "PAUSE", "100000", "WRITE")
        primary.incr("counter")
        written = primary.info("replication")["master_repl_offset"]
        wait_until(lambda: replica.info("replication")["slave_read_repl_offset"] == written)
        assert primary.execute_command("CLIENT", "KILL", "TYPE", "replica") == 1
        wait_until(lambda: primary.info("replication")["connected_slaves"] == 1)
        replica.execute_command("CLIENT", "UNPAUSE")
        wait_until(lambda: in_sync(primary, replica))
        assert replica.get("counter") == b"1"
    finally:
        replica_server.stop()


@pytest.mark.parametrize("start_replica", [start_redis, start_predis], ids=["redis", "predis"])
def test_a_writable_replica_expires_the_keys_its_clients_wrote(redis_primary, start_replica):
    """Redis's unit/expire "expired key which is created in writeable replicas should be
    deleted by active expiry": a replica leaves the primary's keys to the primary's DELs,
    but keys its own clients gave a TTL expire by its cron (nobody reads them here)."""
    replica_server = start_replica(("--replicaof", "127.0.0.1", str(redis_primary.port),
                                    "--replica-read-only", "no"))
    try:
        primary, replica = redis.Redis(port=redis_primary.port), redis.Redis(
            port=replica_server.port)
        wait_until(lambda: in_sync(primary, replica))
        expired = replica.info("stats")["expired_keys"]
        assert replica.set("tracked", "v", ex=100) is True
        replica.execute_command("SELECT", "0")
        assert replica.info("stats")["slave_expires_tracked_keys"] == 1  # (INFO: key names)
        replica.delete("tracked")
        assert replica.set("local", "v", px=1) is True
        assert replica.set("persistent", "v") is True
        wait_until(lambda: replica.info("stats")["expired_keys"] == expired + 1, timeout=5)
        assert replica.eval("return redis.call('SET', KEYS[1], 'v', 'PX', 1)", 1,
                            "scripted") == b"OK"
        wait_until(lambda: replica.info("stats")["expired_keys"] == expired + 2, timeout=5)
        assert replica.dbsize() == 1
        assert replica.get("local") is None
    finally:
        replica_server.stop()


@pytest.mark.parametrize("start_replica", [start_redis, start_predis], ids=["redis", "predis"])
def test_a_refused_masterauth_is_logged_as_redis_logs_it(start_replica):
    primary_server = start_redis(("--requirepass", "right"))
    replica_server = start_replica(("--replicaof", "127.0.0.1", str(primary_server.port),
                                    "--masterauth", "wrong"))
    try:
        def logged() -> bool:
            replica_server.log.flush()
            with open(os.path.join(replica_server.workdir, "server.log"),
                      errors="replace") as handle:
                return "Unable to AUTH to MASTER" in handle.read()

        wait_until(logged, timeout=10)
        replica = redis.Redis(port=replica_server.port)
        assert replica.info("replication")["master_link_status"] == "down"
    finally:
        replica_server.stop()
        primary_server.stop()


@pytest.mark.parametrize("kind", ["redis", "predis"])
def test_a_wait_before_any_replica_returns_once_one_has_synced(kind):
    """Redis's unit/expire TTL-replication test: WAIT 1 0 sent while the replica is still
    connecting (or not there yet) returns 1 once it has synced, on a primary that never had
    a replica before; WAIT on a replica is refused."""
    start = start_redis if kind == "redis" else start_predis
    primary_server = start()
    replica_server = None
    try:
        primary = redis.Redis(port=primary_server.port)
        primary.set("k", "v")
        answers = []
        waiter = threading.Thread(
            target=lambda: answers.append(redis.Redis(port=primary_server.port)
                                          .execute_command("WAIT", 1, 0)))
        waiter.start()
        time.sleep(0.3)
        assert waiter.is_alive() and primary.execute_command("WAIT", 1, 100) == 0
        replica_server = start(("--replicaof", "127.0.0.1", str(primary_server.port)))
        waiter.join(10)
        assert answers == [1]
        replica = redis.Redis(port=replica_server.port)
        with pytest.raises(redis.ResponseError, match="WAIT cannot be used with replica"):
            replica.execute_command("WAIT", 0, 0)
    finally:
        if replica_server is not None:
            replica_server.stop()
        primary_server.stop()


@pytest.mark.parametrize("start_replica", [start_redis, start_predis], ids=["redis", "predis"])
def test_a_replica_keeps_expired_keys_for_its_primarys_del(redis_primary, start_replica):
    """A replica does not delete the primary's keys past their deadline (Redis's
    integration/replication-3 "Writable replica doesn't return expired keys" and
    replication-4 "Replication of an expired key does not delete the expired key"): its
    clients' reads find nothing but the key stays (DBSIZE, DEBUG OBJECT), a write of its own
    clients removes it first, and the primary's commands find it as the primary left it (an
    INCR that arrives late increments it, where Predis deleted the key and made a new one)."""
    import signal

    replica_server = start_replica(("--replicaof", "127.0.0.1", str(redis_primary.port)))
    try:
        primary, replica = redis.Redis(port=redis_primary.port), redis.Redis(
            port=replica_server.port)
        wait_until(lambda: in_sync(primary, replica))
        primary.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        primary.set("key1", 5, px=10)
        primary.set("key2", 5, px=10)
        wait_until(lambda: replica.dbsize() == 2 and replica.exists("key1", "key2") == 0)
        replica.config_set("replica-read-only", "no")
        assert replica.dbsize() == 2
        assert replica.incr("key1") == 1  # removed, then made again, without a deadline
        assert replica.ttl("key1") == -1
        assert replica.get("key2") is None  # past its deadline, but kept
        assert replica.dbsize() == 2
        replica.config_set("replica-read-only", "yes")
        primary.delete("key1", "key2")
        # the primary's late INCR finds its key on the replica: it increments it
        primary.set("k", 1, px=500)
        wait_until(lambda: in_sync(primary, replica))
        os.kill(replica_server.proc.pid, signal.SIGSTOP)
        try:
            primary.incr("k")
            time.sleep(0.6)
        finally:
            os.kill(replica_server.proc.pid, signal.SIGCONT)
        wait_until(lambda: in_sync(primary, replica))
        assert replica.exists("k") == 0
        assert b"serializedlength" in replica.execute_command("DEBUG", "OBJECT", "k")
        primary.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        wait_until(lambda: replica.dbsize() == 0)  # the primary's DEL, at last
    finally:
        primary.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        replica_server.stop()


@pytest.mark.parametrize("start_replica", [start_redis, start_predis], ids=["redis", "predis"])
def test_the_primarys_link_is_a_client_that_client_kill_drops(redis_primary, start_replica):
    """A replica lists its primary's link among its clients (flags=M, the primary's address,
    counted in connected_clients); CLIENT KILL of its address or of TYPE master drops the
    link, which comes back with a partial resync (Redis's integration/replication-psync
    breaks links that way)."""
    replica_server = start_replica(("--replicaof", "127.0.0.1", str(redis_primary.port)))
    try:
        primary, replica = redis.Redis(port=redis_primary.port), redis.Redis(
            port=replica_server.port)
        wait_until(lambda: in_sync(primary, replica))
        lines = replica.execute_command("CLIENT", "LIST", "TYPE", "master").splitlines()
        assert len(lines) == 1
        fields = dict(field.split("=", 1) for field in lines[0].decode().split())
        assert fields["flags"] == "M" and fields["addr"] == f"127.0.0.1:{redis_primary.port}"
        assert replica.info("clients")["connected_clients"] == 2
        partial = primary.info("stats")["sync_partial_ok"]
        assert replica.execute_command("CLIENT", "KILL", fields["addr"]) == b"OK"
        wait_until(lambda: primary.info("stats")["sync_partial_ok"] == partial + 1)
        wait_until(lambda: in_sync(primary, replica))
        assert replica.execute_command("CLIENT", "KILL", "TYPE", "master") == 1
        wait_until(lambda: primary.info("stats")["sync_partial_ok"] == partial + 2)
        primary.set("after", "kill")
        wait_until(lambda: replica.get("after") == b"kill")
        assert primary.info("stats")["sync_full"] == 1
    finally:
        replica_server.stop()


def _log_says(server, text: bytes) -> bool:
    with open(server.log.name, "rb") as log:
        return text in log.read()


class _SilentPrimary:
    """A primary that completes the handshake but never answers PSYNC (as one waiting to
    start a delayed diskless sync, without its keep-alive newlines)."""

    def __init__(self):
        import socket

        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.connections = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    @staticmethod
    def _answer(conn):
        import hiredis

        reader = hiredis.Reader()
        while True:
            try:
                data = conn.recv(4096)
            except OSError:
                return
            if not data:
                return
            reader.feed(data)
            while (command := reader.gets()) is not False:
                name = command[0].upper()
                if name == b"PING":
                    conn.sendall(b"+PONG\r\n")
                elif name != b"PSYNC":
                    conn.sendall(b"+OK\r\n")

    def close(self):
        self.listener.close()
        for conn in self.connections:
            conn.close()


@pytest.mark.parametrize("start_replica", [start_redis, start_predis], ids=["redis", "predis"])
def test_a_replica_waiting_for_psync_is_in_handshake_and_times_out(start_replica):
    """ROLE says "handshake" from the connection to the PSYNC reply, and a primary silent
    past repl-timeout is logged as Redis logs it (integration/replication "Slave enters
    handshake", "Slave is able to detect timeout during handshake"); Predis said
    "connecting" and logged a lost link."""
    primary = _SilentPrimary()
    replica_server = start_replica(("--repl-timeout", "1"))
    try:
        replica = redis.Redis(port=replica_server.port)
        replica.replicaof("127.0.0.1", primary.port)
        wait_until(lambda: replica.execute_command("ROLE")[3] == b"handshake", timeout=10)
        wait_until(lambda: _log_says(replica_server, b"Timeout connecting to the MASTER..."),
                   timeout=15)
    finally:
        replica_server.stop()
        primary.close()


@pytest.mark.parametrize("start_middle", [start_redis, start_predis], ids=["redis", "predis"])
def test_a_chain_shares_one_history_and_survives_promoting_the_middle(start_middle):
    """primary -> middle -> tail: the middle passes its primary's stream on as it came, so all
    three report the primary's replication id and the same offset (PINGs included); promoted,
    the middle keeps that id as its second one and the tail continues with a partial resync.
    Found by Redis's integration/psync2-pingoff (Predis re-encoded the stream)."""
    top_server = start_predis(("--repl-ping-replica-period", "1"))
    middle_server = start_middle(("--replicaof", "127.0.0.1", str(top_server.port)))
    tail_server = start_redis(("--replicaof", "127.0.0.1", str(middle_server.port)))
    top, middle, tail = (redis.Redis(port=s.port) for s in (top_server, middle_server,
                                                               tail_server))
    try:
        for i in range(50):
            top.set(f"k{i}", i)
        redis.Redis(port=top_server.port, db=3).set("in-db-3", "x")
        # one history and one offset on all three (read again until a primary's PING, every
        # second, does not fall between the three reads: a CI run once read 1559 and 1573)
        wait_until(lambda: one_history(top, middle, tail))
        time.sleep(1.2)  # a PING from the primary (repl-ping-replica-period 1)
        top.set("after", 1)
        wait_until(lambda: one_history(top, middle, tail))
        old_id = middle.info("replication")["master_replid"]
        top.config_set("repl-ping-replica-period", 3600)  # (a PING after the promotion
        wait_until(lambda: in_sync(top, middle))  # would take top past what middle has)
        middle.config_resetstat()  # (the sync counters too)
        middle.execute_command("REPLICAOF", "NO", "ONE")
        middle.set("new", 1)
        wait_until(lambda: tail.get("new") == b"1")
        promoted = middle.info("replication")
        assert promoted["master_replid2"] == old_id
        stats = middle.info("stats")  # (the tail's reconnection)
        assert (stats["sync_full"], stats["sync_partial_ok"]) == (0, 1)
        assert redis.Redis(port=tail_server.port, db=3).get("in-db-3") == b"x"
        # the old primary follows the promoted one from where its own history stopped
        top.execute_command("REPLICAOF", "127.0.0.1", str(middle_server.port))
        wait_until(lambda: top.get("new") == b"1")
        stats = middle.info("stats")
        assert (stats["sync_full"], stats["sync_partial_ok"]) == (0, 2)
    finally:
        for server in (tail_server, middle_server, top_server):
            server.stop()


@pytest.mark.parametrize("start_primary", [start_redis, start_predis], ids=["redis", "predis"])
def test_a_restarted_replica_and_primary_continue_from_their_snapshots(start_primary):
    """The RDB keeps where replication stood (repl-id, repl-offset, repl-stream-db): a replica
    restarted from its snapshot asks for, and gets, a partial resync; so does the replica of
    a primary restarted from its own. Found by Redis's integration/psync2-master-restart."""
    primary_server = start_primary()
    replica_server = start_predis(("--replicaof", "127.0.0.1", str(primary_server.port)))
    try:
        primary, replica = redis.Redis(port=primary_server.port), \
            redis.Redis(port=replica_server.port)
        primary.mset({f"k{i}": i for i in range(20)})
        redis.Redis(port=primary_server.port, db=2).set("in-db-2", 1)
        wait_until(lambda: in_sync(primary, replica))
        shut_down(replica_server, "SAVE")
        replica_server = replica_server.again()
        redis.Redis(port=primary_server.port, db=2).set("later-in-db-2", 1)
        wait_until(lambda: in_sync(primary, replica))
        assert redis.Redis(port=replica_server.port, db=2).get("later-in-db-2") == b"1"
        stats = primary.info("stats")
        assert (stats["sync_full"], stats["sync_partial_ok"]) == (1, 1)
        # keys past their deadline at the save: the restarted primary drops them and sends
        # its replica the DELs (which still holds them) before the rest of its stream
        primary.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        for i in range(10):
            primary.set(f"short{i}", 1, px=20)
        wait_until(lambda: in_sync(primary, replica))
        time.sleep(0.05)
        shut_down(primary_server, "SAVE")
        primary_server = primary_server.again()
        assert primary.info("persistence")["rdb_last_load_keys_expired"] == 10
        primary.set("after", 1)
        wait_until(lambda: replica.get("after") == b"1")
        stats = primary.info("stats")
        assert (stats["sync_full"], stats["sync_partial_ok"]) == (0, 1)
        assert replica.dbsize() == 21
    finally:
        replica_server.stop()
        primary_server.stop()


@pytest.mark.parametrize("start_primary", [start_redis, start_predis], ids=["redis", "predis"])
def test_a_lone_primary_frees_its_backlog_after_repl_backlog_ttl(start_primary):
    """Without replicas for repl-backlog-ttl seconds a primary frees its backlog and starts a
    new history: a replica asking to continue the old one must sync in full. Found by Redis's
    integration/replication-psync ("backlog expired")."""
    from .rawclient import RawClient

    primary_server = start_primary(("--repl-backlog-ttl", "1"))
    try:
        primary = redis.Redis(port=primary_server.port)
        primary.set("k", 1)
        replica = RawClient(primary_server.port)  # a replica that leaves once synced
        replica.send_raw(b"PSYNC ? -1\r\n")
        _, first_id, offset = replica.sock.makefile("rb").readline().split()
        replica.close()
        wait_until(lambda: primary.info("replication")["repl_backlog_active"] == 0, 10)
        info = primary.info("replication")
        assert info["master_replid"] != first_id.decode()
        assert info["repl_backlog_first_byte_offset"] == 0
        again = RawClient(primary_server.port)
        again.send_raw(b"PSYNC %s %d\r\n" % (first_id, int(offset) + 1))
        assert again.sock.makefile("rb").readline().startswith(b"+FULLRESYNC")
        again.close()
        stats = primary.info("stats")
        assert (stats["sync_full"], stats["sync_partial_ok"], stats["sync_partial_err"]) == \
            (2, 0, 1)
        assert primary.info("replication")["repl_backlog_active"] == 1
    finally:
        primary_server.stop()


@pytest.mark.parametrize("start", [start_redis, start_predis], ids=["redis", "predis"])
def test_an_error_in_answer_to_the_primary_is_logged_and_counted(start):
    """DEBUG REPLICATE puts a command into the stream that the replica cannot run; the
    replica logs Redis's "== CRITICAL ==" line and counts unexpected_error_replies, and so it
    does when a writable replica's own write makes the primary's INCRBY fail; with
    propagation-error-behavior panic a read-only replica stops (Redis's
    integration/replication-4 "Data divergence")."""
    primary_server = start()
    replica_server = start(("--replicaof", "127.0.0.1", str(primary_server.port),
                            "--use-exit-on-panic", "yes"))
    primary, replica = (redis.Redis(port=s.port) for s in (primary_server, replica_server))
    try:
        wait_until(lambda: in_sync(primary, replica))
        replica.config_set("propagation-error-behavior", "ignore")
        assert primary.execute_command("DEBUG", "REPLICATE", "fake-command-1") == b"OK"
        primary.set("foo", "bar2")
        assert primary.wait(1, 2000) == 1
        assert replica.get("foo") == b"bar2"
        assert _log_says(replica_server, b"== CRITICAL == This replica is sending an error to "
                         b"its master: 'unknown command 'fake-command-1', with args "
                         b"beginning with: ' after processing the command '<unknown>'")
        assert replica.info("stats")["unexpected_error_replies"] == 1

        replica.config_set("replica-read-only", "no")
        replica.set("number2", "foo")
        primary.incrby("number2", 1)
        assert primary.wait(1, 2000) == 1
        assert (primary.get("number2"), replica.get("number2")) == (b"1", b"foo")
        assert _log_says(replica_server, b"after processing the command 'incrby'")
        assert replica.info("stats")["unexpected_error_replies"] == 2

        replica.config_set("replica-read-only", "yes")
        replica.config_set("propagation-error-behavior", "panic")
        primary.execute_command("DEBUG", "REPLICATE", "fake-command-2")
        assert replica_server.proc.wait(10) == 1  # (use-exit-on-panic: exit(1), no abort)
        assert _log_says(replica_server, b"Guru Meditation: This replica panicked sending an "
                         b"error to its master after processing the command '<unknown>'")
    finally:
        primary_server.stop()
        replica_server.stop()


@pytest.mark.parametrize("start_replica", [start_redis, start_predis], ids=["redis", "predis"])
def test_a_replica_that_kills_its_link_is_gone_for_the_primary_at_once(start_replica):
    """CLIENT KILL of the primary's link, then DEBUG SLEEP in the same EXEC: the primary sees
    the replica leave at once (Predis closed the socket only when its event loop ran again),
    so a short repl-backlog-ttl expires the backlog and the replica syncs in full (Redis's
    integration/replication-psync "backlog expired")."""
    from .rawclient import RawClient, encode_command

    primary_server = start_redis(("--repl-backlog-ttl", "1", "--repl-diskless-sync-delay", "0"))
    replica_server = start_replica(("--replicaof", "127.0.0.1", str(primary_server.port)))
    primary, replica = (redis.Redis(port=s.port) for s in (primary_server, replica_server))
    try:
        wait_until(lambda: in_sync(primary, replica))
        partial_err = primary.info("stats")["sync_partial_err"]
        sleeper = RawClient(replica_server.port)
        sleeper.send_raw(b"".join(encode_command(*args) for args in (
            ["MULTI"], ["CLIENT", "KILL", f"127.0.0.1:{primary_server.port}"],
            ["DEBUG", "SLEEP", "3"], ["EXEC"])))
        time.sleep(0.5)
        assert primary.info("replication")["connected_slaves"] == 0
        assert [sleeper.read_reply() for _ in range(4)][-1] == [b"OK", b"OK"]
        # (the replica comes back when its loop runs again: a full sync, the backlog gone)
        wait_until(lambda: primary.info("stats")["sync_partial_err"] == partial_err + 1)
        wait_until(lambda: in_sync(primary, replica))
    finally:
        replica_server.stop()
        primary_server.stop()
