"""1,000 concurrent clients on loopback, half of them sending malformed or hostile input
(bad multibulk headers, oversized bulk lengths, HTTP lines, binary noise, abrupt closes): every
well-behaved client gets every reply right, and the server keeps serving."""

import asyncio
import random
import resource

from .servers import start_predis

CLIENTS = 1000
HOSTILE = [b"*-1\r\n*abc\r\n", b"*1\r\n$999999999999\r\n", b"POST / HTTP/1.1\r\nHost: x\r\n\r\n",
           b"*2\r\n$3\r\nGET\r\n$-5\r\n", b"\x00\xff\xfe" * 200 + b"\r\n", b"*3\r\n$3\r\nSET\r\n",
           b"$5\r\nhello\r\n" * 50, b"\r\n" * 1000]


def _raise_fd_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


async def _well_behaved(port: int, index: int) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key, value = b"client:%d" % index, b"v%d" % index
    writer.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value),
                                                                        value))
    writer.write(b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\nPING\r\n" % (len(key), key))
    await writer.drain()
    expected = b"+OK\r\n$%d\r\n%s\r\n+PONG\r\n" % (len(value), value)
    got = await asyncio.wait_for(reader.readexactly(len(expected)), 60)
    writer.close()
    return int(got == expected)


async def _hostile(port: int, rng: random.Random) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(rng.choice(HOSTILE))
        if rng.random() < 0.5:
            writer.transport.abort()  # gone mid-command
            return
        await writer.drain()
        await asyncio.wait_for(reader.read(1 << 16), 3)  # some wait for more input: fine
        writer.close()
    except (ConnectionError, asyncio.TimeoutError, OSError):
        pass


async def _storm(port: int) -> int:
    rng = random.Random(11)
    good = [_well_behaved(port, i) for i in range(CLIENTS // 2)]
    bad = [_hostile(port, rng) for _ in range(CLIENTS - CLIENTS // 2)]
    tasks = good + bad
    rng.shuffle(tasks)
    results = await asyncio.gather(*tasks)
    return sum(r for r in results if r is not None)


def test_a_thousand_clients_half_of_them_hostile():
    _raise_fd_limit(4 * CLIENTS)  # the server inherits it; a test process may start at 1024
    server = start_predis(("--maxclients", str(2 * CLIENTS)))
    try:
        correct = asyncio.run(_storm(server.port))
        assert correct == CLIENTS // 2
        assert server.alive()
        assert asyncio.run(_well_behaved(server.port, 99999)) == 1
    finally:
        server.stop()
