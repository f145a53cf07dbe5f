"""HyperLogLog: PFADD PFCOUNT PFMERGE, with Redis's hash, registers and estimator.

Values are Redis-format HLL strings ('HYLL' header): PFCOUNT gives the same numbers as Redis for
the same elements (same MurmurHash64A seed, 16384 6-bit registers, Ertl's estimator), and HLLs
copied from Redis load here. Predis writes the dense encoding; it reads sparse ones too.
"""

import math

from .. import errors
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
_MASK64 = (1 << 64) - 1


def murmurhash64a(data: bytes, seed: int = 0xADC83B19) -> int:
    m, r = 0xC6A4A7935BD1E995, 47
    length = len(data)
    h = (seed ^ (length * m)) & _MASK64
    end = length - (length & 7)
    for i in range(0, end, 8):
        k = int.from_bytes(data[i:i + 8], "little")
        k = (k * m) & _MASK64
        k ^= k >> r
        k = (k * m) & _MASK64
        h ^= k
        h = (h * m) & _MASK64
    tail = data[end:]
    if tail:
        h ^= int.from_bytes(tail, "little")
        h = (h * m) & _MASK64
    h ^= h >> r
    h = (h * m) & _MASK64
    h ^= h >> r
    return h


def pattern(element: bytes):
    """(register index, run length of zeros + 1) for an element, as Redis's hllPatLen."""
    h = murmurhash64a(element)
    index = h & (M - 1)
    h = (h >> P) | (1 << Q)
    count = 1
    while not h & 1:
        count += 1
        h >>= 1
    return index, count


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


def registers_of(value) -> list:
    """All 16384 register values of a Redis HLL string (dense or sparse)."""
    if len(value) < HEADER or value[:4] != MAGIC:
        raise CommandError(INVALID_HLL)
    encoding = value[4]
    body = value[HEADER:]
    if encoding == DENSE:
        if len(body) != DENSE_BYTES:
            raise CommandError(INVALID_HLL)
        regs = bytearray(body) + b"\x00"
        return [_get(regs, i) for i in range(M)]
    if encoding != SPARSE:
        raise CommandError(INVALID_HLL)
    out = []
    i = 0
    while i < len(body):
        op = body[i]
        if op & 0xC0 == 0:  # ZERO: 1..64 empty registers
            out += [0] * ((op & 0x3F) + 1)
            i += 1
        elif op & 0xC0 == 0x40:  # XZERO: 1..16384 empty registers
            if i + 1 >= len(body):
                raise CommandError("INVALIDOBJ Corrupted HLL object detected")
            out += [0] * ((((op & 0x3F) << 8) | body[i + 1]) + 1)
            i += 2
        else:  # VAL: value 1..32 repeated 1..4 times
            out += [((op >> 2) & 0x1F) + 1] * ((op & 0x03) + 1)
            i += 1
    if len(out) != M:
        raise CommandError("INVALIDOBJ Corrupted HLL object detected")
    return out


def dense_value(registers: list, cached=None) -> bytearray:
    regs = bytearray(DENSE_BYTES + 1)
    for i, value in enumerate(registers):
        if value:
            _set(regs, i, value)
    header = bytearray(MAGIC + bytes([DENSE, 0, 0, 0]))
    header += (cached if cached is not None else 1 << 63).to_bytes(8, "little")
    return header + regs[:DENSE_BYTES]


def estimate(registers: list) -> int:
    histogram = [0] * 64
    for value in registers:
        histogram[value] += 1
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


def _store(client, key, registers, cached=None) -> None:
    db = client.db
    db.set(key, dense_value(registers, cached), keep_ttl=True)


@command("pfadd", -2, "write denyoom fast", (1, 1, 1), G, "Adds elements to a HyperLogLog key. "
         "Creates the key if it doesn't exist.", "2.8.9")
def pfadd(client, args):
    key = args[1]
    value = write_typed_string(client.db, key)
    registers = registers_of(value) if value is not None else [0] * M
    changed = value is None
    for element in args[2:]:
        index, count = pattern(bytes(element))
        if count > registers[index]:
            registers[index] = count
            changed = True
    if changed:
        _store(client, key, registers)
        modified(client, key)
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
        if type(value) not in (bytes, bytearray):
            raise CommandError(errors.WRONGTYPE)
        registers = registers_of(value)
        cached = int.from_bytes(bytes(value[8:16]), "little")
        if not cached >> 63:  # valid cache, as Redis keeps it in the header
            return cached
        count = estimate(registers)
        if value[4] == DENSE:
            refreshed = bytearray(value)
            refreshed[8:16] = count.to_bytes(8, "little")
            db.resized(args[1], string_size(refreshed) - string_size(value))
            db.data[args[1]] = refreshed
        return count
    merged = [0] * M
    for key in args[1:]:
        value = db.lookup_read(key)
        if value is None:
            continue
        if type(value) not in (bytes, bytearray):
            raise CommandError(errors.WRONGTYPE)
        merged = list(map(max, merged, registers_of(value)))
    return estimate(merged)


@command("pfmerge", -2, "write denyoom", (1, -1, 1), G, "Merges one or more HyperLogLog values "
         "into a single key.", "2.8.9")
def pfmerge(client, args):
    db = client.db
    merged = [0] * M
    for key in args[1:]:
        value = write_typed_string(db, key)
        if value is not None:
            merged = list(map(max, merged, registers_of(value)))
    _store(client, args[1], merged)
    modified(client, args[1])
    return OK

