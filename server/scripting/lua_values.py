"""Lua values as the C libraries Redis bundles read their arguments (lua_tonumber,
luaL_checknumber, luaL_checklstring), for their Python counterparts: lupa hands Lua numbers
over as int or float, strings as bytes, tables and functions as lupa objects."""

import math

from .library_errors import ArgumentError

_LUPA_TYPES = {"_LuaTable": "table", "_LuaFunction": "function", "_LuaThread": "thread",
               "_LuaCoroutineFunction": "function"}


def lua_type(value) -> str:
    """Lua's type() of a value as lupa hands it to Python."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, bytes):
        return "string"
    return _LUPA_TYPES.get(type(value).__name__, "userdata")


def to_number(value):
    """lua_tonumber: a number, a numeric string's value (strtod, or a 0x integer), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if not isinstance(value, bytes):
        return None
    text = value.strip()
    if not text or b"_" in text:  # (Python's float takes 1_0; strtod does not)
        return None
    try:
        return float(text)
    except ValueError:
        pass
    lowered = text.lower()
    if lowered.lstrip(b"+-").startswith(b"0x"):
        try:
            return float(int(lowered, 16))
        except ValueError:
            return None
    return None


def number_text(number) -> bytes:
    """lua_tolstring of a number: Lua 5.1's "%.14g" (glibc writes a NaN's sign, 0/0's is set)."""
    if number != number:
        return b"-nan" if math.copysign(1.0, number) < 0 else b"nan"
    return b"%.14g" % number


def c_long_long(number) -> int:
    """C's (long long) of a Lua number: the fraction dropped; NaN, infinities and values out
    of range give LLONG_MIN (x86-64's answer to an impossible conversion)."""
    if isinstance(number, float):
        if number != number or math.isinf(number):
            return -(2**63)
        number = int(number)
    return number if -(2**63) <= number < 2**63 else -(2**63)


def _got(values: tuple, index: int) -> str:
    return "no value" if index > len(values) else lua_type(values[index - 1])


def check_number(values: tuple, index: int):
    """luaL_checknumber of argument `index` (1-based)."""
    number = to_number(values[index - 1]) if index <= len(values) else None
    if number is None:
        raise ArgumentError(index, f"number expected, got {_got(values, index)}")
    return number


def check_integer(values: tuple, index: int) -> int:
    """luaL_checkinteger of argument `index`: the number, cast to long long."""
    return c_long_long(check_number(values, index))


def opt_integer(values: tuple, index: int, default: int) -> int:
    """luaL_optinteger: `default` for a missing or nil argument."""
    if index > len(values) or values[index - 1] is None:
        return default
    return check_integer(values, index)


def check_string(values: tuple, index: int) -> bytes:
    """luaL_checklstring of argument `index`: a string, or a number as its text."""
    value = values[index - 1] if index <= len(values) else None
    if isinstance(value, bytes):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number_text(value)
    raise ArgumentError(index, f"string expected, got {_got(values, index)}")
