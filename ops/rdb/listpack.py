"""Writing listpacks (Redis's compact list encoding), for stream nodes in DUMP payloads.

Integers, and strings that are an integer's canonical form, use the smallest integer encoding,
as Redis's lpAppend does; everything else is a string. Each entry is followed
by its back-length, as the format requires for reverse iteration."""

import re
import struct

_INT_TEXT = re.compile(rb"-?[1-9][0-9]{0,19}|0")
_INT_START = frozenset(b"-0123456789")


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


def int_size(n: int) -> int:
    """element_size of an integer: len(_encode_int(n)) without building it, plus its
    back-length (1 byte: an integer's encoding is at most 9 bytes)."""
    if 0 <= n <= 127:
        return 2
    if -4096 <= n <= 4095:
        return 3
    return 4 if -32768 <= n <= 32767 else 5 if -(1 << 23) <= n < 1 << 23 else \
        6 if -(1 << 31) <= n < 1 << 31 else 10


def _backlen_bytes(size: int) -> int:
    """len(_backlen(size)), without building it."""
    return 1 if size <= 127 else 2 if size < 16383 else 3 if size < 2097151 else \
        4 if size < 268435455 else 5


def element_size(element) -> int:
    """Bytes an element takes in a listpack as Redis appends it (build_listpack writes the
    same): encoding, data and back-length. Stream nodes size every entry with it, so it
    builds nothing: a string only goes to the integer check when it could be one."""
    if type(element) is not int:
        n = len(element)
        if n > 20 or not n or element[0] not in _INT_START or \
                (element := _as_int64(element)) is None:
            size = 1 + n if n < 64 else 2 + n if n < 4096 else 5 + n
            return size + _backlen_bytes(size)
    return int_size(element)


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
