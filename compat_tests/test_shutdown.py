"""Shutdown against a real redis-server: SIGTERM/SIGINT only schedule it (the cron carries it
out, so DEBUG PAUSE-CRON holds it back and SHUTDOWN ABORT cancels it), a BGSAVE child's and a
foreground save's temp-<pid>.rdb files are removed when the server gives up on them, and a
failed save keeps the server serving. Each case runs on both servers, whose replies, exit
statuses, files and log lines are compared."""

import glob
import os
import signal
import time

import redis

from .servers import eventually, parent_of, shut_down



def log_of(server) -> str:
    server.log.flush()
    with open(os.path.join(server.workdir, "server.log"), errors="replace") as handle:
        return handle.read()


def temp_files(server) -> list:
    return sorted(glob.glob(os.path.join(server.workdir, "temp-*.rdb")))


def fill(client, count: int = 20) -> None:
    client.mset({str(i): i for i in range(count)})
    client.config_set("rdb-key-save-delay", 100000)  # 0.1 s a key: 2 s a save


def reply_or_error(call):
    try:
        return call()
    except redis.ResponseError as exc:
        return str(exc)


def test_shutdown_abort_cancels_a_signalled_shutdown(server):
    client = redis.Redis(port=server.port)
    assert reply_or_error(lambda: client.execute_command("SHUTDOWN", "ABORT")) == \
        "No shutdown in progress."
    assert client.execute_command("DEBUG", "PAUSE-CRON", "1") == b"OK"
    server.proc.send_signal(signal.SIGTERM)
    assert eventually(lambda: "Received SIGTERM scheduling shutdown" in log_of(server), 5)
    time.sleep(0.3)  # several cron periods: nothing happens while the cron is paused
    assert server.alive()
    assert client.execute_command("SHUTDOWN", "ABORT") is True  # (redis-py: +OK -> True)
    assert eventually(lambda: "Shutdown manually aborted" in log_of(server), 5)
    assert client.execute_command("DEBUG", "PAUSE-CRON", "0") == b"OK"
    time.sleep(0.3)
    assert client.ping() is True and server.alive()
    assert reply_or_error(lambda: client.execute_command("SHUTDOWN", "ABORT")) == \
        "No shutdown in progress."


def test_sigterm_shuts_down_once_the_cron_runs_again(server):
    client = redis.Redis(port=server.port)
    client.execute_command("DEBUG", "PAUSE-CRON", "1")
    server.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert client.ping() is True
    client.execute_command("DEBUG", "PAUSE-CRON", "0")
    assert server.proc.wait(10) == 0
    assert "ready to exit, bye bye" in log_of(server)


def test_shutdown_nosave_removes_the_bgsave_childs_temp_file(server):
    client = redis.Redis(port=server.port)
    fill(client)
    assert client.bgsave()
    assert eventually(lambda: temp_files(server), 5)
    [temp] = temp_files(server)
    child = int(os.path.basename(temp)[len("temp-"):-len(".rdb")])
    assert parent_of(child) == server.proc.pid  # the child writes it, named after itself
    assert shut_down(server, "NOSAVE") == 0
    assert temp_files(server) == []
    assert not os.path.exists(os.path.join(server.workdir, "dump.rdb"))


def test_a_second_sigint_during_the_shutdown_save_exits_at_once(server):
    client = redis.Redis(port=server.port)
    fill(client)
    client.config_set("save", "3600 1")  # so that SIGINT's shutdown saves
    server.proc.send_signal(signal.SIGINT)
    own_temp = os.path.join(server.workdir, f"temp-{server.proc.pid}.rdb")
    assert eventually(lambda: os.path.exists(own_temp), 5)  # the server itself saves
    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(10) == 1  # not a clean shutdown
    assert temp_files(server) == []
    assert not os.path.exists(os.path.join(server.workdir, "dump.rdb"))
    assert "You insist" in log_of(server)


def test_a_failed_save_keeps_the_server_serving(server):
    client = redis.Redis(port=server.port)
    client.mset({str(i): i for i in range(20)})
    client.config_set("save", "3600 1")
    os.mkdir(os.path.join(server.workdir, "dump.rdb"))  # the rename onto it fails
    server.proc.send_signal(signal.SIGINT)
    assert eventually(lambda: "Error trying to save the DB, can't exit" in log_of(server), 5)
    assert client.ping() is True
    assert reply_or_error(lambda: client.execute_command("SHUTDOWN")) == \
        "Errors trying to SHUTDOWN. Check logs."
    assert client.dbsize() == 20 and temp_files(server) == []
    assert shut_down(server, "NOSAVE") == 0
    assert "ready to exit, bye bye" in log_of(server)


def test_a_shutdown_while_the_first_aof_is_written_needs_force(server):
    """appendonly turned on: until the child has written the AOF's first base the AOF holds no
    dataset, so SIGTERM and SHUTDOWN leave the server serving ("Writing initial AOF, can't
    exit."); SHUTDOWN FORCE exits (Redis's unit/shutdown, 7.2)."""
    client = redis.Redis(port=server.port)
    fill(client)
    client.config_set("appendonly", "yes")
    assert eventually(lambda: client.info("persistence")["aof_rewrite_in_progress"] == 1, 5)
    server.proc.send_signal(signal.SIGTERM)
    assert eventually(lambda: "Writing initial AOF, can't exit" in log_of(server), 5)
    assert client.ping() is True
    assert reply_or_error(lambda: client.execute_command("SHUTDOWN", "NOSAVE")) == \
        "Errors trying to SHUTDOWN. Check logs."
    assert client.dbsize() == 20
    assert shut_down(server, "NOSAVE", "FORCE") == 0
    assert "Writing initial AOF. Exit anyway." in log_of(server)


def test_a_shutdown_waits_for_a_lagging_replica(server):
    """With a replica behind, SHUTDOWN pauses writes and waits (its client blocked, INFO's
    shutdown_in_milliseconds counting down); SHUTDOWN ABORT answers the waiting client with an
    error and lets the writes through; once the replica catches up, the next SHUTDOWN ends the
    server, and the replica has every write. Found by Redis's integration/shutdown."""
    from .rawclient import RawClient
    from .servers import start_redis

    replica_server = start_redis(("--replicaof", "127.0.0.1", str(server.port)))
    replica = redis.Redis(port=replica_server.port)
    client = redis.Redis(port=server.port)
    try:
        assert eventually(lambda: replica.info("replication")["master_link_status"] == "up", 10)
        os.kill(replica_server.proc.pid, signal.SIGSTOP)
        for i in range(64):  # what the stopped replica cannot take piles up on the primary
            client.set(f"junk{i}", b"x" * (1 << 20))
            if client.info("memory")["mem_total_replication_buffers"] > 2 << 20:
                break
        assert client.info("memory")["mem_total_replication_buffers"] > 2 << 20
        client.set("k", 1)
        waiting = RawClient(server.port)
        waiting.send_raw(b"SHUTDOWN NOSAVE\r\n")
        assert eventually(lambda: client.info("clients")["blocked_clients"] == 1, 5)
        assert client.info("clients")["connected_clients"] == 2  # (the replica is not counted)
        assert 0 < client.info("server")["shutdown_in_milliseconds"] <= 10000
        writer = RawClient(server.port)
        writer.send_raw(b"INCR k\r\n")  # held: writes are paused while the shutdown waits
        assert client.get("k") == b"1"
        assert client.execute_command("SHUTDOWN", "ABORT") is True
        assert waiting.read_reply() == "ERR Errors trying to SHUTDOWN. Check logs."
        assert writer.read_reply() == 2
        assert "shutdown_in_milliseconds" not in client.info("server")
        waiting.send_raw(b"SHUTDOWN NOSAVE\r\n")
        assert eventually(lambda: client.info("clients")["blocked_clients"] == 1, 5)
        os.kill(replica_server.proc.pid, signal.SIGCONT)
        assert server.proc.wait(timeout=10) == 0
        assert replica.get("k") == b"2"
        log = log_of(server)
        for line in ("Waiting for replicas before shutting down.",
                     "1 of 1 replicas are in sync when shutting down."):
            assert line in log
    finally:
        os.kill(replica_server.proc.pid, signal.SIGCONT)
        replica_server.stop()
