"""Function libraries (FUNCTION LOAD): metadata parsing and the registry entries."""

import re

from ..errors import CommandError

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
    """'#!lua name=<lib>' -> (library name, body with the first line blanked)."""
    first, _, rest = code.partition(b"\n")
    if not first.startswith(b"#!"):
        raise CommandError("ERR Missing library metadata")
    words = first[2:].decode("utf-8", "replace").split()
    if not words:
        raise CommandError("ERR Missing library metadata")
    engine, params = words[0], words[1:]
    if engine.lower() != "lua":
        raise CommandError(f"ERR Engine '{engine}' not found")
    name = None
    for param in params:
        if param.startswith("name="):
            if name is not None:
                raise CommandError("ERR Invalid metadata value, name argument was given "
                                   "multiple times")
            name = param[5:]
        else:
            raise CommandError(f"ERR Invalid metadata value given: {param}")
    if name is None:
        raise CommandError("ERR Library name was not given")
    if not _NAME.match(name):
        raise CommandError("ERR Library names can only contain letters, numbers, or "
                           "underscores(_) and must be at least one character long")
    return name, b"\n" + rest  # keep line numbers: the body starts on line 2
