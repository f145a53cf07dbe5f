"""The compact encodings' readers (ops/rdb/packed.py): what Redis writes reads back, and each
kind of damage Redis's integrity checks catch is refused, whichever byte it touches."""

import random
import struct

import pytest

from ops.rdb.listpack import build_listpack
from ops.rdb.packed import Corrupt, read_intset, read_listpack, read_ziplist, read_zipmap

ELEMENTS = [b"a", b"", b"12", b"-7", b"x" * 70, b"y" * 5000, b"4096", b"-70000", b"9" * 19,
            b"0", b"127", b"-4096", b"2147483648"]


def _ziplist(values: list) -> bytes:
    """A ziplist as Redis < 7 wrote them: strings with 1/2/5-byte headers, integers in the
    smallest encoding, each entry led by the previous one's size."""
    body, previous, tail = bytearray(), 0, 10
    for value in values:
        entry = bytearray([previous] if previous < 254 else b"\xfe" + struct.pack("<I", previous))
        if isinstance(value, int):
            if 0 <= value <= 12:
                entry.append(0xF1 + value)
            else:
                entry += b"\xfe" + struct.pack("<b", value) if -128 <= value < 128 else \
                    b"\xc0" + struct.pack("<h", value)
        elif len(value) < 64:
            entry += bytes([len(value)]) + value
        else:
            entry += bytes([0x40 | (len(value) >> 8), len(value) & 0xFF]) + value
        tail = 10 + len(body)
        body += entry
        previous = len(entry)
    return struct.pack("<IIH", 10 + len(body) + 1, tail, len(values)) + bytes(body) + b"\xff"


def test_listpack_round_trip():
    assert read_listpack(build_listpack(ELEMENTS)) == ELEMENTS
    assert read_listpack(build_listpack([])) == []


def test_ziplist_reads_every_encoding():
    values = [b"short", b"z" * 300, 5, 12, 0, -3, 100, -20000, b""]
    expected = [v if isinstance(v, bytes) else b"%d" % v for v in values]
    assert read_ziplist(_ziplist(values)) == expected


@pytest.mark.parametrize("damage", [
    lambda lp: lp[:-1],                                  # no terminator
    lambda lp: lp + b"\xff",                             # size header says less
    lambda lp: struct.pack("<I", len(lp) + 1) + lp[4:],  # size header says more
    lambda lp: lp[:4] + struct.pack("<H", 5) + lp[6:],   # wrong element count
    lambda lp: lp[:8] + b"\x05" + lp[9:],                # wrong back-length of entry 1
    lambda lp: lp[:6] + b"\xff" + lp[7:],                # terminator where entry 1 starts
    lambda lp: lp[:6] + b"\xf5" + lp[7:],                # unknown encoding
    lambda lp: lp[:6] + b"\x8f" + lp[7:],                # string longer than the listpack
])
def test_listpack_damage_is_refused(damage):
    with pytest.raises(Corrupt):
        read_listpack(damage(build_listpack([b"a", b"bc", b"12"])))


@pytest.mark.parametrize("damage", [
    lambda zl: zl[:-1] + b"\x00",                                   # no end byte
    lambda zl: struct.pack("<I", len(zl) + 1) + zl[4:],             # zlbytes
    lambda zl: zl[:4] + struct.pack("<I", 10) + zl[8:],             # tail offset not last
    lambda zl: zl[:4] + struct.pack("<I", len(zl)) + zl[8:],        # tail past the end
    lambda zl: zl[:8] + struct.pack("<H", 5) + zl[10:],             # count
    lambda zl: zl[:13] + b"\x07" + zl[14:],                         # prevlen of entry 2
    lambda zl: zl[:11] + b"\xc5" + zl[12:],                         # unknown encoding
    lambda zl: zl[:11] + b"\x3f" + zl[12:],                         # string past the end
])
def test_ziplist_damage_is_refused(damage):
    with pytest.raises(Corrupt):
        read_ziplist(damage(_ziplist([b"a", b"b", b"c"])))


def test_intset_rules():
    assert read_intset(struct.pack("<II3h", 2, 3, -5, 1, 300)) == [b"-5", b"1", b"300"]
    for blob in (struct.pack("<II3h", 2, 3, 1, 1, 300),   # a duplicate
                 struct.pack("<II2h", 2, 2, 5, 1),        # out of order
                 struct.pack("<II", 2, 0),                # empty
                 struct.pack("<II2h", 3, 2, 1, 2),        # unknown width
                 struct.pack("<II2h", 2, 3, 1, 2),        # count past the data
                 b"\x02\x00"):                            # no header
        with pytest.raises(Corrupt):
            read_intset(blob)


def test_zipmap_rules():
    good = b"\x02\x01a\x01\x00A\x02bb\x02\x01BB!\xff"  # a=A, bb=BB (with one free byte)
    assert read_zipmap(good) == [b"a", b"A", b"bb", b"BB"]
    for blob in (b"\x00\xff",                       # empty
                 b"\x03" + good[1:],                # wrong count
                 good[:-1],                         # no end byte
                 b"\x01\x01a\x05\x00A\xff"):         # a value past the end
        with pytest.raises(Corrupt):
            read_zipmap(blob)


@pytest.mark.parametrize("reader,blob", [
    (read_listpack, build_listpack(ELEMENTS)),
    (read_ziplist, _ziplist([b"one", b"t" * 80, 7, -9, 300, b""])),
])
def test_any_damage_refused_or_read_without_other_errors(reader, blob):
    """Bytes flipped anywhere: the reader answers with elements or Corrupt, nothing else (no
    IndexError, no struct.error, no huge allocation)."""
    rng = random.Random(7)
    for _ in range(2000):
        damaged = bytearray(blob)
        for _ in range(rng.randint(1, 3)):
            damaged[rng.randrange(len(blob))] = rng.randrange(256)
        try:
            reader(bytes(damaged))
        except Corrupt:
            pass
