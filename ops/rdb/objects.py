"""Values <-> RDB object encodings (the part of an RDB file or DUMP payload after the type).

Reading covers what Redis 2.x-7.2 write for strings, lists, sets, sorted sets and hashes:
plain encodings, intsets, ziplists, listpacks, quicklists (v1 and v2); streams are in
streams.py. Writing uses the plain encodings (list, set, zset2, hash), which every Redis since
2.8 loads, and Redis 7.2's stream encoding.
"""

import struct

from .codec import RDBError, Reader, encode_length, encode_string

STRING, LIST, SET, ZSET, HASH, ZSET_2 = 0, 1, 2, 3, 4, 5
HASH_ZIPMAP, LIST_ZIPLIST, SET_INTSET, ZSET_ZIPLIST, HASH_ZIPLIST = 9, 10, 11, 12, 13
LIST_QUICKLIST, HASH_LISTPACK, ZSET_LISTPACK, LIST_QUICKLIST_2, SET_LISTPACK = 14, 16, 17, 18, 20
STREAM_TYPES = (15, 19, 21)


# -- compact encodings inside a string blob -------------------------------------------------
def read_listpack(blob: bytes) -> list:
    if len(blob) < 7:
        raise RDBError("listpack too short")
    count = struct.unpack("<H", blob[4:6])[0]
    out = []
    i = 6
    while True:
        if i >= len(blob):
            raise RDBError("listpack without terminator")
        b = blob[i]
        if b == 0xFF:
            break
        if b < 0x80:
            value, size = b"%d" % b, 1
        elif b >> 6 == 2:
            n = b & 0x3F
            value, size = blob[i + 1:i + 1 + n], 1 + n
        elif b >> 5 == 6:
            raw = ((b & 0x1F) << 8) | blob[i + 1]
            value, size = b"%d" % (raw - (1 << 13) if raw >= 1 << 12 else raw), 2
        elif b >> 4 == 0xE:
            n = ((b & 0x0F) << 8) | blob[i + 1]
            value, size = blob[i + 2:i + 2 + n], 2 + n
        elif b == 0xF0:
            n = struct.unpack("<I", blob[i + 1:i + 5])[0]
            value, size = blob[i + 5:i + 5 + n], 5 + n
        elif b in (0xF1, 0xF2, 0xF3, 0xF4):
            width = {0xF1: 2, 0xF2: 3, 0xF3: 4, 0xF4: 8}[b]
            value = b"%d" % int.from_bytes(blob[i + 1:i + 1 + width], "little", signed=True)
            size = 1 + width
        else:
            raise RDBError("bad listpack entry")
        out.append(bytes(value))
        i += size + _backlen_size(size)
    if count != 0xFFFF and count != len(out):
        raise RDBError("listpack count mismatch")
    return out


def _backlen_size(size: int) -> int:
    for limit, width in ((127, 1), (16383, 2), (2097151, 3), (268435455, 4)):
        if size <= limit:
            return width
    return 5


def read_ziplist(blob: bytes) -> list:
    out = []
    i = 10  # zlbytes, zltail, zllen
    while i < len(blob) and blob[i] != 0xFF:
        i += 1 if blob[i] < 254 else 5  # prevlen
        b = blob[i]
        kind = b >> 6
        if kind == 0:
            n, i = b & 0x3F, i + 1
            out.append(bytes(blob[i:i + n]))
        elif kind == 1:
            n, i = ((b & 0x3F) << 8) | blob[i + 1], i + 2
            out.append(bytes(blob[i:i + n]))
        elif kind == 2:
            n, i = struct.unpack(">I", blob[i + 1:i + 5])[0], i + 5
            out.append(bytes(blob[i:i + n]))
        else:
            i += 1
            if b == 0xC0:
                n, value = 2, int.from_bytes(blob[i:i + 2], "little", signed=True)
            elif b == 0xD0:
                n, value = 4, int.from_bytes(blob[i:i + 4], "little", signed=True)
            elif b == 0xE0:
                n, value = 8, int.from_bytes(blob[i:i + 8], "little", signed=True)
            elif b == 0xF0:
                n, value = 3, int.from_bytes(blob[i:i + 3], "little", signed=True)
            elif b == 0xFE:
                n, value = 1, int.from_bytes(blob[i:i + 1], "little", signed=True)
            elif 0xF1 <= b <= 0xFD:
                n, value = 0, (b & 0x0F) - 1
            else:
                raise RDBError("bad ziplist entry")
            out.append(b"%d" % value)
        i += n
    return out


def read_intset(blob: bytes) -> list:
    width, count = struct.unpack("<II", blob[:8])
    if width not in (2, 4, 8) or len(blob) != 8 + width * count:
        raise RDBError("bad intset")
    return [b"%d" % int.from_bytes(blob[8 + k * width:8 + (k + 1) * width], "little",
                                   signed=True) for k in range(count)]


def read_zipmap(blob: bytes) -> list:
    out = []
    i = 1
    while blob[i] != 0xFF:
        for field in (True, False):
            n = blob[i]
            if n == 254:
                n, i = struct.unpack("<I", blob[i + 1:i + 5])[0], i + 5
            else:
                i += 1
            free = 0
            if not field:
                free, i = blob[i], i + 1
            out.append(bytes(blob[i:i + n]))
            i += n + free
    return out


def _pairs(items: list) -> list:
    if len(items) % 2:
        raise RDBError("odd number of elements")
    return list(zip(items[::2], items[1::2]))


def _old_score(reader: Reader) -> float:
    n = reader.byte()
    if n == 253:
        return float("nan")
    if n == 254:
        return float("inf")
    if n == 255:
        return float("-inf")
    return float(reader.take(n))


def read_object(kind: int, reader: Reader):
    """('string'|'list'|'set'|'zset'|'hash', contents) for the value that follows a type byte."""
    if kind == STRING:
        return "string", reader.string()
    if kind in (LIST, SET):
        items = [reader.string() for _ in range(reader.length()[0])]
        return ("list" if kind == LIST else "set"), items
    if kind in (ZSET, ZSET_2):
        pairs = []
        for _ in range(reader.length()[0]):
            member = reader.string()
            score = (struct.unpack("<d", reader.take(8))[0] if kind == ZSET_2
                     else _old_score(reader))
            pairs.append((member, score))
        return "zset", pairs
    if kind == HASH:
        return "hash", [(reader.string(), reader.string()) for _ in range(reader.length()[0])]
    if kind == SET_INTSET:
        return "set", read_intset(reader.string())
    if kind == SET_LISTPACK:
        return "set", read_listpack(reader.string())
    if kind in (LIST_ZIPLIST, LIST_QUICKLIST, LIST_QUICKLIST_2):
        return "list", _read_list(kind, reader)
    if kind in (ZSET_ZIPLIST, ZSET_LISTPACK):
        items = (read_ziplist if kind == ZSET_ZIPLIST else read_listpack)(reader.string())
        return "zset", [(m, float(s)) for m, s in _pairs(items)]
    if kind in (HASH_ZIPLIST, HASH_LISTPACK, HASH_ZIPMAP):
        reader_fn = {HASH_ZIPLIST: read_ziplist, HASH_LISTPACK: read_listpack,
                     HASH_ZIPMAP: read_zipmap}[kind]
        return "hash", _pairs(reader_fn(reader.string()))
    if kind in STREAM_TYPES:
        from .streams import read_stream

        return "stream", read_stream(kind, reader)
    raise RDBError(f"unknown RDB type {kind}")


def _read_list(kind: int, reader: Reader) -> list:
    if kind == LIST_ZIPLIST:
        return read_ziplist(reader.string())
    items = []
    for _ in range(reader.length()[0]):
        if kind == LIST_QUICKLIST:
            items += read_ziplist(reader.string())
            continue
        container = reader.length()[0]
        blob = reader.string()
        items += [blob] if container == 1 else read_listpack(blob)
    return items


# -- writing ------------------------------------------------------------------------------------
def write_object(kind: str, contents, compression: bool = True, version: int = 11) -> bytes:
    """Type byte + encoding for 'string' (bytes), 'list'/'set' (bytes items),
    'zset' ((member, score) pairs) and 'hash' ((field, value) pairs)."""
    def s(data):
        return encode_string(bytes(data), compression)

    if kind == "string":
        return bytes([STRING]) + s(contents)
    if kind in ("list", "set"):
        items = list(contents)
        return (bytes([LIST if kind == "list" else SET]) + encode_length(len(items))
                + b"".join(s(item) for item in items))
    if kind == "zset":
        pairs = list(contents)
        return (bytes([ZSET_2]) + encode_length(len(pairs))
                + b"".join(s(m) + struct.pack("<d", score) for m, score in pairs))
    if kind == "hash":
        pairs = list(contents)
        return (bytes([HASH]) + encode_length(len(pairs))
                + b"".join(s(f) + s(v) for f, v in pairs))
    if kind == "stream":
        from .streams import write_stream

        return write_stream(contents, compression, version)
    raise RDBError(f"cannot serialize {kind} values yet")
