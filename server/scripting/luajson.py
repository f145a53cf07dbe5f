"""The `cjson` library scripts see, with lua-cjson's rules as Redis bundles it: numbers as
%.14g, '/' escaped, tables as arrays when their keys are 1..n (unless too sparse), keys that
must be strings or numbers, nesting limits, NaN/Inf refused unless allowed, and the
configuration calls (encode_max_depth, decode_max_depth, encode_invalid_numbers, ...) whose
settings last for the Lua state, as lua-cjson's do."""

import json
import math


class CJSONError(ValueError):
    """Raised into the script as a Lua error (at the script's line)."""


class _Null:
    """cjson.null: lua-cjson's JSON null, a light userdata holding NULL. Decoding gives it for
    every null (so arrays keep their length); encoding writes it as null; Lua's tostring of it
    reads as a NULL pointer's."""

    __slots__ = ()

    def __repr__(self):
        return "userdata: (nil)"

    __str__ = __repr__


NULL = _Null()


_ESCAPES = {ord('"'): '\\"', ord("\\"): "\\\\", ord("/"): "\\/", ord("\b"): "\\b",
            ord("\f"): "\\f", ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}


def _escape(data: bytes) -> bytes:
    out = []
    for byte in data:
        if byte in _ESCAPES:
            out.append(_ESCAPES[byte].encode())
        elif byte < 0x20 or byte == 0x7F:
            out.append(b"\\u%04x" % byte)
        else:
            out.append(bytes((byte,)))
    return b'"' + b"".join(out) + b'"'


class LuaJSON:
    def __init__(self, lua, is_table):
        self.lua = lua
        self.is_table = is_table
        self.raw = lua.eval(b"rawget")
        self.encode_max_depth = 1000
        self.decode_max_depth = 1000
        self.encode_invalid_numbers = "off"  # off | on | null
        self.decode_invalid_numbers = True
        self.precision = 14
        self.keep_buffer = True
        self.sparse = (False, 2, 10)  # convert, ratio, safe

    # -- configuration ---------------------------------------------------------------------
    def configure(self, name: bytes, args: list):
        """cjson.<name>(...): set when given, and answer the setting (as lua-cjson)."""
        name = name.decode()
        if name in ("encode_max_depth", "decode_max_depth"):
            if args:
                depth = int(args[0])
                if depth < 1:
                    raise CJSONError(f"bad argument #1 to '{name}' (expected integer between "
                                     "1 and 2147483647)")
                setattr(self, name, depth)
            return [getattr(self, name)]
        if name == "encode_number_precision":
            if args:
                self.precision = int(args[0])
            return [self.precision]
        if name == "encode_keep_buffer":
            if args:
                self.keep_buffer = bool(args[0])
            return [self.keep_buffer]
        if name == "encode_invalid_numbers":
            if args:
                self.encode_invalid_numbers = _switch(args[0], allow_null=True)
            return [self.encode_invalid_numbers]
        if name == "decode_invalid_numbers":
            if args:
                self.decode_invalid_numbers = _switch(args[0]) == "on"
            return [self.decode_invalid_numbers]
        if name == "encode_sparse_array":
            convert, ratio, safe = self.sparse
            if args:
                convert = bool(args[0]) if args[0] is not None else convert
            if len(args) > 1 and args[1] is not None:
                ratio = int(args[1])
            if len(args) > 2 and args[2] is not None:
                safe = int(args[2])
            self.sparse = (convert, ratio, safe)
            return list(self.sparse)
        raise CJSONError(f"attempt to call field '{name}' (a nil value)")

    # -- encoding --------------------------------------------------------------------------
    def encode(self, value) -> bytes:
        return self._encode(value, 0)

    def _encode(self, value, depth: int) -> bytes:
        if value is None or value is NULL:
            return b"null"
        if value is True or value is False:
            return b"true" if value else b"false"
        if isinstance(value, (int, float)):
            return self._number(value)
        if isinstance(value, bytes):
            return _escape(value)
        if self.is_table(value):
            depth += 1
            if depth > self.encode_max_depth:
                raise CJSONError(f"Cannot serialise, excessive nesting ({depth})")
            length = self._array_length(value)
            if length >= 0:
                return b"[" + b",".join(self._encode(self.raw(value, index), depth)
                                        for index in range(1, length + 1)) + b"]"
            parts = []
            for key, item in value.items():
                if isinstance(key, bytes):
                    name = _escape(key)
                elif isinstance(key, (int, float)) and not isinstance(key, bool):
                    name = b'"' + self._number(key) + b'"'
                else:
                    raise CJSONError(f"Cannot serialise {_type(key)}: table key must be a number "
                                     "or string")
                parts.append(name + b":" + self._encode(item, depth))
            return b"{" + b",".join(parts) + b"}"
        raise CJSONError(f"Cannot serialise {_type(value)}: type not supported")

    def _number(self, number) -> bytes:
        if isinstance(number, float) and (math.isnan(number) or math.isinf(number)):
            if self.encode_invalid_numbers == "off":
                raise CJSONError("Cannot serialise number: must not be NaN or Inf")
            if self.encode_invalid_numbers == "null":
                return b"null"
            return b"nan" if math.isnan(number) else (b"inf" if number > 0 else b"-inf")
        return (b"%%.%dg" % self.precision) % number

    def _array_length(self, table) -> int:
        """n when the keys are exactly 1..n (holes allowed unless too sparse), else -1."""
        largest, items = 0, 0
        for key in table.keys():
            if isinstance(key, bool) or not isinstance(key, (int, float)) or key < 1 \
                    or key != int(key):
                return -1
            largest, items = max(largest, int(key)), items + 1
        convert, ratio, safe = self.sparse
        if ratio > 0 and largest > items * ratio and largest > safe:
            if convert:
                return -1
            raise CJSONError("Cannot serialise table: excessively sparse array")
        return largest if items else -1  # {} is an object, as lua-cjson encodes it

    # -- decoding --------------------------------------------------------------------------
    def decode(self, text: bytes):
        position = _too_deep(text, self.decode_max_depth)
        if position:
            raise CJSONError(f"Found too many nested data structures ({self.decode_max_depth + 1})"
                             f" at character {position}")
        try:
            parsed = json.loads(text.decode("utf-8", "replace"))
        except ValueError as exc:
            raise CJSONError(f"Expected value but found invalid token at character "
                             f"{getattr(exc, 'pos', 0) + 1}") from None
        return self._to_lua(parsed)

    def _to_lua(self, value):
        if isinstance(value, list):
            return self.lua.table_from([self._to_lua(item) for item in value])
        if isinstance(value, dict):
            return self.lua.table_from({key.encode(): self._to_lua(item)
                                        for key, item in value.items()})
        if isinstance(value, str):
            return value.encode()
        return NULL if value is None else value


def _too_deep(text: bytes, limit: int) -> int:
    """The 1-based position of the bracket that nests deeper than `limit` (0: none does)."""
    depth = 0
    in_string = escaped = False
    for index, byte in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return index + 1
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return 0


def _switch(value, allow_null: bool = False) -> str:
    if value is True or value in (b"on", "on"):
        return "on"
    if allow_null and value in (b"null", "null"):
        return "null"
    return "off"


def _type(value) -> str:
    if value is True or value is False:
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, bytes):
        return "string"
    name = type(value).__name__
    return "function" if "Function" in name else "table" if "Table" in name else "userdata"
