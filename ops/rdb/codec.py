"""RDB length and string encodings, and DUMP payload framing (version + CRC64 trailer)."""

import struct

from .crc64 import crc64
from .lzf import LZFError, compress, decompress

RDB_VERSION = 11  # Redis 7.2
OPCODE_FUNCTION2 = 245
ENC_INT8, ENC_INT16, ENC_INT32, ENC_LZF = 0, 1, 2, 3


class RDBError(ValueError):
    pass


def encode_length(n: int) -> bytes:
    if n < 1 << 6:
        return bytes([n])
    if n < 1 << 14:
        return bytes([0x40 | (n >> 8), n & 0xFF])
    if n <= 0xFFFFFFFF:
        return b"\x80" + struct.pack(">I", n)
    return b"\x81" + struct.pack(">Q", n)


def encode_string(data: bytes, compression: bool = True) -> bytes:
    if compression and len(data) > 20:
        packed = compress(data)
        if packed is not None:
            return (bytes([0xC0 | ENC_LZF]) + encode_length(len(packed))
                    + encode_length(len(data)) + packed)
    return encode_length(len(data)) + data


class Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise RDBError("unexpected end of data")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def byte(self) -> int:
        pos = self.pos
        if pos >= len(self.data):
            raise RDBError("unexpected end of data")
        self.pos = pos + 1
        return self.data[pos]

    def length(self):
        """(value, is_encoded): is_encoded marks the special string encodings (0xC0 prefix)."""
        first = self.byte()
        kind = first >> 6
        if kind == 0:
            return first & 0x3F, False
        if kind == 1:
            return ((first & 0x3F) << 8) | self.byte(), False
        if kind == 3:
            return first & 0x3F, True
        if first == 0x80:
            return struct.unpack(">I", self.take(4))[0], False
        if first == 0x81:
            return struct.unpack(">Q", self.take(8))[0], False
        raise RDBError("bad length encoding")

    def string(self) -> bytes:
        value, encoded = self.length()
        if not encoded:
            return self.take(value)
        if value == ENC_INT8:
            return b"%d" % struct.unpack("<b", self.take(1))[0]
        if value == ENC_INT16:
            return b"%d" % struct.unpack("<h", self.take(2))[0]
        if value == ENC_INT32:
            return b"%d" % struct.unpack("<i", self.take(4))[0]
        if value == ENC_LZF:
            compressed_length, _ = self.length()
            plain_length, _ = self.length()
            try:
                return decompress(self.take(compressed_length), plain_length)
            except LZFError as exc:
                raise RDBError(str(exc)) from None
        raise RDBError("unknown string encoding")

    def done(self) -> bool:
        return self.pos >= len(self.data)


def frame_payload(body: bytes) -> bytes:
    """DUMP framing: body + RDB version (2 bytes, little endian) + CRC64 of both."""
    body = body + struct.pack("<H", RDB_VERSION)
    return body + struct.pack("<Q", crc64(body))


def unframe_payload(payload: bytes, verify_checksum: bool = True) -> bytes:
    """The body of a DUMP payload; RDBError if the version is too new or (unless told not to
    look) the CRC is wrong."""
    if len(payload) < 10:
        raise RDBError("payload too short")
    body, footer = payload[:-10], payload[-10:]
    version = struct.unpack("<H", footer[:2])[0]
    checksum = struct.unpack("<Q", footer[2:])[0]
    if version > RDB_VERSION:
        raise RDBError("payload version too new")
    if verify_checksum and checksum and crc64(payload[:-8]) != checksum:  # (and a zero one)
        raise RDBError("checksum mismatch")
    return body
