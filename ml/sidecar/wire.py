"""Messages between the server and its sidecar over a socketpair.

A frame is a little-endian u32 header length and u32 payload length, then the header (a JSON
object with at least "op") and the payload (raw bytes: for "batch" the sampled records, then
the reuse-time events; else empty).
The server side reads with asyncio (`read_frame`), the sidecar with a blocking file
(`read_frame_blocking`). Both sides are this code base, but a frame is still checked: a header
that is not a JSON object or a length over the limits ends the connection.
"""

import json
import struct

PREFIX = struct.Struct("<II")
MAX_HEADER = 1 << 20
MAX_PAYLOAD = 64 << 20


class WireError(ValueError):
    pass


def encode(header: dict, payload: bytes = b"") -> bytes:
    head = json.dumps(header, separators=(",", ":"), default=_plain).encode()
    return PREFIX.pack(len(head), len(payload)) + head + payload


def _plain(value):
    """numpy scalars and arrays in headers become plain numbers and lists."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _decode(prefix: bytes) -> tuple:
    head_len, payload_len = PREFIX.unpack(prefix)
    if head_len > MAX_HEADER or payload_len > MAX_PAYLOAD:
        raise WireError(f"frame too large ({head_len} + {payload_len} bytes)")
    return head_len, payload_len


def _header(raw: bytes) -> dict:
    try:
        header = json.loads(raw)
    except ValueError as exc:
        raise WireError(f"bad frame header: {exc}") from None
    if not isinstance(header, dict) or not isinstance(header.get("op"), str):
        raise WireError("a frame header must be an object with an 'op'")
    return header


async def read_frame(reader) -> tuple:
    """(header, payload) from an asyncio StreamReader; IncompleteReadError at the end."""
    head_len, payload_len = _decode(await reader.readexactly(PREFIX.size))
    header = _header(await reader.readexactly(head_len))
    payload = await reader.readexactly(payload_len) if payload_len else b""
    return header, payload


def read_frame_blocking(stream) -> tuple | None:
    """(header, payload) from a binary file; None at a clean end of stream."""
    prefix = stream.read(PREFIX.size)
    if not prefix:
        return None
    if len(prefix) < PREFIX.size:
        raise WireError("truncated frame")
    head_len, payload_len = _decode(prefix)
    raw = stream.read(head_len)
    payload = stream.read(payload_len) if payload_len else b""
    if len(raw) < head_len or len(payload) < payload_len:
        raise WireError("truncated frame")
    return _header(raw), payload
