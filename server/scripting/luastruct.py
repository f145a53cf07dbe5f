"""The `struct` library Redis bundles for scripts (Roberto Ierusalimschy's lua_struct.c), as it
behaves on x86-64 Linux: little-endian native order, 8-byte long and size_t, 4-byte int, an
8-byte maximum alignment, integers of up to 32 bytes held in 64 bits.

Formats: '>' big endian, '<' little endian, '![n]' maximum alignment (a power of 2, 8 by
default), ' ' ignored, 'x' a zero byte, 'b'/'B' char, 'h'/'H' short, 'l'/'L' long, 'T' size_t,
'i[n]'/'I[n]' an integer of n bytes (4 by default), 'f' float, 'd' double, 'c[n]' n bytes (1
by default; 'c0': all of the string when packing, the previous number's length when
unpacking), 's' a zero-terminated string. Digits only follow c, i, I and !: anything else,
'=' too, is an invalid option. The C code's arithmetic is kept where it shows: values past
an integer's range convert as x86-64 converts them, alignment of sizes that are not powers of
two uses the same mask, and integers wider than 8 bytes keep their last 8 bytes.
"""

import struct as _struct

from .library_errors import ArgumentError, RaisedError
from .lua_values import c_long_long, check_number, check_string, opt_integer, to_number

MAXINTSIZE = 32
MAXALIGN = 8
_SIZES = {"b": 1, "B": 1, "h": 2, "H": 2, "l": 8, "L": 8, "T": 8, "f": 4, "d": 8, "x": 1}
_INTEGERS = set("bBhHlLTiI")
_U64 = (1 << 64) - 1


class _Format:
    """A format string read an option at a time, with the endianness and alignment its
    control options set (lua_struct's Header)."""

    def __init__(self, fmt: bytes):
        self.text = fmt.partition(b"\0")[0].decode("latin-1")  # (a C string)
        self.at = 0
        self.little = True
        self.align = 1

    def options(self):
        while self.at < len(self.text):
            option = self.text[self.at]
            self.at += 1
            yield option, self._size(option)

    def _number(self, default: int) -> int:
        """getnum: the digits that follow, or `default` when none do."""
        text, start = self.text, self.at
        if start >= len(text) or not text[start].isdigit():
            return default
        value = 0
        while self.at < len(text) and text[self.at].isdigit():
            digit = ord(text[self.at]) - 48
            if value > 2**31 // 10 or value * 10 > 2**31 - 1 - digit:
                raise RaisedError("integral size overflow")
            value = value * 10 + digit
            self.at += 1
        return value

    def _size(self, option: str) -> int:
        """optsize."""
        if option in _SIZES:
            return _SIZES[option]
        if option == "c":
            return self._number(1)
        if option in "iI":
            size = self._number(4)
            if size > MAXINTSIZE:
                raise RaisedError(f"integral size {size} is larger than limit of {MAXINTSIZE}")
            return size
        return 0

    def padding(self, length: int, option: str, size: int) -> int:
        """gettoalign: the zero bytes before an item of `size` at offset `length`."""
        if size == 0 or option == "c":
            return 0
        size = min(size, self.align)
        return (size - (length & (size - 1))) & (size - 1)

    def control(self, option: str) -> None:
        """controloptions: ' ', '<', '>', '![n]'; anything else is an invalid option."""
        if option == " ":
            return
        if option in "<>":
            self.little = option == "<"
            return
        if option == "!":
            align = self._number(MAXALIGN)
            if align <= 0 or align & (align - 1):
                raise RaisedError(f"alignment {align} is not a power of 2")
            self.align = align
            return
        raise ArgumentError(1, f"invalid format option '{option}'")


def _c_to_u64(number: float) -> int:
    """A double as a 64-bit unsigned integer the way putinteger converts it ((Uinttype)(Inttype)n
    below zero, (Uinttype)n otherwise), with x86-64's answers where C leaves the conversion
    undefined: NaN and what is below the long range give 2^63, 2^64 and more give 0."""
    if number != number or number < 0:
        return c_long_long(number) & _U64
    return int(number) if number < 2.0**64 else 0


def pack(*args) -> bytes:
    fmt = _Format(check_string(args, 1))
    args += (None,)  # (b_pack pushes a nil after its arguments: a missing one reads as nil)
    out = bytearray()
    argument = 2
    for option, size in fmt.options():
        out += bytes(fmt.padding(len(out), option, size))
        if option in _INTEGERS:
            value = _c_to_u64(float(check_number(args, argument)))
            argument += 1
            out += (value & ((1 << (8 * min(size, 8))) - 1)).to_bytes(
                min(size, 8), "little") + bytes(max(size - 8, 0))
            if not fmt.little:
                out[len(out) - size:] = out[len(out) - size:][::-1]
        elif option == "x":
            out.append(0)
        elif option in "fd":
            number = float(check_number(args, argument))
            argument += 1
            out += _struct.pack(("<" if fmt.little else ">") + ("d" if option == "d" else "f"),
                                _to_float(number) if option == "f" else number)
        elif option in "cs":
            data = check_string(args, argument)
            argument += 1
            length = size or len(data)
            if len(data) < length:
                raise ArgumentError(argument, "string too short")  # (the next argument's
            out += data[:length] + (b"\0" if option == "s" else b"")  # number, as in C)
        else:
            fmt.control(option)
    return bytes(out)


def _to_float(number: float) -> float:
    """C's (float) of a double: beyond float's range it is infinite."""
    try:
        _struct.pack("<f", number)
        return number
    except OverflowError:
        return float("inf") if number > 0 else float("-inf")


def unpack(*args) -> tuple:
    """The values, then the position after them (1-based)."""
    fmt = _Format(check_string(args, 1))
    data = check_string(args, 2)
    position = opt_integer(args, 3, 1)
    if position == 0:
        raise ArgumentError(3, "offset must be 1 or greater")
    at = (position - 1) & _U64  # (size_t: a negative offset is past any data)
    values: list = []
    for option, size in fmt.options():
        at += fmt.padding(at, option, size)
        _check_room(data, at, size)
        if option in _INTEGERS:
            values.append(_integer(data[at:at + size], fmt.little, option.islower()))
        elif option in "fd":
            chunk = data[at:at + size]
            values.append(_struct.unpack(("<" if fmt.little else ">") + option, chunk)[0])
        elif option == "c":
            if size == 0:
                previous = to_number(values[-1]) if values else None
                if previous is None:
                    raise RaisedError("format 'c0' needs a previous size")
                size = _c_to_u64(float(previous))  # (size_t)lua_tonumber
                values.pop()
                _check_room(data, at, size)
            values.append(data[at:at + size])
        elif option == "s":
            end = data.find(b"\0", at)
            if end < 0:
                raise RaisedError("unfinished string in data")
            values.append(data[at:end])
            size = end - at + 1
        elif option != "x":
            fmt.control(option)
        at += size
    return (*values, at + 1)


def _check_room(data: bytes, at: int, size: int) -> None:
    if not (size <= len(data) and at <= len(data) - size):
        raise ArgumentError(2, "data string too short")


def _integer(chunk: bytes, little: bool, signed: bool):
    """getinteger: the last 8 bytes read into 64 bits, sign-extended from the item's top bit
    (x86-64 masks the shift count to 6 bits)."""
    value = int.from_bytes(chunk, "little" if little else "big") & _U64
    if not signed:
        return float(value) if value >= 2**63 else value
    mask = (_U64 << ((len(chunk) * 8 - 1) & 63)) & _U64
    if value & mask:
        value |= mask
    return value - (1 << 64) if value >= 2**63 else value


def size(*args) -> int:
    fmt = _Format(check_string(args, 1))
    total = 0
    for option, item_size in fmt.options():
        total += fmt.padding(total, option, item_size)
        if option == "s":
            raise ArgumentError(1, "option 's' has no fixed size")
        if option == "c" and item_size == 0:
            raise ArgumentError(1, "option 'c0' has no fixed size")
        if not option.isalnum():
            fmt.control(option)
        total += item_size
    return total
