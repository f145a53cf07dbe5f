"""LZF, the compression RDB strings use (liblzf's format: literal runs of up to 32 bytes, and
back references of 3 to 264 bytes reaching up to 8 KiB back).

Both directions are numba-compiled loops: every string over 20 bytes in a snapshot, an AOF
base, a replica's full sync or a DUMP goes through them, and the pure-Python loops they replace
cost ~60 us per compressible 1 KB value (a 200,000-key BGSAVE took 14 s against Redis's 0.4 s).
The compressor is greedy on a hash of the next 3 bytes, each candidate checked byte by byte, so
its output is always a valid LZF stream, though not byte-identical to liblzf's."""

import numpy as np
from numba import njit

MAX_OFFSET = 1 << 13
MAX_MATCH = 2 + 7 + 255
MAX_LITERALS = 32
# the decoder's refusals, by the code _decompress returns
_ERRORS = {1: "truncated literal run, or longer than announced",
           2: "truncated back reference",
           # (checked before the output grows past the announced length: no decompression bomb)
           3: "back reference before the start, or longer than announced",
           4: "decompressed length mismatch"}


class LZFError(ValueError):
    pass


@njit(cache=True, nogil=True)
def _decompress(data, out) -> int:
    """Decode `data` into `out` (exactly the announced length): 0, or an _ERRORS code."""
    n, size = data.size, out.size
    i = o = 0
    while i < n:
        ctrl = np.int64(data[i])
        i += 1
        if ctrl < MAX_LITERALS:
            run = ctrl + 1
            if i + run > n or o + run > size:
                return 1
            out[o:o + run] = data[i:i + run]
            i += run
            o += run
            continue
        length = ctrl >> 5
        if length == 7:
            if i >= n:
                return 2
            length += np.int64(data[i])
            i += 1
        if i >= n:
            return 2
        start = o - (((ctrl & 0x1F) << 8) + np.int64(data[i]) + 1)
        i += 1
        if start < 0 or o + length + 2 > size:
            return 3
        for k in range(length + 2):  # may overlap the bytes being written
            out[o + k] = out[start + k]
        o += length + 2
    return 0 if o == size else 4


@njit(cache=True, nogil=True)
def _flush_literals(data, start, end, out, o) -> int:
    """Literal runs for data[start:end] at out[o:]; the new output position, -1 if no room."""
    while start < end:
        run = min(end - start, MAX_LITERALS)
        if o + 1 + run > out.size:
            return -1
        out[o] = run - 1
        out[o + 1:o + 1 + run] = data[start:start + run]
        o += 1 + run
        start += run
    return o


@njit(cache=True, nogil=True)
def _compress(data, out) -> int:
    """LZF of `data` into `out`: the bytes written, or -1 when it does not fit in `out`."""
    n = data.size
    bits = 8
    while (1 << bits) < n and bits < 14:
        bits += 1
    last_seen = np.full(1 << bits, -1, np.int64)  # hash of 3 bytes -> latest position
    mask = (1 << bits) - 1
    i = literal_start = o = 0
    while i + 2 < n:
        three = (np.int64(data[i]) << 16) | (np.int64(data[i + 1]) << 8) | np.int64(data[i + 2])
        slot = ((three * 2654435761) >> 13) & mask
        candidate = last_seen[slot]
        last_seen[slot] = i
        if (candidate < 0 or i - candidate > MAX_OFFSET or data[candidate] != data[i]
                or data[candidate + 1] != data[i + 1] or data[candidate + 2] != data[i + 2]):
            i += 1
            continue
        length = 3
        limit = min(n - i, MAX_MATCH)
        while length < limit and data[candidate + length] == data[i + length]:
            length += 1
        o = _flush_literals(data, literal_start, i, out, o)
        offset = i - candidate - 1
        code = length - 2
        if o < 0 or o + 3 > out.size:
            return -1
        if code < 7:
            out[o] = (code << 5) | (offset >> 8)
            o += 1
        else:
            out[o] = (7 << 5) | (offset >> 8)
            out[o + 1] = code - 7
            o += 2
        out[o] = offset & 0xFF
        o += 1
        i += length
        literal_start = i
    return _flush_literals(data, literal_start, n, out, o)


def decompress(data: bytes, expected_length: int) -> bytes:
    out = np.empty(expected_length, np.uint8)
    error = _decompress(np.frombuffer(data, np.uint8), out)
    if error:
        raise LZFError(_ERRORS[error])
    return out.tobytes()


def compress(data: bytes):
    """A valid LZF stream shorter than `data`, or None if it does not shrink."""
    if len(data) < 4:
        return None
    out = np.empty(len(data) - 1, np.uint8)
    written = _compress(np.frombuffer(data, np.uint8), out)
    return out[:written].tobytes() if written >= 0 else None
