"""Writing listpacks (Redis's compact list encoding), for stream nodes in DUMP payloads.

Integers, and strings that are an integer's canonical form, use the smallest integer encoding,
as Redis's lpAppend does; everything else is a string. Each entry is followed
by its back-length, as the format requires for reverse iteration."""

import re
import struct

_INT_TEXT = re.compile(rb"-?[1-9][0-9]{0,19}|0")
_INT_START = frozenset(b"-0123456789")


def backlen_width(size: int) -> int:
    """How many bytes the back-length of an element of `size` bytes takes."""
    return 1 if size <= 127 else 2 if size < 16383 else 3 if size < 2097151 else \
        4 if size < 268435455 else 5


def _backlen(size: int) -> bytes:
    """7 bits a byte, most significant first; every byte but the first has its high bit set."""
    count = backlen_width(size)
    return bytes(((size >> (7 * (count - 1 - i))) & 127) | (128 if i else 0)
                 for i in range(count))


def int_size(n: int) -> int:
    """element_size of an integer: its encoding (1, 2, 3, 4, 5 or 9 bytes) plus its
    back-length (1 byte)."""
    if 0 <= n <= 127:
        return 2
    if -4096 <= n <= 4095:
        return 3
    return 4 if -32768 <= n <= 32767 else 5 if -(1 << 23) <= n < 1 << 23 else \
        6 if -(1 << 31) <= n < 1 << 31 else 10


_INT_CODES = {2: 0xF1, 3: 0xF2, 4: 0xF3, 8: 0xF4}  # integer widths in bytes -> encoding byte


def _encode_int(n: int) -> bytes:
    encoded = int_size(n) - 1
    if encoded == 1:
        return bytes([n])
    if encoded == 2:
        raw = n & 0x1FFF
        return bytes([0xC0 | (raw >> 8), raw & 0xFF])
    width = encoded - 1  # OverflowError past 64 bits
    return bytes([_INT_CODES[width]]) + n.to_bytes(width, "little", signed=True)


def _string_header(n: int) -> bytes:
    if n < 64:
        return bytes([0x80 | n])
    if n < 4096:
        return bytes([0xE0 | (n >> 8), n & 0xFF])
    return b"\xf0" + struct.pack("<I", n)


def _encode_string(data: bytes) -> bytes:
    return _string_header(len(data)) + data


def as_int64(data: bytes):
    """The integer a string is the canonical form of (as lpStringToInt64 accepts), or None:
    Redis stores such strings with an integer encoding. Most strings fail the first test."""
    if 0 < len(data) <= 20 and data[0] in _INT_START and _INT_TEXT.fullmatch(data):
        value = int(data)
        if -(1 << 63) <= value < 1 << 63:
            return value
    return None


def element_size(element) -> int:
    """Bytes an element takes in a listpack as Redis appends it (build_listpack writes the
    same): encoding, data and back-length. Stream nodes size every entry with it, so it
    builds nothing."""
    if type(element) is not int:
        as_int = as_int64(element)
        if as_int is None:
            length = len(element)  # (the header's size, as _string_header writes it)
            size = (1 if length < 64 else 2 if length < 4096 else 5) + length
            return size + (1 if size <= 127 else backlen_width(size))
        element = as_int
    return int_size(element)


def _encode(element) -> bytes:
    """As lpAppend stores it: integers, and strings that are canonical int64s, as integers."""
    if not isinstance(element, int):
        as_int = as_int64(element)
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
