"""CRC-64/Jones as Redis computes it (reflected, polynomial 0xad93d23594c935a9, init 0)."""

_POLY = 0x95AC9329AC4BC9B5  # 0xad93d23594c935a9 bit-reversed, for the reflected algorithm


def _table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _POLY if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _table()


def crc64(data: bytes, crc: int = 0) -> int:
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc
