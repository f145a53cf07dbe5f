"""The modelled size of Redis's reply buffer (CLIENT LIST's rbs/rbp, INFO's counters)."""

from server.protocol.reply_buffer import (CHUNK_BYTES, MIN_BYTES, ReplyBuffer,
                                          ReplyBufferSettings)
from tests.fakes import connect, make_server


def test_an_idle_buffer_shrinks_to_its_peak_and_never_under_1kb():
    settings, buffer = ReplyBufferSettings(), ReplyBuffer(now_ms=0)
    assert buffer.size == CHUNK_BYTES
    buffer.cron(3000, now_ms=100, settings=settings)
    assert buffer.size == 3072  # the peak plus one byte, in the allocator's size class
    buffer.cron(5, now_ms=200, settings=settings)
    assert buffer.size == MIN_BYTES
    buffer.cron(0, now_ms=300, settings=settings)
    assert buffer.size == MIN_BYTES and settings.shrinks == 2


def test_a_full_buffer_doubles_up_to_16kb():
    settings, buffer = ReplyBufferSettings(), ReplyBuffer(now_ms=0)
    buffer.cron(5, now_ms=1, settings=settings)
    sizes = []
    for tick in range(6):
        buffer.cron(32768, now_ms=2 + tick, settings=settings)  # a 32 KB reply each time
        sizes.append(buffer.size)
    assert sizes == [2048, 4096, 8192, 16384, 16384, 16384]
    assert settings.expands == 4
    assert buffer.peak(32768) == 16384  # it holds at most its size of a reply


def test_the_peak_restarts_every_reset_period_unless_never():
    settings, buffer = ReplyBufferSettings(), ReplyBuffer(now_ms=0)
    assert buffer.cron(100, now_ms=4999, settings=settings) is False
    assert buffer.cron(100, now_ms=5000, settings=settings) is True
    settings.peak_reset_ms = -1
    assert buffer.cron(100, now_ms=60000, settings=settings) is False


def test_resizing_off_keeps_the_size():
    settings, buffer = ReplyBufferSettings(), ReplyBuffer(now_ms=0)
    settings.resizing = False
    buffer.cron(0, now_ms=100, settings=settings)
    assert buffer.size == CHUNK_BYTES and settings.shrinks == 0


def test_the_connection_feeds_its_largest_write_and_client_memory_follows():
    from server.clients import client_memory

    server = make_server()
    conn, transport = connect(server)
    conn.data_received(b"SET k " + b"v" * 5000 + b"\r\nGET k\r\n")
    assert conn.reply_peak == len(b"+OK\r\n$5000\r\n") + 5000 + 2
    before = client_memory(conn.session)
    conn.reply_peak = 10
    conn.resize_reply_buffer(10_000, server.reply_buffers)
    assert conn.reply_buffer.size == MIN_BYTES
    assert client_memory(conn.session) == before - (CHUNK_BYTES - MIN_BYTES)
