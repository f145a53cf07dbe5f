"""`predis upgrade` under a client load: the new server takes over the port with zero failed
and zero lost writes (clients retry once on a connection reset, as the issue allows), the
configuration and ACL users carry over, persistence comes back on; plus CONFIG SET port's
re-binding, compared with redis-server."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ops.upgrade import config_text

from .servers import ROOT, client_without_retries, free_port, start_predis, start_redis

WRITERS = 4


class Writer(threading.Thread):
    """INCRs its counter and SETs numbered keys, remembering what the server acknowledged."""

    def __init__(self, port: int, name: str, stop: threading.Event):
        super().__init__(daemon=True)
        self.client = redis.Redis(port=port, retry=Retry(NoBackoff(), 1),
                                  retry_on_error=[redis.ConnectionError], socket_timeout=20)
        self.name, self.stop = name, stop
        self.acked_incrs = 0
        self.acked_keys = []
        self.failures = []

    def run(self):
        i = 0
        while not self.stop.is_set():
            i += 1
            try:
                self.acked_incrs = self.client.incr(f"{self.name}:counter")
                self.client.set(f"{self.name}:{i}", i)
                self.acked_keys.append(i)
                self.client.get(f"{self.name}:{i}")
            except redis.RedisError as exc:
                self.failures.append(repr(exc))
        self.client.close()


def run_upgrade(port: int, *options: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "ops.tool", "upgrade", "--port", str(port),
                           *options], capture_output=True, text=True, timeout=180, cwd=ROOT,
                          env=env)


def test_an_upgrade_under_load_loses_and_fails_no_write(tmp_path):
    old = start_predis(("--dir", str(tmp_path), "--predis-reuseport", "yes",
                        "--appendonly", "yes", "--maxmemory", "200mb",
                        "--maxmemory-policy", "allkeys-lru", "--requirepass", "s3cret"))
    admin = redis.Redis(port=old.port, password="s3cret")
    admin.execute_command("ACL", "SETUSER", "app", "on", ">apppass", "~*", "+@all")
    admin.mset({f"before:{i}": i for i in range(2000)})
    old_pid = admin.info("server")["process_id"]
    stop = threading.Event()
    writers = [Writer(old.port, f"w{n}", stop) for n in range(WRITERS)]
    for writer in writers:
        writer.client.connection_pool.connection_kwargs.update(username="app",
                                                               password="apppass")
        writer.start()
    new_pid = None
    try:
        time.sleep(1.0)
        os.environ["PREDIS_PASSWORD"] = "s3cret"
        try:
            done = run_upgrade(old.port)
        finally:
            del os.environ["PREDIS_PASSWORD"]
        assert done.returncode == 0, done.stderr
        print(done.stderr.strip().splitlines()[-1])  # how long writes were paused
        at_switch = [len(writer.acked_keys) for writer in writers]
        time.sleep(1.0)  # the writers go on against the new server
        stop.set()
        for writer in writers:
            writer.join(30)
        assert old.proc.wait(15) == 0
        after = redis.Redis(port=old.port, username="app", password="apppass")
        server = after.info("server")
        new_pid = server["process_id"]
        assert new_pid != old_pid
        assert after.info("replication")["role"] == "master"
        # every writer moved to the new server (a connection each) and kept writing there
        assert after.info("clients")["connected_clients"] == 1
        assert after.info("stats")["total_connections_received"] >= WRITERS + 1
        for writer, before in zip(writers, at_switch):
            assert writer.failures == [], writer.failures
            assert 0 < before < len(writer.acked_keys)
            assert int(after.get(f"{writer.name}:counter")) == writer.acked_incrs
            stored = after.mget([f"{writer.name}:{i}" for i in writer.acked_keys])
            assert stored == [str(i).encode() for i in writer.acked_keys]
        assert after.mget([f"before:{i}" for i in range(2000)]) == \
            [str(i).encode() for i in range(2000)]
        assert after.config_get("maxmemory*") == {"maxmemory": "209715200",
                                                  "maxmemory-policy": "allkeys-lru",
                                                  "maxmemory-clients": "0",
                                                  "maxmemory-eviction-tenacity": "10",
                                                  "maxmemory-samples": "5"}
        assert after.config_get("appendonly") == {"appendonly": "yes"}
        assert "paused" in done.stderr
    finally:
        stop.set()
        if new_pid:
            os.kill(new_pid, signal.SIGTERM)
        old.stop()


def test_an_upgrade_needs_reuseport_and_leaves_the_server_serving(tmp_path):
    old = start_predis(("--dir", str(tmp_path)))
    try:
        done = run_upgrade(old.port)
        assert done.returncode == 1
        assert "predis-reuseport yes" in done.stderr
        assert redis.Redis(port=old.port).ping()
    finally:
        old.stop()


def test_a_new_server_that_fails_leaves_the_old_one_serving_unpaused(tmp_path):
    old = start_predis(("--dir", str(tmp_path), "--predis-reuseport", "yes"))
    try:
        client = redis.Redis(port=old.port)
        client.set("k", "v")
        done = run_upgrade(old.port, "--new-command", f"{sys.executable} -c 'raise SystemExit(3)'")
        assert done.returncode == 1
        assert "the new server exited with status 3" in done.stderr
        assert client.set("k", "after") and client.get("k") == b"after"  # not paused
        assert client.info("replication")["connected_slaves"] == 0
    finally:
        old.stop()


def test_the_new_server_gets_every_changed_parameter_but_the_handed_over_ones():
    text = config_text({"maxmemory": "1048576", "port": "7000", "save": "3600 1",
                        "appendonly": "yes", "hz": "10", "dir": "/tmp/x y",
                        "slaveof": "", "replicaof": "", "notify-keyspace-events": "KEA"})
    assert text.splitlines() == ["maxmemory 1048576", 'dir "/tmp/x y"',
                                 "notify-keyspace-events AKE"]


@pytest.mark.parametrize("start", [start_redis, start_predis], ids=["redis", "predis"])
def test_config_set_port_moves_the_listener_as_redis_does(start):
    server = start()
    busy = start_redis()
    try:
        client = redis.Redis(port=server.port)
        with pytest.raises(redis.ResponseError) as refused:
            client.config_set("port", busy.port)
        assert str(refused.value) == ("CONFIG SET failed (possibly related to argument 'port') "
                                      "- Unable to listen on this port. Check server logs.")
        assert client.ping()
        moved = free_port()
        assert client.config_set("port", moved)
        assert redis.Redis(port=moved).info("server")["tcp_port"] == moved
        with pytest.raises(redis.ConnectionError):
            client_without_retries(server.port).ping()
        assert client.ping()  # connections made before stay
        assert client.config_set("port", 0)
        with pytest.raises(redis.ConnectionError):
            client_without_retries(moved).ping()
        assert client.ping()
    finally:
        busy.stop()
        server.stop()
