"""Estimated bytes an entry costs, for used_memory and MEMORY USAGE.

The estimate mirrors what CPython really allocates: a bytes object is a 33-byte header plus its
payload, rounded up to pymalloc's 16-byte size classes (malloc's 16-byte chunks past 512 bytes),
and a dict slot costs its 24-byte entry plus index and spare capacity (about 1.5x at the
average fill of a growing dict).
"""

import sys

BYTES_HEADER = sys.getsizeof(b"")  # 33 on 64-bit CPython
DICT_SLOT = 48
EXPIRE_SLOT = DICT_SLOT + 32  # a slot plus the int holding the deadline


def _rounded(size: int) -> int:
    return (size + 15) & ~15 if size <= 512 else ((size + 8 + 15) & ~15)


def string_size(value) -> int:
    if type(value) is bytes:  # (_rounded inline: this runs for every element stored)
        size = BYTES_HEADER + len(value)
        return (size + 15) & ~15 if size <= 512 else ((size + 8 + 15) & ~15)
    return _rounded(sys.getsizeof(value))  # bytearray: header + over-allocated buffer


# Rounded cost of a bytes object by payload length, for summing many sizes in C (map/sum).
_COSTS = [_rounded(BYTES_HEADER + n) for n in range(4097)]


def costs_of(lengths) -> int:
    """Total string_size() of bytes objects with these payload lengths."""
    lengths = list(lengths)
    if not lengths:
        return 0
    if max(lengths) <= 4096:
        return sum(map(_COSTS.__getitem__, lengths))
    return sum(_rounded(BYTES_HEADER + n) for n in lengths)


def value_size(value) -> int:
    kind = type(value)
    if kind is bytes or kind is int:  # int: a GPU-held string as its dict stores it, its length
        size = BYTES_HEADER + (len(value) if kind is bytes else value)
        return (size + 15) & ~15 if size <= 512 else ((size + 23) & ~15)
    if kind is bytearray:
        return string_size(value)
    return value.memory_usage()


def entry_size(key: bytes, value) -> int:
    return DICT_SLOT + string_size(key) + value_size(value)
