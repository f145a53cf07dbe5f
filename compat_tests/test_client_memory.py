"""Differential tests: clients' buffers count in used_memory, so they drive key eviction under
maxmemory, and `maxmemory-clients` evicts the largest clients first (Redis 7's client
eviction). The scenarios are those of Redis's own unit/maxmemory tests."""

import socket
import time

import pytest

from .rawclient import RawClient, encode_command
from .servers import start_predis, start_redis

KEYS = 50


def _fill(control) -> None:
    """11 MB of maxmemory, 5 MB of data: 50 keys of 100 KB."""
    control.call("CONFIG", "SET", "maxmemory", "11mb", "maxmemory-policy", "allkeys-lru")
    for n in range(KEYS):
        control.call("SETRANGE", str(n), "100000", "x")


def _stats(control) -> dict:
    info = control.call("INFO", "stats").decode()
    fields = dict(line.split(":", 1) for line in info.split("\r\n") if ":" in line)
    return {"evicted_keys": int(fields["evicted_keys"]),
            "evicted_clients": int(fields["evicted_clients"]), "dbsize": control.call("DBSIZE")}


def _outcome(stats: dict) -> str:
    if stats["evicted_clients"] and not stats["evicted_keys"] and stats["dbsize"] == KEYS:
        return "clients evicted"
    if stats["evicted_keys"] and not stats["evicted_clients"] and stats["dbsize"] < KEYS:
        return "keys evicted"
    return "neither" if not stats["evicted_keys"] else "both"


def _run(start, client_eviction: bool, load) -> str:
    server = start()
    try:
        control = RawClient(server.port)
        if client_eviction:
            control.call("CONFIG", "SET", "maxmemory-clients", "3mb")
            control.call("CLIENT", "NO-EVICT", "on")
        _fill(control)
        outcome, deadline = "neither", time.time() + 20
        load_state = {}
        while outcome == "neither" and time.time() < deadline:
            load(server.port, control, load_state)
            outcome = _outcome(_stats(control))
        return outcome
    finally:
        server.stop()


def _mget_without_reading(port, _control, state) -> None:
    """Clients that send MGETs of a 100 KB value and never read the replies."""
    readers = state.setdefault("clients", [RawClient(port) for _ in range(20)])
    for client in list(readers):
        try:
            client.send_raw(encode_command("MGET", "1") * 4)
        except OSError:  # evicted
            readers.remove(client)


def _publish_to_idle_subscribers(port, control, state) -> None:
    if "clients" not in state:
        state["clients"] = [RawClient(port) for _ in range(20)]
        for client in state["clients"]:
            client.call("SUBSCRIBE", "bla")
    control.call("PUBLISH", "bla", "x" * 100000)


@pytest.mark.parametrize("client_eviction", [False, True], ids=["keys", "clients"])
@pytest.mark.parametrize("load", [_mget_without_reading, _publish_to_idle_subscribers],
                         ids=["mget-output", "pubsub-output"])
def test_client_buffers_lead_to_eviction(load, client_eviction):
    outcomes = [_run(start, client_eviction, load) for start in (start_redis, start_predis)]
    assert outcomes[1] == outcomes[0] == ("clients evicted" if client_eviction else
                                          "keys evicted")


def test_client_memory_in_info_and_client_list(servers):
    """A client holding a large unfinished command: CLIENT LIST's tot-mem and INFO's
    mem_clients_normal both carry its query buffer."""
    seen = []
    for server in servers:
        holder, observer = RawClient(server.port), RawClient(server.port)
        holder.call("CLIENT", "SETNAME", "holder")
        holder.send_raw(b"*2\r\n$3\r\nGET\r\n$1000000\r\n" + b"x" * 500000)
        time.sleep(0.3)
        line = [item for item in observer.call("CLIENT", "LIST").split(b"\n")
                if b"name=holder" in item][0]
        tot_mem = int(line.split(b"tot-mem=")[1].split()[0])
        info = observer.call("INFO", "memory").decode()
        normal = int(info.split("mem_clients_normal:")[1].split("\r\n")[0])
        seen.append((tot_mem > 500000, normal > 500000))
        holder.close()
        observer.close()
    assert seen[1] == seen[0] == (True, True)


@pytest.fixture
def evicting(server):
    """A server (each kind) and a control client exempt from maxmemory-clients."""
    control = RawClient(server.port)
    control.call("CLIENT", "NO-EVICT", "on")
    return server, control


def _gone(control, name: str) -> bool:
    return f"name={name} " not in control.call("CLIENT", "LIST").decode()


def _until_dropped(client, command, limit: int = 200000) -> int:
    """Send `command(i)` for i = 0, 1, ... until the server drops the connection; how many
    it answered."""
    for i in range(limit):
        try:
            client.call(*command(i))
        except (ConnectionError, OSError):
            return i
    return limit


def test_a_commands_arguments_count_before_it_runs(evicting):
    """Redis's unit/client-eviction "large argv": the command is not run."""
    server, control = evicting
    control.call("CONFIG", "SET", "maxmemory-clients", "3000000")
    client = RawClient(server.port)
    client.call("CLIENT", "SETNAME", "argv")
    assert client.call("MSET", "k", "v", "k2", "v" * 1000000) == b"OK"
    with pytest.raises((ConnectionError, OSError)):
        client.call("MSET", "k", "w", "k2", "v" * 3000000)
    assert _gone(control, "argv") and control.call("GET", "k") == b"v"


def test_a_big_argument_arriving_counts_in_full(evicting):
    """Redis sizes its query buffer for a 32 KB+ argument as soon as its length is read:
    CLIENT LIST's qbuf counts the argument's bytes alone, and the client is evicted at the
    next command anyone runs once its room passes the limit."""
    server, control = evicting
    control.call("CONFIG", "SET", "maxmemory", "6mb", "maxmemory-clients", "7%")
    limit = 6 * 1024 * 1024 * 7 // 100
    client = RawClient(server.port)
    client.call("CLIENT", "SETNAME", "half")
    client.send_raw(b"*1\r\n$%d\r\n" % (limit // 2) + b"v" * (limit // 2))
    fields = {}
    for _ in range(100):  # (until the server has read it all)
        line = [l for l in control.call("CLIENT", "LIST").decode().splitlines() if "name=half" in l]
        fields = dict(item.split("=", 1) for item in line[0].split())
        if int(fields["qbuf"]) == limit // 2:
            break
        time.sleep(0.02)
    assert int(fields["qbuf"]) == limit // 2
    assert limit // 2 <= int(fields["tot-mem"]) < limit
    other = RawClient(server.port)
    other.call("CLIENT", "SETNAME", "full")
    other.send_raw(b"*1\r\n$%d\r\n" % limit + b"v" * 1000)
    time.sleep(0.1)
    assert _gone(control, "full") and not _gone(control, "half")


@pytest.mark.parametrize("command", [
    lambda i: ("WATCH", str(i)),
    lambda i: ("PSUBSCRIBE", str(i)),
    lambda i: ("SUBSCRIBE", str(i)),
    lambda i: ("SSUBSCRIBE", str(i)),
], ids=["watch", "psubscribe", "subscribe", "ssubscribe"])
def test_per_client_lists_count(evicting, command):
    """Watched keys and subscriptions count (Redis's per-item overheads): with a limit of
    200 KB the client is evicted after a few thousand of them, not never."""
    server, control = evicting
    control.call("CONFIG", "SET", "maxmemory-clients", "200000")
    answered = _until_dropped(RawClient(server.port), command)
    assert 1000 < answered < 20000


def test_a_multi_queue_counts(evicting):
    server, control = evicting
    control.call("CONFIG", "SET", "maxmemory-clients", "3000000")
    client = RawClient(server.port)
    client.call("MULTI")
    value = "v" * 750000
    assert [client.call("SET", "k", value) for _ in range(2)] == [b"QUEUED"] * 2
    assert client.call("EXEC") == [b"OK", b"OK"]
    client.call("MULTI")
    assert _until_dropped(client, lambda i: ("SET", "k", value), 10) in (3, 4)


def test_lowering_the_limit_evicts_at_the_next_command(evicting):
    server, control = evicting
    control.call("CONFIG", "SET", "maxmemory-clients", "4mb")
    clients = []
    for n in range(10):
        client = RawClient(server.port)
        client.call("CLIENT", "SETNAME", f"c{n}")
        client.send_raw(b"*2\r\n$314572\r\n" + b"v" * 314572)
        clients.append(client)
    time.sleep(0.2)
    assert sum(f"name=c{n} " in control.call("CLIENT", "LIST").decode() for n in range(10)) == 10
    control.call("CONFIG", "SET", "maxmemory-clients", "2mb")
    remaining = sum(f"name=c{n} " in control.call("CLIENT", "LIST").decode() for n in range(10))
    assert 0 < remaining < 10


def _field(line: str, name: str) -> int:
    return int(line.split(f" {name}=")[1].split()[0])


def test_the_running_command_counts_in_the_callers_own_line(servers):
    """CLIENT LIST / CLIENT INFO count the caller's running command: argv-mem is its
    arguments' bytes, and tot-mem holds them too (Redis's argv_len_sum and pointers)."""
    seen = []
    for server in servers:
        client = RawClient(server.port)
        own = client.call("CLIENT", "INFO").decode()
        listed = next(line for line in client.call("CLIENT", "LIST", "ID", str(_field(
            " " + own, "id"))).decode().splitlines())
        other = RawClient(server.port)
        from_other = next(line for line in other.call("CLIENT", "LIST").decode().splitlines()
                          if f"id={_field(' ' + own, 'id')} " in line)
        seen.append((_field(own, "argv-mem"), _field(listed, "argv-mem"),
                     _field(from_other, "argv-mem")))
        client.close()
        other.close()
    assert seen[1] == seen[0]
    assert seen[0][0] == len("CLIENTINFO") and seen[0][2] == 0


def test_clients_are_evicted_only_until_under_the_limit(evicting):
    """Redis's "evict clients only until below limit": ten clients of equal size and a limit
    set to hold five of them plus the control client as CLIENT LIST showed it; five stay
    (a NO-EVICT client counts as last measured, without the command it is running)."""
    server, control = evicting
    control.call("CLIENT", "SETNAME", "control")
    clients, sizes = [], []
    for n in range(10):
        client = RawClient(server.port)
        client.call("CLIENT", "SETNAME", f"c{n}")
        client.send_raw(b"*2\r\n$1048576\r\n" + b"v" * 1048576)
        clients.append(client)
        for _ in range(100):
            line = next(line for line in control.call("CLIENT", "LIST").decode().splitlines()
                        if f"name=c{n} " in line)
            if _field(line, "tot-mem") >= 1048576:
                break
            time.sleep(0.01)
        sizes.append(_field(line, "tot-mem"))
    own = next(line for line in control.call("CLIENT", "LIST").decode().splitlines()
               if "name=control " in line)
    control.call("CONFIG", "SET", "maxmemory-clients",
                 str(max(sizes) * 5 + _field(own, "tot-mem")))
    listed = control.call("CLIENT", "LIST").decode()
    assert sum(f"name=c{n} " in listed for n in range(10)) == 5


def test_output_pushed_to_another_client_counts_at_once(evicting):
    """Redis's "client evicted due to tracking redirection", with the client cron paused: the
    invalidations a tracking client redirects pile up in a client that never reads, which is
    measured as they are written and evicted before it passes the limit."""
    server, control = evicting
    control.call("CONFIG", "SET", "maxmemory-clients", "3000000")
    redirected = RawClient(server.port)
    redirected.call("CLIENT", "SETNAME", "redirected")
    redirected_id = redirected.call("CLIENT", "ID")
    redirected.call("SUBSCRIBE", "__redis__:invalidate")
    tracker = RawClient(server.port)
    tracker.call("CLIENT", "TRACKING", "on", "REDIRECT", str(redirected_id), "BCAST")
    sha = tracker.call("SCRIPT", "LOAD", "redis.call('incr', '%s')" % ("k" * 200 * 1024))
    control.call("DEBUG", "PAUSE-CRON", "1")
    try:
        for _ in range(200):
            listed = [line for line in control.call("CLIENT", "LIST").decode().splitlines()
                      if "name=redirected " in line]
            if not listed:
                break
            assert _field(listed[0], "tot-mem") < 3000000
            tracker.call("EVALSHA", sha, "0")
        assert _gone(control, "redirected")
    finally:
        control.call("DEBUG", "PAUSE-CRON", "0")


def _replicas_buffers(control) -> int:
    """INFO memory's mem_clients_slaves."""
    info = control.call("INFO", "memory").decode()
    return int(info.split("mem_clients_slaves:")[1].split()[0])


def _write_stream(control, writes: int) -> None:
    """`writes` SETs of 10 KB: as much stream for the replicas."""
    payload = "A" * 10000
    for _ in range(writes):
        control.call("SET", "k", payload)


def test_a_killed_replicas_buffer_stops_counting_at_once(server):
    """Redis's unit/maxmemory "slave buffer are counted correctly": a replica that stopped
    reading holds megabytes of output; CLIENT KILL TYPE replica frees them before the next
    command (Redis frees a killed client at once, unsent output and all)."""
    import os
    import signal

    replica = start_redis(("--replicaof", "127.0.0.1", str(server.port)))
    control = RawClient(server.port)
    try:
        deadline = time.time() + 20
        while b"state=online" not in control.call("INFO", "replication") \
                and time.time() < deadline:
            time.sleep(0.05)
        control.call("CONFIG", "SET", "client-output-buffer-limit", "replica 0 0 0")
        os.kill(replica.proc.pid, signal.SIGSTOP)
        try:
            _write_stream(control, 2000)
            assert _replicas_buffers(control) > 2 * 1024 * 1024
            assert control.call("CLIENT", "KILL", "TYPE", "replica") == 1
            assert _replicas_buffers(control) == 0
        finally:
            os.kill(replica.proc.pid, signal.SIGCONT)
    finally:
        replica.stop()


def test_the_stream_held_until_a_replica_acks_counts_as_its_memory(server):
    """A replica that received its diskless snapshot but has not acknowledged it (here a raw
    connection that reads the snapshot, then neither reads nor ACKs): the stream written
    meanwhile waits for its first ACK, and Redis counts it in mem_clients_slaves; killing the
    replica frees it. (The real-replica test above can stop its replica in that window.)"""
    control = RawClient(server.port)
    replica = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        control.call("CONFIG", "SET", "repl-diskless-sync-delay", "0")
        control.call("CONFIG", "SET", "client-output-buffer-limit", "replica 0 0 0")
        for line in (b"REPLCONF listening-port 1234\r\n", b"REPLCONF capa eof\r\n"):
            replica.sendall(line)  # (one at a time: PSYNC wants no replies pending)
            assert replica.recv(100) == b"+OK\r\n"
        replica.sendall(b"PSYNC ? -1\r\n")
        _read_diskless_snapshot(replica)
        _write_stream(control, 400)
        assert _replicas_buffers(control) > 2 * 1024 * 1024
        assert control.call("CLIENT", "KILL", "TYPE", "replica") == 1
        assert _replicas_buffers(control) == 0
    finally:
        control.call("CONFIG", "SET", "client-output-buffer-limit",
                     "replica 268435456 67108864 60")
        control.call("CONFIG", "SET", "repl-diskless-sync-delay", "5")
        replica.close()
        control.close()


def _read_diskless_snapshot(sock) -> None:
    """Read +FULLRESYNC and a snapshot sent as `$EOF:<40-byte mark>` ... mark."""
    received = b""
    while True:
        chunk = sock.recv(65536)
        assert chunk, "the primary closed the connection"
        received += chunk
        start = received.find(b"$EOF:")
        if start < 0:
            continue
        header_end = received.find(b"\r\n", start)
        if header_end < 0:
            continue
        mark = received[start + 5:header_end]
        if len(received) >= header_end + 2 + len(mark) and received.endswith(mark):
            return


def test_an_unread_reply_backlog_grows_past_ten_megabytes_then_its_client_is_evicted(evicting):
    """Redis's unit/client-eviction "client total memory grows during client no-evict": a
    client that sends GETs of a 1 MB value and never reads holds more than 10 MB of replies
    (Redis never stops reading it; Predis's flow control must not stop it that early), and is
    evicted once it loses its no-evict flag."""
    server, control = evicting
    control.call("SETRANGE", "k", str(1 << 20), "v")
    client = RawClient(server.port)
    client.call("CLIENT", "SETNAME", "backlog")
    client.call("CLIENT", "NO-EVICT", "on")
    control.call("CONFIG", "SET", "maxmemory-clients", "1")

    def tot_mem() -> int:
        line = [item for item in control.call("CLIENT", "LIST").split(b"\n")
                if b"name=backlog" in item][0]
        return int(line.split(b"tot-mem=")[1].split()[0])

    deadline = time.time() + 30
    while tot_mem() <= 10 << 20:
        assert time.time() < deadline, "the unread replies stopped growing"
        client.send_raw(encode_command("GET", "k"))
        time.sleep(0.01)
    client.send_raw(encode_command("CLIENT", "NO-EVICT", "off"))
    deadline = time.time() + 10
    while not _gone(control, "backlog"):
        assert time.time() < deadline, "the client was not evicted"
        time.sleep(0.05)
