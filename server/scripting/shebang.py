"""EVAL scripts' optional first line, `#!lua flags=no-writes,allow-oom`, as Redis 7 reads it.

A script without one runs in compatibility mode (None flags): it may write, and the checks
happen command by command inside it. With one, its flags say up front what it may do:
`no-writes` makes it read-only (and allowed under EVAL_RO), `allow-oom` lets it start when
memory is over maxmemory; the other flags are accepted and change nothing on a single server.
"""

from ..errors import CommandError
from .functions import KNOWN_FLAGS


def script_flags(body: bytes):
    """(flags as a frozenset, or None without a shebang; the body to compile, its first line
    blanked so line numbers stay right)."""
    if not body.startswith(b"#!"):
        return None, body
    end = body.find(b"\n")
    if end < 0:
        raise CommandError("ERR Invalid script shebang")
    parts = body[:end].decode("utf-8", "replace").split()
    if not parts:
        raise CommandError("ERR Invalid engine in script shebang")
    if parts[0] != "#!lua":
        raise CommandError(f"ERR Unexpected engine in script shebang: {parts[0]}")
    flags = set()
    for option in parts[1:]:
        if not option.startswith("flags="):
            raise CommandError(f"ERR Unknown lua shebang option: {option}")
        for flag in option[6:].split(",") if option[6:] else ():
            if flag not in KNOWN_FLAGS:
                raise CommandError(f"ERR Unexpected flag in script shebang: {flag}")
            flags.add(flag)
    return frozenset(flags), body[end:]
