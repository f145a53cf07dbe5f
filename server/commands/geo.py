"""GEO commands: positions kept as sorted-set scores (server/geohash.py). GEOADD writes through
ZADD; searches (GEORADIUS*, GEOSEARCH*) scan the geohash boxes Redis scans, in its order
(geohash.search_ranges), and test their members with Redis's predicates: the same members,
in Redis's order when no ASC/DESC is asked, and COUNT ANY stops where Redis stops."""

from .. import errors, geohash
from ..command_table import command
from ..errors import CommandError
from ..keyspace.containers import ZSet
from ..replies import NULL_ARRAY, DoubleText
from .common import lower, read_typed, to_float, to_int
from .zsets import store_pairs, zadd

G = "geo"
NO_MEMBER = "ERR could not decode requested zset member"


def _coordinate_text(value: float) -> bytes:
    """Redis's human long double: 17 decimals, trailing zeros (and point) dropped."""
    text = f"{value:.17f}".rstrip("0").rstrip(".")
    return (text if text not in ("", "-") else "0").encode()


def _position(lon: float, lat: float) -> list:
    return [DoubleText(_coordinate_text(lon)), DoubleText(_coordinate_text(lat))]


def _distance_text(metres: float, unit: float) -> bytes:
    return b"%.4f" % (metres / unit)


def _unit(arg) -> float:
    unit = geohash.UNITS.get(lower(arg))
    if unit is None:
        raise CommandError("ERR unsupported unit provided. please use M, KM, FT, MI")
    return unit


def _lonlat(lon_arg, lat_arg) -> tuple:
    lon, lat = to_float(lon_arg), to_float(lat_arg)
    if not geohash.valid(lon, lat):
        raise CommandError(f"ERR invalid longitude,latitude pair {lon:f},{lat:f}")
    return lon, lat


@command("geoadd", -5, "write denyoom", (1, 1, 1), G, "Adds one or more members to a "
         "geospatial index. The key is created if it doesn't exist.", "3.2.0")
def geoadd(client, args):
    return zadd(client, geoadd_as_zadd(args))


def geoadd_as_zadd(args) -> list:
    """The ZADD a GEOADD runs (and is passed on as, as in Redis): its options as given, then
    each member's geohash score."""
    i = 2
    options = []
    while i < len(args) and lower(args[i]) in (b"nx", b"xx", b"ch"):
        options.append(args[i])
        i += 1
    rest = args[i:]
    flags = {lower(o) for o in options}
    if not rest or len(rest) % 3 or (b"nx" in flags and b"xx" in flags):
        raise CommandError(errors.SYNTAX)
    zadd_args = [b"zadd", args[1], *options]
    for j in range(0, len(rest), 3):
        lon, lat = _lonlat(rest[j], rest[j + 1])
        zadd_args += [b"%d" % geohash.encode(lon, lat), rest[j + 2]]
    return zadd_args


def _score_of(client, key, member):
    z = read_typed(client.db, key, ZSet)
    return None if z is None else z.score(member)


@command("geopos", -2, "readonly", (1, 1, 1), G, "Returns the longitude and latitude of "
         "members from a geospatial index.", "3.2.0")
def geopos(client, args):
    z = read_typed(client.db, args[1], ZSet)
    out = []
    for member in args[2:]:
        score = None if z is None else z.score(member)
        out.append(NULL_ARRAY if score is None
                   else _position(*geohash.decode(int(score))))
    return out


@command("geodist", -4, "readonly", (1, 1, 1), G, "Returns the distance between two members "
         "of a geospatial index.", "3.2.0")
def geodist(client, args):
    if len(args) > 5:
        raise CommandError(errors.SYNTAX)
    unit = _unit(args[4]) if len(args) == 5 else 1.0
    z = read_typed(client.db, args[1], ZSet)
    first = None if z is None else z.score(args[2])
    second = None if z is None else z.score(args[3])
    if first is None or second is None:
        return None
    a, b = geohash.decode(int(first)), geohash.decode(int(second))
    return _distance_text(geohash.distance(a[0], a[1], b[0], b[1]), unit)


@command("geohash", -2, "readonly", (1, 1, 1), G, "Returns members from a geospatial index "
         "as geohash strings.", "3.2.0")
def geohash_command(client, args):
    z = read_typed(client.db, args[1], ZSet)
    out = []
    for member in args[2:]:
        score = None if z is None else z.score(member)
        out.append(None if score is None else geohash.geohash_string(int(score)))
    return out


class Search:
    """A parsed GEORADIUS*/GEOSEARCH* request."""

    def __init__(self):
        self.center = None  # (lon, lat)
        self.member = None  # FROMMEMBER / BYMEMBER: resolved against the key
        self.radius = None  # metres
        self.box = None  # (width, height) metres
        self.unit = 1.0
        self.sort = None  # "asc" | "desc"
        self.count = 0
        self.any = False
        self.with_dist = self.with_hash = self.with_coord = False
        self.store = None
        self.store_dist = False


def _parse_options(search: Search, args, i: int, georadius: bool, store: bool = True) -> None:
    """The options after the shape: WITH*, ASC/DESC, COUNT [ANY], STORE/STOREDIST (the last
    ones GEORADIUS only, not its _RO forms; GEOSEARCHSTORE's STOREDIST is passed in as an
    option too)."""
    while i < len(args):
        word = lower(args[i])
        if word == b"withdist":
            search.with_dist = True
        elif word == b"withhash":
            search.with_hash = True
        elif word == b"withcoord":
            search.with_coord = True
        elif word == b"any":
            search.any = True
        elif word in (b"asc", b"desc"):
            search.sort = word.decode()
        elif word == b"count" and i + 1 < len(args):
            search.count = to_int(args[i + 1])
            if search.count <= 0:
                raise CommandError("ERR COUNT must be > 0")
            i += 1
        elif georadius and store and word in (b"store", b"storedist") and i + 1 < len(args):
            search.store, search.store_dist = args[i + 1], word == b"storedist"
            i += 1
        elif not georadius and word in (b"frommember", b"fromlonlat", b"byradius", b"bybox"):
            i = _parse_shape_option(search, args, i, word)
        elif word == b"storedist" and search.store is not None:
            search.store_dist = True
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    if search.any and not search.count:
        raise CommandError("ERR the ANY argument requires COUNT argument")


def _parse_shape_option(search: Search, args, i: int, word: bytes) -> int:
    """GEOSEARCH's FROMMEMBER/FROMLONLAT/BYRADIUS/BYBOX at args[i]; the index of its last
    argument."""
    need = {b"frommember": 1, b"fromlonlat": 2, b"byradius": 2, b"bybox": 3}[word]
    if i + need >= len(args):
        raise CommandError(errors.SYNTAX)
    if word in (b"frommember", b"fromlonlat") and (search.center is not None
                                                   or search.member is not None):
        raise CommandError(errors.SYNTAX)  # a second origin
    if word in (b"byradius", b"bybox") and (search.radius is not None or search.box is not None):
        raise CommandError(errors.SYNTAX)  # a second shape
    if word == b"frommember":
        search.member = args[i + 1]
    elif word == b"fromlonlat":
        search.center = _lonlat(args[i + 1], args[i + 2])
    elif word == b"byradius":
        radius = to_float(args[i + 1], "ERR need numeric radius")
        if radius < 0:
            raise CommandError("ERR radius cannot be negative")
        search.unit = _unit(args[i + 2])
        search.radius = radius * search.unit
    else:
        width = to_float(args[i + 1], "ERR need numeric width")
        height = to_float(args[i + 2], "ERR need numeric height")
        if width < 0 or height < 0:
            raise CommandError("ERR height or width cannot be negative")
        search.unit = _unit(args[i + 3])
        search.box = (width * search.unit, height * search.unit)
    return i + need


def _run(z, search: Search):
    """(score, member, distance) of the members of sorted set `z` (None: no key) in the shape,
    in the requested order."""
    if z is None:
        return []
    if search.member is not None:
        score = z.score(search.member)
        if score is None:
            raise CommandError(NO_MEMBER)
        search.center = geohash.decode(int(score))
    center = search.center
    order = z.order
    limit = search.count if search.any else 0
    found = []
    for low, high in geohash.search_ranges(center, search.radius, search.box):
        for index in range(order.bisect_left((low,)), order.bisect_left((high,))):
            if limit and len(found) >= limit:
                break
            score, member = order[index]
            point = geohash.decode(int(score))
            if search.radius is not None:
                dist = geohash.distance(center[0], center[1], point[0], point[1])
                if dist > search.radius:
                    continue
            else:
                dist = geohash.within_box(center, point, *search.box)
                if dist is None:
                    continue
            found.append((score, member, dist))
    sort = search.sort or ("asc" if search.count and not search.any else None)
    if sort is not None:
        found.sort(key=lambda item: item[2], reverse=sort == "desc")
    if search.count:
        found = found[:search.count]
    return found


def _reply(client, search: Search, found: list):
    if search.store is not None:
        pairs = [(dist / search.unit if search.store_dist else score, member)
                 for score, member, dist in found]
        return store_pairs(client, search.store, pairs, changes=len(pairs))  # (as Redis)
    if not (search.with_dist or search.with_hash or search.with_coord):
        return [member for _, member, _ in found]
    out = []
    for score, member, dist in found:
        item = [member]
        if search.with_dist:
            item.append(_distance_text(dist, search.unit))
        if search.with_hash:
            item.append(int(score))
        if search.with_coord:
            item.append(_position(*geohash.decode(int(score))))
        out.append(item)
    return out


def _georadius(client, args, by_member: bool, read_only: bool = False):
    # the key is read (a keyspace hit or miss, WRONGTYPE) before any argument, as Redis
    z = read_typed(client.db, args[1], ZSet)
    search = Search()
    if by_member:
        shape_at = 3
        if z is not None and z.score(args[2]) is None:  # (before the radius is read)
            raise CommandError(NO_MEMBER)
        search.member = args[2]
    else:
        search.center, shape_at = _lonlat(args[2], args[3]), 4
    if z is not None or not by_member:  # (by member from no key: only options are read)
        radius = to_float(args[shape_at], "ERR need numeric radius")
        if radius < 0:
            raise CommandError("ERR radius cannot be negative")
        search.unit = _unit(args[shape_at + 1])
        search.radius = radius * search.unit
    _parse_options(search, args, shape_at + 2, georadius=True, store=not read_only)
    if search.store is not None and (search.with_dist or search.with_hash or search.with_coord):
        raise CommandError("ERR STORE option in GEORADIUS is not compatible with WITHDIST, "
                           "WITHHASH and WITHCOORD options")
    return _reply(client, search, _run(z, search))


def _geosearch(client, key, args, start: int, store=None):
    # the key is read (a keyspace hit or miss, WRONGTYPE) before any argument, as Redis
    z = read_typed(client.db, key, ZSet)
    search = Search()
    search.store = store
    _parse_options(search, args, start, georadius=False)
    if search.center is None and search.member is None:
        raise CommandError("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for "
                           "GEOSEARCH")
    if search.radius is None and search.box is None:
        raise CommandError("ERR exactly one of BYRADIUS and BYBOX arguments must be provided "
                           "for GEOSEARCH")
    if store is not None and (search.with_dist or search.with_hash or search.with_coord):
        raise CommandError("ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and "
                           "WITHCOORD options")
    return _reply(client, search, _run(z, search))


@command("georadius", -6, "write denyoom", (1, 1, 1), G, "Queries a geospatial index for "
         "members within a distance from a coordinate, optionally stores the result.", "3.2.0")
def georadius(client, args):
    return _georadius(client, args, by_member=False)


@command("georadius_ro", -6, "readonly", (1, 1, 1), G, "Returns members from a geospatial "
         "index that are within a distance from a coordinate.", "3.2.10")
def georadius_ro(client, args):
    return _georadius(client, args, by_member=False, read_only=True)


@command("georadiusbymember", -5, "write denyoom", (1, 1, 1), G, "Queries a geospatial index "
         "for members within a distance from a member, optionally stores the result.", "3.2.0")
def georadiusbymember(client, args):
    return _georadius(client, args, by_member=True)


@command("georadiusbymember_ro", -5, "readonly", (1, 1, 1), G, "Returns members from a "
         "geospatial index that are within a distance from a member.", "3.2.10")
def georadiusbymember_ro(client, args):
    return _georadius(client, args, by_member=True, read_only=True)



@command("geosearch", -7, "readonly", (1, 1, 1), G, "Queries a geospatial index for members "
         "inside an area of a box or a circle.", "6.2.0")
def geosearch(client, args):
    return _geosearch(client, args[1], args, 2)


@command("geosearchstore", -8, "write denyoom", (1, 2, 1), G, "Queries a geospatial index for "
         "members inside an area of a box or a circle, optionally stores the result.", "6.2.0")
def geosearchstore(client, args):
    return _geosearch(client, args[2], args, 3, store=args[1])
