"""Function libraries (FUNCTION LOAD): metadata parsing and the registry entries."""

import re

from ..errors import CommandError
from ..protocol.reader import ProtocolError, split_inline

_NAME = re.compile(r"[A-Za-z0-9_]+\Z")
KNOWN_FLAGS = {"no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"}


class Library:
    def __init__(self, name: str, code: bytes, functions: dict):
        self.name = name
        self.code = code
        self.functions = functions  # function name -> (Lua callback, [flags], description)
        self._names = {fname.lower(): fname for fname in functions}

    def function(self, name: str):
        """(registered name, callback, flags) of a function, named in any case."""
        fname = self._names[name.lower()]
        callback, flags, _ = self.functions[fname]
        return fname, callback, flags


def parse_metadata(code: bytes):
    """'#!lua name=<lib>' -> (library name, body with the first line blanked). The first line
    is split as Redis splits it (sdssplitargs: quotes allowed)."""
    if not code.startswith(b"#!"):
        raise CommandError("ERR Missing library metadata")
    first, newline, rest = code.partition(b"\n")
    try:
        words = split_inline(first) if newline else []
    except ProtocolError:
        words = []
    if not words:
        raise CommandError("ERR Invalid library metadata")
    engine = words[0][2:].decode("utf-8", "replace")
    name = None
    for word in words[1:]:
        if word[:5].lower() == b"name=":
            if name is not None:
                raise CommandError("ERR Invalid metadata value, name argument was given "
                                   "multiple times")
            name = word[5:].decode("utf-8", "replace")
        else:
            raise CommandError("ERR Invalid metadata value given: "
                               + word.decode("utf-8", "replace"))
    if name is None:
        raise CommandError("ERR Library name was not given")
    if not _NAME.match(name):
        raise CommandError("ERR Library names can only contain letters, numbers, or "
                           "underscores(_) and must be at least one character long")
    if engine.lower() != "lua":
        raise CommandError(f"ERR Engine '{engine}' not found")
    return name, b"\n" + rest  # keep line numbers: the body starts on line 2
