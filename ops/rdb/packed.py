"""Reading Redis's compact encodings (listpack, ziplist, intset, zipmap) from RDB and DUMP
blobs, checked the way Redis's deep sanitization checks them (lpValidateIntegrity,
ziplistValidateIntegrity, intsetValidateIntegrity, zipmapValidateIntegrity): every header,
length and back-length must agree with the blob's size, so a corrupted payload is refused as
a whole instead of yielding a value built from misread bytes. Predis turns every blob into
its own structures at once, so it always checks deeply (Redis does with
sanitize-dump-payload yes).

Each reader raises Corrupt (an RDBError) and returns the elements as bytes (integers in
their decimal form).
"""

import struct

from .codec import RDBError
from .listpack import backlen_width

LISTPACK_HEADER = 6  # total bytes (u32) + element count (u16)
LISTPACK_EOF = 0xFF
UNKNOWN_COUNT = 0xFFFF
ZIPLIST_HEADER = 10  # zlbytes (u32) + zltail (u32) + zllen (u16)
ZIPLIST_END = 0xFF
ZIPLIST_BIG_PREVLEN = 254
ZIPMAP_BIGLEN = 254


class Corrupt(RDBError):
    """A blob that fails Redis's integrity rules."""


# -- listpack ----------------------------------------------------------------------------------
def _listpack_entry(blob: bytes, i: int) -> tuple:
    """(value, bytes the encoding and data take) of the entry at i; Corrupt for an unknown
    encoding byte. Bounds are the caller's."""
    b = blob[i]
    if b < 0x80:  # 7-bit unsigned
        return b"%d" % b, 1
    if b >> 6 == 2:  # 6-bit string length
        n = b & 0x3F
        return blob[i + 1:i + 1 + n], 1 + n
    if b >> 5 == 6:  # 13-bit signed
        raw = ((b & 0x1F) << 8) | blob[i + 1]
        return b"%d" % (raw - (1 << 13) if raw >= 1 << 12 else raw), 2
    if b >> 4 == 0xE:  # 12-bit string length
        n = ((b & 0x0F) << 8) | blob[i + 1]
        return blob[i + 2:i + 2 + n], 2 + n
    if b == 0xF0:  # 32-bit string length
        n = struct.unpack_from("<I", blob, i + 1)[0]
        return blob[i + 5:i + 5 + n], 5 + n
    width = {0xF1: 2, 0xF2: 3, 0xF3: 4, 0xF4: 8}.get(b)
    if width is None:
        raise Corrupt("bad listpack entry encoding")
    return b"%d" % int.from_bytes(blob[i + 1:i + 1 + width], "little", signed=True), 1 + width


def _header_bytes(b: int) -> int:
    """How many bytes of an entry must be readable to know its size (lpCurrentEncodedSizeBytes)."""
    if b >> 6 == 2 or b < 0x80 or b >> 5 == 6 or b in (0xF1, 0xF2, 0xF3, 0xF4):
        return 1
    if b >> 4 == 0xE:
        return 2
    if b == 0xF0:
        return 5
    raise Corrupt("bad listpack entry encoding")


def _read_backlen(blob: bytes, last: int) -> int:
    """The back-length that ends at `last`, read backwards as lpDecodeBacklen does."""
    value = shift = 0
    while True:
        byte = blob[last]
        value |= (byte & 127) << shift
        if not byte & 128:
            return value
        shift += 7
        last -= 1
        if shift > 28:
            raise Corrupt("listpack back-length too long")


def read_listpack(blob: bytes) -> list:
    size = len(blob)
    if size < LISTPACK_HEADER + 1:
        raise Corrupt("listpack too short")
    total, count = struct.unpack_from("<IH", blob)
    if total != size or blob[-1] != LISTPACK_EOF:
        raise Corrupt("listpack header does not match its size")
    out = []
    i, last = LISTPACK_HEADER, size - 1  # entries lie in [6, last): `last` is the EOF byte
    while blob[i] != LISTPACK_EOF:
        if i + _header_bytes(blob[i]) > last:
            raise Corrupt("listpack entry header past the end")
        value, encoded = _listpack_entry(blob, i)
        backlen = backlen_width(encoded)
        following = i + encoded + backlen
        if following > last or _read_backlen(blob, following - 1) != encoded:
            raise Corrupt("listpack entry past the end or with a wrong back-length")
        out.append(bytes(value))
        i = following
    if i != last or (count != UNKNOWN_COUNT and count != len(out)):
        raise Corrupt("listpack count mismatch")
    return out


# -- ziplist -----------------------------------------------------------------------------------
_ZIPLIST_INTS = {0xC0: 2, 0xD0: 4, 0xE0: 8, 0xF0: 3, 0xFE: 1}  # encoding byte -> width


def _ziplist_entry(blob: bytes, i: int, last: int) -> tuple:
    """(prevlen, value, entry size) of the entry at i, as zipEntrySafe checks it: headers and
    data must end before the end byte at `last`."""
    if blob[i] < ZIPLIST_BIG_PREVLEN:
        prevlen, header = blob[i], 1
    else:
        if i + 5 > last:
            raise Corrupt("ziplist prevlen past the end")
        prevlen, header = struct.unpack_from("<I", blob, i + 1)[0], 5
    e = i + header
    b = blob[e]
    kind = b >> 6
    if kind == 0:
        header, length, n = header + 1, None, b & 0x3F
    elif kind == 1:
        header, length = header + 2, None
        if e + 2 > last:
            raise Corrupt("ziplist entry header past the end")
        n = ((b & 0x3F) << 8) | blob[e + 1]
    elif kind == 2:
        header, length = header + 5, None
        if e + 5 > last:
            raise Corrupt("ziplist entry header past the end")
        n = struct.unpack_from(">I", blob, e + 1)[0]
    elif b in _ZIPLIST_INTS:
        header, n = header + 1, _ZIPLIST_INTS[b]
        length = n
    elif 0xF1 <= b <= 0xFD:  # a 4-bit immediate integer, 0-12
        header, n, length = header + 1, 0, 0
    else:
        raise Corrupt("bad ziplist entry encoding")
    start = i + header
    if start + n > last:
        raise Corrupt("ziplist entry past the end")
    if length is None:
        value = bytes(blob[start:start + n])
    elif n:
        value = b"%d" % int.from_bytes(blob[start:start + n], "little", signed=True)
    else:
        value = b"%d" % ((b & 0x0F) - 1)
    return prevlen, value, header + n


def read_ziplist(blob: bytes) -> list:
    size = len(blob)
    if size < ZIPLIST_HEADER + 1:
        raise Corrupt("ziplist too short")
    total, tail, count = struct.unpack_from("<IIH", blob)
    last = size - 1
    if total != size or blob[last] != ZIPLIST_END or tail > last:
        raise Corrupt("ziplist header does not match its size")
    out = []
    i, previous, previous_size = ZIPLIST_HEADER, None, 0
    while blob[i] != ZIPLIST_END:
        prevlen, value, entry_size = _ziplist_entry(blob, i, last)
        if prevlen != previous_size:
            raise Corrupt("ziplist prevlen does not match the entry before")
        out.append(value)
        previous, previous_size = i, entry_size
        i += entry_size
    if i != last or (previous is not None and previous != tail):
        raise Corrupt("ziplist tail offset does not point at the last entry")
    if count != UNKNOWN_COUNT and count != len(out):
        raise Corrupt("ziplist count mismatch")
    return out


# -- intset and zipmap -------------------------------------------------------------------------
def read_intset(blob: bytes) -> list:
    """An intset's members: a known width, a size that fits the count exactly, at least one
    member, strictly increasing (so no duplicates)."""
    if len(blob) < 8:
        raise Corrupt("intset too short")
    width, count = struct.unpack_from("<II", blob)
    if width not in (2, 4, 8) or len(blob) != 8 + width * count or count == 0:
        raise Corrupt("intset header does not match its size")
    fmt = {2: "<%dh", 4: "<%di", 8: "<%dq"}[width] % count
    members = struct.unpack_from(fmt, blob, 8)
    if any(a >= b for a, b in zip(members, members[1:])):
        raise Corrupt("intset members out of order")
    return [b"%d" % member for member in members]


def _zipmap_length(blob: bytes, i: int, end: int) -> tuple:
    """(length, bytes its encoding takes) at i: one byte, or 254/255 then a u32; what
    follows it must lie inside the blob."""
    width = 1 if blob[i] < ZIPMAP_BIGLEN else 5
    if i + width >= end:
        raise Corrupt("zipmap length past the end")
    return (blob[i] if width == 1 else struct.unpack_from("<I", blob, i + 1)[0]), width


def read_zipmap(blob: bytes) -> list:
    """A zipmap's fields and values, alternating (Redis 2.4's small hashes)."""
    end = len(blob)
    if end < 2 or blob[-1] != LISTPACK_EOF:
        raise Corrupt("zipmap too short or not terminated")
    out = []
    i = 1  # after the count byte
    while blob[i] != LISTPACK_EOF:
        n, width = _zipmap_length(blob, i, end)
        i += width
        field = blob[i:i + n]
        i += n
        if i >= end:
            raise Corrupt("zipmap field past the end")
        n, width = _zipmap_length(blob, i, end)
        i += width
        free = blob[i]
        value = blob[i + 1:i + 1 + n]
        i += 1 + n + free
        if i >= end:
            raise Corrupt("zipmap value past the end")
        out += [bytes(field), bytes(value)]
    if not out or (blob[0] != ZIPMAP_BIGLEN and blob[0] != len(out) // 2):
        raise Corrupt("zipmap empty or count mismatch")
    return out
