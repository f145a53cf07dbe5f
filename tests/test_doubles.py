"""Doubles written as Redis 7.2 writes them: d2string (replies) and fpconv_dtoa (DEBUG DIGEST,
numbers a script passes to redis.call). The expected texts are fpconv_dtoa's own output for
these doubles (its C source compiled and called on each)."""

import math
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from server.protocol.doubles import as_long_long, d2string, dtoa

FPCONV = {
    12345.1234567: b"1.23451234567e+4",  # the last digit 7 places after the point: scientific
    1e-05: b"0.00001",  # within 6 places: plain
    1.5e-07: b"1.5e-7",  # no zero padding of the exponent
    0.0001234: b"1.234e-4",
    -0.0001234: b"-1.234e-4",
    1e20: b"1e+20",
    1.5e20: b"1.5e+20",
    1.2345678901234568e21: b"1234567890123456800000",  # few zeros to add: plain
    5e-324: b"5e-324",
    1.7976931348623157e308: b"1.7976931348623157e+308",
    1e100: b"1e+100",
    1e-100: b"1e-100",
    1e105: b"1e+105",
    123.456: b"123.456",
    0.001: b"0.001",
    1e17: b"1e+17",
    -1.2345678901234568e-300: b"-1.2345678901234568e-300",
    2.2250738585072014e-308: b"2.2250738585072014e-308",  # the smallest normal double
    2.225073858507201e-308: b"2.225073858507201e-308",  # the largest subnormal one
    # Grisu2's digits where they are not the shortest (repr: 0.528669, 7566.900000000001, ...)
    0.528669: b"0.5286689999999999",
    -0.01207: b"-0.012070000000000001",
    7566.900000000001: b"7566.9000000000005",
    48.04775931: b"48.047759310000004",
    -925171529560044.2: b"-925171529560044.3",
    -4.07097449902208e19: b"-40709744990220796000",
    3.696925068282319e122: b"3.6969250682823186e+122",
}


def test_dtoa_lays_digits_out_as_fpconv():
    for value, text in FPCONV.items():
        assert dtoa(value) == text, value


def test_dtoa_special_values_keep_their_sign():
    assert dtoa(float("inf")) == b"inf"
    assert dtoa(-float("inf")) == b"-inf"
    assert dtoa(-0.0) == b"-0"
    assert dtoa(0.0) == b"0"
    negative_nan = struct.unpack("<d", struct.pack("<Q", 0xFFF8000000000000))[0]
    assert dtoa(negative_nan) == b"-nan"
    assert dtoa(float("nan")) == b"nan"


def test_d2string_integers_up_to_2_62_in_full():
    assert d2string(3.0) == b"3"
    assert d2string(1e17) == b"100000000000000000"
    assert d2string(1.23e18) == b"1230000000000000000"
    assert d2string(2.0**62) == b"4611686018427387904"
    assert d2string(2.0**62 + 1024) == b"4611686018427389000"  # past double2ll: fpconv digits
    assert d2string(-1e17) == b"-100000000000000000"


def test_d2string_special_values():
    assert d2string(-0.0) == b"-0"
    assert d2string(0.0) == b"0"
    assert d2string(float("nan")) == b"nan"
    assert d2string(-float("inf")) == b"-inf"
    assert d2string(0.1) == b"0.1"
    assert d2string(1e-05) == b"0.00001"


def test_as_long_long_is_double2ll():
    assert as_long_long(5.0) == 5
    assert as_long_long(5.5) is None
    assert as_long_long(-0.0) == 0
    assert as_long_long(2.0**63) is None


@settings(max_examples=2000, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_d2string_and_dtoa_read_back_as_the_same_double(value):
    for text in (d2string(value), dtoa(value)):
        assert float(text) == value
        assert math.copysign(1.0, float(text)) == math.copysign(1.0, value)


def test_d2string_remembers_what_it_wrote():
    assert d2string(0.528669) == b"0.5286689999999999"
    assert d2string(0.528669) is d2string(0.528669)
