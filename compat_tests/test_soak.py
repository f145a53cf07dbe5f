"""Soak: many concurrent clients, valid and malformed traffic mixed; valid clients keep being
served with correct replies and the server stays up. Marked slow (`make test-slow`)."""

import asyncio
import random

import pytest

from .servers import start_predis

pytestmark = pytest.mark.slow

GARBAGE = [b"*1\r\n$x\r\n", b"*abc\r\n", b'SET k "unbalanced\r\n', b"\x00\xff" * 50 + b"\r\n",
           b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n", b"POST / HTTP/1.1\r\n\r\n", b"A" * 70000,
           b"*2\r\n$3\r\nGET\r\n:1\r\n"]


async def _valid_client(port: int, index: int, rounds: int) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    ok = 0
    for round_ in range(rounds):
        key = b"soak:%d" % index
        writer.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%b\r\n$%d\r\n%d\r\n"
                     % (len(key), key, len(str(round_)), round_)
                     + b"*2\r\n$3\r\nGET\r\n$%d\r\n%b\r\n" % (len(key), key))
        await writer.drain()
        assert await reader.readexactly(5) == b"+OK\r\n"
        expected = str(round_).encode()
        assert await reader.readexactly(len(b"$%d\r\n%b\r\n" % (len(expected), expected))) == \
            b"$%d\r\n%b\r\n" % (len(expected), expected)
        ok += 1
    writer.close()
    return ok


async def _hostile_client(port: int, seed: int) -> None:
    rng = random.Random(seed)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(rng.choice(GARBAGE))
        await writer.drain()
        await asyncio.wait_for(reader.read(1000), timeout=2)
        writer.close()
    except (ConnectionError, asyncio.TimeoutError):
        pass


async def _soak(port: int, valid: int, hostile: int, rounds: int):
    tasks = [_valid_client(port, i, rounds) for i in range(valid)]
    tasks += [_hostile_client(port, seed) for seed in range(hostile)]
    return await asyncio.wait_for(asyncio.gather(*tasks), timeout=240)


def test_thousand_clients_with_malformed_traffic_mixed_in():
    server = start_predis(["--maxclients", "5000"])
    try:
        results = asyncio.run(_soak(server.port, valid=700, hostile=300, rounds=20))
        assert sum(r for r in results if r) == 700 * 20
        assert server.alive()
    finally:
        server.stop()
