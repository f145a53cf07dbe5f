"""Split a client's byte stream into commands (lists of bytes arguments).

RESP multibulk requests go through hiredis's C parser. Inline requests (`PING\\r\\n`, telnet
style, redis-benchmark's PING_INLINE, the empty line redis-cli --pipe sends) are split here, the
way Redis's processInlineBuffer does, whenever the parser sits at a command boundary and the next
byte is not '*'.
"""

import hiredis

INLINE_MAX = 64 * 1024  # Redis's PROTO_INLINE_MAX_SIZE


class ProtocolError(Exception):
    """The stream is not valid RESP; the message is Redis's text after 'Protocol error: '."""


class RequestParser:
    __slots__ = ("_reader", "_inline", "max_bulk_len")

    def __init__(self, max_bulk_len: int = 512 * 1024 * 1024):
        self._reader = hiredis.Reader()
        self._inline = b""  # bytes not yet handed to hiredis because they may be inline
        self.max_bulk_len = max_bulk_len

    def feed(self, data: bytes) -> None:
        if self._inline:
            self._inline += data
        elif data[0] == 42 or self._reader.has_data():  # '*' or inside a multibulk
            self._reader.feed(data)
        else:
            self._inline = data

    def buffered(self) -> int:
        """Bytes received but not yet returned as commands (approximate for hiredis's part)."""
        return len(self._inline) + (self._reader.len() if self._reader.has_data() else 0)

    def parse(self, out: list) -> None:
        """Append every complete command to `out`; raise ProtocolError on a malformed stream."""
        reader = self._reader
        while True:
            if self._inline:
                if not self._take_inline(out):
                    return
                continue
            try:
                command = reader.gets()
            except hiredis.ProtocolError as exc:
                raise ProtocolError(_redis_wording(str(exc))) from None
            if command is False:
                return
            if command is None:  # '*-1': Redis ignores a null multibulk
                continue
            if type(command) is not list:
                raise ProtocolError(_unexpected(command))
            if command:
                for arg in command:
                    if type(arg) is not bytes:
                        raise ProtocolError("expected '$', got something else")
                out.append(command)
            if not reader.has_data():
                return

    def _take_inline(self, out: list) -> bool:
        """Consume inline lines; hand the rest to hiredis once a '*' starts a command."""
        buf = self._inline
        while buf:
            if buf[0] == 42:  # '*': multibulk from here on
                self._inline = b""
                self._reader.feed(buf)
                return True
            end = buf.find(b"\n")
            if end < 0:
                if len(buf) > INLINE_MAX:
                    raise ProtocolError("too big inline request")
                self._inline = buf
                return False
            line = buf[:end]
            buf = buf[end + 1 :]
            if line.endswith(b"\r"):
                line = line[:-1]
            args = split_inline(line)
            if args:
                out.append(args)
        self._inline = b""
        return False


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
    if "multi-bulk length" in hiredis_message:
        return "invalid multibulk length"
    if "bulk string length" in hiredis_message or "bulk length" in hiredis_message:
        return "invalid bulk length"
    if "reply type byte" in hiredis_message:
        got = hiredis_message.split('"')[1] if '"' in hiredis_message else "?"
        return f"expected '$', got '{got}'"
    return hiredis_message


def _unexpected(value) -> str:
    return "expected '$', got something else"
