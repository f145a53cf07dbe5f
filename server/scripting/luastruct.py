"""The `struct` library Redis bundles for scripts (Roberto Ierusalimschy's lua_struct).

Formats: '>' big endian, '<' little, '=' native, '!n' alignment, 'x' padding, 'b/B' char,
'h/H' short, 'l/L' long (8 bytes), 'T' size_t, 'i/In' int of n bytes (default 4), 'cn' n chars
('c0' takes its length from the previous number), 's' zero-terminated string, 'f' float,
'd' double; spaces are ignored.
"""

import struct as _struct

_SIZES = {"b": 1, "B": 1, "h": 2, "H": 2, "l": 8, "L": 8, "T": 8, "f": 4, "d": 8, "x": 1}


class StructError(Exception):
    pass


def _items(fmt: str):
    """(code, size) pairs with endianness and alignment directives resolved."""
    i, little, align = 0, True, 1
    while i < len(fmt):
        code = fmt[i]
        i += 1
        digits = ""
        while i < len(fmt) and fmt[i].isdigit():
            digits += fmt[i]
            i += 1
        number = int(digits) if digits else None
        if code == " ":
            continue
        if code in "<>=":
            little = code != ">"
            continue
        if code == "!":
            align = number or 8
            continue
        if code in "iI":
            size = number or 4
        elif code == "c":
            size = 1 if number is None else number
        elif code == "s":
            size = 0
        elif code in _SIZES:
            size = _SIZES[code]
        else:
            raise StructError(f"invalid format option '{code}'")
        yield code, size, little, align


def _padding(offset: int, size: int, align: int) -> int:
    boundary = min(size, align)
    if boundary <= 1 or size == 0:
        return 0
    return (-offset) % boundary


def pack(fmt: bytes, *args) -> bytes:
    out = bytearray()
    values = list(args)
    for code, size, little, align in _items(fmt.decode()):
        out += b"\x00" * (_padding(len(out), size, align) if code not in "csx" else 0)
        if code == "x":
            out += b"\x00"
            continue
        value = values.pop(0) if values else None
        if code in "fd":
            out += _struct.pack(("<" if little else ">") + code, float(value))
        elif code == "c":
            data = bytes(value)
            if size == 0:
                size = len(data)
            out += data[:size].ljust(size, b"\x00")
        elif code == "s":
            out += bytes(value) + b"\x00"
        else:
            number = int(value)
            signed = code in "bhliI" and code.islower()
            out += (number % (1 << (8 * size))).to_bytes(size, "little" if little else "big") \
                if not signed else number.to_bytes(size, "little" if little else "big",
                                                   signed=True)
    return bytes(out)


def unpack(fmt: bytes, data: bytes, position: int = 1):
    """Returns the values and, last, the position after them (1-based, as in Lua)."""
    offset = position - 1
    out = []
    previous = None
    for code, size, little, align in _items(fmt.decode()):
        if code not in "csx":
            offset += _padding(offset, size, align)
        if code == "x":
            offset += 1
            continue
        if code == "c" and size == 0:
            if previous is None:
                raise StructError("format 'c0' needs a previous size")
            size = int(previous)
            out.pop()
        if code == "s":
            end = data.index(b"\x00", offset)
            out.append(data[offset:end])
            offset = end + 1
            continue
        chunk = data[offset:offset + size]
        if len(chunk) < size:
            raise StructError("data string too short")
        offset += size
        if code in "fd":
            value = _struct.unpack(("<" if little else ">") + code, chunk)[0]
        elif code == "c":
            value = chunk
        else:
            value = int.from_bytes(chunk, "little" if little else "big",
                                   signed=code in "bhli")
        out.append(value)
        previous = value
    return out + [offset + 1]


def size(fmt: bytes) -> int:
    total = 0
    for code, item_size, _, align in _items(fmt.decode()):
        if code == "s":
            raise StructError("options 'c0' - 's' have undefined sizes")
        if code not in "cx":
            total += _padding(total, item_size, align)
        total += item_size
    return total
