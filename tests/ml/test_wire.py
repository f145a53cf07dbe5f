"""Sidecar frames: round trips both ways, and a malformed frame is an error, not a hang."""

import asyncio
import io

import numpy as np
import pytest

from ml.sidecar import wire


def test_a_frame_round_trips_through_the_blocking_reader():
    payload = np.arange(5, dtype=np.int64).tobytes()
    stream = io.BytesIO(wire.encode({"op": "batch", "n": np.int64(5)}, payload) +
                        wire.encode({"op": "stop"}))
    header, body = wire.read_frame_blocking(stream)
    assert header == {"op": "batch", "n": 5} and body == payload
    assert wire.read_frame_blocking(stream) == ({"op": "stop"}, b"")
    assert wire.read_frame_blocking(stream) is None


def test_a_frame_round_trips_through_the_asyncio_reader():
    async def read():
        reader = asyncio.StreamReader()
        reader.feed_data(wire.encode({"op": "state", "state": {"x": [1.5]}}))
        reader.feed_eof()
        return await wire.read_frame(reader)

    assert asyncio.run(read()) == ({"op": "state", "state": {"x": [1.5]}}, b"")


@pytest.mark.parametrize("frame", [
    wire.PREFIX.pack(4, 0) + b"[1] ",  # not an object
    wire.PREFIX.pack(2, 0) + b"{}",  # no op
    wire.PREFIX.pack(3, 0) + b"{x}",  # not JSON
    wire.PREFIX.pack(wire.MAX_HEADER + 1, 0),  # too large
    wire.PREFIX.pack(10, 0) + b"{}",  # truncated
    b"\x01\x00",  # truncated prefix
], ids=["array", "no-op", "not-json", "too-large", "truncated", "short-prefix"])
def test_malformed_frames_raise(frame):
    with pytest.raises(wire.WireError):
        wire.read_frame_blocking(io.BytesIO(frame))
