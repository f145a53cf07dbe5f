"""The link to a primary (ops/replication/replica.py) ends for good when stopped."""

import asyncio
import socket

import server.app  # noqa: F401  (the command table, before the link's imports)
from ops.replication.replica import ReplicaLink
from tests.fakes import make_server


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_a_stopped_link_does_not_reconnect_even_if_its_cancellation_was_lost():
    """Python 3.11's wait_for can swallow a cancellation that meets a result; REPLICAOF to
    another primary then left the old link retrying (found by FAILOVER's tests). The stop flag
    ends the retry loop whatever became of the cancellation."""
    server = make_server("--save", "")
    server.loop = asyncio.get_running_loop()
    link = ReplicaLink(server, "127.0.0.1", _closed_port())
    attempts = []
    session = link._session

    async def counted():
        attempts.append(1)
        await session()

    link._session = counted
    task = asyncio.get_running_loop().create_task(link._run())
    while not attempts:
        await asyncio.sleep(0.01)
    link.stopped = True  # stop() as it is when its cancel went missing
    await asyncio.wait_for(task, 2)
    assert len(attempts) == 1
