"""Doubles as Redis 7.2 writes them: util.c's d2string (replies, scores as text) and the fpconv
library's fpconv_dtoa (DEBUG DIGEST, a script's numbers passed to redis.call).

Redis 7.2 dropped printf's %.17g for fpconv, which finds digits with Florian Loitsch's Grisu2
and lays them out by rules of its own. Neither matches Python's repr:
- the layout: 0.00001 (repr 1e-05), 1.23451234567e+4 (repr 12345.1234567), 1.5e-7 (repr
  1.5e-07), and d2string writes integral values within +-2^62 in full (1230000000000000000,
  repr 1.23e+18);
- the digits: Grisu2 works in 64-bit fixed point and may not find the shortest form that reads
  back as the same double (0.528669 is 0.5286689999999999 in Redis 7.2; about one typed
  decimal in a thousand), so the digits are Grisu2's own, computed here step for step as fpconv
  does (its table of cached powers of ten is recomputed exactly from 10**p).
"""

import math
import struct

# double2ll's range: integral doubles within +-LLONG_MAX/2 are written as integers
_LONG_LONG_HALF = float((2**63 - 1) // 2)
_POW10 = [10**i for i in range(24)]
_CACHE: dict = {}  # value -> d2string text, for scores written again and again
_CACHE_SIZE = 4096


def as_long_long(value: float):
    """util.c's double2ll: the integer an integral double in +-2^62 is, else None."""
    if -_LONG_LONG_HALF <= value <= _LONG_LONG_HALF and value.is_integer():
        return int(value)
    return None


def d2string(value: float) -> bytes:
    """util.c's d2string: 'nan', 'inf', '-0', an integer, or fpconv_dtoa's text."""
    text = _CACHE.get(value)
    if text is not None:
        return text
    if value != value:
        return b"nan"
    if value == 0:  # (signed zero: 1/value < 0 in Redis's words)
        return b"-0" if math.copysign(1.0, value) < 0 else b"0"
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    whole = as_long_long(value)
    if whole is not None:
        return b"%d" % whole
    text = dtoa(value)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()
    _CACHE[value] = text
    return text


def dtoa(value: float) -> bytes:
    """fpconv_dtoa: the sign (a NaN's too), then 'nan', 'inf', '0' or Grisu2's digits laid out
    as emit_digits does."""
    negative = math.copysign(1.0, value) < 0
    sign = "-" if negative else ""
    if value != value:
        return (sign + "nan").encode()
    if math.isinf(value):
        return (sign + "inf").encode()
    if value == 0:
        return (sign + "0").encode()
    digits, exponent = _grisu2(abs(value))
    return (sign + _layout(str(digits), exponent, negative)).encode()


def _layout(digits: str, k: int, negative: bool) -> str:
    """fpconv's emit_digits for digits * 10**k: a plain integer while the zeros to add are few,
    a plain decimal while the last digit is at most six places after the point (or the number
    is within 10^-3..10^4), otherwise scientific notation with an exponent of as few digits as
    it needs."""
    count = len(digits)
    exponent = abs(k + count - 1)
    if k >= 0 and exponent < count + 7:
        return digits + "0" * k
    if k < 0 and (k > -7 or exponent < 4):
        point = count + k
        if point <= 0:
            return "0." + "0" * -point + digits
        return digits[:point] + "." + digits[point:]
    digits = digits[:18 - negative]
    body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return body + ("e-" if k + count - 1 < 0 else "e+") + str(exponent)


# -- Grisu2 ------------------------------------------------------------------------------------
def _cached_powers() -> list:
    """(64-bit significand rounded to nearest, binary exponent) of 10**p for p = -348, -340,
    ..., 340: fpconv's table."""
    table = []
    for power in range(-348, 341, 8):
        numerator, denominator = (10**power, 1) if power >= 0 else (1, 10**-power)
        exponent = numerator.bit_length() - denominator.bit_length() - 64
        while True:
            if exponent >= 0:
                scaled, remainder = divmod(numerator, denominator << exponent)
                whole = denominator << exponent
            else:
                scaled, remainder = divmod(numerator << -exponent, denominator)
                whole = denominator
            if scaled >= 1 << 64:
                exponent += 1
            elif scaled < 1 << 63:
                exponent -= 1
            else:
                break
        scaled += 2 * remainder >= whole
        table.append((scaled, exponent))
    return table


_POWERS = _cached_powers()
_ONE_LOG_TEN = 0.30102999566398114


def _parts(value: float) -> tuple:
    """(significand, exponent) with value == significand * 2**exponent, as IEEE stores them."""
    if value >= 2.2250738585072014e-308:  # normal
        fraction, exponent = math.frexp(value)
        return int(fraction * (1 << 53)), exponent - 53
    bits = struct.unpack("<Q", struct.pack("<d", value))[0]
    return bits & 0xFFFFFFFFFFFFF, -1074


def _scaled(significand: int, power: int) -> int:
    """fpconv's multiply: the high 64 bits of the 128-bit product, rounded up at bit 63."""
    return (significand * power + (1 << 63)) >> 64


def _grisu2(value: float) -> tuple:
    """(digits as an integer, K): fpconv's grisu2 for a positive finite double."""
    significand, exponent = _parts(value)
    upper = (significand << 1) + 1  # the boundaries halfway to the neighbouring doubles,
    upper_shift = 64 - upper.bit_length()  # normalized to 64 bits
    upper <<= upper_shift
    upper_exponent = exponent - 1 - upper_shift
    lower_shift = 2 if significand == 1 << 52 else 1  # (a power of two: a closer lower one)
    lower = ((significand << lower_shift) - 1) << (exponent - lower_shift - upper_exponent)
    middle = significand << (64 - significand.bit_length())
    power, shift, k = _POWER_FOR.get(upper_exponent) or _cached_power(upper_exponent)
    middle = _scaled(middle, power)
    upper = _scaled(upper, power) - 1  # (narrowed by one unit each side: the products are
    lower = _scaled(lower, power) + 1  # approximate)
    return _digits(upper, middle, upper - lower, shift, k, _shortest_length(value))


_POWER_FOR: dict = {}  # the upper boundary's binary exponent -> _cached_power's answer


def _cached_power(exponent: int) -> tuple:
    """find_cachedpow10: the cached power bringing `exponent` into [-60, -32], as (its
    significand, the fraction bits of the scaled boundary, K before the digits)."""
    index = int((int(-(exponent + 87) * _ONE_LOG_TEN) + 348) / 8)
    while True:
        scaled_exponent = exponent + _POWERS[index][1] + 64
        if scaled_exponent < -60:
            index += 1
        elif scaled_exponent > -32:
            index -= 1
        else:
            break
    found = _POWER_FOR[exponent] = (_POWERS[index][0], -scaled_exponent, 348 - index * 8)
    return found


def _shortest_length(value: float) -> int:
    """How many significant digits the shortest text that reads back as `value` has (repr's)."""
    digits = repr(value).partition("e")[0].replace(".", "").strip("0")
    return len(digits)


def _digits(upper: int, middle: int, delta: int, shift: int, k: int, shortest: int) -> tuple:
    """fpconv's generate_digits: the fewest leading digits of `upper` (a fixed-point number
    with `shift` fraction bits) that stay within `delta` of it, then round_digit's nudges of
    the last digit towards `middle`. Cuts that would leave fewer digits than `shortest` are
    not tried: the interval Grisu2 searches lies inside the one where those would have read
    back as the double, and none is that short (the scaled `upper` always has an integral
    part: its exponent is at least -60 with 64 bits)."""
    distance = upper - middle
    whole, fraction = upper >> shift, upper & ((1 << shift) - 1)
    width = len(str(whole))
    place = min(width - 1, width - shortest)
    while place >= 0:  # cut in the integral part, at the highest place that allows it
        unit = _POW10[place]
        rest = ((whole % unit) << shift) + fraction
        if rest <= delta:
            return _nudged(whole // unit, rest, delta, unit << shift, distance), k + place
        place -= 1
    one = 1 << shift
    places = max(shortest - width, 1) - 1
    fraction, delta = (fraction * _POW10[places]) & (one - 1), delta * _POW10[places]
    while True:  # digits after the point, one at a time
        places += 1
        fraction *= 10
        delta *= 10
        fraction &= one - 1
        if fraction < delta:
            digits = (upper * _POW10[places]) >> shift
            return _nudged(digits, fraction, delta, one, distance * _POW10[places]), k - places


def _nudged(digits: int, rest: int, delta: int, unit: int, distance: int) -> int:
    """round_digit: lower the last digit while that moves the number closer to the double."""
    while rest < distance and delta - rest >= unit and (
            rest + unit < distance or distance - rest > rest + unit - distance):
        digits -= 1
        rest += unit
    return digits
