"""The `bit` library scripts see: LuaBitOp 1.0.2 as Redis bundles it (deps/lua/src/lua_bit.c).

Every argument is read as its barg() reads it: the number plus 2^52 + 2^51 as a double, whose
low 32 bits are the argument (so 1.5 rounds to 2, 2.5 to 2, and 2^53 wraps to 0); numeric
strings count as numbers, anything else is Lua's bad-argument error. Results are signed 32-bit.
Arguments are read in the C library's order (band, bor and bxor: the first, then the last
back to the second), so the first bad one is the one named.
"""

import struct

from ..protocol.ldb_wire import c_int
from .lua_values import check_number

_BIAS = 6755399441055744.0  # 2^52 + 2^51
_MASK = 0xFFFFFFFF


def _word(values: tuple, index: int) -> int:
    """barg(): argument `index` as an unsigned 32-bit word."""
    number = check_number(values, index)
    return struct.unpack("<Q", struct.pack("<d", float(number) + _BIAS))[0] & _MASK


def _fold(operation):
    def apply(*values):
        word = _word(values, 1)
        for index in range(len(values), 1, -1):
            word = operation(word, _word(values, index))
        return c_int(word)
    return apply


def _shift(operation):
    def apply(*values):
        word = _word(values, 1)
        return c_int(operation(word, _word(values, 2) & 31) & _MASK)
    return apply


def tohex(*values) -> bytes:
    """bit.tohex(x [, n]): n hex digits (8 by default, at most 8), upper case when n < 0."""
    word = _word(values, 1)
    count = 8 if len(values) < 2 else c_int(_word(values, 2))
    count = max(count, -(2**31) + 1)  # (-INT32_MIN would overflow: lua_bit.c clamps it)
    digits = "%08X" % word if count < 0 else "%08x" % word
    count = min(abs(count), 8)
    return digits[8 - count:].encode()


FUNCTIONS = {
    "tobit": lambda *values: c_int(_word(values, 1)),
    "bnot": lambda *values: c_int(~_word(values, 1) & _MASK),
    "band": _fold(lambda a, b: a & b),
    "bor": _fold(lambda a, b: a | b),
    "bxor": _fold(lambda a, b: a ^ b),
    "lshift": _shift(lambda word, by: word << by),
    "rshift": _shift(lambda word, by: word >> by),
    "arshift": _shift(lambda word, by: c_int(word) >> by),
    "rol": _shift(lambda word, by: (word << by) | (word >> (32 - by))),
    "ror": _shift(lambda word, by: (word >> by) | (word << (32 - by))),
    "bswap": lambda *values: c_int(int.from_bytes(_word(values, 1).to_bytes(4, "big"),
                                                   "little")),
    "tohex": tohex,
}
