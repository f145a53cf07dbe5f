"""Writing listpacks (Redis's compact list encoding), for stream nodes in DUMP payloads.

Integers, and strings that are an integer's canonical form, use the smallest integer encoding,
as Redis's lpAppend does; everything else is a string. Each entry is followed
by its back-length, as the format requires for reverse iteration."""

import re
import struct

_INT_TEXT = re.compile(rb"-?[1-9][0-9]{0,19}|0")


def _backlen(size: int) -> bytes:
    if size <= 127:
        return bytes([size])
    if size < 16383:
        return bytes([size >> 7, (size & 127) | 128])
    if size < 2097151:
        return bytes([size >> 14, ((size >> 7) & 127) | 128, (size & 127) | 128])
    if size < 268435455:
        return bytes([size >> 21, ((size >> 14) & 127) | 128, ((size >> 7) & 127) | 128,
                      (size & 127) | 128])
    return bytes([size >> 28, ((size >> 21) & 127) | 128, ((size >> 14) & 127) | 128,
                  ((size >> 7) & 127) | 128, (size & 127) | 128])


def _encode_int(n: int) -> bytes:
    if 0 <= n <= 127:
        return bytes([n])
    if -4096 <= n <= 4095:
        raw = n & 0x1FFF
        return bytes([0xC0 | (raw >> 8), raw & 0xFF])
    for code, width in ((0xF1, 2), (0xF2, 3), (0xF3, 4), (0xF4, 8)):
        if -(1 << (8 * width - 1)) <= n < 1 << (8 * width - 1):
            return bytes([code]) + n.to_bytes(width, "little", signed=True)
    raise OverflowError(n)


def _encode_string(data: bytes) -> bytes:
    n = len(data)
    if n < 64:
        return bytes([0x80 | n]) + data
    if n < 4096:
        return bytes([0xE0 | (n >> 8), n & 0xFF]) + data
    return b"\xf0" + struct.pack("<I", n) + data


def _as_int64(data: bytes):
    """The integer a string is the canonical form of (as lpStringToInt64 accepts), or None:
    Redis stores such strings with an integer encoding."""
    if _INT_TEXT.fullmatch(data):
        value = int(data)
        if -(1 << 63) <= value < 1 << 63:
            return value
    return None


def _string_bytes(n: int) -> int:
    return 1 + n if n < 64 else 2 + n if n < 4096 else 5 + n


def element_size(element) -> int:
    """Bytes an element takes in a listpack as Redis appends it (build_listpack writes the
    same): encoding, data and back-length."""
    if not isinstance(element, int) and _as_int64(element) is None:
        size = _string_bytes(len(element))
    else:
        size = len(_encode(element))
    return size + len(_backlen(size))


def _encode(element) -> bytes:
    """As lpAppend stores it: integers, and strings that are canonical int64s, as integers."""
    if not isinstance(element, int):
        as_int = _as_int64(element)
        if as_int is None:
            return _encode_string(element)
        element = as_int
    return _encode_int(element)


def build_listpack(elements) -> bytes:
    body = bytearray()
    count = 0
    for element in elements:
        encoded = _encode(element)
        body += encoded + _backlen(len(encoded))
        count += 1
    total = 6 + len(body) + 1
    return struct.pack("<IH", total, min(count, 65535)) + bytes(body) + b"\xff"
