"""Differential tests: a server that is still loading its data (RDB or AOF, at start) already
listens, answers -LOADING to all but the commands flagged `loading`, reports the load in INFO,
refuses CONFIG SET of the deny-loading parameters, keeps the connections made meanwhile, and
ends without saving when SHUTDOWN comes before the load is done."""

import os
import socket
import tempfile
import time

import pytest

from .rawclient import Err, RawClient, encode_command
from .servers import eventually, start_predis, start_redis

KEYS = 8000
# Slow enough that the checks below (a few commands) run long before the load ends (Redis
# sleeps 100 us per key, so at least 0.8 s), served every 1 KB read.
SLOW_LOAD = ("--key-load-delay", "100", "--loading-process-events-interval-bytes", "1024",
             "--enable-protected-configs", "yes")


def _answers(port: int) -> bool:
    """Started: PING answers, PONG or LOADING (a loading server may take a while to read)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(64).startswith((b"+PONG", b"-LOADING"))


def _filled_dir(start, extra: tuple) -> str:
    """A data directory holding KEYS keys, saved by a server of the same kind."""
    directory = tempfile.mkdtemp(prefix="loading-")
    server = start(("--dir", directory, *extra))
    try:
        client = RawClient(server.port)
        if extra == ("--appendonly", "yes"):  # commands in the AOF (DEBUG POPULATE is not)
            client.send_raw(b"".join(encode_command("SET", f"key:{n}", "v" * 100)
                                     for n in range(KEYS)))
            for _ in range(KEYS):
                client.read_reply()
            client.call("SET", "marker", "from-the-aof")
        else:
            client.call("DEBUG", "POPULATE", KEYS, "key", 100)
            client.call("SAVE")
    finally:
        server.stop()
    return directory


def _loading_flag(info: bytes) -> int:
    return int(info.decode().split("loading:")[1].split("\r\n")[0])


def _loading(client) -> int:
    return _loading_flag(client.call("INFO", "persistence"))


# Sent in one write: Redis serves clients only every 1024 commands while it replays an AOF.
WHILE_LOADING = (["PING"], ["GET", "key:1"], ["SET", "k", "v"], ["DBSIZE"], ["ECHO", "hi"],
                 ["CONFIG", "SET", "loglevel", "debug"], ["CONFIG", "GET", "loglevel"],
                 ["CONFIG", "SET", "dir", "/nonexistent"],
                 ["CONFIG", "SET", "appendonly", "yes", "loglevel", "verbose"],
                 ["CONFIG", "SET", "no-such-param", "1", "dir", "x"],
                 ["CLIENT", "SETNAME", "early"], ["CLIENT", "GETNAME"], ["SELECT", "1"],
                 ["MULTI"], ["SET", "k", "v"], ["EXEC"])


def _while_loading(port: int) -> list:
    client = RawClient(port)
    commands = [["INFO", "persistence"], *WHILE_LOADING, ["INFO", "persistence"]]
    client.send_raw(b"".join(encode_command(*args) for args in commands))
    replies = [client.read_reply() for _ in commands]
    first, last = replies[0], replies[-1]
    fields = sorted(line.split(":")[0] for line in first.decode().split("\r\n")
                    if line.startswith("loading_"))
    return [_loading_flag(first), fields, *replies[1:-1], _loading_flag(last)], client


@pytest.mark.parametrize("persistence", [("--appendonly", "no"), ("--appendonly", "yes")],
                         ids=["rdb", "aof"])
def test_commands_while_the_data_loads(persistence):
    results = []
    for start in (start_redis, start_predis):
        directory = _filled_dir(start, persistence)
        server = start(("--dir", directory, *persistence, *SLOW_LOAD), ready=_answers)
        try:
            seen, early = _while_loading(server.port)
            assert eventually(lambda: _loading(RawClient(server.port)) == 0, 120, 0.2)
            # the connection made during the load is served as any other afterwards
            after = [early.call("CLIENT", "GETNAME"), early.call("SELECT", "0"),
                     early.call("DBSIZE"), early.call("GET", "marker")]
            results.append((seen, after))
        finally:
            server.stop()
    for ours, reference in zip(results[1], results[0]):
        assert [(n, x) for n, x in enumerate(ours) if x != reference[n]] == []
    assert results[1] == results[0]
    seen, after = results[0]
    assert seen[0] == seen[-1] == 1 and seen[3] == Err(
        "LOADING Redis is loading the dataset in memory")
    assert after[:3] == [b"early", b"OK", KEYS + 1 if persistence[1] == "yes" else KEYS]


def test_shutdown_while_loading_saves_nothing():
    """SHUTDOWN during the load (save points set) leaves the file as it was: a save then would
    write a half-loaded dataset over it."""
    counts = []
    for start in (start_redis, start_predis):
        directory = _filled_dir(start, ())
        path = os.path.join(directory, "dump.rdb")
        before = os.path.getsize(path), os.path.getmtime(path)
        server = start(("--dir", directory, "--save", "3600 1", *SLOW_LOAD), ready=_answers)
        client = RawClient(server.port)
        assert _loading(client) == 1
        client.send_raw(b"SHUTDOWN\r\n")
        with pytest.raises(ConnectionError):
            client.read_reply()
        server.proc.wait(30)
        time.sleep(0.01)
        after = os.path.getsize(path), os.path.getmtime(path)
        server.stop()
        reloaded = start(("--dir", directory))
        try:
            counts.append((after == before, RawClient(reloaded.port).call("DBSIZE")))
        finally:
            reloaded.stop()
    assert counts[1] == counts[0] == (True, KEYS)


def test_a_signal_while_loading_ends_the_server():
    for start in (start_redis, start_predis):
        directory = _filled_dir(start, ())
        server = start(("--dir", directory, *SLOW_LOAD), ready=_answers)
        assert _loading(RawClient(server.port)) == 1
        started = time.monotonic()
        server.proc.terminate()
        assert server.proc.wait(30) == 0
        assert time.monotonic() - started < 1  # well before the load would have ended
        server.stop()


def test_other_clients_see_loading_during_debug_reload():
    outcomes = []
    for start in (start_redis, start_predis):
        server = start()
        try:
            loader, other = RawClient(server.port, timeout=120), RawClient(server.port)
            writes, echoes = RawClient(server.port), RawClient(server.port)
            for client, queued in ((writes, ("SET", "k", "v")), (echoes, ("ECHO", "y"))):
                client.call("MULTI")
                client.call(*queued)  # queued before the load, EXECed during it
            loader.call("DEBUG", "POPULATE", KEYS, "key", 100)
            loader.call("CONFIG", "SET", "key-load-delay", "100",
                        "loading-process-events-interval-bytes", "1024")
            loader.send_raw(encode_command("DEBUG", "RELOAD"))
            assert eventually(lambda: _loading(other) == 1, 30, 0.01)
            during = [other.call("GET", "key:1"), other.call("ECHO", "x"),
                      writes.call("EXEC"), echoes.call("EXEC"), _loading(other)]
            outcomes.append((during, loader.read_reply(), _loading(other), other.call("DBSIZE")))
        finally:
            server.stop()
    assert outcomes[1] == outcomes[0]
    loading = "LOADING Redis is loading the dataset in memory"
    assert outcomes[0] == ([Err(loading), b"x",
                            Err("EXECABORT Transaction discarded because of: " + loading),
                            [b"y"], 1], b"OK", 0, KEYS)
