"""Values <-> RDB object encodings (the part of an RDB file or DUMP payload after the type).

Reading covers what Redis 2.x-7.2 write for strings, lists, sets, sorted sets and hashes:
plain encodings, intsets, ziplists, listpacks, quicklists (v1 and v2); streams are in
streams.py. Writing uses the plain encodings (list, set, zset2, hash), which every Redis since
2.8 loads, and Redis 7.2's stream encoding.
"""

import re
import struct

from .codec import RDBError, Reader, encode_length, encode_string
from .packed import Corrupt, read_intset, read_listpack, read_ziplist, read_zipmap

STRING, LIST, SET, ZSET, HASH, ZSET_2 = 0, 1, 2, 3, 4, 5
HASH_ZIPMAP, LIST_ZIPLIST, SET_INTSET, ZSET_ZIPLIST, HASH_ZIPLIST = 9, 10, 11, 12, 13
LIST_QUICKLIST, HASH_LISTPACK, ZSET_LISTPACK, LIST_QUICKLIST_2, SET_LISTPACK = 14, 16, 17, 18, 20
STREAM_TYPES = (15, 19, 21)
QUICKLIST_PLAIN, QUICKLIST_PACKED = 1, 2  # a quicklist node's container


class EmptyKey(RDBError):
    """A value with no elements: RESTORE refuses it, loading a file skips the key (Redis's
    rdbLoadObject, which once had a bug that saved such keys)."""


def _packed(reader: Reader, parse, what: str) -> list:
    """A compact encoding's elements, or RDBError with Redis's words for `what` failed."""
    try:
        return parse(reader.string())
    except Corrupt:
        raise RDBError(f"{what} integrity check failed.") from None


def _unique_pairs(items: list, what: str) -> list:
    """(field, value) pairs from alternating elements: an even count, no field twice."""
    if len(items) % 2:
        raise RDBError(f"{what} integrity check failed.")
    pairs = list(zip(items[::2], items[1::2]))
    if len({field for field, _ in pairs}) != len(pairs):
        raise RDBError(f"{what} integrity check failed.")
    return pairs


def _nonempty(items: list) -> list:
    if not items:
        raise EmptyKey("empty key")
    return items


_STRTOD = re.compile(rb"\s*([+-]?)(?:(0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)"
                     rb"(?:[pP][+-]?[0-9]+)?)|((?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                     rb"|(?i:inf(?:inity)?|nan)))")


def _score(text: bytes) -> float:
    """A score stored as text in a ziplist or listpack, read as Redis reads it (strtod: the
    longest number at the start, 0 when there is none); a NaN is refused."""
    match = _STRTOD.match(text)
    if match is None:
        return 0.0
    sign, hexadecimal, decimal = match.groups()
    score = float.fromhex(hexadecimal.decode()) if hexadecimal else float(decimal)
    if score != score:
        raise RDBError("Zset with NAN score detected")
    return -score if sign == b"-" else score


def _no_duplicates(members: list, reason: str) -> list:
    if len(set(members)) != len(members):
        raise RDBError(reason)
    return members


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
    """('string'|'list'|'set'|'zset'|'hash'|'stream', contents) for the value that follows a
    type byte. RDBError (with Redis's reason) for a damaged value, EmptyKey for one without
    elements."""
    if kind == STRING:
        return "string", reader.string()
    if kind == LIST:
        return "list", _nonempty([reader.string() for _ in range(reader.length()[0])])
    if kind == SET:
        members = [reader.string() for _ in range(reader.length()[0])]
        return "set", _no_duplicates(_nonempty(members), "Duplicate set members detected")
    if kind in (ZSET, ZSET_2):
        return "zset", _read_zset(kind, reader)
    if kind == HASH:
        pairs = [(reader.string(), reader.string()) for _ in range(reader.length()[0])]
        _no_duplicates([field for field, _ in _nonempty(pairs)],
                       "Duplicate hash fields detected")
        return "hash", pairs
    if kind == SET_INTSET:
        return "set", _packed(reader, read_intset, "Intset")
    if kind == SET_LISTPACK:
        members = _packed(reader, read_listpack, "Set listpack")
        return "set", _no_duplicates(_nonempty(members), "Set listpack integrity check failed.")
    if kind in (LIST_ZIPLIST, LIST_QUICKLIST, LIST_QUICKLIST_2):
        return "list", _nonempty(_read_list(kind, reader))
    if kind in (ZSET_ZIPLIST, ZSET_LISTPACK):
        what = "Zset ziplist" if kind == ZSET_ZIPLIST else "Zset listpack"
        items = _packed(reader, read_ziplist if kind == ZSET_ZIPLIST else read_listpack, what)
        return "zset", [(m, _score(s)) for m, s in _nonempty(_unique_pairs(items, what))]
    if kind in (HASH_ZIPLIST, HASH_LISTPACK):
        what = "Hash ziplist" if kind == HASH_ZIPLIST else "Hash listpack"
        items = _packed(reader, read_ziplist if kind == HASH_ZIPLIST else read_listpack, what)
        return "hash", _nonempty(_unique_pairs(items, what))
    if kind == HASH_ZIPMAP:
        items = _packed(reader, read_zipmap, "Zipmap")
        pairs = list(zip(items[::2], items[1::2]))
        _no_duplicates([field for field, _ in pairs], "Hash zipmap with dup elements")
        return "hash", pairs
    if kind in STREAM_TYPES:
        from .streams import read_stream

        return "stream", read_stream(kind, reader)
    raise RDBError(f"Unknown RDB encoding type {kind}")


def _read_zset(kind: int, reader: Reader) -> list:
    pairs = []
    for _ in range(reader.length()[0]):
        member = reader.string()
        score = (struct.unpack("<d", reader.take(8))[0] if kind == ZSET_2
                 else _old_score(reader))
        if score != score:
            raise RDBError("Zset with NAN score detected")
        pairs.append((member, score))
    _no_duplicates([member for member, _ in _nonempty(pairs)], "Duplicate zset fields detected")
    return pairs


def _read_list(kind: int, reader: Reader) -> list:
    """A list's elements: one ziplist (Redis < 3.2), or quicklist nodes (ziplists before 7.0,
    then listpacks or plain nodes); empty nodes are skipped, as Redis does."""
    if kind == LIST_ZIPLIST:
        return _packed(reader, read_ziplist, "List ziplist")
    items = []
    for _ in range(reader.length()[0]):
        if kind == LIST_QUICKLIST:
            items += _packed(reader, read_ziplist, "Ziplist")
            continue
        container = reader.length()[0]
        if container not in (QUICKLIST_PLAIN, QUICKLIST_PACKED):
            raise RDBError("Quicklist integrity check failed.")
        if container == QUICKLIST_PLAIN:
            blob = reader.string()
            if not blob:
                raise RDBError("empty quicklist node")
            items.append(blob)
        else:
            items += _packed(reader, read_listpack, "Listpack")
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
