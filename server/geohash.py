"""Geohash arithmetic for the GEO commands, with Redis's conventions: a position is stored as a
sorted-set score, the 52-bit interleaving of 26-bit latitude and longitude cells (latitude in
the even bits) over Web Mercator's latitude range; positions read back are the cell's centre;
distances are haversine on a sphere of Redis's Earth radius; GEOHASH strings re-encode the
centre over the standard [-90, 90] latitude range, as every other geohash tool does.
"""

import math

STEP = 26
LAT_MIN, LAT_MAX = -85.05112878, 85.05112878
LON_MIN, LON_MAX = -180.0, 180.0
EARTH_RADIUS = 6372797.560856  # metres
ALPHABET = b"0123456789bcdefghjkmnpqrstuvwxyz"
UNITS = {b"m": 1.0, b"km": 1000.0, b"ft": 0.3048, b"mi": 1609.34}


def _spread(value: int) -> int:
    """The 32 bits of value moved to the even bit positions of a 64-bit word."""
    value &= 0xFFFFFFFF
    value = (value | (value << 16)) & 0x0000FFFF0000FFFF
    value = (value | (value << 8)) & 0x00FF00FF00FF00FF
    value = (value | (value << 4)) & 0x0F0F0F0F0F0F0F0F
    value = (value | (value << 2)) & 0x3333333333333333
    return (value | (value << 1)) & 0x5555555555555555


def _squash(value: int) -> int:
    """The inverse of _spread: the even bits, packed."""
    value &= 0x5555555555555555
    value = (value | (value >> 1)) & 0x3333333333333333
    value = (value | (value >> 2)) & 0x0F0F0F0F0F0F0F0F
    value = (value | (value >> 4)) & 0x00FF00FF00FF00FF
    value = (value | (value >> 8)) & 0x0000FFFF0000FFFF
    return (value | (value >> 16)) & 0x00000000FFFFFFFF


def valid(lon: float, lat: float) -> bool:
    return LON_MIN <= lon <= LON_MAX and LAT_MIN <= lat <= LAT_MAX


def encode(lon: float, lat: float, lat_min: float = LAT_MIN, lat_max: float = LAT_MAX) -> int:
    lat_cell = int((lat - lat_min) / (lat_max - lat_min) * (1 << STEP))
    lon_cell = int((lon - LON_MIN) / (LON_MAX - LON_MIN) * (1 << STEP))
    return _spread(lat_cell) | (_spread(lon_cell) << 1)


def decode(bits: int) -> tuple:
    """(lon, lat): the centre of the cell, clamped to the valid ranges."""
    lat_cell, lon_cell = _squash(bits), _squash(bits >> 1)
    scale = 1 << STEP
    lat_low = LAT_MIN + lat_cell / scale * (LAT_MAX - LAT_MIN)
    lat_high = LAT_MIN + (lat_cell + 1) / scale * (LAT_MAX - LAT_MIN)
    lon_low = LON_MIN + lon_cell / scale * (LON_MAX - LON_MIN)
    lon_high = LON_MIN + (lon_cell + 1) / scale * (LON_MAX - LON_MIN)
    lon = min(max((lon_low + lon_high) / 2, LON_MIN), LON_MAX)
    lat = min(max((lat_low + lat_high) / 2, LAT_MIN), LAT_MAX)
    return lon, lat


def lat_distance(lat1: float, lat2: float) -> float:
    return EARTH_RADIUS * abs(math.radians(lat2) - math.radians(lat1))


def distance(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Metres between two positions (haversine)."""
    lat1r, lat2r = math.radians(lat1), math.radians(lat2)
    v = math.sin((math.radians(lon2) - math.radians(lon1)) / 2)
    if v == 0.0:  # same meridian: the latitude difference alone (as Redis shortcuts it)
        return lat_distance(lat1, lat2)
    u = math.sin((lat2r - lat1r) / 2)
    return 2.0 * EARTH_RADIUS * math.asin(math.sqrt(u * u + math.cos(lat1r) * math.cos(lat2r)
                                                    * v * v))


def within_box(center: tuple, point: tuple, width: float, height: float):
    """The distance to a point inside a width x height (metres) box around center, else
    None: the latitude difference first, then the longitude one at the point's latitude."""
    if lat_distance(point[1], center[1]) > height / 2:
        return None
    if distance(point[0], point[1], center[0], point[1]) > width / 2:
        return None
    return distance(center[0], center[1], point[0], point[1])


def geohash_string(bits: int) -> bytes:
    """GEOHASH's 11 characters for a stored score."""
    lon, lat = decode(bits)
    standard = encode(lon, lat, -90.0, 90.0)
    out = bytearray()
    for i in range(11):
        index = 0 if i == 10 else (standard >> (52 - (i + 1) * 5)) & 0x1F
        out.append(ALPHABET[index])
    return bytes(out)
