"""Generic key commands: DEL EXISTS TYPE EXPIRE* TTL* PERSIST KEYS SCAN RANDOMKEY RENAME COPY
MOVE TOUCH OBJECT, and database commands DBSIZE FLUSHDB FLUSHALL SELECT SWAPDB."""

import random
import time

from ml.keymeta import MODE_LFU, lfu_decayed

from .. import errors
from ..command_table import command, container
from ..errors import CommandError
from ..glob import compile_glob
from ..keyspace import already_expired, now_ms
from ..keyspace.database import type_name
from ..keyspace.scan import Scanner
from ..lazyfree import flush_is_async
from ..replies import OK, SimpleString
from .common import LLONG_MAX, LLONG_MIN, check_db_index, lower, modified, take_flags, to_int
from .scanning import parse_cursor, parse_scan_options

G = "generic"


def _delete_keys(client, keys, lazily: bool) -> int:
    db = client.db
    lazyfree = client.server.lazyfree
    removed = 0
    for key in keys:
        value = db.lookup(key)
        if value is not None and db.delete(key):
            removed += 1
            if lazily:
                lazyfree.released(value)
            modified(client, key)
    return removed


@command("del", -2, "write", (1, -1, 1), "generic", "Deletes one or more keys.")
def del_(client, args):
    return _delete_keys(client, args[1:], client.server.config["lazyfree-lazy-user-del"])


@command("unlink", -2, "write fast", (1, -1, 1), G, "Asynchronously deletes one or more keys.",
         "4.0.0")
def unlink(client, args):
    return _delete_keys(client, args[1:], True)


@command("exists", -2, "readonly fast", (1, -1, 1), G, "Determines whether one or more keys "
         "exist.")
def exists(client, args):
    lookup = client.db.lookup_read
    return sum(1 for key in args[1:] if lookup(key, False) is not None)


@command("type", 2, "readonly fast", (1, 1, 1), G, "Determines the type of value stored at a "
         "key.")
def type_(client, args):
    value = client.db.lookup_read(args[1], False)
    return SimpleString("none" if value is None else type_name(value))


@command("touch", -2, "readonly fast", (1, -1, 1), G, "Returns the number of existing keys out "
         "of those specified after updating the time they were last accessed.", "3.2.1")
def touch(client, args):
    lookup = client.db.lookup_read
    return sum(1 for key in args[1:] if lookup(key) is not None)


# -- expiry ---------------------------------------------------------------------------------
_EXPIRE_FLAGS = frozenset({b"nx", b"xx", b"gt", b"lt"})


def _expire_flags(args):
    flags, end = take_flags(args, 3, _EXPIRE_FLAGS)
    if end < len(args):
        raise CommandError(
            f"ERR Unsupported option {bytes(args[end]).decode('utf-8', 'replace')}")
    nx, xx, gt, lt = b"nx" in flags, b"xx" in flags, b"gt" in flags, b"lt" in flags
    if nx and (xx or gt or lt):
        raise CommandError(errors.EXPIRE_OPTIONS_NX)
    if gt and lt:
        raise CommandError(errors.EXPIRE_OPTIONS_GT_LT)
    return nx, xx, gt, lt


def expire_generic(client, args, relative: bool, unit_ms: int, name: str):
    nx, xx, gt, lt = _expire_flags(args)
    when = to_int(args[2])
    if unit_ms == 1000:
        if when > LLONG_MAX // 1000 or when < -(-LLONG_MIN // 1000):  # C truncates
            raise CommandError(errors.invalid_expire(name))
        when *= 1000
    base = now_ms() if relative else 0
    if when > LLONG_MAX - base:
        raise CommandError(errors.invalid_expire(name))
    when += base
    db = client.db
    key = args[1]
    if db.lookup(key) is None:
        return 0
    current = db.get_expire(key)
    if nx and current is not None:
        return 0
    if xx and current is None:
        return 0
    if gt and (current is None or when <= current):
        return 0
    if lt and current is not None and when >= current:
        return 0
    if already_expired(when, client.server):  # (freed as an expiry is: lazily if so set)
        if client.server.config["lazyfree-lazy-expire"]:
            client.server.lazyfree.released(db.lookup(key))
        db.delete(key)
        modified(client, key, event="del")
    else:
        db.set_expire(key, when)
        modified(client, key, event="expire")
    return 1


@command("expire", -3, "write fast", (1, 1, 1), G, "Sets the expiration time of a key in "
         "seconds.")
def expire(client, args):
    return expire_generic(client, args, True, 1000, "expire")


@command("pexpire", -3, "write fast", (1, 1, 1), G, "Sets the expiration time of a key in "
         "milliseconds.", "2.6.0")
def pexpire(client, args):
    return expire_generic(client, args, True, 1, "pexpire")


@command("expireat", -3, "write fast", (1, 1, 1), G, "Sets the expiration time of a key to a "
         "Unix timestamp.", "1.2.0")
def expireat(client, args):
    return expire_generic(client, args, False, 1000, "expireat")


@command("pexpireat", -3, "write fast", (1, 1, 1), G, "Sets the expiration time of a key to a "
         "Unix milliseconds timestamp.", "2.6.0")
def pexpireat(client, args):
    return expire_generic(client, args, False, 1, "pexpireat")


def ttl_generic(client, key, in_ms: bool, absolute: bool) -> int:
    db = client.db
    if db.lookup_read(key, False) is None:
        return -2
    when = db.get_expire(key)
    if when is None:
        return -1
    remaining = max(when if absolute else when - now_ms(), 0)
    return remaining if in_ms else (remaining + 500) // 1000


@command("ttl", 2, "readonly fast", (1, 1, 1), G, "Returns the expiration time in seconds of a "
         "key.")
def ttl(client, args):
    return ttl_generic(client, args[1], False, False)


@command("pttl", 2, "readonly fast", (1, 1, 1), G, "Returns the expiration time in milliseconds "
         "of a key.", "2.6.0")
def pttl(client, args):
    return ttl_generic(client, args[1], True, False)


@command("expiretime", 2, "readonly fast", (1, 1, 1), G, "Returns the expiration time of a key "
         "as a Unix timestamp.", "7.0.0")
def expiretime(client, args):
    return ttl_generic(client, args[1], False, True)


@command("pexpiretime", 2, "readonly fast", (1, 1, 1), G, "Returns the expiration time of a key "
         "as a Unix milliseconds timestamp.", "7.0.0")
def pexpiretime(client, args):
    return ttl_generic(client, args[1], True, True)


@command("persist", 2, "write fast", (1, 1, 1), G, "Removes the expiration time of a key.",
         "2.2.0")
def persist(client, args):
    db = client.db
    if db.lookup(args[1]) is None or not db.persist(args[1]):
        return 0
    modified(client, args[1])
    return 1


# -- iteration ------------------------------------------------------------------------------
@command("keys", 2, "readonly", (0, 0, 0), "generic", "Returns all key names that match a "
         "pattern.", categories="@keyspace @dangerous")
def keys(client, args):
    db = client.db
    now = now_ms()
    expires = db.expires
    pattern = args[1]
    candidates = db.data if pattern == b"*" else _matching(db.data, pattern)
    found = [k for k in candidates if not (expires and k in expires and expires[k] <= now)]
    return _tenant_view(client, found)


def _tenant_view(client, names: list) -> list:
    """With acl-tenant-isolation, a key-restricted user lists only the keys it may use."""
    user = client.acl_user
    if user.root.all_keys or not client.server.config["acl-tenant-isolation"]:
        return names
    return [name for name in names if user.sees_key(name)]


def _matching(keys, pattern):
    match = compile_glob(bytes(pattern)).fullmatch
    return [k for k in keys if match(k)]


@command("scan", -2, "readonly", (0, 0, 0), G, "Iterates over the key names in the database.",
         "2.8.0")
def scan(client, args):
    cursor = parse_cursor(args[1])
    pattern, count, kind = parse_scan_options(args, 2, allow_type=True)
    db = client.db
    scanner = client.server.scanners.setdefault(db.index, Scanner())
    next_cursor, batch = scanner.page(db.data, cursor, count)
    if pattern is not None and pattern != b"*":
        match = compile_glob(pattern).fullmatch
        batch = [k for k in batch if match(k)]
    batch = _tenant_view(client, batch)
    out = []
    for key in batch:
        value = db.lookup(key, False)
        if value is None:
            continue
        if kind is not None and type_name(value) != kind:
            continue
        out.append(key)
    return [b"%d" % next_cursor, out]


@command("randomkey", 1, "readonly", (0, 0, 0), G, "Returns a random key name from the "
         "database.")
def randomkey(client, args):
    user = client.acl_user
    if user.root.all_keys or not client.server.config["acl-tenant-isolation"]:
        return client.server.keyspace.random_key(client.db)
    db = client.db
    visible = _tenant_view(client, [k for k in list(db.data) if db.lookup(k, False) is not None])
    return random.choice(visible) if visible else None


# -- renaming and copying ------------------------------------------------------------------
def _rename(client, args, nx: bool):
    db = client.db
    src, dst = args[1], args[2]
    value = db.lookup(src)
    if value is None:
        raise CommandError(errors.NO_SUCH_KEY)
    if src == dst:
        return 0 if nx else OK
    if nx and db.lookup(dst) is not None:
        return 0
    deadline = db.get_expire(src)
    db.delete(src)
    if db.lookup(dst) is not None:  # the target is deleted, then made anew ('new' event)
        db.delete(dst)
    db.set(dst, value)
    if deadline is not None:
        db.set_expire(dst, deadline)
    modified(client, src, event="rename_from")
    modified(client, dst, event="rename_to", changes=0)  # (Redis counts a rename once)
    return 1 if nx else OK


@command("rename", 3, "write", (1, 2, 1), G, "Renames a key and overwrites the destination.")
def rename(client, args):
    return _rename(client, args, nx=False)


@command("renamenx", 3, "write fast", (1, 2, 1), G, "Renames a key only when the target key "
         "name doesn't exist.")
def renamenx(client, args):
    return _rename(client, args, nx=True)


def copy_value(value):
    kind = type(value)
    if kind is bytes:
        return value
    if kind is bytearray:
        return bytearray(value)
    return value.copy()


@command("copy", -3, "write denyoom", (1, 2, 1), G, "Copies the value of a key to a new key.",
         "6.2.0")
def copy(client, args):
    src, dst = args[1], args[2]
    target = client.db
    replace = False
    i = 3
    while i < len(args):
        opt = lower(args[i])
        if opt == b"replace":
            replace = True
        elif opt == b"db" and i + 1 < len(args):
            index = to_int(args[i + 1])
            if not 0 <= index < len(client.server.keyspace):
                raise CommandError(errors.DB_INDEX_OUT_OF_RANGE)
            target = client.server.keyspace[index]
            i += 1
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    db = client.db
    if db is target and src == dst:
        raise CommandError(errors.SAME_OBJECT)
    value = db.lookup_read(src)  # (as Redis: a hit or a miss, a keymiss event)
    if value is None:
        return 0
    if target.lookup(dst) is not None:
        if not replace:
            return 0
        target.delete(dst)
    target.add(dst, copy_value(value))
    deadline = db.get_expire(src)
    if deadline is not None:
        target.set_expire(dst, deadline)
    modified(client, dst, target)
    return 1


@command("move", 3, "write fast", (1, 1, 1), G, "Moves a key to another database.")
def move(client, args):
    index = to_int(args[2])
    if not 0 <= index < len(client.server.keyspace):
        raise CommandError(errors.DB_INDEX_OUT_OF_RANGE)
    db = client.db
    if index == db.index:
        raise CommandError(errors.SAME_OBJECT)
    target = client.server.keyspace[index]
    key = args[1]
    value = db.lookup(key)
    if value is None or target.lookup(key) is not None:
        return 0
    deadline = db.get_expire(key)
    db.delete(key)
    target.add(key, value)
    if deadline is not None:
        target.set_expire(key, deadline)
    modified(client, key, event="move_from")
    modified(client, key, target, event="move_to", changes=0)  # (one change, as Redis)
    return 1


# -- OBJECT -------------------------------------------------------------------------------------
container("object", -2, "", G, "A container for object introspection commands.", "2.2.3")


def string_encoding(value) -> str:
    if type(value) is bytearray:
        return "raw"
    if len(value) <= 20 and _is_long(value):
        return "int"
    return "embstr" if len(value) <= 44 else "raw"


def _is_long(value) -> bool:
    try:
        return LLONG_MIN <= int(value) <= LLONG_MAX and b"%d" % int(value) == value
    except ValueError:
        return False


def encoding_of(value) -> str:
    kind = type(value)
    if kind is bytes or kind is bytearray:
        return string_encoding(value)
    return value.encoding()


@command("encoding", 3, "readonly", (2, 2, 1), G, "Returns the internal encoding of a Redis "
         "object.", "2.2.3", parent="object")
def object_encoding(client, args):
    value = _object_lookup(client.db, args[2])
    return None if value is None else encoding_of(value)


@command("refcount", 3, "readonly", (2, 2, 1), G, "Returns the reference count of a value of a "
         "key.", "2.2.3", parent="object")
def object_refcount(client, args):
    value = _object_lookup(client.db, args[2])
    if value is None:
        return None
    policy = client.server.config["maxmemory-policy"]
    # Redis shares the integers 0..9999 (refcount INT_MAX) unless an LRU/LFU policy needs
    # per-key access data.
    if (type(value) is bytes and string_encoding(value) == "int" and 0 <= int(value) < 10000
            and "lru" not in policy and "lfu" not in policy):
        return 2147483647
    return 1


@command("freq", 3, "readonly", (2, 2, 1), G, "Returns the logarithmic access frequency "
         "counter of a Redis object.", "4.0.0", parent="object")
def object_freq(client, args):
    clock = _access_clock(client, args[2])
    if clock is None:
        return None
    if client.server.keyspace.access.mode != MODE_LFU:
        raise CommandError(errors.LFU_NOT_SELECTED)
    return lfu_decayed(clock, int(time.time()), client.server.keyspace.access.lfu_decay_time)


@command("idletime", 3, "readonly", (2, 2, 1), G, "Returns the time since the last access to a "
         "Redis object.", "2.2.3", parent="object")
def object_idletime(client, args):
    clock = _access_clock(client, args[2])
    if clock is None:
        return None
    if client.server.keyspace.access.mode == MODE_LFU:
        raise CommandError(errors.LFU_SELECTED)
    return idle_seconds(clock)


def idle_seconds(clock: int) -> int:
    return max(0, int(time.time()) - clock)


def _object_lookup(db, key: bytes):
    """OBJECT's lookup, as Redis's objectCommandLookup: a hit or a miss, no access recorded,
    no keymiss event."""
    return db.lookup_read(key, touch=False, notify=False)


def _access_clock(client, key: bytes):
    """The key's LRU clock or LFU field (None when the key does not exist)."""
    db = client.db
    if _object_lookup(db, key) is None:
        return None
    client.server.keyspace.fold(db)
    return db.table.clock_of(key)


@command("help", 2, "loading stale", (0, 0, 0), G, "Returns helpful text about the different "
         "subcommands.", "6.2.0", parent="object")
def object_help(client, args):
    return [
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    ]


# -- databases ------------------------------------------------------------------------------
def _flush_is_async(client, args) -> bool:
    if len(args) > 2:
        raise CommandError(errors.SYNTAX)
    if len(args) == 2 and lower(args[1]) not in (b"async", b"sync"):
        raise CommandError(errors.SYNTAX)
    return flush_is_async(client.server.config, lower(args[1]) if len(args) == 2 else None)


@command("dbsize", 1, "readonly fast", (0, 0, 0), "server", "Returns the number of keys in the "
         "database.")
def dbsize(client, args):
    return len(client.db.data)


@command("flushdb", -1, "write", (0, 0, 0), "server", "Remove all keys from the current "
         "database.", categories="@keyspace @dangerous")
def flushdb(client, args):
    lazily = _flush_is_async(client, args)
    keys_before = {client.db.index: set(client.db.data)} if client.server.watches.watchers \
        else None
    removed = client.db.clear()
    if lazily:
        client.server.lazyfree.released_many(removed, always=True)
    client.server.keyspace.dirty += removed  # (propagated even when empty: KEYLESS_WRITES)
    client.server.on_flush(client.db, keys_before)
    return OK


@command("flushall", -1, "write", (0, 0, 0), "server", "Removes all keys from all databases.",
         categories="@keyspace @dangerous")
def flushall(client, args):
    lazily = _flush_is_async(client, args)
    keyspace = client.server.keyspace
    keys_before = {db.index: set(db.data) for db in keyspace.dbs} \
        if client.server.watches.watchers else None  # only keys that existed are touched
    removed = keyspace.flushall()
    if lazily:
        client.server.lazyfree.released_many(removed, always=True)
    keyspace.dirty += removed
    client.server.on_flush(None, keys_before if keys_before is not None else {})
    client.server.persistence.kill_child()  # a BGSAVE of the old data is no longer wanted
    if client.server.config["save"]:  # Redis saves the empty data set at once (and so
        client.server.persistence.save()  # resets the dirty counter)
    return OK


@command("select", 2, "loading stale fast", (0, 0, 0), "connection", "Changes the selected "
         "database.")
def select(client, args):
    client.select(check_db_index(client, args[1]))
    return OK


@command("swapdb", 3, "write fast", (0, 0, 0), "server", "Swaps two Redis databases.", "4.0.0",
         categories="@keyspace @dangerous")
def swapdb(client, args):
    size = len(client.server.keyspace)
    first = to_int(args[1], "ERR invalid first DB index")
    second = to_int(args[2], "ERR invalid second DB index")
    if not (0 <= first < size and 0 <= second < size):
        raise CommandError(errors.DB_INDEX_OUT_OF_RANGE)
    if first != second:
        client.server.swap_databases(first, second)
    else:
        client.server.keyspace.dirty += 1  # (a change for Redis too: it is passed on)
    return OK
