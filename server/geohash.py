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


# -- the area search: which geohash boxes GEORADIUS/GEOSEARCH scan, in Redis's order ---------
MERCATOR_MAX = 20037726.37
_ODD, _EVEN = 0xAAAAAAAAAAAAAAAA, 0x5555555555555555  # longitude bits, latitude bits


def estimate_steps(radius: float, lat: float) -> int:
    """The geohash precision whose cells are about the search radius (Redis's estimate)."""
    if radius == 0:
        return 26
    step = 1
    while radius < MERCATOR_MAX:
        radius *= 2
        step += 1
    step -= 2
    if lat > 66 or lat < -66:  # cells narrow towards the poles
        step -= 1
        if lat > 80 or lat < -80:
            step -= 1
    return min(max(step, 1), 26)


def encode_step(lon: float, lat: float, step: int) -> int:
    lat_cell = int((lat - LAT_MIN) / (LAT_MAX - LAT_MIN) * (1 << step))
    lon_cell = int((lon - LON_MIN) / (LON_MAX - LON_MIN) * (1 << step))
    return _spread(lat_cell) | (_spread(lon_cell) << 1)


def cell_area(bits: int, step: int) -> tuple:
    """(lat_min, lat_max, lon_min, lon_max) of a cell."""
    lat_cell, lon_cell = _squash(bits), _squash(bits >> 1)
    scale = 1 << step
    return (LAT_MIN + lat_cell / scale * (LAT_MAX - LAT_MIN),
            LAT_MIN + (lat_cell + 1) / scale * (LAT_MAX - LAT_MIN),
            LON_MIN + lon_cell / scale * (LON_MAX - LON_MIN),
            LON_MIN + (lon_cell + 1) / scale * (LON_MAX - LON_MIN))


def _move(bits: int, step: int, dx: int, dy: int) -> int:
    """The cell dx columns east and dy rows north (wrapping), as Redis's geohash_move_x/y."""
    width = 64 - step * 2
    for delta, mine, other in ((dx, _ODD, _EVEN), (dy, _EVEN, _ODD)):
        if delta:
            part, rest = bits & mine, bits & other
            ones = other >> width  # the other coordinate's bits, set: a carry runs across them
            part = part + (ones + 1) if delta > 0 else (part | ones) - (ones + 1)
            bits = (part & (mine >> width)) | rest
    return bits


# Redis's scan order: the centre cell, then north, south, east, west, NE, NW, SE, SW.
_NEIGHBOURS = ((0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1))


def _bounds(lon: float, lat: float, half_width: float, half_height: float) -> tuple:
    """(min_lon, min_lat, max_lon, max_lat) around a point, as Redis's geohashBoundingBox."""
    lat_delta = math.degrees(half_height / EARTH_RADIUS)
    top = math.degrees(half_width / EARTH_RADIUS / math.cos(math.radians(lat + lat_delta)))
    bottom = math.degrees(half_width / EARTH_RADIUS / math.cos(math.radians(lat - lat_delta)))
    lon_delta = bottom if lat < 0 else top
    return lon - lon_delta, lat - lat_delta, lon + lon_delta, lat + lat_delta


def search_ranges(center: tuple, radius: float = None, box: tuple = None) -> list:
    """[min_score, max_score) ranges of the cells a search around `center` scans, in order:
    a radius (metres) or a (width, height) box (metres)."""
    lon, lat = center
    if radius is not None:
        half_width = half_height = reach = radius
    else:
        half_width, half_height = box[0] / 2, box[1] / 2
        reach = math.sqrt(half_width * half_width + half_height * half_height)
    min_lon, min_lat, max_lon, max_lat = _bounds(lon, lat, half_width, half_height)
    step = estimate_steps(reach, lat)
    bits = encode_step(lon, lat, step)
    north, south, east, west = (cell_area(_move(bits, step, dx, dy), step)
                                for dx, dy in _NEIGHBOURS[:4])
    if step > 1 and (north[1] < max_lat or south[0] > min_lat or east[3] < max_lon
                     or west[2] > min_lon):  # a neighbour row/column falls short: coarser
        step -= 1
        bits = encode_step(lon, lat, step)
    cells = [bits] + [_move(bits, step, dx, dy) for dx, dy in _NEIGHBOURS]
    if step >= 2:  # leave out the neighbours beyond the search's bounding box
        area = cell_area(bits, step)
        skip = set()
        if area[0] < min_lat:
            skip |= {2, 7, 8}  # south, south-east, south-west
        if area[1] > max_lat:
            skip |= {1, 5, 6}
        if area[2] < min_lon:
            skip |= {4, 6, 8}
        if area[3] > max_lon:
            skip |= {3, 5, 7}
        cells = [None if index in skip else cell for index, cell in enumerate(cells)]
    shift = 52 - step * 2
    ranges, last = [], None
    for index, cell in enumerate(cells):
        if cell is None:
            continue
        if last is not None and cell == cells[last]:  # a huge radius: the same cell again
            continue
        ranges.append((cell << shift, (cell + 1) << shift))
        last = index if index else None  # Redis never compares with the centre cell
    return ranges
