"""Cursor arguments and replies shared by SCAN, HSCAN, SSCAN and ZSCAN."""

import re

from .. import errors
from ..errors import CommandError
from ..glob import compile_glob
from .common import lower, to_int

_CURSOR_RE = re.compile(rb"([+-]?)([0-9]+)\Z")


def parse_cursor(value) -> int:
    """strtoul's rules, as Redis uses them: optional sign (negative wraps), no spaces; an
    empty cursor converts nothing and reads as 0 (Redis 7.4 refuses it, 7.2 does not)."""
    if not value:
        return 0
    match = _CURSOR_RE.match(value)
    if not match or int(match.group(2)) >= 1 << 64:
        raise CommandError(errors.INVALID_CURSOR)
    number = int(match.group(2))
    return (-number) % (1 << 64) if match.group(1) == b"-" else number


def parse_scan_options(args, start: int, allow_type: bool):
    pattern, count, kind = None, 10, None
    i = start
    while i < len(args):
        opt = lower(args[i])
        if i + 1 >= len(args):
            raise CommandError(errors.SYNTAX)
        if opt == b"count":
            count = to_int(args[i + 1])
            if count < 1:
                raise CommandError(errors.SYNTAX)
        elif opt == b"match":
            pattern = bytes(args[i + 1])
        elif opt == b"type" and allow_type:
            kind = bytes(args[i + 1]).decode("utf-8", "replace").lower()
        else:
            raise CommandError(errors.SYNTAX)
        i += 2
    return pattern, count, kind


def scan_reply(client, args, cursor: int, container, expand, source, small: bool):
    """[cursor, items] for HSCAN/SSCAN/ZSCAN: the caller parsed the cursor, then looked the
    key up (Redis's order), the options are read here, only when the key exists.
    `source()` gives the container's elements, `expand(element)` the values to return for
    one. Small (listpack/intset) containers are returned whole with cursor 0, as Redis does."""
    if container is None:
        return [b"0", []]
    pattern, count, _ = parse_scan_options(args, 3, allow_type=False)
    if small:
        next_cursor, elements = 0, list(source())
    else:
        next_cursor, elements = client.server.container_scanner.page(source(), cursor, count)
    if pattern is not None and pattern != b"*":
        match = compile_glob(pattern).fullmatch
        elements = [e for e in elements if match(e)]
    out = []
    for element in elements:
        out.extend(expand(element))
    return [b"%d" % next_cursor, out]
