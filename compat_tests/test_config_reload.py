"""Predis-only: SIGHUP reads the config file again. Changed parameters CONFIG SET may change
are applied, the command line still overrides the file, immutable ones stay as they are, and
a broken file changes nothing."""

import os
import signal
import sys
import time

import redis

from .servers import COMMON_FLAGS, ROOT, ServerProcess, free_port


def start_with_file(path, workdir):
    port = free_port()
    argv = [sys.executable, "-m", "predis", str(path), "--port", str(port), "--dir",
            str(workdir), "--admin-port", "0", "--predis-sidecar", "no", *COMMON_FLAGS]
    env = dict(os.environ, PYTHONPATH=ROOT)
    return ServerProcess(argv, port, str(workdir), cwd=ROOT, env=env)


def hangup_and_wait(server, client, name, expected, timeout=10.0):
    os.kill(server.proc.pid, signal.SIGHUP)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if client.config_get(name)[name] == expected:
            return
        time.sleep(0.05)
    raise AssertionError(f"{name} is {client.config_get(name)[name]!r}, not {expected!r}")


def test_sighup_reloads_the_config_file(tmp_path):
    conf = tmp_path / "predis.conf"
    conf.write_text("maxmemory 10mb\nmaxmemory-policy allkeys-lru\ndatabases 16\n"
                    "hz 10\n")
    server = start_with_file(conf, tmp_path)
    try:
        client = redis.Redis(port=server.port, decode_responses=True)
        assert client.config_get("maxmemory")["maxmemory"] == str(10 * 1024 * 1024)
        client.config_set("slowlog-max-len", 5)  # set at run time, not in the file
        conf.write_text("maxmemory 20mb\nmaxmemory-policy allkeys-lfu\ndatabases 4\n"
                        "hz 10\nport 1\n")
        hangup_and_wait(server, client, "maxmemory", str(20 * 1024 * 1024))
        assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "allkeys-lfu"
        assert client.config_get("databases")["databases"] == "16"  # immutable: unchanged
        assert client.config_get("port")["port"] == str(server.port)  # the command line wins
        assert client.config_get("slowlog-max-len")["slowlog-max-len"] == "128"  # the file's
        conf.write_text("maxmemory 30mb\nmaxmemory-policy nosuchpolicy\n")
        os.kill(server.proc.pid, signal.SIGHUP)
        time.sleep(0.5)
        assert client.config_get("maxmemory")["maxmemory"] == str(20 * 1024 * 1024)
        assert client.ping()
        client.close()
    finally:
        server.stop()
    log = (tmp_path / "server.log").read_text()
    assert '"config_reloaded"' in log and '"databases"' in log
    assert '"config_reload_failed"' in log and "maxmemory-policy" in log
