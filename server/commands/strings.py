"""String commands: GET/SET and friends, counters, ranges, LCS."""

from functools import partial

from .. import errors
from ..command_table import batched, command
from ..errors import CommandError
from ..keyspace import already_expired, now_ms
from ..keyspace.memory import string_size
from ..replies import OK, ErrorReply
from .common import (LLONG_MAX, LLONG_MIN, format_long_double, get_string, lower, modified,
                     notify_generic, store_strings, to_int, to_long_double)
from .keyed_runs import keyed_run, one_by_one, touch_again

G = "string"

# -- expiry options shared by SET / GETEX / SETEX / PSETEX ------------------------------------
_UNIT_MS = {b"ex": 1000, b"px": 1, b"exat": 1000, b"pxat": 1}


def expire_deadline(value, unit_ms: int, relative: bool, command_name: str) -> int:
    """Absolute deadline in ms from an EX/PX/EXAT/PXAT argument, as Redis validates it."""
    amount = to_int(value)
    if amount <= 0 or (unit_ms == 1000 and amount > LLONG_MAX // 1000):
        raise CommandError(errors.invalid_expire(command_name))
    deadline = amount * unit_ms
    if relative:
        deadline += now_ms()
    if deadline <= 0 or deadline > LLONG_MAX:
        raise CommandError(errors.invalid_expire(command_name))
    return deadline


def store_with_deadline(client, key, value, deadline, keep_ttl=False) -> None:
    db = client.db
    db.set(key, value, keep_ttl)
    modified(client, key)
    if deadline is not None:
        # (a deadline already past is stored too, as Redis's SET does: the key is gone at
        # its next access or expiry cycle, reported as "expired")
        db.set_expire(key, deadline)
        notify_generic(client, "expire", key)


# -- GET / SET ------------------------------------------------------------------------------
@command("get", 2, "readonly fast", (1, 1, 1), G, "Returns the string value of a key.")
def get(client, args):
    value = client.db.lookup_read(args[1])
    if value is None or type(value) is bytes or type(value) is bytearray:
        return value
    raise CommandError(errors.WRONGTYPE)


@batched("get", 2)
def get_run(client, run):
    """A run of GETs: one batched read (C-level dict lookups, or one engine call); same replies
    and statistics as one GET at a time."""
    values = client.db.read_many([args[1] for args in run])
    replies = get_replies(values)
    return replies, 0 if replies is values else sum(type(reply) is ErrorReply
                                                    for reply in replies)


_PLAIN_GET_REPLIES = {bytes, bytearray, type(None)}


def get_replies(values: list) -> list:
    """GET's reply for each value read: the string, nil, or WRONGTYPE for other types."""
    if set(map(type, values)) <= _PLAIN_GET_REPLIES:
        return values
    return [value if value is None or type(value) is bytes or type(value) is bytearray
            else ErrorReply(errors.WRONGTYPE) for value in values]


def mget_reply(values: list) -> list:
    """MGET's reply: the strings, nil for missing keys and keys of other types."""
    if set(map(type, values)) <= _PLAIN_GET_REPLIES:
        return values
    return [value if type(value) is bytes or type(value) is bytearray else None
            for value in values]


@command("set", -3, "write denyoom", (1, 1, 1), G, "Sets the string value of a key.")
def set_(client, args):
    if len(args) == 3:  # the common case: plain SET key value
        db = client.db
        db.set(args[1], args[2])
        modified(client, args[1])
        return OK
    nx = xx = want_get = keep_ttl = False
    expire = None
    i = 3
    while i < len(args):
        opt = lower(args[i])
        has_next = i + 1 < len(args)
        if opt == b"nx" and not xx:
            nx = True
        elif opt == b"xx" and not nx:
            xx = True
        elif opt == b"get":
            want_get = True
        elif opt == b"keepttl" and expire is None:
            keep_ttl = True
        elif opt in _UNIT_MS and expire is None and not keep_ttl and has_next:
            expire = (opt, args[i + 1])
            i += 1
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    return set_generic(client, args[1], args[2], nx, xx, want_get, keep_ttl, expire, "set")


@batched("set", 3)
def set_run(client, run):
    """A run of plain `SET key value`: one store loop."""
    store_strings(client, client.db, [args[1] for args in run], [args[2] for args in run])
    return [OK] * len(run), 0


def set_generic(client, key, value, nx=False, xx=False, want_get=False, keep_ttl=False,
                expire=None, name="set", abort_reply=None):
    """The one implementation behind SET, SETNX, SETEX, PSETEX (as Redis's setGenericCommand)."""
    deadline = None
    if expire is not None:
        opt, amount = expire
        deadline = expire_deadline(amount, _UNIT_MS[opt], opt in (b"ex", b"px"), name)
    db = client.db
    old = get_string(db, key) if want_get else None
    found = db.lookup(key) is not None
    if (nx and found) or (xx and not found):
        return old if want_get else abort_reply
    store_with_deadline(client, key, value, deadline, keep_ttl)
    return old if want_get else OK


@command("setnx", 3, "write denyoom fast", (1, 1, 1), G, "Set the string value of a key only "
         "when the key doesn't exist.")
def setnx(client, args):
    return 1 if set_generic(client, args[1], args[2], nx=True, abort_reply=0) is OK else 0


@command("setex", 4, "write denyoom", (1, 1, 1), G, "Sets the string value and expiration time "
         "of a key.", "2.0.0")
def setex(client, args):
    return set_generic(client, args[1], args[3], expire=(b"ex", args[2]), name="setex")


@command("psetex", 4, "write denyoom", (1, 1, 1), G, "Sets both string value and expiration "
         "time in milliseconds of a key.", "2.6.0")
def psetex(client, args):
    return set_generic(client, args[1], args[3], expire=(b"px", args[2]), name="psetex")


@command("getset", 3, "write denyoom fast", (1, 1, 1), G, "Returns the previous string value "
         "of a key after setting it to a new value.")
def getset(client, args):
    return set_generic(client, args[1], args[2], want_get=True)


@command("getdel", 2, "write fast", (1, 1, 1), G, "Returns the string value of a key after "
         "deleting the key.", "6.2.0")
def getdel(client, args):
    value = get_string(client.db, args[1])
    if value is not None:
        client.db.delete(args[1])
        modified(client, args[1])
    return value


@command("getex", -2, "write fast", (1, 1, 1), G, "Returns the string value of a key after "
         "setting its expiration time.", "6.2.0")
def getex(client, args):
    expire = None
    persist = False
    i = 2
    while i < len(args):
        opt = lower(args[i])
        if opt in _UNIT_MS and expire is None and not persist and i + 1 < len(args):
            expire = (opt, args[i + 1])
            i += 1
        elif opt == b"persist" and expire is None and not persist:
            persist = True
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    db = client.db
    key = args[1]
    value = get_string(db, key)
    if value is None:
        return None
    if expire is not None:
        opt, amount = expire
        relative = opt in (b"ex", b"px")
        deadline = expire_deadline(amount, _UNIT_MS[opt], relative, "getex")
        # (only an absolute deadline can be past: a relative one is from the same clock,
        # which may tick on before the comparison)
        if not relative and already_expired(deadline, client.server):
            db.delete(key)
            modified(client, key, event="del")
        else:
            db.set_expire(key, deadline)
            modified(client, key, event="expire")
    elif persist and db.persist(key):
        modified(client, key, event="persist")
    return value


@command("mget", -2, "readonly fast", (1, -1, 1), G, "Atomically returns the string values of "
         "one or more keys.")
def mget(client, args):
    return mget_reply(client.db.read_many(args[1:]))


@command("mset", -3, "write denyoom", (1, -1, 2), G, "Atomically creates or modifies the string "
         "values of one or more keys.", "1.0.1")
def mset(client, args):
    if len(args) % 2 == 0:
        raise CommandError(errors.wrong_arity("mset"))
    store_strings(client, client.db, args[1::2], args[2::2])
    return OK


@command("msetnx", -3, "write denyoom", (1, -1, 2), G, "Atomically modifies the string values "
         "of one or more keys only when all keys don't exist.", "1.0.1")
def msetnx(client, args):
    if len(args) % 2 == 0:
        raise CommandError(errors.wrong_arity("msetnx"))
    db = client.db
    keys = args[1::2]
    if any(db.lookup(key) is not None for key in keys):
        return 0
    store_strings(client, db, keys, args[2::2])
    return 1


# -- in-place edits -------------------------------------------------------------------------
def _check_size(client, size: int) -> None:
    if size > client.server.config["proto-max-bulk-len"]:
        raise CommandError(errors.STRING_TOO_LONG)


@command("append", 3, "write denyoom fast", (1, 1, 1), G, "Appends a string to the value of a key. "
         "Creates the key if it doesn't exist.", "2.0.0")
def append(client, args):
    db = client.db
    key, tail = args[1], args[2]
    value = get_string(db, key, read=False)
    if value is None:
        db.add(key, bytes(tail))
        modified(client, key)
        return len(tail)
    _check_size(client, len(value) + len(tail))
    old_size = string_size(value)
    # A bytearray is Redis's 'raw' string: APPEND grows it in place in amortized O(1).
    grown = value if type(value) is bytearray else bytearray(value)
    grown += tail
    db.resized(key, string_size(grown) - old_size)
    db.data[key] = grown
    modified(client, key)
    return len(grown)


@command("strlen", 2, "readonly fast", (1, 1, 1), G, "Returns the length of a string value.",
         "2.2.0")
def strlen(client, args):
    value = get_string(client.db, args[1])
    return 0 if value is None else len(value)


@command("getrange", 4, "readonly", (1, 1, 1), G, "Returns a substring of the string stored at "
         "a key.", "2.4.0")
def getrange(client, args):
    start, end = to_int(args[2]), to_int(args[3])
    value = get_string(client.db, args[1])
    if value is None:
        return b""
    return bytes(slice_range(value, start, end))


@command("substr", 4, "readonly", (1, 1, 1), G, "Returns a substring from a string value.")
def substr(client, args):
    return getrange(client, args)


def slice_range(value, start: int, end: int):
    """GETRANGE's index rules (negative from the end, clamped, inclusive end)."""
    length = len(value)
    if start < 0 and end < 0 and start > end:
        return b""
    if start < 0:
        start = max(length + start, 0)
    if end < 0:
        end = max(length + end, 0)
    if end >= length:
        end = length - 1
    if start > end or length == 0:
        return b""
    return value[start : end + 1]


@command("setrange", 4, "write denyoom", (1, 1, 1), G, "Overwrites a part of a string value "
         "with another by an offset. Creates the key if it doesn't exist.", "2.2.0")
def setrange(client, args):
    db = client.db
    key, patch = args[1], args[3]
    offset = to_int(args[2])
    if offset < 0:
        raise CommandError(errors.OFFSET_RANGE)
    value = get_string(db, key, read=False)
    if value is None:
        if not patch:
            return 0
        _check_size(client, offset + len(patch))
        db.add(key, bytearray(offset) + patch)  # a new raw string, as Redis creates it
        modified(client, key)
        return offset + len(patch)
    if not patch:
        return len(value)
    _check_size(client, offset + len(patch))
    old_size = string_size(value)
    edited = value if type(value) is bytearray else bytearray(value)
    if offset > len(edited):
        edited += bytes(offset - len(edited))
    edited[offset : offset + len(patch)] = patch
    db.resized(key, string_size(edited) - old_size)
    db.data[key] = edited
    modified(client, key)
    return len(edited)


# -- counters ---------------------------------------------------------------------------------
def incr_generic(client, key, delta: int):
    db = client.db
    value = get_string(db, key, read=False)
    current = 0 if value is None else to_int(value)
    result = current + delta
    if not LLONG_MIN <= result <= LLONG_MAX:
        raise CommandError(errors.OVERFLOW)
    db.set(key, b"%d" % result, keep_ttl=True)
    modified(client, key)
    return result


@command("incr", 2, "write denyoom fast", (1, 1, 1), G, "Increments the integer value of a key "
         "by one. Uses 0 as initial value if the key doesn't exist.")
def incr(client, args):
    return incr_generic(client, args[1], 1)


def _counter_stretch(client, key, commands, delta, handler) -> list:
    """Consecutive INCR, DECR, INCRBY or DECRBY of `key` (keyed_runs); `delta` an int, or a
    function of the command's arguments. One read, one store of the last result. A command
    whose result would leave the 64-bit range fails as it would alone, the value as it was;
    an argument that is no integer (an error before the lookup) sends the stretch one by
    one."""
    wanted = len(commands)
    if type(delta) is int:
        step, deltas = delta, None
    else:
        try:
            deltas = [delta(args) for args in commands]
        except CommandError:
            return one_by_one(client, commands, handler)
        step = deltas[0]
    db = client.db
    value = get_string(db, key, read=False)
    current = 0 if value is None else to_int(value)
    if deltas is None or deltas.count(step) == wanted:  # (INCR, DECR, a repeated INCRBY:
        # in closed form)
        done = wanted if not step else min(wanted, (
            LLONG_MAX - current if step > 0 else current - LLONG_MIN) // abs(step))
        replies = list(range(current + step, current + step * (done + 1), step)) if step \
            else [current] * wanted
        # every lookup finds the key but the first when it was new (no overflow then)
        found = wanted - (value is None)
        replies += [ErrorReply(errors.OVERFLOW)] * (wanted - done)
        current += step * done
    else:
        replies, found, done, exists = [], 0, 0, value is not None
        for step in deltas:
            found += exists
            if LLONG_MIN <= current + step <= LLONG_MAX:
                current += step
                replies.append(current)
                done += 1
                exists = True
            else:
                replies.append(ErrorReply(errors.OVERFLOW))
    if done:
        db.set(key, b"%d" % current, keep_ttl=True)
        modified(client, key, changes=done)
    # one at a time would log a found lookup per command and a store per success; this logged
    # one of each already
    touch_again(db, key, found + done - (value is not None) - (done > 0))
    return replies


def _increment(args) -> int:
    return to_int(args[2])


def _decrement(args) -> int:
    delta = to_int(args[2])
    if delta == LLONG_MIN:
        raise CommandError("ERR decrement would overflow")
    return -delta


keyed_run("incr", 2, partial(_counter_stretch, delta=1, handler=incr))


@command("decr", 2, "write denyoom fast", (1, 1, 1), G, "Decrements the integer value of a key "
         "by one. Uses 0 as initial value if the key doesn't exist.")
def decr(client, args):
    return incr_generic(client, args[1], -1)


keyed_run("decr", 2, partial(_counter_stretch, delta=-1, handler=decr))


@command("incrby", 3, "write denyoom fast", (1, 1, 1), G, "Increments the integer value of a "
         "key by a number. Uses 0 as initial value if the key doesn't exist.")
def incrby(client, args):
    return incr_generic(client, args[1], _increment(args))


keyed_run("incrby", 3, partial(_counter_stretch, delta=_increment, handler=incrby))


@command("decrby", 3, "write denyoom fast", (1, 1, 1), G, "Decrements a number from the integer "
         "value of a key. Uses 0 as initial value if the key doesn't exist.")
def decrby(client, args):
    return incr_generic(client, args[1], _decrement(args))


keyed_run("decrby", 3, partial(_counter_stretch, delta=_decrement, handler=decrby))


@command("incrbyfloat", 3, "write denyoom fast", (1, 1, 1), G, "Increment the floating point "
         "value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "2.6.0")
def incrbyfloat(client, args):
    import numpy as np

    db = client.db
    key = args[1]
    value = get_string(db, key, read=False)
    current = np.longdouble(0) if value is None else to_long_double(value)
    increment = to_long_double(args[2])
    with np.errstate(over="ignore", invalid="ignore"):
        result = current + increment
    if not np.isfinite(result):
        raise CommandError(errors.NAN_OR_INF)
    text = format_long_double(result)
    db.set(key, text, keep_ttl=True)
    modified(client, key)
    return text


# -- LCS ----------------------------------------------------------------------------------------
@command("lcs", -3, "readonly", (1, 2, 1), G, "Finds the longest common substring.", "7.0.0")
def lcs(client, args):
    db = client.db
    a, b = db.lookup_read(args[1]), db.lookup_read(args[2])
    for value in (a, b):  # (before the options, as Redis)
        if value is not None and type(value) not in (bytes, bytearray):
            raise CommandError("ERR The specified keys must contain string values")
    want_len = want_idx = with_match_len = False
    min_match = 0
    i = 3
    while i < len(args):
        opt = lower(args[i])
        if opt == b"idx":
            want_idx = True
        elif opt == b"len":
            want_len = True
        elif opt == b"withmatchlen":
            with_match_len = True
        elif opt == b"minmatchlen" and i + 1 < len(args):
            min_match = max(to_int(args[i + 1]), 0)
            i += 1
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    if want_len and want_idx:
        raise CommandError(
            "ERR If you want both the length and indexes, please just use IDX.")
    a, b = bytes(a or b""), bytes(b or b"")
    # Redis's bound on the table (32-bit cells) it would allocate: the same refusal here
    if (len(a) + 1) * (len(b) + 1) * 4 > client.server.config["proto-max-bulk-len"]:
        raise CommandError("ERR Insufficient memory, transient memory for LCS exceeds "
                           "proto-max-bulk-len")
    return _lcs_reply(a, b, want_len, want_idx, min_match, with_match_len)


def _lcs_reply(a, b, want_len, want_idx, min_match, with_match_len):
    alen, blen = len(a), len(b)
    table = [[0] * (blen + 1) for _ in range(alen + 1)]
    for i in range(1, alen + 1):
        row, prev = table[i], table[i - 1]
        ai = a[i - 1]
        for j in range(1, blen + 1):
            row[j] = prev[j - 1] + 1 if ai == b[j - 1] else max(prev[j], row[j - 1])
    length = table[alen][blen]
    if want_len:
        return length
    result = bytearray(length)
    matches = []
    idx, i, j = length, alen, blen
    a_start = a_end = b_start = b_end = alen  # a_start == alen marks "no range open"
    while i > 0 and j > 0:
        emit = False
        if a[i - 1] == b[j - 1]:
            result[idx - 1] = a[i - 1]
            if a_start == alen:
                a_start = a_end = i - 1
                b_start = b_end = j - 1
            elif a_start == i and b_start == j:
                a_start -= 1
                b_start -= 1
            else:
                emit = True
            if a_start == 0 or b_start == 0:
                emit = True
            idx, i, j = idx - 1, i - 1, j - 1
        else:
            if table[i - 1][j] > table[i][j - 1]:
                i -= 1
            else:
                j -= 1
            if a_start != alen:
                emit = True
        if emit:
            match_len = a_end - a_start + 1
            if min_match == 0 or match_len >= min_match:
                entry = [[a_start, a_end], [b_start, b_end]]
                if with_match_len:
                    entry.append(match_len)
                matches.append(entry)
            a_start = alen
    if want_idx:
        return {b"matches": matches, b"len": length}
    return bytes(result)


