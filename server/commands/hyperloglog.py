"""HyperLogLog: PFADD PFCOUNT PFMERGE, with Redis's hash, registers and estimator.

Values are Redis-format HLL strings ('HYLL' header): PFCOUNT gives the same numbers as Redis for
the same elements (same MurmurHash64A seed, 16384 6-bit registers, Ertl's estimator), and the
strings are Redis's bytes: sparse while small (server/hll_sparse.py), dense (12 KB) once a
register passes 32 or the sparse form outgrows `hll-sparse-max-bytes`, with the cached
cardinality in the header.
"""

import math

import numpy as np
from numba import njit

from .. import errors, hll_sparse
from ..command_table import command
from ..errors import CommandError
from ..keyspace.memory import string_size
from ..replies import OK
from .common import modified, write_typed_string

G = "hyperloglog"
P = 14
M = 1 << P  # registers
Q = 64 - P
DENSE_BYTES = (M * 6 + 7) // 8
HEADER = 16
MAGIC = b"HYLL"
DENSE, SPARSE = 0, 1
ALPHA_INF = 0.721347520444481703680
INVALID_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value."


_M64 = np.uint64(0xC6A4A7935BD1E995)
_R64 = np.uint64(47)


@njit(cache=True, nogil=True)
def _patterns(data, ends, seed, indexes, counts):
    """Redis's hllPatLen for each element (data[ends[i-1]:ends[i]]): MurmurHash64A, the low
    P bits the register, the zeros after them (plus one) its count. Compiled: in Python the
    hash cost ~4 us an element."""
    start = 0
    for e in range(ends.size):
        end = ends[e]
        length = end - start
        h = np.uint64(seed) ^ (np.uint64(length) * _M64)
        stop = start + length - (length & 7)
        for i in range(start, stop, 8):
            k = np.uint64(0)
            for b in range(7, -1, -1):
                k = (k << np.uint64(8)) | np.uint64(data[i + b])
            k *= _M64
            k ^= k >> _R64
            k *= _M64
            h ^= k
            h *= _M64
        if stop < end:
            tail = np.uint64(0)
            for b in range(end - 1, stop - 1, -1):
                tail = (tail << np.uint64(8)) | np.uint64(data[b])
            h ^= tail
            h *= _M64
        h ^= h >> _R64
        h *= _M64
        h ^= h >> _R64
        indexes[e] = np.int64(h & np.uint64(M - 1))
        h = (h >> np.uint64(P)) | (np.uint64(1) << np.uint64(Q))
        count = 1
        while not h & np.uint64(1):
            count += 1
            h >>= np.uint64(1)
        counts[e] = count
        start = end


def patterns(elements) -> zip:
    """(register index, run length of zeros + 1) for each element, as Redis's hllPatLen."""
    elements = [bytes(element) for element in elements]
    ends = np.cumsum(np.fromiter(map(len, elements), np.int64, len(elements)))
    indexes = np.empty(len(elements), np.int64)
    counts = np.empty(len(elements), np.int64)
    _patterns(np.frombuffer(b"".join(elements), np.uint8), ends, 0xADC83B19,
              indexes, counts)
    return zip(indexes.tolist(), counts.tolist())


def _get(regs: bytearray, i: int) -> int:
    byte, shift = (i * 6) >> 3, (i * 6) & 7
    value = regs[byte] >> shift
    if shift > 2:
        value |= regs[byte + 1] << (8 - shift)
    return value & 63


def _set(regs: bytearray, i: int, value: int) -> None:
    byte, shift = (i * 6) >> 3, (i * 6) & 7
    regs[byte] = (regs[byte] & ~(63 << shift) & 0xFF) | ((value << shift) & 0xFF)
    if shift > 2:
        regs[byte + 1] = (regs[byte + 1] & ~(63 >> (8 - shift)) & 0xFF) | (value >> (8 - shift))


CORRUPT_HLL = "INVALIDOBJ Corrupted HLL object detected"


def validated(value):
    """`value` if it is an HLL string as Redis checks one (header, magic, encoding, a dense
    body's exact length); WRONGTYPE otherwise."""
    if type(value) not in (bytes, bytearray):
        raise CommandError(errors.WRONGTYPE)
    if len(value) < HEADER or value[:4] != MAGIC or value[4] > SPARSE or (
            value[4] == DENSE and len(value) != HEADER + DENSE_BYTES):
        raise CommandError(INVALID_HLL)
    return value


def _sparse_ops(value) -> list:
    try:
        return hll_sparse.decode(value[HEADER:])
    except ValueError:
        raise CommandError(CORRUPT_HLL) from None




def new_hll() -> bytearray:
    """An empty HLL as Redis creates one: sparse, all registers in XZERO opcodes."""
    return bytearray(MAGIC + bytes([SPARSE]) + bytes(11)) + hll_sparse.empty_body()


class HllEditor:
    """An HLL string being changed register by register, sparse until it must go dense."""

    def __init__(self, value, max_bytes: int):
        validated(value)
        self.header = bytearray(value[:HEADER])
        self.max_bytes = max_bytes
        self.sparse = hll_sparse.Sparse(_sparse_ops(value)) if value[4] == SPARSE else None
        self.size = len(value)  # the string's length as the sparse opcodes now stand
        self.dense = None if self.sparse is not None else bytearray(value[HEADER:]) + b"\x00"

    @property
    def is_sparse(self) -> bool:
        return self.sparse is not None

    def set(self, index: int, count: int) -> bool:
        """Raise a register to `count`; True if it changed."""
        if self.sparse is not None:
            outcome = hll_sparse.set_register(self.sparse, self.size, index, count,
                                              self.max_bytes)
            if outcome is not None:
                changed, self.size = outcome
                return changed
            self.to_dense()
        if _get(self.dense, index) >= count:
            return False
        _set(self.dense, index, count)
        return True

    def to_dense(self) -> bool:
        """Switch to the dense encoding (the header, cached count included, carries over)."""
        if self.sparse is None:
            return False
        self.dense = bytearray(DENSE_BYTES + 1)
        registers = hll_sparse.registers(self.sparse.ops)
        for i in np.flatnonzero(registers).tolist():
            _set(self.dense, i, int(registers[i]))
        self.sparse = None
        self.header[4] = DENSE
        return True

    def registers(self) -> np.ndarray:
        """All 16384 register values (uint8)."""
        if self.sparse is not None:
            return hll_sparse.registers(self.sparse.ops)
        return dense_registers(self.dense)

    def value(self, invalidate: bool = True) -> bytearray:
        header = bytearray(self.header)
        if invalidate:
            header[15] |= 0x80  # the cached cardinality no longer holds
        body = hll_sparse.encode(self.sparse.ops) if self.sparse is not None \
            else self.dense[:DENSE_BYTES]
        return header + body


_SHIFTS = np.array([0, 6, 12, 18], np.uint32)


def dense_registers(body) -> np.ndarray:
    """Unpack the dense body's 6-bit registers (packed from each byte's low bits up): every
    3 bytes hold 4 registers."""
    packed = np.frombuffer(bytes(body[:DENSE_BYTES]), np.uint8).reshape(-1, 3).astype(np.uint32)
    words = packed[:, 0] | (packed[:, 1] << 8) | (packed[:, 2] << 16)
    return ((words[:, None] >> _SHIFTS) & 63).astype(np.uint8).ravel()


def registers_of(value) -> np.ndarray:
    """All 16384 register values of a Redis HLL string (dense or sparse)."""
    return HllEditor(value, max_bytes=0).registers()  # only read: no limit applies


def estimate(registers: np.ndarray) -> int:
    histogram = np.bincount(registers, minlength=64).tolist()
    z = M * _tau((M - histogram[Q + 1]) / M)
    for j in range(Q, 0, -1):
        z += histogram[j]
        z *= 0.5
    z += M * _sigma(histogram[0] / M)
    return int(round(ALPHA_INF * M * M / z)) if z else 0


def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y, z = 1.0, x
    while True:
        x *= x
        previous = z
        z += x * y
        y += y
        if previous == z:
            return z


def _tau(x: float) -> float:
    if x == 0.0 or x == 1.0:
        return 0.0
    y, z = 1.0, 1 - x
    while True:
        x = math.sqrt(x)
        previous = z
        y *= 0.5
        z -= (1 - x) ** 2 * y
        if previous == z:
            return z / 3


def _store(client, key, value) -> None:
    client.db.set(key, value, keep_ttl=True)


def _editor_for(client, value) -> HllEditor:
    return HllEditor(value, client.server.config["hll-sparse-max-bytes"])


@command("pfadd", -2, "write denyoom fast", (1, 1, 1), G, "Adds elements to a HyperLogLog key. "
         "Creates the key if it doesn't exist.", "2.8.9")
def pfadd(client, args):
    key = args[1]
    value = write_typed_string(client.db, key)
    updated = int(value is None)  # a new key counts as an update even with no element
    editor = _editor_for(client, new_hll() if value is None else value)
    for index, count in patterns(args[2:]):
        updated += editor.set(index, count)
    if updated:
        _store(client, key, editor.value())
        modified(client, key, changes=updated)  # (registers changed, as Redis's dirty)
        return 1
    return 0


@command("pfcount", -2, "readonly may_replicate", (1, -1, 1), G, "Returns the approximated "
         "cardinality of the set(s) observed by the HyperLogLog key(s).", "2.8.9")
def pfcount(client, args):
    db = client.db
    if len(args) == 2:
        value = db.lookup_read(args[1])
        if value is None:
            return 0
        validated(value)
        cached = int.from_bytes(bytes(value[8:16]), "little")
        if not cached >> 63:  # valid cache, as Redis keeps it in the header
            return cached
        count = estimate(registers_of(value))
        refreshed = bytearray(value)  # Redis writes the count back: a change of the key
        refreshed[8:16] = count.to_bytes(8, "little")
        db.resized(args[1], string_size(refreshed) - string_size(value))
        db.data[args[1]] = refreshed
        modified(client, args[1], notify=False)
        return count
    merged = np.zeros(M, np.uint8)
    for key in args[1:]:
        value = db.lookup_read(key)
        if value is not None:
            np.maximum(merged, registers_of(value), out=merged)
    return estimate(merged)


@command("pfmerge", -2, "write denyoom", (1, -1, 1), G, "Merges one or more HyperLogLog values "
         "into a single key.", "2.8.9")
def pfmerge(client, args):
    db = client.db
    merged = np.zeros(M, np.uint8)
    any_dense = False
    for key in args[1:]:
        value = db.lookup_read(key)
        if value is not None:
            np.maximum(merged, registers_of(value), out=merged)
            any_dense = any_dense or value[4] == DENSE
    target = write_typed_string(db, args[1])
    editor = _editor_for(client, new_hll() if target is None else target)
    if any_dense:  # as Redis: a dense source makes the target dense at once
        editor.to_dense()
    for index in np.flatnonzero(merged).tolist():
        editor.set(index, int(merged[index]))
    _store(client, args[1], editor.value())
    modified(client, args[1], event="pfadd")
    return OK
