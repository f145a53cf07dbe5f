"""Encode handler reply values as RESP2 or RESP3 bytes.

`encode_into(out, value, resp3)` appends byte chunks to `out`; the connection joins them into one
write per read. The common shapes (bulk string, OK, integer) are tested first.
"""

from operator import itemgetter

from .doubles import d2string
from ..replies import (Attributed, BigNumber, BulkStrings, DoubleText, ErrorReply,
                       FormattedVerbatim, MapPairs, NoReply, OrderedSet, Push, Raw,
                       SimpleString, UncountedError, Verbatim, _NullArray)

_STATUS_CACHE: dict = {}
_INT_CACHE = [b":%d\r\n" % i for i in range(-1, 1025)]
_BYTES = {bytes}


def encode_into(out: list, value, resp3: bool) -> None:
    kind = type(value)
    if kind is bytes or kind is bytearray:
        out.append(b"$%d\r\n%b\r\n" % (len(value), value))
    elif kind is SimpleString:
        cached = _STATUS_CACHE.get(value)
        if cached is None:
            cached = _STATUS_CACHE[value] = b"+" + _one_line(value) + b"\r\n"
        out.append(cached)
    elif kind is int:
        out.append(_INT_CACHE[value + 1] if -1 <= value <= 1023 else b":%d\r\n" % value)
    elif value is None:
        out.append(b"_\r\n" if resp3 else b"$-1\r\n")
    elif kind is list or kind is tuple:
        out.append(b"*%d\r\n" % len(value))
        if value and set(map(type, value)) == _BYTES:  # LRANGE, KEYS, HKEYS...: one join
            out.append(bulk_strings(value))
        else:
            for item in value:
                encode_into(out, item, resp3)
    elif kind is BulkStrings:
        out.append(b"*%d\r\n" % len(value))
        if value:
            out.append(bulk_strings(value))
    elif kind is ErrorReply or kind is UncountedError:
        out.append(b"-" + _one_line(value) + b"\r\n")
    elif kind is str:
        data = value.encode("utf-8", "surrogateescape")
        out.append(b"$%d\r\n%b\r\n" % (len(data), data))
    elif kind is dict:
        if resp3:
            out.append(b"%%%d\r\n" % len(value))
        else:
            out.append(b"*%d\r\n" % (2 * len(value)))
        for k, v in value.items():
            encode_into(out, k, resp3)
            encode_into(out, v, resp3)
    elif kind is bool:
        if resp3:
            out.append(b"#t\r\n" if value else b"#f\r\n")
        else:
            out.append(b":1\r\n" if value else b":0\r\n")
    elif kind is float:
        text = d2string(value)
        if resp3:
            out.append(b"," + text + b"\r\n")
        else:
            out.append(b"$%d\r\n%b\r\n" % (len(text), text))
    elif kind is DoubleText:
        if resp3:
            out.append(b"," + value + b"\r\n")
        else:
            out.append(b"$%d\r\n%b\r\n" % (len(value), value))
    elif kind is MapPairs:
        out.append((b"%%%d\r\n" if resp3 else b"*%d\r\n") % (len(value) * (1 if resp3 else 2)))
        for k, v in value:
            encode_into(out, k, resp3)
            encode_into(out, v, resp3)
    elif kind is set or kind is frozenset or kind is OrderedSet:
        out.append((b"~%d\r\n" if resp3 else b"*%d\r\n") % len(value))
        for item in value:
            encode_into(out, item, resp3)
    elif kind is Verbatim:
        data = value.encode("utf-8", "surrogateescape")
        if resp3:
            out.append(b"=%d\r\ntxt:%b\r\n" % (len(data) + 4, data))
        else:
            out.append(b"$%d\r\n%b\r\n" % (len(data), data))
    elif kind is FormattedVerbatim:
        data = value.data
        if resp3:
            out.append(b"=%d\r\n%b:%b\r\n" % (len(data) + 4, value.format, data))
        else:
            out.append(b"$%d\r\n%b\r\n" % (len(data), data))
    elif kind is Push:
        out.append((b">%d\r\n" if resp3 else b"*%d\r\n") % len(value))
        for item in value:
            encode_into(out, item, resp3)
    elif kind is _NullArray:
        out.append(b"_\r\n" if resp3 else b"*-1\r\n")
    elif kind is NoReply:
        pass
    elif kind is Raw:
        out.append(value)
    elif kind is BigNumber:
        out.append(b"(%b\r\n" % value if resp3 else b"$%d\r\n%b\r\n" % (len(value), value))
    elif kind is Attributed:
        if resp3:
            out.append(b"|%d\r\n" % len(value.attributes))
            for k, v in value.attributes.items():
                encode_into(out, k, resp3)
                encode_into(out, v, resp3)
        encode_into(out, value.reply, resp3)
    else:
        raise TypeError(f"cannot encode reply of type {kind.__name__}")


_BULK_HEADERS = [b"$%d" % n for n in range(1024)]  # (the CRLF after each comes from the join)


def bulk_strings(items) -> bytes:
    """Bulk strings back to back, assembled with C-level joins (no per-item formatting). Items
    of one length (fixed-width values, IDs) share one header: items joined by CRLF header CRLF.
    Otherwise header, item, header, item, ..., "" joined by CRLF."""
    lengths = list(map(len, items))
    first = lengths[0]
    try:
        if lengths.count(first) == len(lengths):
            header = _BULK_HEADERS[first] + b"\r\n"
            return b"%b%b\r\n" % (header, (b"\r\n" + header).join(items))
        parts = [b""] * (2 * len(items) + 1)
        parts[0:-1:2] = itemgetter(*lengths)(_BULK_HEADERS)  # (two or more lengths: a tuple)
    except IndexError:  # an item of 1 KB or more
        return b"".join([b"$%d\r\n%b\r\n" % (len(item), item) for item in items])
    parts[1::2] = items
    return b"\r\n".join(parts)


def encode(value, resp3: bool = False) -> bytes:
    out: list = []
    encode_into(out, value, resp3)
    return b"".join(out)


def _one_line(text: str) -> bytes:
    # A status or error line must not contain CR/LF: Redis replaces them with spaces.
    return text.replace("\r", " ").replace("\n", " ").encode("utf-8", "surrogateescape")
