"""The `cjson` library scripts see, with lua-cjson's rules as Redis bundles it: numbers as
%.14g, '/' escaped, tables as arrays when their keys are 1..n (unless too sparse), keys that
must be strings or numbers, nesting limits, NaN/Inf refused unless allowed, and the
configuration calls (encode_max_depth, decode_max_depth, encode_invalid_numbers, ...) whose
settings last for the Lua state, as lua-cjson's do."""

import math
import re

from .library_errors import ArgumentError, RaisedError
from .lua_values import check_integer, lua_type, number_text


# the configuration functions cjson offers (LuaJSON.configure)
SETTINGS = ("encode_max_depth", "decode_max_depth", "encode_invalid_numbers",
            "decode_invalid_numbers", "encode_number_precision", "encode_keep_buffer",
            "encode_sparse_array")


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
    def configure(self, name: str, *args) -> tuple:
        """cjson.<name>(...): set when given, and answer the setting (as lua-cjson)."""
        if name in ("encode_max_depth", "decode_max_depth"):
            if args:
                depth = check_integer(args, 1)
                if depth < 1:
                    raise ArgumentError(1, "expected integer between 1 and 2147483647")
                setattr(self, name, depth)
            return (getattr(self, name),)
        if name == "encode_number_precision":
            if args:
                self.precision = check_integer(args, 1)
            return (self.precision,)
        if name == "encode_keep_buffer":
            if args:
                self.keep_buffer = bool(args[0])
            return (self.keep_buffer,)
        if name == "encode_invalid_numbers":
            if args:
                self.encode_invalid_numbers = _switch(args[0], allow_null=True)
            return (self.encode_invalid_numbers,)
        if name == "decode_invalid_numbers":
            if args:
                self.decode_invalid_numbers = _switch(args[0]) == "on"
            return (self.decode_invalid_numbers,)
        if name == "encode_sparse_array":
            convert, ratio, safe = self.sparse
            if args:
                convert = bool(args[0]) if args[0] is not None else convert
            if len(args) > 1 and args[1] is not None:
                ratio = check_integer(args, 2)
            if len(args) > 2 and args[2] is not None:
                safe = check_integer(args, 3)
            self.sparse = (convert, ratio, safe)
            return self.sparse
        raise ValueError(f"no cjson setting {name}")

    # -- encoding --------------------------------------------------------------------------
    def encode(self, *args) -> bytes:
        """cjson.encode(value)."""
        if len(args) != 1:
            raise ArgumentError(1, "expected 1 argument")
        return self._encode(args[0], 0)

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
                raise RaisedError(f"Cannot serialise, excessive nesting ({depth})")
            length = self._array_length(value)
            if length > 0:  # ({} and what overflowed below are objects)
                return b"[" + b",".join(self._encode(self.raw(value, index), depth)
                                        for index in range(1, length + 1)) + b"]"
            parts = []
            for key, item in value.items():
                if isinstance(key, bytes):
                    name = _escape(key)
                elif isinstance(key, (int, float)) and not isinstance(key, bool):
                    name = b'"' + self._number(key) + b'"'
                else:
                    raise RaisedError(f"Cannot serialise {lua_type(key)}: table key must be a "
                                      "number or string")
                parts.append(name + b":" + self._encode(item, depth))
            return b"{" + b",".join(parts) + b"}"
        raise RaisedError(f"Cannot serialise {lua_type(value)}: type not supported")

    def _number(self, number) -> bytes:
        if isinstance(number, float) and (math.isnan(number) or math.isinf(number)):
            if self.encode_invalid_numbers == "off":
                raise RaisedError("Cannot serialise number: must not be NaN or Inf")
            if self.encode_invalid_numbers == "null":
                return b"null"
            return b"nan" if math.isnan(number) else (b"inf" if number > 0 else b"-inf")
        return (b"%%.%dg" % self.precision) % number

    def _array_length(self, table) -> int:
        """lua_array_length: the largest key when every key is an integer from 1 up (holes
        allowed unless too sparse), -1 otherwise. The largest is a C int: a key beyond its
        range (infinity too) makes it INT_MIN, as x86-64 converts it."""
        largest, items = 0, 0
        for key in table.keys():
            if isinstance(key, bool) or not isinstance(key, (int, float)) or not key:
                return -1
            number = float(key)
            if not ((math.isinf(number) or number.is_integer()) and number >= 1):  # (floor)
                return -1
            if number > largest:
                largest = int(number) if number < 2.0**31 else -(2**31)
            items += 1
        convert, ratio, safe = self.sparse
        if ratio > 0 and largest > items * ratio and largest > safe:
            if convert:
                return -1
            raise RaisedError("Cannot serialise table: excessively sparse array")
        return largest

    # -- decoding --------------------------------------------------------------------------
    def decode(self, *args):
        """cjson.decode(text): lua-cjson's own parser (its tokens, its error words)."""
        if len(args) != 1:
            raise ArgumentError(1, "expected 1 argument")
        text = args[0]
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            text = number_text(text)  # (luaL_checklstring takes a number, as Lua writes it)
        if not isinstance(text, bytes):
            raise ArgumentError(1, f"string expected, got {lua_type(text)}")
        if len(text) >= 2 and (not text[0] or not text[1]):
            raise RaisedError("JSON parser does not support UTF-16 or UTF-32")
        return _Decoder(self, text).document()


_TOKENS = {ord("{"): "T_OBJ_BEGIN", ord("}"): "T_OBJ_END", ord("["): "T_ARR_BEGIN",
           ord("]"): "T_ARR_END", ord(","): "T_COMMA", ord(":"): "T_COLON", 0: "T_END"}
_WHITESPACE = b" \t\n\r"
_ESCAPES_IN = {ord('"'): b'"', ord("\\"): b"\\", ord("/"): b"/", ord("b"): b"\b",
               ord("t"): b"\t", ord("n"): b"\n", ord("f"): b"\f", ord("r"): b"\r"}
# strtod's longest prefix: decimal, hexadecimal (with a binary exponent), inf/infinity, nan
_STRTOD = re.compile(
    rb"[+-]?(?:0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?"
    rb"|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    rb"|(?i:infinity|inf|nan(?:\([0-9A-Za-z_]*\))?))")


class _Token:
    __slots__ = ("kind", "index", "value")

    def __init__(self, kind: str, index: int, value=None):
        self.kind, self.index, self.value = kind, index, value


class _Decoder:
    """json_next_token and the parse contexts of lua_cjson.c. The text ends at its first NUL,
    as the C parser reads it."""

    def __init__(self, owner: "LuaJSON", text: bytes):
        self.owner = owner
        self.data = text.partition(b"\0")[0] + b"\0"
        self.at = 0
        self.depth = 0

    def document(self):
        value = self.value(self.token())
        token = self.token()
        if token.kind != "T_END":
            self.fail("the end", token)
        return value

    def fail(self, expected: str, token: _Token):
        found = token.value if token.kind == "T_ERROR" else token.kind
        raise RaisedError(f"Expected {expected} but found {found} at character "
                          f"{token.index + 1}")

    def descend(self) -> None:
        self.depth += 1
        if self.depth > self.owner.decode_max_depth:
            raise RaisedError(f"Found too many nested data structures ({self.depth}) at "
                              f"character {self.at}")

    def value(self, token: _Token):
        kind = token.kind
        if kind in ("T_STRING", "T_NUMBER", "T_BOOLEAN"):
            return token.value
        if kind == "T_NULL":
            return NULL
        if kind == "T_OBJ_BEGIN":
            return self.object()
        if kind == "T_ARR_BEGIN":
            return self.array()
        self.fail("value", token)

    def object(self):
        pairs = {}

        def member(token: _Token) -> None:
            if token.kind != "T_STRING":
                self.fail("object key string", token)
            colon = self.token()
            if colon.kind != "T_COLON":
                self.fail("colon", colon)
            pairs[token.value] = self.value(self.token())

        self.elements("T_OBJ_END", "comma or object end", member)
        return self.owner.lua.table_from(pairs)

    def array(self):
        items = []
        self.elements("T_ARR_END", "comma or array end", lambda token: items.append(
            self.value(token)))
        return self.owner.lua.table_from(items)

    def elements(self, end: str, expected: str, read) -> None:
        """The parse contexts' loop: nothing, or elements (`read` given each one's first
        token) separated by commas, up to the `end` token; a level of nesting meanwhile."""
        self.descend()
        token = self.token()
        if token.kind != end:
            while True:
                read(token)
                token = self.token()
                if token.kind == end:
                    break
                if token.kind != "T_COMMA":
                    self.fail(expected, token)
                token = self.token()
        self.depth -= 1

    def token(self) -> _Token:
        data = self.data
        while data[self.at] in _WHITESPACE:
            self.at += 1
        start, char = self.at, data[self.at]
        kind = _TOKENS.get(char)
        if kind is not None:
            if kind != "T_END":
                self.at += 1
            return _Token(kind, start)
        if char == 0x22:  # '"'
            return self.string(start)
        if char == 0x2D or 0x30 <= char <= 0x39:  # '-', a digit
            return self.number(start)
        for word, kind, value in ((b"true", "T_BOOLEAN", True), (b"false", "T_BOOLEAN", False),
                                  (b"null", "T_NULL", None)):
            if data.startswith(word, start):
                self.at += len(word)
                return _Token(kind, start, value)
        if char in b"iInN+" and self.owner.decode_invalid_numbers and _invalid_number(data,
                                                                                    start):
            return self.number(start)
        return _Token("T_ERROR", start, "invalid token")

    def number(self, start: int) -> _Token:
        if not self.owner.decode_invalid_numbers and _invalid_number(self.data, start):
            return _Token("T_ERROR", start, "invalid number")
        match = _STRTOD.match(self.data, start)
        if match is None:
            return _Token("T_ERROR", start, "invalid number")
        self.at = match.end()
        return _Token("T_NUMBER", start, _strtod(match.group()))

    def string(self, start: int) -> _Token:
        data, out = self.data, bytearray()
        self.at += 1
        while data[self.at] != 0x22:
            char = data[self.at]
            if char == 0:
                return _Token("T_ERROR", self.at, "unexpected end of string")
            if char == 0x5C:  # backslash
                escape = data[self.at + 1]
                if escape == 0x75:  # \u
                    if not self.unicode_escape(out):
                        return _Token("T_ERROR", self.at, "invalid unicode escape code")
                    continue
                if escape not in _ESCAPES_IN:
                    return _Token("T_ERROR", self.at, "invalid escape code")
                out += _ESCAPES_IN[escape]
                self.at += 2
                continue
            out.append(char)
            self.at += 1
        self.at += 1
        return _Token("T_STRING", start, bytes(out))

    def unicode_escape(self, out: bytearray) -> bool:
        """\\uXXXX (a surrogate pair as two), appended as UTF-8; False when malformed."""
        code = _hex4(self.data, self.at + 2)
        length = 6
        if code < 0:
            return False
        if code & 0xF800 == 0xD800:
            if code & 0x400 or self.data[self.at + 6:self.at + 8] != b"\\u":
                return False
            low = _hex4(self.data, self.at + 8)
            if low < 0 or low & 0xFC00 != 0xDC00:
                return False
            code = (((code & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000
            length = 12
        out += chr(code).encode("utf-8", "surrogatepass")
        self.at += length
        return True


def _hex4(data: bytes, at: int) -> int:
    digits = data[at:at + 4]
    if len(digits) < 4 or any(chr(d) not in "0123456789abcdefABCDEF" for d in digits):
        return -1
    return int(digits, 16)


def _invalid_number(data: bytes, at: int) -> bool:
    """json_is_invalid_number: a leading '+', hex or a leading zero, inf or nan."""
    if data[at] == 0x2B:
        return True
    if data[at] == 0x2D:
        at += 1
    if data[at] == 0x30:
        following = data[at + 1]
        return following | 0x20 == 0x78 or 0x30 <= following <= 0x39
    if data[at] <= 0x39:
        return False
    return data[at:at + 3].lower() in (b"inf", b"nan")


def _strtod(text: bytes) -> float:
    body = text.lstrip(b"+-")
    sign = -1.0 if text.startswith(b"-") else 1.0
    if body[:2].lower() == b"0x":
        return sign * float.fromhex(body.decode())
    if body[:3].lower() == b"nan":
        return math.copysign(math.nan, sign)
    return float(text)


def _switch(value, allow_null: bool = False) -> str:
    if value is True or value in (b"on", "on"):
        return "on"
    if allow_null and value in (b"null", "null"):
        return "null"
    return "off"
