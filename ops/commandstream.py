"""Commands as Redis writes them to an AOF or a replication stream: RESP arrays of bulk
strings. Encoding, and parsing with the byte offset after each command (replicas count them)."""


def encode(command: list) -> bytes:
    parts = [b"*%d\r\n" % len(command)]
    for arg in command:
        if not isinstance(arg, bytes):
            arg = arg.encode() if isinstance(arg, str) else bytes(arg)
        parts.append(b"$%d\r\n%b\r\n" % (len(arg), arg))
    return b"".join(parts)


class StreamFormatError(ValueError):
    pass


def _line(data: bytes, start: int):
    """(the text of the CRLF-terminated line at start, offset after it), or None if cut."""
    end = data.find(b"\r\n", start)
    return None if end < 0 else (data[start:end], end + 2)


def _counted(data: bytes, pos: int, marker: bytes, name: str):
    """(N, offset after the line) for a `*N` or `$N` line at pos, None if the line is cut;
    StreamFormatError for anything else."""
    line = _line(data, pos)
    if line is None:
        return None
    text, after = line
    if not text.startswith(marker) or not text[1:].isdigit():
        raise StreamFormatError(f"Bad file format reading the append only file {name} at "
                                f"offset {pos}")
    return int(text[1:]), after


def parse_commands(data: bytes, name: str = "the AOF"):
    """([(arguments, offset after it)], offset after the last complete command): the complete
    commands at the start of `data`; an incomplete tail is left for more bytes."""
    commands = []
    pos = done = 0
    size = len(data)
    while pos < size:
        if data[pos:pos + 1] == b"#":  # an annotation (aof-timestamp-enabled): skip the line
            line = _line(data, pos)
            if line is None:
                break
            pos = done = line[1]
            continue
        header = _counted(data, pos, b"*", name)
        if header is None:
            break
        count, pos = header
        args = []
        for _ in range(count):
            bulk = _counted(data, pos, b"$", name)
            if bulk is None or bulk[1] + bulk[0] + 2 > size:
                break
            length, pos = bulk
            if data[pos + length:pos + length + 2] != b"\r\n":
                raise StreamFormatError(f"Bad file format reading the append only file {name} "
                                        f"at offset {pos + length}")
            args.append(data[pos:pos + length])
            pos += length + 2
        if len(args) < count:
            break
        commands.append((args, pos))
        done = pos
    return commands, done
