"""MessagePack as Redis's bundled lua-cmsgpack writes and reads it (the `cmsgpack` library).

Lua values arrive through lupa: numbers (integral ones become MessagePack integers, others
float32 when exact, else float64), bytes, booleans, None and Lua tables (arrays when their keys
are exactly 1..n, maps otherwise, in Lua's own iteration order).
"""

import struct

from .library_errors import ArgumentError, RaisedError
from ..protocol.ldb_wire import c_int
from .lua_values import check_integer, check_string, opt_integer

MAX_NESTING = 16  # lua-cmsgpack: deeper tables (a circular one, say) are packed as nil


def pack(*values) -> bytes:
    """cmsgpack.pack(v1, ...): each value packed in turn."""
    if not values:
        raise ArgumentError(0, "MessagePack pack needs input.")
    out = bytearray()
    for value in values:
        _pack(out, value)
    return bytes(out)


def _pack(out: bytearray, value, level: int = 0) -> None:
    if value is None:
        out.append(0xC0)
    elif value is True:
        out.append(0xC3)
    elif value is False:
        out.append(0xC2)
    elif isinstance(value, (int, float)):
        number = float(value)  # (a Lua number is a double)
        if _int64_equivalent(number):
            _pack_int(out, int(number))
        else:
            _pack_float(out, number)
    elif isinstance(value, (bytes, bytearray)):
        _pack_bytes(out, bytes(value))
    elif type(value).__name__ == "_LuaTable" and level < MAX_NESTING:
        _pack_table(out, value, level + 1)
    else:
        out.append(0xC0)


def _int64_equivalent(number: float) -> bool:
    """IS_INT64_EQUIVALENT: (int64_t)x == x (x86-64 turns what does not fit into INT64_MIN)."""
    return number == number and -(2.0**63) <= number < 2.0**63 and number.is_integer()


def _int_equivalent(number: float) -> bool:
    """IS_INT_EQUIVALENT: (int)x == x, a C int being 32 bits."""
    return number == number and -(2.0**31) <= number < 2.0**31 and number.is_integer()


def _pack_int(out: bytearray, n: int) -> None:
    if n >= 0:
        if n < 128:
            out.append(n)
        elif n <= 0xFF:
            out += b"\xcc" + struct.pack(">B", n)
        elif n <= 0xFFFF:
            out += b"\xcd" + struct.pack(">H", n)
        elif n <= 0xFFFFFFFF:
            out += b"\xce" + struct.pack(">I", n)
        else:
            out += b"\xcf" + struct.pack(">Q", n)
    elif n >= -32:
        out.append(n & 0xFF)
    elif n >= -128:
        out += b"\xd0" + struct.pack(">b", n)
    elif n >= -32768:
        out += b"\xd1" + struct.pack(">h", n)
    elif n >= -(2**31):
        out += b"\xd2" + struct.pack(">i", n)
    else:
        out += b"\xd3" + struct.pack(">q", n)


def _pack_float(out: bytearray, x: float) -> None:
    """mp_encode_double: float32 when (double)(float)x == x (never for NaN, nor for values
    beyond float's range, which C's conversion makes infinite), else float64."""
    try:
        single = struct.pack(">f", x)
    except OverflowError:
        single = None
    if single is not None and struct.unpack(">f", single)[0] == x:
        out += b"\xca" + single
    else:
        out += b"\xcb" + struct.pack(">d", x)


def _pack_bytes(out: bytearray, data: bytes) -> None:
    n = len(data)
    if n < 32:
        out.append(0xA0 | n)
    elif n <= 0xFF:
        out += b"\xd9" + struct.pack(">B", n)
    elif n <= 0xFFFF:
        out += b"\xda" + struct.pack(">H", n)
    else:
        out += b"\xdb" + struct.pack(">I", n)
    out += data


def _pack_table(out: bytearray, table, level: int) -> None:
    items = list(table.items())
    keys = [k for k, _ in items]
    # table_is_an_array: every key a number, an integer a C int holds, above 0, the largest
    # the count (so exactly 1..n)
    is_array = all(isinstance(k, (int, float)) and not isinstance(k, bool)
                   and _int_equivalent(float(k)) and k > 0 for k in keys) and (
        not keys or max(keys) == len(keys))
    n = len(items)
    if is_array:
        if n < 16:
            out.append(0x90 | n)
        elif n <= 0xFFFF:
            out += b"\xdc" + struct.pack(">H", n)
        else:
            out += b"\xdd" + struct.pack(">I", n)
        for index in range(1, n + 1):
            _pack(out, table[index], level)
        return
    if n < 16:
        out.append(0x80 | n)
    elif n <= 0xFFFF:
        out += b"\xde" + struct.pack(">H", n)
    else:
        out += b"\xdf" + struct.pack(">I", n)
    for key, value in items:
        _pack(out, key, level)
        _pack(out, value, level)


class Unpacker:
    """Decodes values one by one; arrays are built with `make_table(items)`, maps with
    `make_map(key and value pairs, in order)`."""

    def __init__(self, data: bytes, make_table, make_map):
        self.data = data
        self.pos = 0
        self.make_table = make_table
        self.make_map = make_map

    def _take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise RaisedError("Missing bytes in input.")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def _fmt(self, fmt: str):
        return struct.unpack(fmt, self._take(struct.calcsize(fmt)))[0]

    def value(self):
        code = self._take(1)[0]
        if code <= 0x7F:
            return code
        if code >= 0xE0:
            return code - 0x100
        if 0xA0 <= code <= 0xBF:
            return self._take(code & 0x1F)
        if 0x90 <= code <= 0x9F:
            return self._array(code & 0x0F)
        if 0x80 <= code <= 0x8F:
            return self._map(code & 0x0F)
        simple = {0xC0: None, 0xC2: False, 0xC3: True}
        if code in simple:
            return simple[code]
        fixed = {0xCA: ">f", 0xCB: ">d", 0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q",
                 0xD0: ">b", 0xD1: ">h", 0xD2: ">i", 0xD3: ">q"}
        if code in fixed:
            number = self._fmt(fixed[code])
            # (lua_pushunsigned: a double; lupa cannot push an int past 2^63)
            return float(number) if number >= 2**63 else number
        if code == 0xD9:  # (lua-cmsgpack has no bin formats: 0xc4-0xc6 are bad data)
            return self._take(self._fmt(">B"))
        if code == 0xDA:
            return self._take(self._fmt(">H"))
        if code == 0xDB:
            return self._take(self._fmt(">I"))
        if code == 0xDC:
            return self._array(self._fmt(">H"))
        if code == 0xDD:
            return self._array(self._fmt(">I"))
        if code == 0xDE:
            return self._map(self._fmt(">H"))
        if code == 0xDF:
            return self._map(self._fmt(">I"))
        raise RaisedError("Bad data format in input.")

    def _array(self, n: int):
        return self.make_table([self.value() for _ in range(n)])

    def _map(self, n: int):
        pairs = []
        for _ in range(n):
            key = self.value()
            pairs.append((key, self.value()))
        return self.make_map(pairs)


def unpack_values(data: bytes, limit: int, offset: int, make_table, make_map) -> tuple:
    """mp_unpack_full: every value (limit and offset 0), else up to `limit` values from
    `offset`, preceded by where the next value starts (-1 at the end of the data)."""
    decode_all = not limit and not offset
    if offset < 0 or limit < 0:  # (Redis prints the data's length where the limit goes)
        raise RaisedError(f"Invalid request to unpack with offset of {c_int(offset)} and "
                          f"limit of {c_int(len(data))}.")
    if offset > len(data):
        raise RaisedError(f"Start offset {c_int(offset)} greater than input length "
                          f"{c_int(len(data))}.")
    reader = Unpacker(data, make_table, make_map)
    reader.pos = offset
    values = []
    while reader.pos < len(data) and (decode_all or len(values) < limit):
        values.append(reader.value())
    if not decode_all:
        values.insert(0, reader.pos if reader.pos < len(data) else -1)
    return tuple(values)


def library(make_table, make_map) -> dict:
    """cmsgpack's functions, their arguments read as lua_cmsgpack.c reads them."""
    def unpack(*args):
        return unpack_values(check_string(args, 1), 0, 0, make_table, make_map)

    def unpack_one(*args):
        offset = opt_integer(args, 2, 0)
        return unpack_values(check_string(args, 1), 1, offset, make_table, make_map)

    def unpack_limit(*args):
        limit = check_integer(args, 2)
        offset = opt_integer(args, 3, 0)
        return unpack_values(check_string(args, 1), limit, offset, make_table, make_map)

    return {"pack": pack, "unpack": unpack, "unpack_one": unpack_one,
            "unpack_limit": unpack_limit}
