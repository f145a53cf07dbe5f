"""RDB building blocks: CRC-64/Jones, LZF, lengths, strings, DUMP framing."""

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ops.rdb.codec import RDBError, Reader, encode_length, encode_string, frame_payload, \
    unframe_payload
from ops.rdb.crc64 import crc64
from ops.rdb.lzf import decompress, compress


def test_crc64_check_value():
    assert crc64(b"123456789") == 0xE9C6D914C4B8D9CA  # Redis's crc64 self-test value


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.builds(lambda b, n: b * n,
                                                    st.binary(min_size=1, max_size=5),
                                                    st.integers(1, 200))))
def test_lzf_roundtrip(data):
    packed = compress(data)
    if packed is not None:
        assert len(packed) < len(data)
        assert decompress(packed, len(data)) == data


def test_lzf_rejects_corrupt_input():
    with pytest.raises(ValueError):
        decompress(b"\xe0\xff\x00", 10)


@pytest.mark.parametrize("n", [0, 63, 64, 16383, 16384, 2**32 - 1, 2**32])
def test_length_roundtrip(n):
    assert Reader(encode_length(n)).length() == (n, False)


@pytest.mark.parametrize("data", [b"", b"short", b"x" * 100, os.urandom(100)])
def test_string_roundtrip(data):
    assert Reader(encode_string(data)).string() == data


def test_framing_detects_corruption():
    payload = frame_payload(b"\xf5" + encode_string(b"body"))
    assert unframe_payload(payload).startswith(b"\xf5")
    broken = payload[:3] + b"X" + payload[4:]
    with pytest.raises(RDBError):
        unframe_payload(broken)
    with pytest.raises(RDBError):
        unframe_payload(payload[:-10] + b"\xff\x00" + payload[-8:])  # version from the future
