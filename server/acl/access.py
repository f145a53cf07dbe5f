"""Which keys and channels a command touches, and which access each key needs, for ACL
checks (Redis derives this from its key specs' ACCESS / INSERT / UPDATE / DELETE flags).

A key needs read permission when the command returns or depends on its value, write
permission when it changes it; commands that only test existence, type or size accept either.
Keys come from the command table's positions, or from the rules below for commands whose
keys move (numkeys, STORE, STREAMS, source and destination).
"""

from ..command_specs_data import KEY_SPECS
from ..commands.common import lower

READ, WRITE, BOTH, EITHER = (True, False), (False, True), (True, True), (False, False)

# Commands that only test existence, type or size.
_EITHER = frozenset({"exists", "type", "touch", "hexists", "hstrlen", "sismember",
                     "strlen", "hlen", "llen", "scard", "zcard", "xlen",
                     "memory|usage", "object|encoding", "object|freq", "object|idletime",
                     "object|refcount"})
# Writes that read the value they change (Redis's ACCESS flag on an updated key).
_READ_WRITE = frozenset({"getset", "getdel", "getex", "incr", "incrby", "decr", "decrby",
                         "incrbyfloat", "hincrby", "hincrbyfloat", "zincrby", "lpop", "rpop",
                         "spop", "zpopmin", "zpopmax", "blpop", "brpop", "bzpopmin",
                         "bzpopmax", "setbit", "move"})


def _numkeys(args, at: int, access):
    try:
        count = int(args[at])
    except (ValueError, IndexError):
        return []
    if count < 0:
        return []
    return [(key, *access) for key in args[at + 1:at + 1 + count]]


def _sort(args, access):
    keys = [(args[1], *READ)]
    for index in range(2, len(args) - 1):
        if lower(args[index]) == b"store":
            keys.append((args[index + 1], *WRITE))
    return keys


def _streams(access):
    def keys(args, _):
        for index, arg in enumerate(args):
            if lower(arg) == b"streams":
                rest = args[index + 1:]
                return [(key, *access) for key in rest[:len(rest) // 2]]
        return []
    return keys


def _source_destination(source_access):
    return lambda args, _: [(args[1], *source_access), (args[2], *WRITE)] if len(args) > 2 \
        else []


def _destination_then_sources(first_source: int, destination: int = 1):
    def keys(args, _):
        if len(args) <= destination:
            return []
        return [(args[destination], *WRITE)] + [(key, *READ) for key in args[first_source:]]
    return keys


def _set(args, _):
    """SET reads the old value only with GET (Redis's variable key-spec flags)."""
    if len(args) < 3:
        return []
    return [(args[1], *(BOTH if any(lower(a) == b"get" for a in args[3:]) else WRITE))]


def _bitfield(args, _):
    """BITFIELD writes only with SET or INCRBY (Redis's variable key-spec flags)."""
    if len(args) < 2:
        return []
    writes = any(lower(a) in (b"set", b"incrby") for a in args[2:])
    return [(args[1], *(BOTH if writes else READ))]


def _georadius(key_at: int):
    """GEORADIUS*: the key is read; a STORE/STOREDIST key is written."""
    def keys(args, _):
        found = [(args[1], *READ)] if len(args) > 1 else []
        for index in range(key_at, len(args) - 1):
            if lower(args[index]) in (b"store", b"storedist"):
                found.append((args[index + 1], *WRITE))
        return found
    return keys


def _migrate(args, _):
    """MIGRATE reads and deletes the keys it moves: the one at 3, or those after KEYS."""
    from ..commands.migrate import keys_of  # (the command modules import this package)

    return [(key, *BOTH) for key in keys_of(args)]


def _store_with_numkeys(args, _):
    return [(args[1], *WRITE)] + _numkeys(args, 2, READ) if len(args) > 2 else []


MOVING_KEYS = {
    "eval": lambda a, _: _numkeys(a, 2, BOTH), "evalsha": lambda a, _: _numkeys(a, 2, BOTH),
    "fcall": lambda a, _: _numkeys(a, 2, BOTH),
    "eval_ro": lambda a, _: _numkeys(a, 2, READ), "evalsha_ro": lambda a, _: _numkeys(a, 2, READ),
    "fcall_ro": lambda a, _: _numkeys(a, 2, READ),
    "zunion": lambda a, _: _numkeys(a, 1, READ), "zinter": lambda a, _: _numkeys(a, 1, READ),
    "zdiff": lambda a, _: _numkeys(a, 1, READ), "zintercard": lambda a, _: _numkeys(a, 1, READ),
    "sintercard": lambda a, _: _numkeys(a, 1, READ),
    "lmpop": lambda a, _: _numkeys(a, 1, BOTH), "zmpop": lambda a, _: _numkeys(a, 1, BOTH),
    "blmpop": lambda a, _: _numkeys(a, 2, BOTH), "bzmpop": lambda a, _: _numkeys(a, 2, BOTH),
    "zunionstore": _store_with_numkeys, "zinterstore": _store_with_numkeys,
    "zdiffstore": _store_with_numkeys,
    "sort": _sort, "sort_ro": _sort,
    "xread": _streams(READ), "xreadgroup": _streams(READ),
    "copy": _source_destination(READ), "rename": _source_destination(BOTH),
    "renamenx": _source_destination(BOTH), "smove": _source_destination(BOTH),
    "lmove": _source_destination(BOTH), "blmove": _source_destination(BOTH),
    "rpoplpush": _source_destination(BOTH), "brpoplpush": _source_destination(BOTH),
    "zrangestore": lambda a, _: [(a[1], *WRITE), (a[2], *READ)] if len(a) > 2 else [],
    "sunionstore": _destination_then_sources(2), "sinterstore": _destination_then_sources(2),
    "sdiffstore": _destination_then_sources(2), "bitop": _destination_then_sources(3, 2),
    "pfmerge": lambda a, _: [(a[1], *BOTH)] + [(k, *READ) for k in a[2:]],
    "set": _set, "bitfield": _bitfield, "migrate": _migrate,
    "georadius": _georadius(6), "georadiusbymember": _georadius(5),
    "geosearchstore": lambda a, _: [(a[1], *WRITE), (a[2], *READ)] if len(a) > 2 else [],
}
_CHANNELS = {"publish": (1, 2), "spublish": (1, 2), "subscribe": (1, None),
             "ssubscribe": (1, None)}
# Commands whose key positions name shard channels (key specs flagged not_key: they place the
# command in a cluster slot, and ACL checks them as channels, not keys)
_NO_KEYS = frozenset(name for name, specs in KEY_SPECS.items()
                     if all(spec.startswith("not_key ") for spec in specs))


def _access_of(spec):
    name = spec.fullname
    if name in _EITHER:
        return EITHER
    if name in _READ_WRITE:
        return BOTH
    if "write" in spec.flags:
        return WRITE
    if "readonly" in spec.flags:
        return READ
    return EITHER


def accesses(spec, args):
    """(keys as (key, needs read, needs write), channels, channel patterns)."""
    name = spec.fullname
    moving = MOVING_KEYS.get(name)
    if name in _NO_KEYS:
        keys = []
    elif moving is not None:
        keys = moving(args, None)
    elif spec.parent is not None and spec.parent.name in ("object", "memory"):
        keys = [(args[2], *EITHER)] if len(args) > 2 else []
    else:
        access = _access_of(spec)
        keys = [(args[i], *access) for i in spec.key_positions(args)]
    channels, patterns = [], []
    if name in _CHANNELS:
        start, stop = _CHANNELS[name]
        channels = list(args[start:stop])
    elif name == "psubscribe":
        patterns = list(args[1:])
    return keys, channels, patterns
