"""Split a client's byte stream into commands (lists of bytes arguments).

RESP multibulk requests go through hiredis's C parser. Inline requests (`PING\\r\\n`, telnet
style, redis-benchmark's PING_INLINE, the empty line redis-cli --pipe sends) are split here, the
way Redis's processInlineBuffer does, whenever the parser sits at a command boundary and the next
byte is not '*'.
"""

import re
from itertools import chain

import hiredis

from . import big_command
from .big_command import BigCommand, BigCommandError

INLINE_MAX = 64 * 1024  # Redis's PROTO_INLINE_MAX_SIZE
INT_MAX = 2**31 - 1
_NEGATIVE_COUNT = re.compile(rb"\*-[0-9]+\r\n")


class ProtocolError(Exception):
    """The stream is not valid RESP; the message is Redis's text after 'Protocol error: '."""


UNAUTHENTICATED_MAX_ARGS, UNAUTHENTICATED_MAX_BULK = 10, 16384  # Redis's authRequired() limits
HISTORY_TRIM_BYTES = 4 * 1024 * 1024
PARTIAL_CHECK_BYTES = 64 * 1024


class RequestParser:
    """Feeds hiredis once the stream is multibulk; splits inline lines itself.

    hiredis cannot hand back bytes it has buffered. When it meets a non-'*' byte where a new
    command starts (an inline command after multibulk ones, or the empty line redis-cli --pipe
    sends before its final ECHO), the parser works out how many bytes the commands it already
    returned used, and continues inline from there. For that it keeps references to the chunks
    fed since the last known command boundary; the list is dropped whenever a read ends exactly
    at a command's end, and trimmed by exact accounting if it ever grows large.
    """

    __slots__ = ("_reader", "_inline", "_multibulk", "_history", "_history_bytes", "_parsed",
                 "_next_check", "_big", "_tail", "_max_bulk_len", "inline_indexes")

    def __init__(self):
        self._reader = hiredis.Reader()
        self._inline = b""  # bytes not yet handed to hiredis because they may be inline
        self._multibulk = False
        self._history: list = []  # chunks fed to hiredis since the last known boundary
        self._history_bytes = 0
        self._parsed: list = []  # commands returned from those chunks
        self._next_check = PARTIAL_CHECK_BYTES  # see check_partial()
        self._big = None  # a BigCommand being received (see big_command.py)
        self._tail = b""  # the last bytes fed to hiredis: a count header may span two reads
        self._max_bulk_len = 512 * 1024 * 1024  # proto-max-bulk-len, as check_partial last saw
        self.inline_indexes: list = []  # where the last parse() put inline commands in `out`

    def read(self, data: bytes, out: list) -> None:
        """feed(data), then parse(out). The usual read, one whole command arriving at a command
        boundary (an unpipelined client), takes a short path."""
        if (self._history or self._inline or self._big is not None or self.inline_indexes
                or not data or data[0] != 42 or big_command.big_header.search(data)):
            self.feed(data)
            self.parse(out)
            return
        self._multibulk = True
        self._tail = b"" if data[-1] == 10 else data[-big_command.BIG_COUNT_DIGITS:]
        reader = self._reader
        reader.feed(data)
        try:
            command = reader.gets()
        except hiredis.ProtocolError:
            command = False  # parse() meets the error again and handles it
        if command is not False and not reader.has_data() and type(command) is list \
                and command and set(map(type, command)) == _BYTES:
            out.append(command)
            return
        self._history = [data]
        self._history_bytes = len(data)
        if command is not False:
            self._parsed = [command]
            _accept([command], out)
        self.parse(out)

    def feed(self, data: bytes) -> None:
        if not data:  # asyncio never delivers an empty read, but a caller may pass one
            return
        if self._inline:
            self._inline += data
        elif self._big is not None:
            self._big.feed(data)
        elif self._multibulk or data[0] == 42:  # '*'
            self._multibulk = True
            digits = big_command.BIG_COUNT_DIGITS
            found = big_command.big_header.search
            if (found(data) or (self._tail and found(self._tail + data[:digits]))) \
                    and self._divert_big(data):
                return
            if data[-1] == 10:  # ends a line: the next read cannot continue a count header
                self._tail = b""
            else:
                self._tail = data[-digits:] if len(data) >= digits \
                    else (self._tail + data)[-digits:]
            self._feed_hiredis(data)
        else:
            self._inline = data

    def _feed_hiredis(self, data: bytes) -> None:
        self._reader.feed(data)
        self._history.append(data)
        self._history_bytes += len(data)
        if self._history_bytes > HISTORY_TRIM_BYTES:
            self._trim_history()

    def _divert_big(self, data: bytes) -> bool:
        """If a command with a huge count starts in the stream, keep its header from hiredis:
        hiredis is restarted on the whole commands before it, the rest goes to BigCommand."""
        stream = self._unconsumed() + data if self._history else data
        offset = big_command.first_big_header(stream)
        if offset < 0:
            return False  # the digits were inside an argument
        self._restart(b"")
        self._multibulk = True
        if offset:
            self._feed_hiredis(stream[:offset])
        self._big = BigCommand(stream[offset:])
        return True

    def _take_big(self, out: list) -> bool:
        """Hand on the big command once complete and go on with the bytes after it."""
        try:
            taken = self._big.take(self._max_bulk_len)
        except BigCommandError as exc:
            raise ProtocolError(str(exc)) from None
        if taken is None:
            return False
        command, rest = taken
        self._restart(b"")
        if command:  # '*0' is ignored, as Redis does
            out.append(command)
        if rest:
            self.feed(rest)
        return True

    def buffered(self) -> int:
        """Bytes received but not yet returned as commands (approximate for hiredis's part:
        it keeps up to a few KB it has already parsed; cheap enough for every read)."""
        return len(self._inline) + (self._reader.len() if self._multibulk else 0) + (
            self._big.pending() if self._big is not None else 0)

    def pending(self) -> int:
        """Exactly the bytes received that no returned command used (CLIENT LIST's qbuf)."""
        return len(self._inline) + (len(self._unconsumed()) if self._history else 0) + (
            self._big.pending() if self._big is not None else 0)

    def parse(self, out: list) -> None:
        """Append every complete command to `out`; raise ProtocolError on a malformed stream."""
        if self.inline_indexes:
            self.inline_indexes = []
        while True:
            if self._inline:
                if not self._take_inline(out):
                    return
                continue
            reader = self._reader
            gets, has_data = reader.gets, reader.has_data
            batch = []
            append = batch.append
            at_boundary = False
            try:
                command = gets()
                while command is not False:
                    append(command)
                    # hiredis returns as soon as a command completes, before reading on: with
                    # nothing left unread, the input ended exactly at this command's end (a
                    # gets() that returns False may have read the start of the next one).
                    if not has_data():
                        at_boundary = True
                        break
                    command = gets()
            except hiredis.ProtocolError as exc:
                self._parsed += batch
                _accept(batch, out)  # what came before the error is executed, as in Redis
                if not (self._resume_inline(str(exc)) or self._skip_negative_count(str(exc))):
                    raise ProtocolError(_redis_wording(str(exc))) from None
                continue
            if batch:
                if at_boundary:  # nothing before the end of the input is pending
                    self._history = []
                    self._history_bytes = 0
                    self._parsed = []
                else:
                    self._parsed += batch
                _accept(batch, out)
                self._next_check = PARTIAL_CHECK_BYTES
            if self._big is None or not self._take_big(out):
                return

    def check_partial(self, max_bulk_len: int, unauthenticated: bool = False) -> None:
        """Reject an incomplete command whose headers already break the limits.

        Redis refuses a count over INT_MAX or a bulk longer than proto-max-bulk-len as soon as
        it reads the header; hiredis would wait for the data. So the headers of a command left
        half-read are checked here: on every read while it is under 64 KB, then at each
        doubling of the buffered input (O(n log n) in all). Before AUTH the limits are
        Redis's unauthenticated ones, checked on every read (they keep the command small)."""
        self._max_bulk_len = max_bulk_len
        if unauthenticated and self._big is not None and self._big.count >= 0:
            raise ProtocolError("unauthenticated multibulk length")
        if not self._multibulk or not self._history:
            return
        if self._history_bytes >= PARTIAL_CHECK_BYTES and not unauthenticated:
            if self._history_bytes < self._next_check:
                return
            self._next_check = self._history_bytes * 2
        _check_headers(self._unconsumed(), max_bulk_len, unauthenticated)

    def big_argument_in_progress(self):
        """(length, bytes received) of a bulk argument of at least 32 KB whose bytes are still
        arriving at the end of the input, else None: Redis sizes its query buffer for such an
        argument at once, and its qbuf then holds that argument only."""
        if self._inline or self._big is not None or not self._history:
            return None
        return big_argument_in_progress(self._unconsumed())

    def _unconsumed(self) -> bytes:
        consumed = sum(encoded_size(command) for command in self._parsed)
        return b"".join(self._history)[consumed:]

    def _trim_history(self) -> None:
        rest = self._unconsumed()
        self._history = [rest] if rest else []
        self._history_bytes = len(rest)
        self._parsed = []

    def _skip_negative_count(self, message: str) -> bool:
        """`*-10\r\n`: hiredis only knows `*-1`, Redis skips any count below 1."""
        if "multi-bulk length out of range" not in message.lower():
            return False
        remainder = self._unconsumed()
        header = _NEGATIVE_COUNT.match(remainder)
        if header is None:
            return False
        self._restart(b"")
        self.feed(remainder[header.end():])
        return True

    def _restart(self, inline: bytes) -> None:
        """A fresh hiredis reader; `inline` is what to parse inline first."""
        self._reader = hiredis.Reader()
        self._multibulk = False
        self._big = None
        self._tail = b""
        self._history = []
        self._history_bytes = 0
        self._parsed = []
        self._inline = inline

    def _resume_inline(self, message: str) -> bool:
        """hiredis stopped at a non-'*' byte: if that is a command boundary, go inline."""
        if "reply type byte" not in message:
            return False
        remainder = self._unconsumed()
        # hiredis names the byte it stopped at (escaped when not printable): a cross-check.
        bad = message.split('"')[1].encode() if message.count('"') >= 2 else b""
        if len(bad) != 1:
            bad = b""
        if not remainder or remainder[0] == 42 or not remainder.startswith(bad):
            return False  # the bad byte is inside a multibulk command: a real error
        self._restart(remainder)
        return True

    def _take_inline(self, out: list) -> bool:
        """Consume inline lines; hand the rest to hiredis once a '*' starts a command."""
        lines = self._inline.split(b"\n")
        partial = lines.pop()  # after the last newline: an incomplete line (often empty)
        for index, line in enumerate(lines):
            if line[:1] == b"*":  # multibulk from here on
                self._inline = b""
                self.feed(b"\n".join(lines[index:]) + b"\n" + partial)
                return True
            if line[-1:] == b"\r":
                line = line[:-1]
            if line:
                args = split_inline(line)
                if args:
                    self.inline_indexes.append(len(out))
                    out.append(args)
        if partial[:1] == b"*":
            self._inline = b""
            self.feed(partial)
            return True
        if len(partial) > INLINE_MAX:
            raise ProtocolError("too big inline request")
        self._inline = partial
        return False


def _check_headers(pending: bytes, max_bulk_len: int, unauthenticated: bool) -> None:
    """Raise ProtocolError if the multibulk header `pending` starts with, or one of the bulk
    headers received so far, is out of Redis's limits."""
    header_end = pending.find(b"\r\n")
    if pending[:1] != b"*":
        return
    if header_end < 0:
        # Redis gives up on a count line still without its '\r' past 64 KB
        if len(pending) > INLINE_MAX and pending.find(b"\r") < 0:
            raise ProtocolError("too big mbulk count string")
        return
    try:
        count = int(pending[1:header_end])
    except ValueError:
        return  # hiredis reports malformed headers itself
    if count > INT_MAX:
        raise ProtocolError("invalid multibulk length")
    if unauthenticated and count > UNAUTHENTICATED_MAX_ARGS:
        raise ProtocolError("unauthenticated multibulk length")
    position = header_end + 2
    for _ in range(count):
        line_end = pending.find(b"\r\n", position)
        if line_end < 0 and pending[position:position + 1] == b"$" and \
                len(pending) - position > INLINE_MAX and pending.find(b"\r", position) < 0:
            raise ProtocolError("too big bulk count string")
        if line_end < 0 or pending[position:position + 1] != b"$":
            return
        try:
            length = int(pending[position + 1:line_end])
        except ValueError:
            return
        if length > max_bulk_len:
            raise ProtocolError("invalid bulk length")
        if unauthenticated and length > UNAUTHENTICATED_MAX_BULK:
            raise ProtocolError("unauthenticated bulk length")
        position = line_end + 2 + length + 2
        if position >= len(pending):
            return


def unauthenticated_refusal(command: list) -> str | None:
    """Why Redis refuses this command from a client that must still authenticate (it cannot
    make the server buffer much before AUTH), or None."""
    if len(command) > UNAUTHENTICATED_MAX_ARGS:
        return "unauthenticated multibulk length"
    if any(len(arg) > UNAUTHENTICATED_MAX_BULK for arg in command):
        return "unauthenticated bulk length"
    return None


def _accept(batch: list, out: list) -> None:
    """Move well-formed commands (non-empty lists of bytes) to `out`.

    The type checks run in C over the whole batch; only a batch with something unusual (a
    '*0'/'*-1' to skip, a non-bulk element to reject) takes the per-command path."""
    if len(batch) == 1:  # one command per read (no pipelining): the cheapest check
        command = batch[0]
        if type(command) is list and command and set(map(type, command)) == _BYTES:
            out.append(command)
            return
    elif (set(map(type, batch)) == _LIST and all(batch)
            and set(map(type, chain.from_iterable(batch))) == _BYTES):
        out += batch
        return
    for command in batch:
        if command is None or command == []:
            continue  # '*-1' and '*0' are ignored, as Redis does
        if type(command) is not list:
            raise ProtocolError(f"expected '$', got '{_type_byte(command)}'")
        for arg in command:
            if type(arg) is not bytes:
                raise ProtocolError(f"expected '$', got '{_type_byte(arg)}'")
        out.append(command)


_LIST = {list}
_BYTES = {bytes}
def encoded_size(command) -> int:
    """Bytes a multibulk command occupied on the wire (as hiredis parsed it)."""
    if command is None:
        return 5  # *-1\r\n
    size = len(b"%d" % len(command)) + 3
    for arg in command:
        size += len(b"%d" % len(arg)) + 5 + len(arg)
    return size


def _type_byte(value) -> str:
    if type(value) is int:
        return ":"
    if type(value) is list:
        return "*"
    if value is None:
        return "$"
    return "?"


def split_inline(line: bytes) -> list:
    """Split an inline command line like sdssplitargs: spaces, "double" and 'single' quotes."""
    if b'"' not in line and b"'" not in line:
        return line.split()
    args = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in b" \t\r\n\x0b\x0c":
            i += 1
        if i >= n:
            return args
        current = bytearray()
        quote = None
        while True:
            if i >= n:
                if quote:
                    raise ProtocolError("unbalanced quotes in request")
                break
            c = line[i]
            if quote == 34:  # inside "..."
                if c == 92 and i + 3 < n and line[i + 1] == 120 and _ishex(line[i + 2 : i + 4]):
                    current.append(int(line[i + 2 : i + 4], 16))
                    i += 3
                elif c == 92 and i + 1 < n:
                    i += 1
                    current.append(_ESCAPES.get(line[i], line[i]))
                elif c == 34:
                    if i + 1 < n and line[i + 1] not in b" \t\r\n\x0b\x0c":
                        raise ProtocolError("unbalanced quotes in request")
                    i += 1
                    break
                else:
                    current.append(c)
            elif quote == 39:  # inside '...'
                if c == 92 and i + 1 < n and line[i + 1] == 39:
                    i += 1
                    current.append(39)
                elif c == 39:
                    if i + 1 < n and line[i + 1] not in b" \t\r\n\x0b\x0c":
                        raise ProtocolError("unbalanced quotes in request")
                    i += 1
                    break
                else:
                    current.append(c)
            elif c in b" \t\r\n\x0b\x0c":
                break
            elif c == 34 or c == 39:
                quote = c
            else:
                current.append(c)
            i += 1
        args.append(bytes(current))


_ESCAPES = {110: 10, 114: 13, 116: 9, 98: 8, 97: 7}


def _ishex(two: bytes) -> bool:
    return len(two) == 2 and all(ch in b"0123456789abcdefABCDEF" for ch in two)


def _redis_wording(hiredis_message: str) -> str:
    lowered = hiredis_message.lower()
    if "multi-bulk length" in lowered:
        return "invalid multibulk length"
    if "bulk string length" in lowered or "bulk length" in lowered:
        return "invalid bulk length"
    if "reply type byte" in hiredis_message:
        got = hiredis_message.split('"')[1] if '"' in hiredis_message else "?"
        return f"expected '$', got '{got}'"
    return hiredis_message


BIG_ARGUMENT = 32 * 1024  # Redis's PROTO_MBULK_BIG_ARG
_ARGUMENTS_WALKED = 1024  # (a command with more pending arguments is not looked into)


def big_argument_in_progress(data: bytes):
    """For the input of one unfinished multibulk command: (length, bytes received) of its
    last argument when that is a bulk of at least BIG_ARGUMENT bytes not all here yet."""
    end = data.find(b"\r\n")
    if not data.startswith(b"*") or end < 0:
        return None
    position = end + 2
    for _ in range(min(int(data[1:end] or 0), _ARGUMENTS_WALKED)):
        end = data.find(b"\r\n", position)
        if end < 0 or data[position:position + 1] != b"$":
            return None
        try:
            length = int(data[position + 1:end])
        except ValueError:
            return None
        start = end + 2
        if start + length + 2 > len(data):  # this argument is still arriving
            return (length, len(data) - start) if length >= BIG_ARGUMENT else None
        position = start + length + 2
    return None
