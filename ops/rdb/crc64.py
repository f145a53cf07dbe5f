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


_FAST_THRESHOLD = 64 * 1024
_fast = None  # the numba-compiled loop, built on first use with a large input


def crc64(data: bytes, crc: int = 0) -> int:
    if len(data) >= _FAST_THRESHOLD:
        return _crc64_fast(data, crc)
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


def _crc64_fast(data: bytes, crc: int) -> int:
    """The same loop compiled by numba (snapshot files are megabytes to gigabytes)."""
    global _fast
    if _fast is None:
        import numba
        import numpy as np

        table = np.array(_TABLE, dtype=np.uint64)

        @numba.njit(cache=True, nogil=True)
        def run(buffer, crc, table):
            for byte in buffer:
                crc = table[(crc ^ np.uint64(byte)) & np.uint64(0xFF)] ^ (crc >> np.uint64(8))
            return crc

        _fast = (run, table, np)
    run, table, np = _fast
    return int(run(np.frombuffer(data, dtype=np.uint8), np.uint64(crc), table))
