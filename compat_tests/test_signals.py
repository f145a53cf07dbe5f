"""Predis-only: the graceful lifecycle. SIGTERM stops accepting, finishes what the clients sent,
snapshots when persistence asks for it (`shutdown-on-sigterm`, as in Redis) and exits 0; the
data is there at the next start. SIGINT follows `shutdown-on-sigint`."""

import os
import signal
import socket

import pytest
import redis

from .servers import start_predis


def stop_with(server, sig) -> int:
    server.proc.send_signal(sig)
    return server.proc.wait(30)


@pytest.mark.parametrize("extra, saved", [
    (("--save", "3600 1"), True),                        # default: save points set -> save
    ((), False),                                         # default, no save points -> no save
    (("--shutdown-on-sigterm", "save"), True),           # always
    (("--save", "3600 1", "--shutdown-on-sigterm", "nosave"), False),
])
def test_sigterm_exits_0_and_snapshots_as_configured(tmp_path, extra, saved):
    server = start_predis(("--dir", str(tmp_path), *extra))
    client = redis.Redis(port=server.port)
    client.mset({f"k{i}": i for i in range(1000)})
    # a pipeline sent just before the signal is answered in full
    with socket.create_connection(("127.0.0.1", server.port)) as raw:
        raw.sendall(b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\nlast%d\r\n$1\r\nv\r\n" % (
            len(str(i)) + 4, i) for i in range(200)))
        assert stop_with(server, signal.SIGTERM) == 0
        replies = b""
        while True:
            chunk = raw.recv(65536)
            if not chunk:
                break
            replies += chunk
    assert replies == b"+OK\r\n" * 200
    assert os.path.exists(tmp_path / "dump.rdb") == saved
    again = start_predis(("--dir", str(tmp_path)))
    try:
        restarted = redis.Redis(port=again.port)
        assert restarted.dbsize() == (1200 if saved else 0)
    finally:
        again.stop()


def test_sigterm_with_appendonly_keeps_every_write(tmp_path):
    server = start_predis(("--dir", str(tmp_path), "--appendonly", "yes"))
    client = redis.Redis(port=server.port)
    for i in range(500):
        client.incr("counter")
    assert stop_with(server, signal.SIGTERM) == 0
    again = start_predis(("--dir", str(tmp_path), "--appendonly", "yes"))
    try:
        assert redis.Redis(port=again.port).get("counter") == b"500"
    finally:
        again.stop()


def test_sigint_follows_its_own_setting(tmp_path):
    server = start_predis(("--dir", str(tmp_path), "--save", "3600 1",
                           "--shutdown-on-sigint", "nosave"))
    redis.Redis(port=server.port).set("k", "v")
    assert stop_with(server, signal.SIGINT) == 0
    assert not os.path.exists(tmp_path / "dump.rdb")
