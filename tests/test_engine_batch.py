"""Coalescing for the GPU engine (server/engine_batch.py), in-process with the engine's kernels
in numba's CUDA simulator: commands of many connections in one loop turn share engine calls,
each connection keeps its order, replies and statistics are those of one-by-one execution."""

import asyncio

from tests.fakes import connect, make_server


def resp(*args) -> bytes:
    out = b"*%d\r\n" % len(args)
    for arg in args:
        out += b"$%d\r\n%b\r\n" % (len(arg), arg)
    return out


def coalescing_server():
    """Every read coalesced (the default serves reads of up to 32 keys at once)."""
    return make_server("--engine", "gpu", "--gpu-arena-size", "8mb",
                       "--gpu-direct-read-keys", "0")


async def test_one_engine_call_per_kind_for_all_connections():
    server = coalescing_server()
    connections = [connect(server) for _ in range(8)]
    engine_calls = []
    for i, (connection, _) in enumerate(connections):
        connection.data_received(resp(b"SET", b"k%d" % i, b"v%d" % i))
    await asyncio.sleep(0)  # the turn's flush
    await asyncio.sleep(0)
    assert server.batcher.calls == 1 and server.batcher.commands == 8
    engine = server.keyspace[0].data.started_engine
    original = engine.mget
    engine.mget = lambda keys, now=None: engine_calls.append(len(keys)) or original(keys, now)
    for i, (connection, _) in enumerate(connections):
        connection.data_received(resp(b"GET", b"k%d" % i) + resp(b"GET", b"nope"))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert engine_calls == [8]  # 8 connections x a run of 2 GETs: one device call (the
    # missing key never reaches the engine: the database's dict knows it is absent)
    for i, (_, transport) in enumerate(connections):
        assert transport.output == b"+OK\r\n$2\r\nv%d\r\n$-1\r\n" % i
    assert server.keyspace[0].hits == 8 and server.keyspace[0].misses == 8


async def test_a_connection_keeps_its_order_across_kinds():
    server = coalescing_server()
    connection, transport = connect(server)
    connection.data_received(resp(b"SET", b"a", b"1") + resp(b"GET", b"a")
                             + resp(b"SET", b"a", b"2") + resp(b"MGET", b"a", b"b")
                             + resp(b"LPUSH", b"b", b"x") + resp(b"GET", b"b")
                             + resp(b"MGET", b"a", b"b"))
    for _ in range(20):  # each deferred command: a turn to flush, a turn to deliver
        await asyncio.sleep(0)
    assert transport.output == (
        b"+OK\r\n$1\r\n1\r\n+OK\r\n*2\r\n$1\r\n2\r\n$-1\r\n:1\r\n"
        b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        b"*2\r\n$1\r\n2\r\n$-1\r\n")


async def test_transactions_are_not_deferred():
    server = make_server("--engine", "gpu", "--gpu-arena-size", "8mb")
    connection, transport = connect(server)
    connection.data_received(resp(b"MULTI") + resp(b"SET", b"a", b"1") + resp(b"GET", b"a")
                             + resp(b"EXEC"))
    assert transport.output == b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n$1\r\n1\r\n"
    assert server.batcher.calls == 0


async def test_a_flush_of_few_keys_reads_directly_and_a_larger_one_by_kernel(monkeypatch):
    from gpu import gpu_engine

    server = make_server("--engine", "gpu", "--gpu-arena-size", "8mb",
                         "--gpu-direct-read-keys", "2")
    connections = [connect(server) for _ in range(3)]
    connections[0][0].data_received(resp(b"SET", b"a", b"1") + resp(b"SET", b"b", b"2"))
    for _ in range(4):
        await asyncio.sleep(0)
    launched = []
    real_launch = gpu_engine.launch
    monkeypatch.setattr(gpu_engine, "launch",
                        lambda kernel, count: launched.append(count) or real_launch(kernel, count))
    connections[0][0].data_received(resp(b"GET", b"a"))
    connections[1][0].data_received(resp(b"GET", b"b"))
    for _ in range(4):
        await asyncio.sleep(0)
    assert launched == []  # one flush of two keys: memcpys
    for connection, _ in connections:
        connection.data_received(resp(b"MGET", b"a", b"b"))
    for _ in range(4):
        await asyncio.sleep(0)
    assert launched == [6]  # one flush of six keys: one lookup launch
    assert connections[0][1].output.endswith(b"$1\r\n1\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n")
    assert connections[1][1].output == b"$1\r\n2\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n"


def test_cpu_engine_has_no_batcher():
    assert make_server("--engine", "cpu").batcher is None
