"""What a write command must be logged as (AOF, replicas) so that replaying it later gives the
same data: Redis's propagation rules.

Most commands are deterministic and are logged as they came. The rest are rewritten from their
arguments, their reply and the key's state right after they ran:
- relative or conditional expiry (EXPIRE, SET EX, SETEX, GETEX ...) becomes an absolute
  deadline (PEXPIREAT, SET ... PXAT), or DEL when the key is gone;
- INCRBYFLOAT and HINCRBYFLOAT store their result (float formatting must not differ on replay);
- SPOP becomes SREM of the members it popped, GETDEL and MIGRATE a DEL, GETSET a SET;
- blocking pops become the non-blocking command that served them, LMPOP/ZMPOP a pop with
  count on the key they popped from;
- XADD with an automatic id (`*`, `ms-*`) is logged with the id it got, and XADD or XTRIM
  trimming with `~` with the exact threshold the trim came to;
- RESTORE with a relative TTL is logged with ABSTTL;
- GEOADD is logged as the ZADD it ran (the members' geohash scores).
Each rule returns a list of commands (argument lists of bytes).
"""

from .commands.common import lower
from .keyspace.stream import MAX_ID, format_id


def _num(value: int) -> bytes:
    return b"%d" % value


def _key_state(db, key):
    """(present, deadline) of a key right after the command, without touching it."""
    if key not in db.data:
        return False, None
    return True, db.get_expire(key)


def _expiry(args, reply, db, deletion=b"DEL"):
    """`deletion`: how a key the command removed at once (a deadline already past) is logged;
    UNLINK under lazyfree-lazy-expire, as Redis. EXPIRE and its kin keep their NX/XX/GT/LT
    flags, and a PEXPIREAT goes as it came (Redis rewrites only the name and the time)."""
    present, deadline = _key_state(db, args[1])
    if not present:
        return [[deletion, args[1]]]
    if deadline is None:
        return [[b"PERSIST", args[1]]]
    name = lower(args[0])
    if name == b"getex":
        return [[b"PEXPIREAT", args[1], _num(deadline)]]
    if name == b"pexpireat":
        return [list(args)]
    return [[b"PEXPIREAT", args[1], _num(deadline), *args[3:]]]


def _stored_string(value_index):
    def rule(args, reply, db):
        key = args[1]
        present, deadline = _key_state(db, key)
        if not present:
            return [[b"DEL", key]]
        command = [b"SET", key, args[value_index]]
        return [command + [b"PXAT", _num(deadline)] if deadline is not None else command]
    return rule


def _set(args, reply, db):
    """Redis's SET propagation: with an expiry, SET key value PXAT ms (its other options
    dropped); without, the command as given less GET (NX, XX, KEEPTTL travel)."""
    options = [lower(arg) for arg in args[3:]]
    if any(option in (b"ex", b"px", b"exat", b"pxat") for option in options):
        return _stored_string(2)(args, reply, db)
    return [[arg for arg, option in zip(args, [b""] * 3 + options) if option != b"get"]]


def _getset(args, reply, db):
    return [[b"SET", args[1], args[2]]]  # (Redis rewrites GETSET's name: the replica's
    # commandstats count a SET)


def _getdel(args, reply, db):
    return [[b"DEL", args[1]]]


def _migrate(args, reply, db):
    from .commands.migrate import keys_of

    gone = [key for key in keys_of(args) if key not in db.data]
    return [[b"DEL", *gone]] if gone else []


def _incrbyfloat(args, reply, db):
    return [[b"SET", args[1], reply, b"KEEPTTL"]]


def _hincrbyfloat(args, reply, db):
    return [[b"HSET", args[1], args[2], reply]]


def _spop(args, reply, db, deletion=b"DEL"):
    """SREM of the popped members, 1024 a command, as Redis 7.2 logs them; an SPOP with a
    count that took the whole set is logged as its deletion (`deletion`: DEL or UNLINK, by
    lazyfree-lazy-server-del)."""
    members = [reply] if isinstance(reply, bytes) else list(reply or ())
    if not members:
        return []
    if len(args) == 3 and args[1] not in db.data:
        return [[deletion, args[1]]]
    return [[b"SREM", args[1], *members[i:i + 1024]] for i in range(0, len(members), 1024)]


def _restore(args, reply, db):
    options = [lower(arg) for arg in args[4:]]
    if b"absttl" in options or args[2] in (b"0", b"-0"):
        return [list(args)]
    present, deadline = _key_state(db, args[1])
    if not present:
        return [[b"DEL", args[1]]]
    return [[b"RESTORE", args[1], _num(deadline or 0), *args[3:], b"ABSTTL"]]


def _exact_trim(logged: list, at: int, db) -> None:
    """An approximate trim (`MAXLEN|MINID ~ threshold` at `at`) as the exact one it turned
    out to be, as Redis logs it: `=` and the stream's length, or for MINID its first node's
    first ID (the highest possible ID when no node is left). The trim depended on where the
    stream's nodes split, and on LIMIT, which replay must not redo differently."""
    stream = db.data.get(logged[1])
    logged[at + 1] = b"="
    if lower(logged[at]) == b"maxlen":
        logged[at + 2] = _num(stream.length)
    else:
        nodes = stream.nodes
        logged[at + 2] = format_id(nodes.head().master_id if len(nodes) else MAX_ID)


def _xadd(args, reply, db):
    index = 2
    logged = list(args)
    while index < len(args):
        option = lower(args[index])
        if option == b"nomkstream":
            index += 1
        elif option in (b"maxlen", b"minid"):
            if args[index + 1] == b"~" and reply is not None:
                _exact_trim(logged, index, db)
            index += 3 if args[index + 1] in (b"=", b"~") else 2
        elif option == b"limit":
            index += 2
        else:
            break
    if reply is not None and index < len(logged) and (
            logged[index] == b"*" or logged[index].endswith(b"-*")):
        logged[index] = reply  # (an ID given whole, even without its sequence, goes as given)
    return [logged]


def _xtrim(args, reply, db):
    logged = list(args)
    if args[3] == b"~" and reply:
        _exact_trim(logged, 2, db)
    return [logged]


def _xreadgroup(args, reply, db):
    """XREADGROUP as Redis propagates it: each entry newly delivered (">") as an XCLAIM that
    recreates its pending entry as it stands (FORCE, JUSTID, LASTID moving the group on; none
    with NOACK), then the group's new last id and read counter as XGROUP SETID ... ENTRIESREAD
    (Redis 7.2.5's fix: XCLAIM alone left a replica's entries-read behind), after an XGROUP
    CREATECONSUMER for a consumer the read created (Redis 7.2 creates one with any read,
    served or not). A read of a consumer's own history propagates nothing else."""
    from .commands.streams import _parse_read, parse_id
    from .keyspace.stream import format_id

    _, _, noack, group_name, consumer, keys, ids = _parse_read(args, True)
    delivered = dict(reply) if isinstance(reply, (list, dict)) else {}
    commands = []
    for key, id_arg in zip(keys, ids):
        entries = delivered.get(key)
        stream = db.data.get(key)
        group = None if stream is None else stream.groups.get(group_name)
        if group is None:
            continue
        reader = group.consumers.get(consumer)
        if reader is not None and reader.unannounced:
            reader.unannounced = False
            commands.append([b"XGROUP", b"CREATECONSUMER", key, group_name, consumer])
        if id_arg != b">" or not entries:
            continue
        for stream_id, _ in entries if not noack else ():
            pending = group.pel[parse_id(stream_id)]
            commands.append([b"XCLAIM", key, group_name, consumer, b"0", stream_id, b"TIME",
                             _num(pending.delivery_time), b"RETRYCOUNT",
                             _num(pending.delivery_count), b"FORCE", b"JUSTID", b"LASTID",
                             stream_id])
        commands.append([b"XGROUP", b"SETID", key, group_name, format_id(group.last_id),
                         b"ENTRIESREAD", _num(group.entries_read)])
    return commands


def _geoadd(args, reply, db):
    from .commands.geo import geoadd_as_zadd

    return [geoadd_as_zadd(args)]


def _popped(command):
    def rule(args, reply, db):
        return [[command, reply[0]]]
    return rule


def _blmove(args, reply, db):
    return [[b"LMOVE", *args[1:5]]]


def _brpoplpush(args, reply, db):
    return [[b"RPOPLPUSH", args[1], args[2]]]


def _multi_pop(left: bytes, right: bytes, numkeys_at: int):
    """LMPOP/ZMPOP and their blocking forms: the single-key pop (with count) that served it."""
    def rule(args, reply, db):
        numkeys = int(args[numkeys_at])
        side = lower(args[numkeys_at + 1 + numkeys])
        key, popped = reply
        return [[left if side in (b"left", b"min") else right, key, _num(len(popped))]]
    return rule


RULES = {
    "expire": _expiry, "pexpire": _expiry, "expireat": _expiry, "pexpireat": _expiry,
    "getex": _expiry, "getdel": _getdel, "getset": _getset, "migrate": _migrate,
    "set": _set, "setex": _stored_string(3), "psetex": _stored_string(3),
    "incrbyfloat": _incrbyfloat, "hincrbyfloat": _hincrbyfloat,
    "spop": _spop, "restore": _restore, "xadd": _xadd, "xtrim": _xtrim,
    "xreadgroup": _xreadgroup, "geoadd": _geoadd,
    "blpop": _popped(b"LPOP"), "brpop": _popped(b"RPOP"), "blmove": _blmove,
    "brpoplpush": _brpoplpush,
    "lmpop": _multi_pop(b"LPOP", b"RPOP", 1), "blmpop": _multi_pop(b"LPOP", b"RPOP", 2),
    "zmpop": _multi_pop(b"ZPOPMIN", b"ZPOPMAX", 1), "bzmpop": _multi_pop(b"ZPOPMIN", b"ZPOPMAX", 2),
    "bzpopmin": _popped(b"ZPOPMIN"), "bzpopmax": _popped(b"ZPOPMAX"),
}


def effects(name: str, args: list, reply, db, config=None) -> list:
    """The commands that reproduce what `name args` (which answered `reply`) did to `db`;
    `config` decides DEL or UNLINK for the expiry rules (lazyfree-lazy-expire) and SPOP's
    (lazyfree-lazy-server-del)."""
    rule = RULES.get(name)
    if rule is None:
        return [list(args)]
    if rule is _expiry and config is not None and config["lazyfree-lazy-expire"]:
        return _expiry(args, reply, db, b"UNLINK")
    if rule is _spop and config is not None and config["lazyfree-lazy-server-del"]:
        return _spop(args, reply, db, b"UNLINK")
    return rule(args, reply, db)
