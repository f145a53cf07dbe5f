"""Redis glob patterns (KEYS, SCAN MATCH, CONFIG GET, PUBSUB): *, ?, [set], [^set], [a-z], \\x.

Patterns are translated once to a compiled regex (cached) following stringmatchlen's rules,
including its quirks: an empty set '[]' matches nothing, a reversed range [z-a] is swapped, and an
unterminated '[' takes the rest of the pattern as the set.
"""

import functools
import re


@functools.lru_cache(maxsize=256)
def compile_glob(pattern: bytes, nocase: bool = False):
    out = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i : i + 1]
        if c == b"*":
            while i + 1 < n and pattern[i + 1 : i + 2] == b"*":
                i += 1
            out.append(b".*")
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
    flags = re.DOTALL | (re.IGNORECASE if nocase else 0)
    return re.compile(b"".join(out), flags)


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
