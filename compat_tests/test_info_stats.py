"""INFO's traffic and event loop figures: reads and writes, bytes (client and replication),
their instantaneous rates, the clients' recent buffer peaks, the event loop's cycles and the
ACL's denial counters.

Where redis-server 7.0 (the reference installed here) has the field, the test is
differential or runs the same scenario on both kinds of server. The eventloop_*, listener and
acl_access_denied_* fields are Redis 7.2's (7.0 lacks them): those tests hold Predis to what
Redis's own tests expect (tests/unit/info.tcl and tests/unit/acl.tcl of Redis 8.0)."""

import time

import pytest
import redis

from .rawclient import RawClient
from .servers import STARTERS, eventually, start_predis


def stats(client) -> dict:
    return client.info("stats")


# -- reads, writes and bytes, on both servers ----------------------------------------------------
def _traffic_of(port) -> tuple:
    """What ten unpipelined commands and one pipeline of ten add to the reads, writes and
    bytes counted, between two INFO calls (the first INFO's own reply is written after its
    figures were taken, so it counts in the difference)."""
    client = RawClient(port)
    client.call("SET", "k", "v" * 100)
    before_reply = client.call("INFO", "stats")
    before = _fields(before_reply)
    for _ in range(10):
        client.call("GET", "k")
    client.send_raw(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n" * 10)
    replies = [client.read_reply() for _ in range(10)]
    after = _fields(client.call("INFO", "stats"))
    client.close()
    info_reply = b"$%d\r\n%b\r\n" % (len(before_reply), before_reply)
    return (after["total_reads_processed"] - before["total_reads_processed"],
            after["total_writes_processed"] - before["total_writes_processed"],
            after["total_net_input_bytes"] - before["total_net_input_bytes"],
            after["total_net_output_bytes"] - before["total_net_output_bytes"] - len(info_reply),
            replies)


def _fields(info: bytes) -> dict:
    out = {}
    for line in info.decode().split("\r\n"):
        if ":" in line:
            name, value = line.split(":", 1)
            out[name] = int(value) if value.lstrip("-").isdigit() else value
    return out


def test_reads_writes_and_bytes_count_as_redis_counts_them(servers):
    """Each read from a socket and each write to one counts once (a pipeline of ten is one of
    each); the byte totals grow by exactly what was read and written. total_reads_processed
    and total_writes_processed counted commands before."""
    reference, predis = (_traffic_of(server.port) for server in servers)
    assert predis == reference
    reads, writes, read_bytes, written_bytes, _ = predis
    get = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
    # read: 10 GETs, the pipeline, the second INFO; written: the first INFO's reply, the
    # 10 GETs' replies and the pipeline's
    assert (reads, writes) == (12, 12)
    assert read_bytes == 20 * len(get) + len(b"*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n")
    assert written_bytes == 20 * len(b"$100\r\n" + b"v" * 100 + b"\r\n")


# -- keyspace hits and misses: which lookups count ---------------------------------------------
HIT_AND_MISS_COMMANDS = [
    ("XADD", "x", "1-1", "f", "v"), ("XGROUP", "CREATE", "x", "g", "0"), ("SADD", "s", "1"),
    ("ZADD", "z", "1", "a"), ("RPUSH", "l", "2", "1"),
    # XREAD and XREADGROUP look each key up twice; the group commands read their key
    ("XREAD", "STREAMS", "x", "nox", "0", "0"), ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "x", ">"),
    ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "x", "0"), ("XPENDING", "x", "g"),
    ("XCLAIM", "x", "g", "c", "0", "1-1"), ("XAUTOCLAIM", "x", "g", "c", "0", "0"),
    ("XACK", "x", "g", "1-1"),
    # stores read their sources; SORT its key and each BY / GET pattern's key
    ("SUNIONSTORE", "d", "s", "nos"), ("ZUNIONSTORE", "d", "2", "z", "noz"),
    ("ZRANGESTORE", "d", "z", "0", "-1"), ("SORT", "l", "STORE", "d"),
    ("SORT", "l", "BY", "w*", "GET", "h*", "GET", "#"), ("COPY", "s", "s2"), ("COPY", "no", "s3"),
    # OBJECT counts, though it neither touches the key nor announces a miss
    ("OBJECT", "ENCODING", "s"), ("OBJECT", "ENCODING", "no"), ("OBJECT", "REFCOUNT", "no"),
]


def _hits_and_misses(port) -> list:
    """What each command adds to keyspace_hits and keyspace_misses."""
    client = RawClient(port)
    client.call("FLUSHALL")
    out = []
    for command in HIT_AND_MISS_COMMANDS:
        before = _fields(client.call("INFO", "stats"))
        client.call(*command)
        after = _fields(client.call("INFO", "stats"))
        out.append((command, after["keyspace_hits"] - before["keyspace_hits"],
                    after["keyspace_misses"] - before["keyspace_misses"]))
    client.close()
    return out


def test_keyspace_hits_and_misses_count_the_lookups_redis_makes(servers):
    reference, predis = (_hits_and_misses(server.port) for server in servers)
    assert predis == reference
    assert (HIT_AND_MISS_COMMANDS[5], 2, 2) in predis  # XREAD: each key twice


@pytest.mark.parametrize("kind", sorted(STARTERS))
def test_replication_bytes_count_apart_on_both_ends(kind):
    """A primary counts what it sends its replicas as total_net_repl_output_bytes, a replica
    what it reads from its primary as total_net_repl_input_bytes (both also in the totals):
    after some writes, both grew by as much as the replication offset moved."""
    primary_server = STARTERS[kind]()
    replica_server = STARTERS[kind](("--replicaof", "127.0.0.1", str(primary_server.port)))
    try:
        primary = redis.Redis(port=primary_server.port)
        replica = redis.Redis(port=replica_server.port)
        assert eventually(lambda: replica.info("replication")["master_link_status"] == "up", 20)
        assert eventually(lambda: replica.info("replication")["slave_repl_offset"]
                          == primary.info("replication")["master_repl_offset"], 20)
        offset = primary.info("replication")["master_repl_offset"]
        sent = stats(primary)["total_net_repl_output_bytes"]
        received = stats(replica)["total_net_repl_input_bytes"]
        assert sent > 0 and received > 0  # the full sync's RDB at least
        for index in range(20):
            primary.set(f"key:{index}", "x" * 50)
        moved = primary.info("replication")["master_repl_offset"] - offset
        assert moved > 20 * 50
        assert eventually(lambda: stats(replica)["total_net_repl_input_bytes"] - received
                          == moved, 20)
        assert stats(primary)["total_net_repl_output_bytes"] - sent == moved
        primary_stats = stats(primary)
        assert primary_stats["total_net_output_bytes"] >= \
            primary_stats["total_net_repl_output_bytes"]
        assert stats(replica)["total_net_input_bytes"] >= received + moved
    finally:
        replica_server.stop()
        primary_server.stop()


def test_instantaneous_rates_follow_the_traffic_and_restart_with_resetstat(server):
    """The kbps and ops rates are means of 16 samples taken every 100 ms: they grow while
    traffic flows and CONFIG RESETSTAT starts them over from 0 (the kbps were fixed at 0.00)."""
    client = redis.Redis(port=server.port)
    deadline = time.time() + 1.0
    while time.time() < deadline:
        client.set("k", "v" * 1000)
        client.get("k")
    figures = stats(client)
    assert figures["instantaneous_input_kbps"] > 0
    assert figures["instantaneous_output_kbps"] > 0
    assert figures["instantaneous_ops_per_sec"] > 0
    assert figures["instantaneous_input_repl_kbps"] == 0
    client.config_resetstat()
    figures = stats(client)
    assert (figures["instantaneous_input_kbps"], figures["instantaneous_output_kbps"],
            figures["instantaneous_ops_per_sec"]) == (0, 0, 0)
    assert figures["total_reads_processed"] <= 2


def test_recent_buffer_peaks_follow_the_client_cron(server):
    """client_recent_max_input_buffer is the largest query buffer the client cron saw in the
    last 8 seconds, as the allocator holds it: 20480 for a client that sent a small command,
    over 100 KB after a 100 KB argument (both as redis-server reports them); it was fixed at
    0."""
    client = RawClient(server.port)
    client.call("PING")
    assert eventually(lambda: _fields(client.call("INFO", "clients"))[
        "client_recent_max_input_buffer"] == 20480, 3)
    client.call("SET", "big", "x" * 100_000)
    assert eventually(lambda: _fields(client.call("INFO", "clients"))[
        "client_recent_max_input_buffer"] > 100_000, 3)
    assert _fields(client.call("INFO", "clients"))["client_recent_max_output_buffer"] == 0
    client.close()


# -- Redis 7.2's fields, held to Redis's own tests -------------------------------------------------
@pytest.fixture
def predis():
    started = start_predis()
    yield started
    started.stop()


def test_eventloop_metrics_grow_by_what_an_idle_tenth_of_a_second_takes(predis):
    """Redis's info.tcl "stats: eventloop metrics": cycles, their time and the commands' time
    are counted, and an idle 110 ms adds a cron tick or two, under 100 ms of loop time and
    under 15 ms of command time."""
    client = redis.Redis(port=predis.port)
    first = stats(client)
    assert first["eventloop_cycles"] > 0
    assert first["eventloop_duration_sum"] > 0
    assert first["eventloop_duration_cmd_sum"] > 0
    time.sleep(0.11)
    second = stats(client)
    assert first["eventloop_cycles"] < second["eventloop_cycles"] < first["eventloop_cycles"] + 10
    assert first["eventloop_duration_sum"] < second["eventloop_duration_sum"] < \
        first["eventloop_duration_sum"] + 100_000
    assert first["eventloop_duration_cmd_sum"] < second["eventloop_duration_cmd_sum"] < \
        first["eventloop_duration_cmd_sum"] + 15_000


def test_instantaneous_eventloop_figures_fill_in_after_resetstat(predis):
    """Redis's info.tcl "stats: instantaneous metrics": after CONFIG RESETSTAT and 1.6 s the
    cycles per second are above 0 and below 15 per 1.6 s waited (hz 10), and a cycle's mean
    duration is above 0 and below 22 ms per 1.6 s waited."""
    client = redis.Redis(port=predis.port)
    client.config_resetstat()
    for retries in range(1, 4):
        time.sleep(1.6)
        cycles = stats(client)["instantaneous_eventloop_cycles_per_sec"]
        if cycles > 0:
            break
    assert 0 < cycles < retries * 15
    assert 0 < stats(client)["instantaneous_eventloop_duration_usec"] < retries * 22_000


def test_listener_lines_name_each_listener():
    """INFO server's listener<n> (Redis 7.2): tcp is listener0 with its binds and port, a
    unix socket listener1."""
    import tempfile

    socket_path = tempfile.mktemp(prefix="predis-", suffix=".sock")
    started = start_predis(("--bind", "127.0.0.1", "-::1", "--unixsocket", socket_path))
    try:
        assert _raw_line(started.port, "listener0") == \
            f"name=tcp,bind=127.0.0.1,bind=-::1,port={started.port}"
        assert _raw_line(started.port, "listener1") == f"name=unix,bind={socket_path}"
        assert _raw_line(started.port, "listener2") is None
    finally:
        started.stop()


def _raw_line(port, name):
    info = RawClient(port).call("INFO", "server").decode()
    for line in info.split("\r\n"):
        if line.startswith(name + ":"):
            return line.split(":", 1)[1]
    return None


def test_acl_denials_are_counted_by_reason(predis):
    """Redis's acl.tcl "ACL-Metrics" tests: failed AUTH (and HELLO ... AUTH), a denied
    command, key and channel each add one to their own counter and to no other; CONFIG
    RESETSTAT leaves them (they were fixed at 0 but for auth)."""
    client = RawClient(predis.port)
    names = ["acl_access_denied_auth", "acl_access_denied_cmd", "acl_access_denied_key",
             "acl_access_denied_channel"]

    def counts():
        fields = _fields(client.call("INFO", "stats"))
        return [fields[name] for name in names]

    assert counts() == [0, 0, 0, 0]
    assert client.call("AUTH", "notrealuser", "1233456").startswith("WRONGPASS")
    assert client.call("HELLO", "3", "AUTH", "notrealuser", "1233456").startswith("WRONGPASS")
    assert client.call("HELLO", "2", "AUTH", "notrealuser", "1233456").startswith("WRONGPASS")
    assert counts() == [3, 0, 0, 0]
    client.call("ACL", "SETUSER", "invalidcmduser", "on", ">passwd", "nocommands")
    client.call("AUTH", "invalidcmduser", "passwd")
    assert "no permissions to run the 'acl|list' command" in client.call("ACL", "LIST")
    client.call("AUTH", "default", "")
    assert counts() == [3, 1, 0, 0]
    client.call("ACL", "SETUSER", "invalidkeyuser", "on", ">passwd", "resetkeys", "allcommands")
    client.call("AUTH", "invalidkeyuser", "passwd")
    assert client.call("GET", "x").startswith("NOPERM")
    client.call("AUTH", "default", "")
    assert counts() == [3, 1, 1, 0]
    client.call("ACL", "SETUSER", "invalidchanneluser", "on", ">passwd", "resetchannels",
                "allcommands")
    client.call("AUTH", "invalidchanneluser", "passwd")
    assert client.call("SUBSCRIBE", "x").startswith("NOPERM")
    client.call("AUTH", "default", "")
    assert counts() == [3, 1, 1, 1]
    client.call("CONFIG", "RESETSTAT")
    assert counts() == [3, 1, 1, 1]
