"""BGSAVE and BGREWRITEAOF against a real redis-server: one child process at a time, the other
one refused or scheduled (and started by the cron once the first is done), both scheduled
when called inside MULTI; and BGREWRITEAOF forks a child with appendonly off too (the event
loop keeps serving while it writes)."""

import os
import signal
import time

import redis

from .rawclient import RawClient
from .servers import STARTERS, children_of, eventually, shut_down

STARTED = "Background append only file rewriting started"
SCHEDULED = "Background append only file rewriting scheduled"
ANOTHER_CHILD = ("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE "
                 "SCHEDULE in order to schedule a BGSAVE whenever possible.")


def call(client, *args):
    """The reply as text (status and error lines alike: Err is a str)."""
    reply = RawClient(client.connection_pool.connection_kwargs["port"]).call(*args)
    return reply.decode() if isinstance(reply, bytes) else reply


def persistence(client) -> dict:
    return {**client.info("persistence"), "total_forks": client.info("stats")["total_forks"]}


def slow_child(client) -> None:
    client.set("k", "v")
    client.config_set("rdb-key-save-delay", 10000000)  # 10 s for the one key


def kill_the_child(server, client) -> None:
    client.config_set("rdb-key-save-delay", 0)
    [child] = children_of(server.proc.pid)
    os.kill(child, signal.SIGKILL)


def test_bgrewriteaof_with_appendonly_off_runs_in_a_child(server):
    client = redis.Redis(port=server.port)
    slow_child(client)
    forks = persistence(client)["total_forks"]
    assert call(client, "BGREWRITEAOF") == STARTED
    started = time.monotonic()
    assert client.ping() is True and time.monotonic() - started < 1  # not held by it
    info = persistence(client)
    assert (info["aof_enabled"], info["aof_rewrite_in_progress"], info["total_forks"]) == \
        (0, 1, forks + 1)
    assert len(children_of(server.proc.pid)) == 1
    assert call(client, "BGREWRITEAOF") == \
        "ERR Background append only file rewriting already in progress"
    assert call(client, "BGSAVE") == ANOTHER_CHILD
    assert call(client, "BGSAVE", "SCHEDULE") == "Background saving scheduled"
    assert persistence(client)["rdb_bgsave_in_progress"] == 0
    kill_the_child(server, client)
    # the rewrite failed; the scheduled BGSAVE then runs and succeeds
    assert eventually(lambda: persistence(client)["aof_rewrite_in_progress"] == 0, 10)
    assert eventually(lambda: os.path.exists(os.path.join(server.workdir, "dump.rdb")), 10)
    assert eventually(lambda: persistence(client)["rdb_bgsave_in_progress"] == 0, 10)
    info = persistence(client)
    assert (info["aof_last_bgrewrite_status"], info["rdb_last_bgsave_status"],
            info["total_forks"]) == ("err", "ok", forks + 2)


def test_bgrewriteaof_waits_for_a_bgsave(server):
    client = redis.Redis(port=server.port)
    slow_child(client)
    assert call(client, "BGSAVE") == "Background saving started"
    assert call(client, "BGREWRITEAOF") == SCHEDULED
    assert persistence(client)["aof_rewrite_scheduled"] == 1
    assert call(client, "BGSAVE") == "ERR Background save already in progress"
    assert call(client, "BGSAVE", "SCHEDULE") == "ERR Background save already in progress"
    kill_the_child(server, client)
    assert eventually(lambda: persistence(client)["aof_rewrite_scheduled"] == 0, 10)
    assert eventually(lambda: persistence(client)["aof_rewrite_in_progress"] == 0, 10)
    info = persistence(client)
    assert (info["rdb_last_bgsave_status"], info["aof_last_bgrewrite_status"]) == ("err", "ok")
    assert os.listdir(os.path.join(server.workdir, "appendonlydir"))


def test_both_are_scheduled_inside_multi(server):
    client = redis.Redis(port=server.port)
    forks = persistence(client)["total_forks"]
    raw = RawClient(server.port)
    for command in (("MULTI",), ("SET", "k", "v"), ("BGREWRITEAOF",), ("BGSAVE",)):
        raw.call(*command)
    assert raw.call("EXEC") == [b"OK", SCHEDULED.encode(), b"Background saving scheduled"]
    assert eventually(lambda: persistence(client)["total_forks"] == forks + 2, 10)
    assert eventually(lambda: not children_of(server.proc.pid), 10)
    info = persistence(client)
    assert (info["aof_last_bgrewrite_status"], info["rdb_last_bgsave_status"],
            info["aof_rewrite_scheduled"]) == ("ok", "ok", 0)


def log_of(server) -> str:
    server.log.flush()
    with open(os.path.join(server.workdir, "server.log"), errors="replace") as handle:
        return handle.read()


def test_config_set_appendonly_forks_the_base(request, server):
    """CONFIG SET appendonly yes answers at once and a child writes the base (Redis's
    startAppendOnly); writes meanwhile go to the new incremental file, and a restart with the
    AOF has them all."""
    client = redis.Redis(port=server.port)
    client.mset({f"k{i}": i for i in range(10)})
    client.config_set("rdb-key-save-delay", 100000)  # 1 s for the base
    started = time.monotonic()
    assert client.config_set("appendonly", "yes") is True
    assert time.monotonic() - started < 0.5
    assert persistence(client)["aof_rewrite_in_progress"] == 1
    client.set("during", "1")
    assert eventually(lambda: persistence(client)["aof_rewrite_in_progress"] == 0, 10)
    client.set("after", "2")
    assert persistence(client)["aof_last_bgrewrite_status"] == "ok"
    shut_down(server, "NOSAVE")
    again = STARTERS[request.node.callspec.params["server"]](
        ("--dir", server.workdir, "--appendonly", "yes"))
    try:
        restarted = redis.Redis(port=again.port)
        assert restarted.dbsize() == 12
        assert restarted.mget("k9", "during", "after") == [b"9", b"1", b"2"]
    finally:
        again.stop()


def test_appendonly_set_inside_multi_is_scheduled(server):
    client = redis.Redis(port=server.port)
    forks = persistence(client)["total_forks"]
    raw = RawClient(server.port)
    for command in (("MULTI",), ("SET", "k", "v"), ("CONFIG", "SET", "appendonly", "yes")):
        raw.call(*command)
    assert raw.call("EXEC") == [b"OK", b"OK"]
    assert eventually(lambda: "AOF background was scheduled" in log_of(server), 5)
    assert eventually(lambda: persistence(client)["total_forks"] > forks, 10)
    assert eventually(lambda: persistence(client)["aof_rewrite_in_progress"] == 0, 10)
    assert persistence(client)["aof_last_bgrewrite_status"] == "ok"


def test_appendonly_no_kills_a_base_being_written(server):
    client = redis.Redis(port=server.port)
    slow_child(client)
    client.config_set("appendonly", "yes")
    assert len(children_of(server.proc.pid)) == 1
    client.config_set("appendonly", "no")
    assert eventually(lambda: not children_of(server.proc.pid), 5)
    assert eventually(lambda: "Killing running AOF rewrite child" in log_of(server), 5)
    info = persistence(client)
    assert (info["aof_enabled"], info["aof_rewrite_in_progress"]) == (0, 0)


def test_a_child_reports_its_progress_and_copy_on_write(server):
    """Redis's child info: while a BGSAVE runs INFO shows the keys to write, those written so
    far, the fork's percentage and the child's copy-on-write bytes; once it is done, the last
    copy-on-write size stays and the current_* fields are back to 0; every fork is timed
    (integration/rdb "Test child sending info")."""
    client = redis.Redis(port=server.port)
    client.execute_command("DEBUG", "POPULATE", 5000, "key", 500)
    client.config_set("rdb-key-save-delay", 400)  # ~2 s for 5,000 keys, reports each second
    before = persistence(client)
    assert (before["current_save_keys_total"], before["rdb_last_cow_size"]) == (0, 0)
    client.bgsave()
    seen = persistence(client)
    assert seen["current_save_keys_total"] == 5000 and seen["rdb_bgsave_in_progress"] == 1
    assert client.info("stats")["latest_fork_usec"] > 0
    assert eventually(lambda: persistence(client)["current_save_keys_processed"] > 0, 10)
    for n in range(16):  # pages the child no longer shares
        client.setrange(f"key:{n}", 0, "B" * 500)
    midway = persistence(client)
    assert 0 < midway["current_save_keys_processed"] <= 5000
    assert 0 < float(midway["current_fork_perc"]) <= 100
    assert midway["current_cow_size"] > 0 and midway["current_cow_peak"] > 0
    assert eventually(lambda: persistence(client)["rdb_bgsave_in_progress"] == 0, 30)
    after = persistence(client)
    assert after["rdb_last_cow_size"] >= midway["current_cow_size"] * 0.9
    assert (after["current_save_keys_total"], after["current_save_keys_processed"],
            after["current_cow_size"], after["total_forks"]) == (0, 0, 0, 1)


def test_a_child_leaves_when_its_server_is_killed(server):
    """SIGKILL of the server (the OOM killer, say) ends its BGSAVE child too, which would
    otherwise write on for nobody."""
    client = redis.Redis(port=server.port)
    client.execute_command("DEBUG", "POPULATE", 10000)
    client.config_set("rdb-key-save-delay", 1000)  # 10 s (Redis's child looks every 1024 keys)
    client.bgsave()
    assert eventually(lambda: len(children_of(server.proc.pid)) == 1, 5)
    [child] = children_of(server.proc.pid)
    os.kill(server.proc.pid, signal.SIGKILL)
    server.proc.wait()

    def gone() -> bool:
        try:
            with open(f"/proc/{child}/stat") as stat:
                return stat.read().rpartition(") ")[2].startswith("Z")
        except FileNotFoundError:
            return True
    assert eventually(gone, 5)
