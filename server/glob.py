"""Redis glob patterns (KEYS, SCAN MATCH, CONFIG GET, PUBSUB): *, ?, [set], [^set], [a-z], \\x.

Patterns are compiled once (cached) following stringmatchlen's rules, including its quirks: an
empty set '[]' matches nothing, a reversed range [z-a] is swapped, an unterminated '[' takes
the rest of the pattern as the set, and an empty string matches no pattern but the empty one
(KEYS * and SCAN MATCH * list it: they skip matching).

A pattern is cut at its stars into pieces that each match a fixed number of bytes (regexes
without '*'). The first piece must match at the start, the last at the end, and the ones
between are found leftmost, in order: linear work per piece, where one regex with '.*' between
pieces backtracks exponentially on patterns like a*a*a*a*...b (Redis's suite tests that one).
"""

import functools
import re

MAX_NESTING = 1000  # stringmatchlen's recursion limit


class Glob:
    """A compiled pattern: `fullmatch(value)` answers True or None."""

    __slots__ = ("pieces", "tail_width", "whole", "too_deep")

    def __init__(self, pieces: list, tail_width: int, flags: int):
        compiled = [re.compile(piece, flags) for piece in pieces]
        self.whole = compiled[0] if len(compiled) == 1 else None  # no star: one regex
        self.pieces = compiled
        self.tail_width = tail_width  # bytes the last piece matches
        # each star followed by something is one level of stringmatchlen's recursion
        self.too_deep = sum(1 for piece in pieces[1:] if piece) > MAX_NESTING

    def fullmatch(self, value: bytes):
        if not value:  # stringmatchlen never matches an empty string, but to an empty pattern
            return True if self.whole is not None and not self.whole.pattern else None
        if self.too_deep:
            return None
        if self.whole is not None:
            return True if self.whole.fullmatch(value) is not None else None
        pieces = self.pieces
        start = pieces[0].match(value)
        if start is None:
            return None
        position, limit = start.end(), len(value) - self.tail_width
        if limit < position or pieces[-1].fullmatch(value, limit) is None:
            return None
        for piece in pieces[1:-1]:  # leftmost, in order
            found = piece.search(value, position, limit)
            if found is None:
                return None
            position = found.end()
        return True


@functools.lru_cache(maxsize=256)
def compile_glob(pattern: bytes, nocase: bool = False) -> Glob:
    pieces, out = [], []  # star-free pieces; `out`: the one-byte elements of the current one
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i : i + 1]
        if c == b"*":
            while i + 1 < n and pattern[i + 1 : i + 2] == b"*":
                i += 1
            pieces.append(b"".join(out))
            out = []
        elif c == b"?":
            out.append(b".")
        elif c == b"[":
            i, cls = _char_class(pattern, i + 1)
            out.append(cls)
            continue
        elif c == b"\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i : i + 1]))
        else:
            out.append(re.escape(c))
        i += 1
    pieces.append(b"".join(out))
    return Glob(pieces, len(out), re.DOTALL | (re.IGNORECASE if nocase else 0))


def _char_class(pattern: bytes, i: int):
    """Parse a [...] set starting after '['; returns (next index, regex)."""
    n = len(pattern)
    negate = i < n and pattern[i : i + 1] == b"^"
    if negate:
        i += 1
    items = []
    while i < n:
        c = pattern[i : i + 1]
        if c == b"\\" and i + 1 < n:
            items.append(re.escape(pattern[i + 1 : i + 2]))
            i += 2
        elif c == b"]":
            i += 1
            break
        elif i + 2 < n and pattern[i + 1 : i + 2] == b"-":
            start, end = pattern[i], pattern[i + 2]
            if start > end:
                start, end = end, start
            items.append(b"%s-%s" % (re.escape(bytes([start])), re.escape(bytes([end]))))
            i += 3
        else:
            items.append(re.escape(c))
            i += 1
    if not items:
        return i, (b"[^\\x00-\\xff]" if not negate else b"[\\x00-\\xff]")
    body = b"".join(items)
    return i, (b"[^" + body + b"]" if negate else b"[" + body + b"]")


def glob_match(pattern: bytes, value: bytes, nocase: bool = False) -> bool:
    return compile_glob(bytes(pattern), nocase).fullmatch(value) is not None
