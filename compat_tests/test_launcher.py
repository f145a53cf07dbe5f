"""The tests' fork server (launcher.py): a forked Predis is the server an exec'd one is, as far
as anyone can tell from outside: exit statuses and what it prints, its own identity and random
state, and the environment it was asked for."""

import os
import subprocess
import sys
import tempfile

import pytest
import redis

from . import servers
from .launcher import ForkedProcess
from .servers import ROOT, free_port, predis_env, start_predis


def _started(args, env):
    """`python -m predis ARGS` through the tests' own start path, with its log."""
    log = open(tempfile.mktemp(prefix="predis-launcher-test-"), "wb")
    argv = [sys.executable, "-m", "predis", *args]
    return servers._start_process(argv, ROOT, env, log), log.name


@pytest.mark.parametrize("args, status, words", [
    (["--port", "0", "--no-such-option", "1"], 1, "Bad directive or wrong number of arguments"),
    (["--version"], 0, "Predis server v="),
])
def test_a_forked_start_ends_as_an_execd_one(args, status, words, monkeypatch):
    outcomes = []
    for fork in ("1", "0"):
        monkeypatch.setenv("PREDIS_TEST_FORK", fork)
        process, log = _started(args, predis_env())
        assert isinstance(process, ForkedProcess) == (fork == "1")
        code = process.wait(60)
        with open(log) as printed:
            text = printed.read()
        os.unlink(log)
        assert words in text, text
        outcomes.append(code)
    assert outcomes == [status, status]


def test_forked_servers_have_their_own_identity_and_randomness(monkeypatch):
    monkeypatch.setenv("PREDIS_TEST_FORK", "1")
    started = [start_predis() for _ in range(2)]
    try:
        assert all(isinstance(server.proc, ForkedProcess) for server in started)
        clients = [redis.Redis(port=server.port) for server in started]
        infos = [client.info("server") for client in clients]
        assert infos[0]["run_id"] != infos[1]["run_id"]
        assert infos[0]["process_id"] == started[0].proc.pid != started[1].proc.pid
        replids = [client.info("replication")["master_replid"] for client in clients]
        assert replids[0] != replids[1]
        for client in clients:
            client.sadd("s", *range(200))
        assert clients[0].srandmember("s", 20) != clients[1].srandmember("s", 20)
        assert infos[0]["executable"] == os.path.join(ROOT, "predis.py")
    finally:
        for server in started:
            server.stop()
    assert [server.proc.returncode for server in started] == [0, 0]


def test_a_start_with_another_environment_is_execd(monkeypatch):
    start_predis().stop()  # (the launcher runs)
    monkeypatch.setenv("PREDIS_SOMETHING_READ_AT_IMPORT", "1")
    process, log = _started(["--port", str(free_port()), "--predis-sidecar", "no"],
                            predis_env())
    try:
        assert isinstance(process, subprocess.Popen)
    finally:
        process.kill()
        process.wait()
        os.unlink(log)
