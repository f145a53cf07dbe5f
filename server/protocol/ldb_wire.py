"""The Lua debugger's wire (SCRIPT DEBUG, redis-cli --ldb): while a script is being debugged
the server talks to the debugging client directly on its socket, with blocking reads and
writes from inside the script's Lua hook, as Redis's LDB does (the event loop is not running
then: the script holds it).

What travels: the client sends commands as RESP arrays, read by Redis's forgiving parser
(`parse_command`); the server answers each with an array of status lines (`log_reply`); a
redis.call's reply is shown in the log as text (`reply_as_text`, from its RESP bytes).
"""

import os
import select
import time

from ..observers import quote_arg as quoted  # Redis's sdscatrepr

SEND_TIMEOUT = 5.0  # seconds a write may block (Redis's connSendTimeout of 5000 ms)
MAX_ARGS = 1024  # a debugger command's arguments, and each argument's bytes
READ_SIZE = 1024


class ProtocolError(Exception):
    """The client sent something that is not a command: the script stops with this error."""


class BlockingChannel:
    """Blocking I/O on a client's socket (its transport's own buffers stay untouched). Once the
    peer has gone, reads answer b"" and writes are dropped, so the script can run to its end."""

    def __init__(self, fd: int):
        self.fd = fd
        self.gone = False

    def read(self) -> bytes:
        """What the client sent next, waiting as long as it takes; b"" once it has gone."""
        if self.gone:
            return b""
        poller = select.poll()
        poller.register(self.fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        try:
            while True:
                if poller.poll():
                    data = os.read(self.fd, READ_SIZE)
                    break
        except OSError:
            data = b""
        if not data:
            self.gone = True
        return data

    def write(self, data: bytes) -> None:
        """All of `data`, or nothing more once SEND_TIMEOUT passed or the peer went away
        (Redis ignores these failures too: the next read finds the client gone)."""
        if self.gone:
            return
        view = memoryview(data)
        deadline = time.monotonic() + SEND_TIMEOUT
        poller = select.poll()
        poller.register(self.fd, select.POLLOUT)
        try:
            while view:
                left = deadline - time.monotonic()
                if left <= 0 or not poller.poll(left * 1000):
                    return
                view = view[os.write(self.fd, view):]
        except OSError:
            self.gone = True


def parse_command(buffer: bytes):
    """(arguments, bytes used) for the first command in `buffer`, or None when more must be
    read; raises ProtocolError. Redis's own rules: the array may start anywhere ('*' is
    searched for), counts and lengths must be 1-1024, and an argument must end in CRLF."""
    star = buffer.find(b"*")
    if star < 0:
        raise ProtocolError("protocol error")
    end = buffer.find(b"\r\n", star)
    if end < 0:
        return None
    count = atoi(buffer[star + 1:end])
    if not 0 < count <= MAX_ARGS:
        raise ProtocolError("protocol error")
    position, args = end + 2, []
    while len(args) < count:
        if position >= len(buffer):
            return None
        if buffer[position] != 36:  # '$'
            raise ProtocolError("protocol error")
        end = buffer.find(b"\r\n", position)
        if end < 0:
            return None
        size = atoi(buffer[position + 1:end])
        if not 0 < size <= MAX_ARGS:
            raise ProtocolError("protocol error")
        start = end + 2
        if start + size + 2 > len(buffer):
            return None
        args.append(buffer[start:start + size])
        if buffer[start + size:start + size + 2] != b"\r\n":
            raise ProtocolError("protocol error")
        position = start + size + 2
    return args, position


def atoi(text: bytes) -> int:
    """C's atoi: optional blanks and sign, then digits; whatever follows is ignored. As glibc's,
    (int) strtol: a number past a long's range is LONG_MAX / LONG_MIN, then cut to 32 bits."""
    text = text.lstrip(b" \t\n\v\f\r")
    sign, digits = 1, 0
    if text[:1] in (b"-", b"+"):
        sign, text = (-1 if text[:1] == b"-" else 1), text[1:]
    for byte in text:
        if not 48 <= byte <= 57:
            break
        digits = digits * 10 + byte - 48
    return c_int(min(max(sign * digits, -(1 << 63)), (1 << 63) - 1))


def c_int(number: int) -> int:
    """An integer cut to a C int's 32 bits, as a cast to int cuts it."""
    number &= 0xFFFFFFFF
    return number - (1 << 32) if number >= 1 << 31 else number


def log_reply(lines: list) -> bytes:
    """The debugger's answer: its log lines as an array of status replies (CR and LF become
    spaces, as in Redis's ldbSendLogs)."""
    out = [b"*%d\r\n" % len(lines)]
    for line in lines:
        data = line if isinstance(line, bytes) else line.encode("utf-8", "surrogateescape")
        out.append(b"+" + data.replace(b"\r", b" ").replace(b"\n", b" ") + b"\r\n")
    return b"".join(out)


def reply_as_text(data: bytes) -> str:
    """A reply's RESP bytes as the debugger shows them (Redis's ldbRedisProtocolToHuman):
    integers bare, bulk strings quoted, status and error lines quoted with their sign,
    [a,b] arrays, ~(a,b) sets, {k => v} maps, NULL, (null), #true, (double) 1.5. Other RESP3
    types show nothing, as in Redis."""
    parts: list = []
    _to_text(data, 0, parts)
    return "".join(parts)


def _line_end(data: bytes, position: int) -> int:
    end = data.find(b"\r", position + 1)
    return end if end >= 0 else len(data)


def _to_text(data: bytes, position: int, out: list) -> int:
    if position >= len(data):
        return position
    kind = data[position]
    end = _line_end(data, position)
    header = data[position + 1:end]
    after = end + 2
    if kind == 58:  # ':'
        out.append(header.decode("latin-1"))
    elif kind == 36:  # '$'
        size = atoi(header)
        if size == -1:
            out.append("NULL")
        else:
            out.append(quoted(data[after:after + size]))
            after += size + 2
    elif kind in (43, 45):  # '+' and '-'
        out.append(quoted(data[position:end]))
    elif kind in (42, 126, 37):  # '*', '~', '%'
        count = atoi(header)
        if kind == 42 and count == -1:
            out.append("NULL")
            return after
        opening, closing = {42: ("[", "]"), 126: ("~(", ")"), 37: ("{", "}")}[kind]
        out.append(opening)
        for index in range(count):
            after = _to_text(data, after, out)
            if kind == 37:
                out.append(" => ")
                after = _to_text(data, after, out)
            if index != count - 1:
                out.append(",")
        out.append(closing)
    elif kind == 95:  # '_'
        out.append("(null)")
    elif kind == 35:  # '#'
        out.append("#true" if data[position + 1:position + 2] == b"t" else "#false")
    elif kind == 44:  # ','
        out.append("(double) " + header.decode("latin-1"))
    else:
        return position
    return after
