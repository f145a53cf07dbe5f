"""Hash commands."""

from functools import partial

import numpy as np

from .. import errors
from ..command_table import command
from ..errors import CommandError
from ..keyspace.containers import Hash
from ..replies import NO_REPLY, OK
from .common import (LLONG_MAX, LLONG_MIN, format_long_double, parse_random_count,
                     random_members, read_typed, repetitions_cut_short, settle, to_int,
                     to_long_double, writable, write_typed)
from .keyed_runs import keyed_run, member_increments, touch_again
from .scanning import parse_cursor, scan_reply

G = "hash"


def _pairs(args, start: int, name: str):
    if (len(args) - start) % 2:
        raise CommandError(errors.wrong_arity(name))
    return zip(args[start::2], args[start + 1::2])


@command("hset", -4, "write denyoom fast", (1, 1, 1), G, "Creates or modifies the value of a "
         "field in a hash.", "2.0.0")
def hset(client, args):
    if len(args) == 4:  # one field, the usual call: a stretch of one
        return _hset_stretch(client, args[1], (args,))[0]
    pairs = list(_pairs(args, 2, "hset"))
    h, before = writable(client.db, args[1], Hash)
    added = sum(1 for field, value in pairs if h.set(field, value))
    settle(client, args[1], h, before, changes=len(pairs))  # (Redis counts every field set)
    return added


def _hset_stretch(client, key, commands) -> list:
    """Consecutive one-field HSETs on `key` (keyed_runs)."""
    db = client.db
    h, before = writable(db, key, Hash)
    touch_again(db, key, len(commands) - 1)
    replies = [1 if h.set(args[2], args[3]) else 0 for args in commands]
    settle(client, key, h, before, changes=len(commands))
    return replies


keyed_run("hset", 4, _hset_stretch)


@command("hmset", -4, "write denyoom fast", (1, 1, 1), G, "Sets the values of multiple fields.",
         "2.0.0")
def hmset(client, args):
    pairs = list(_pairs(args, 2, "hmset"))
    h, before = writable(client.db, args[1], Hash)
    for field, value in pairs:
        h.set(field, value)
    settle(client, args[1], h, before, changes=len(pairs))
    return OK


@command("hsetnx", 4, "write denyoom fast", (1, 1, 1), G, "Sets the value of a field in a hash "
         "only when the field doesn't exist.", "2.0.0")
def hsetnx(client, args):
    h, before = writable(client.db, args[1], Hash)
    if h.get(args[2]) is not None:
        settle(client, args[1], h, before, changed=False)
        return 0
    h.set(args[2], args[3])
    settle(client, args[1], h, before)
    return 1


@command("hget", 3, "readonly fast", (1, 1, 1), G, "Returns the value of a field in a hash.",
         "2.0.0")
def hget(client, args):
    h = read_typed(client.db, args[1], Hash)
    return None if h is None else h.get(args[2])


@command("hmget", -3, "readonly fast", (1, 1, 1), G, "Returns the values of all fields in a "
         "hash.", "2.0.0")
def hmget(client, args):
    h = read_typed(client.db, args[1], Hash)
    if h is None:
        return [None] * (len(args) - 2)
    return [h.get(field) for field in args[2:]]


@command("hdel", -3, "write fast", (1, 1, 1), G, "Deletes one or more fields and their values "
         "from a hash. Deletes the hash if no fields remain.", "2.0.0")
def hdel(client, args):
    h = write_typed(client.db, args[1], Hash)
    if h is None:
        return 0
    before = h.nbytes
    removed = sum(1 for field in args[2:] if h.delete(field))
    settle(client, args[1], h, before, changed=removed > 0, changes=removed)
    return removed


@command("hexists", 3, "readonly fast", (1, 1, 1), G, "Determines whether a field exists in a "
         "hash.", "2.0.0")
def hexists(client, args):
    h = read_typed(client.db, args[1], Hash)
    return 0 if h is None or h.get(args[2]) is None else 1


@command("hlen", 2, "readonly fast", (1, 1, 1), G, "Returns the number of fields in a hash.",
         "2.0.0")
def hlen(client, args):
    h = read_typed(client.db, args[1], Hash)
    return 0 if h is None else len(h)


@command("hstrlen", 3, "readonly fast", (1, 1, 1), G, "Returns the length of the value of a "
         "field.", "3.2.0")
def hstrlen(client, args):
    h = read_typed(client.db, args[1], Hash)
    value = None if h is None else h.get(args[2])
    return 0 if value is None else len(value)


@command("hkeys", 2, "readonly", (1, 1, 1), G, "Returns all fields in a hash.", "2.0.0")
def hkeys(client, args):
    h = read_typed(client.db, args[1], Hash)
    return [] if h is None else list(h.fields)


@command("hvals", 2, "readonly", (1, 1, 1), G, "Returns all values in a hash.", "2.0.0")
def hvals(client, args):
    h = read_typed(client.db, args[1], Hash)
    return [] if h is None else list(h.fields.values())


@command("hgetall", 2, "readonly", (1, 1, 1), G, "Returns all fields and values in a hash.",
         "2.0.0")
def hgetall(client, args):
    h = read_typed(client.db, args[1], Hash)
    return {} if h is None else dict(h.fields)


@command("hincrby", 4, "write denyoom fast", (1, 1, 1), G, "Increments the integer value of a "
         "field in a hash by a number. Uses 0 as initial value if the field doesn't exist.",
         "2.0.0")
def hincrby(client, args):
    delta = _hincrby_amount(args)
    h, before = writable(client.db, args[1], Hash)
    try:
        result = _incremented(h, args[2], delta)
    except CommandError:
        settle(client, args[1], h, before, changed=False)
        raise
    settle(client, args[1], h, before)
    return result


def _incremented(h: Hash, field: bytes, delta: int) -> int:
    """HINCRBY's change to one field: the new value, or a CommandError with h unchanged."""
    current = h.get(field)
    result = (0 if current is None else
              to_int(current, "ERR hash value is not an integer")) + delta
    if not LLONG_MIN <= result <= LLONG_MAX:
        raise CommandError(errors.OVERFLOW)
    h.set(field, b"%d" % result)
    return result


def _hincrby_amount(args) -> int:
    return to_int(args[3])


def _apply_hincrby(client, h, args, delta) -> tuple:
    return _incremented(h, args[2], delta), True


keyed_run("hincrby", 4, partial(member_increments, container=Hash, amount=_hincrby_amount,
                                apply=_apply_hincrby, handler=hincrby))


@command("hincrbyfloat", 4, "write denyoom fast", (1, 1, 1), G, "Increments the floating point "
         "value of a field by a number. Uses 0 as initial value if the field doesn't exist.",
         "2.6.0")
def hincrbyfloat(client, args):
    increment = to_long_double(args[3])
    if not np.isfinite(increment):
        raise CommandError("ERR value is NaN or Infinity")
    h, before = writable(client.db, args[1], Hash)
    current = h.get(args[2])
    try:
        value = np.longdouble(0) if current is None else to_long_double(
            current, "ERR hash value is not a float")
        with np.errstate(over="ignore", invalid="ignore"):
            result = value + increment
        if not np.isfinite(result):
            raise CommandError(errors.NAN_OR_INF)
    except CommandError:
        settle(client, args[1], h, before, changed=False)
        raise
    text = format_long_double(result)
    h.set(args[2], text)
    settle(client, args[1], h, before)
    return text


@command("hrandfield", -2, "readonly", (1, 1, 1), G, "Returns one or more random fields from a "
         "hash.", "6.2.0")
def hrandfield(client, args):
    count, with_values = parse_random_count(args, b"withvalues")
    h = read_typed(client.db, args[1], Hash)
    if h is None:
        return None if count is None else []
    fields = list(h.fields)
    if repetitions_cut_short(client, fields, count, 2 if with_values else 1):
        return NO_REPLY
    chosen = random_members(fields, count)
    if count is None or not with_values:
        return chosen
    if client.resp3:
        return [[f, h.get(f)] for f in chosen]
    return [item for f in chosen for item in (f, h.get(f))]


@command("hscan", -3, "readonly", (1, 1, 1), G, "Iterates over fields and values of a hash.",
         "2.8.0")
def hscan(client, args):
    cursor = parse_cursor(args[2])
    h = read_typed(client.db, args[1], Hash)
    def expand(field):
        value = h.get(field)
        return () if value is None else (field, value)  # deleted since the scan started

    return scan_reply(client, args, cursor, h, expand, lambda: h.fields,
                      small=h is not None and not h.big)
