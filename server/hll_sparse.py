"""The sparse encoding of Redis's HyperLogLog strings, byte for byte as Redis writes it.

A sparse HLL is the 16-byte header followed by opcodes that together cover the 16384
registers in order:

    ZERO   00xxxxxx            xxxxxx + 1 (1..64) registers at zero
    XZERO  01xxxxxx yyyyyyyy   xxxxxxyyyyyyyy + 1 (1..16384) registers at zero
    VAL    1vvvvvxx            xx + 1 (1..4) registers at vvvvv + 1 (1..32)

A new HLL is one XZERO. Setting a register splits the opcode that covers it and then merges
equal neighbouring VALs over the next few opcodes, the way Redis edits the string in place, so
that GET, DUMP and STRLEN of a small HLL give Redis's bytes. A value over 32, or growth past
`hll-sparse-max-bytes`, means the caller must switch to the dense encoding.
"""

from bisect import bisect_right
from itertools import accumulate

import numpy as np

ZERO, XZERO, VAL = 0, 1, 2
REGISTERS = 16384
ZERO_MAX, VAL_MAX_LEN, VAL_MAX_VALUE = 64, 4, 32
MERGE_SCAN = 5  # opcodes looked at for merges after an edit (from the one before it)


def decode(body) -> list:
    """[kind, run length, value] per opcode; ValueError if the opcodes are malformed."""
    ops = []
    i, size = 0, len(body)
    while i < size:
        byte = body[i]
        if byte & 0x80:
            ops.append([VAL, (byte & 0x03) + 1, ((byte >> 2) & 0x1F) + 1])
            i += 1
        elif byte & 0x40:
            if i + 1 >= size:
                raise ValueError("truncated XZERO")
            ops.append([XZERO, (((byte & 0x3F) << 8) | body[i + 1]) + 1, 0])
            i += 2
        else:
            ops.append([ZERO, (byte & 0x3F) + 1, 0])
            i += 1
    if sum(op[1] for op in ops) != REGISTERS:
        raise ValueError("opcodes do not cover the registers")
    return ops


def encode(ops: list) -> bytes:
    out = bytearray()
    for kind, length, value in ops:
        if kind == VAL:
            out.append(0x80 | ((value - 1) << 2) | (length - 1))
        elif kind == XZERO:
            out += bytes((0x40 | ((length - 1) >> 8), (length - 1) & 0xFF))
        else:
            out.append(length - 1)
    return bytes(out)


def empty_body() -> bytes:
    return encode([[XZERO, REGISTERS, 0]])


def registers(ops: list) -> np.ndarray:
    """The 16384 register values (uint8) the opcodes stand for."""
    return np.repeat(np.array([op[2] for op in ops], np.uint8), [op[1] for op in ops])


def _size(op) -> int:
    return 2 if op[0] == XZERO else 1


def _zeros(length: int) -> list:
    return [XZERO if length > ZERO_MAX else ZERO, length, 0]


class Sparse:
    """The opcodes ([kind, run length, value] each) and the first register each covers, kept
    side by side: finding the opcode a register falls in is then a bisection. (Redis walks
    the opcodes, in C; a walk in Python cost ~60 us per PFADD element near the sparse limit.)
    An edit never moves the registers later opcodes cover, so it only splices both lists."""

    __slots__ = ("ops", "starts")

    def __init__(self, ops: list):
        self.ops = ops
        self.starts = list(accumulate((op[1] for op in ops[:-1]), initial=0))


def set_register(sparse: Sparse, total_bytes: int, index: int, count: int, max_bytes: int):
    """Raise register `index` to `count` (the opcodes are edited in place). `total_bytes` is
    the whole string's length now. Returns (changed, the length after), or None if the sparse
    encoding cannot hold the result (the caller goes dense)."""
    if count > VAL_MAX_VALUE:
        return None
    if not 0 <= index < REGISTERS:
        raise ValueError("register out of range")
    ops, starts = sparse.ops, sparse.starts
    position = bisect_right(starts, index) - 1
    op, first = ops[position], starts[position]
    kind, length, value = op
    last = first + length - 1
    if kind == VAL and value >= count:
        return False, total_bytes
    if length == 1 and kind != XZERO:  # a lone VAL or ZERO becomes the new VAL in place
        ops[position] = [VAL, 1, count]
    else:
        if kind == VAL:
            before = [[VAL, index - first, value]] if index != first else []
            after = [[VAL, last - index, value]] if index != last else []
        else:
            before = [_zeros(index - first)] if index != first else []
            after = [_zeros(last - index)] if index != last else []
        replacement = before + [[VAL, 1, count]] + after
        growth = sum(map(_size, replacement)) - _size(op)
        if growth > 0 and total_bytes + growth > max_bytes:
            return None
        ops[position:position + 1] = replacement
        starts[position:position + 1] = list(
            accumulate((piece[1] for piece in replacement[:-1]), initial=first))
        total_bytes += growth
    return True, total_bytes - _merge_values(sparse, max(position - 1, 0))


def _merge_values(sparse: Sparse, start: int) -> int:
    """Join neighbouring VALs of one value (up to 4 registers) over MERGE_SCAN opcodes;
    returns the bytes saved (one per join)."""
    ops, starts = sparse.ops, sparse.starts
    joined = 0
    i, budget = start, MERGE_SCAN
    while i < len(ops) and budget > 0:
        budget -= 1
        here = ops[i]
        if here[0] == VAL and i + 1 < len(ops):
            right = ops[i + 1]
            if right[0] == VAL and right[2] == here[2] and \
                    here[1] + right[1] <= VAL_MAX_LEN:
                ops[i:i + 2] = [[VAL, here[1] + right[1], here[2]]]
                del starts[i + 1]
                joined += 1
                continue  # the joined run may join its next neighbour too
        i += 1
    return joined
