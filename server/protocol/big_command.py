"""Multibulk commands with a huge argument count, parsed without hiredis.

hiredis allocates a command's whole argument list when it reads the `*<count>` header: for
`*2147483647` (a count Redis accepts, then waits for the arguments) that is 16 GB of zeroed
virtual memory, and freeing or garbage-collecting the list later stalls the event loop for
seconds. So RequestParser keeps such headers away from hiredis and hands the command to
BigCommand, which grows the argument list only as the arguments arrive, as Redis does.
"""

import re

INT_MAX = 2**31 - 1
BIG_COUNT_DIGITS = 8  # counts written with 8+ digits (10,000,000 or more) are parsed here


def header_pattern(digits: int) -> re.Pattern:
    return re.compile(rb"\*[0-9]{%d}" % digits)


big_header = header_pattern(BIG_COUNT_DIGITS)
INLINE_MAX = 64 * 1024  # Redis's PROTO_INLINE_MAX_SIZE: longest header line


class BigCommandError(Exception):
    """Redis's words after 'Protocol error: '."""


def first_big_header(stream: bytes) -> int:
    """Offset of the first command in `stream` (which starts at a command boundary) whose
    count has BIG_COUNT_DIGITS digits or more; -1 when there is none among the commands it
    holds, or when the walk meets anything but well-formed multibulk (left to hiredis)."""
    pos = 0
    size = len(stream)
    while pos < size:
        if stream[pos] != 42:  # '*'
            return -1
        end = stream.find(b"\r\n", pos)
        if end < 0:
            return -1
        digits = stream[pos + 1:end]
        if len(digits) >= BIG_COUNT_DIGITS and digits.isdigit():
            return pos
        try:
            count = int(digits)
        except ValueError:
            return -1
        pos = end + 2
        for _ in range(count):
            end = stream.find(b"\r\n", pos)
            if end < 0 or stream[pos] != 36:  # '$'
                return -1
            try:
                pos = end + 2 + int(stream[pos + 1:end]) + 2
            except ValueError:
                return -1
            if pos >= size:
                return -1
    return -1


class BigCommand:
    """One command being received, from its `*<count>` header on."""

    __slots__ = ("buffer", "count", "args")

    def __init__(self, data: bytes):
        self.buffer = bytearray(data)
        self.count = -1  # not read yet
        self.args: list = []

    def feed(self, data: bytes) -> None:
        self.buffer += data

    def take(self, max_bulk_len: int):
        """The complete command and the bytes after it, or None while arguments are missing.
        Raises BigCommandError where Redis would answer a protocol error."""
        buffer = self.buffer
        pos = 0
        if self.count < 0:
            end = buffer.find(b"\r\n")
            if end < 0:
                if len(buffer) > INLINE_MAX:
                    raise BigCommandError("too big mbulk count string")
                return None
            self.count = _length(buffer[1:end], INT_MAX, "invalid multibulk length")
            pos = end + 2
        args = self.args
        while len(args) < self.count:
            end = buffer.find(b"\r\n", pos)
            if end < 0:
                if len(buffer) - pos > INLINE_MAX:
                    raise BigCommandError("too big bulk count string")
                break
            if buffer[pos] != 36:  # '$'
                raise BigCommandError(f"expected '$', got '{chr(buffer[pos])}'")
            length = _length(buffer[pos + 1:end], max_bulk_len, "invalid bulk length")
            if end + 2 + length + 2 > len(buffer):
                break
            args.append(bytes(buffer[end + 2:end + 2 + length]))
            pos = end + 2 + length + 2
        del buffer[:pos]
        if len(args) < self.count:
            return None
        return args, bytes(buffer)

    def pending(self) -> int:
        """Bytes not yet taken as arguments (the arguments count as argv, as in Redis)."""
        return len(self.buffer)


def _length(text: bytes, limit: int, error: str) -> int:
    """A header's number, as strictly as Redis's string2ll reads it (no sign, no leading
    zero), at most `limit`."""
    if not text.isdigit() or (len(text) > 1 and text[0] == 48):
        raise BigCommandError(error)
    value = int(text)
    if value > limit:
        raise BigCommandError(error)
    return value
