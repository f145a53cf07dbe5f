"""Set commands."""

import random

from .. import errors
from ..command_table import command
from ..errors import CommandError
from ..keyspace.containers import Set
from ..replies import NO_REPLY, OrderedSet
from .common import (LLONG_MAX, lower, modified, optional_count, random_members, read_typed,
                     repetitions_cut_short, settle, to_int, to_long_in, writable,
                     write_typed)
from .keyed_runs import keyed_run, touch_again
from .scanning import parse_cursor, scan_reply

G = "set"


@command("sadd", -3, "write denyoom fast", (1, 1, 1), G, "Adds one or more members to a set. "
         "Creates the key if it doesn't exist.")
def sadd(client, args):
    s, before = writable(client.db, args[1], Set)
    added = (1 if s.add(args[2]) else 0) if len(args) == 3 else s.update(args[2:])
    settle(client, args[1], s, before, changed=added > 0, changes=added)
    return added


def _sadd_stretch(client, key, commands) -> list:
    """Consecutive one-member SADDs to `key` (keyed_runs)."""
    db = client.db
    s, before = writable(db, key, Set)
    touch_again(db, key, len(commands) - 1)
    replies = [1 if s.add(args[2]) else 0 for args in commands]
    added = sum(replies)
    settle(client, key, s, before, changed=added > 0, changes=added)
    return replies


keyed_run("sadd", 3, _sadd_stretch)


@command("srem", -3, "write fast", (1, 1, 1), G, "Removes one or more members from a set. "
         "Deletes the set if the last member was removed.")
def srem(client, args):
    s = write_typed(client.db, args[1], Set)
    if s is None:
        return 0
    before = s.nbytes
    removed = sum(1 for member in args[2:] if s.discard(member))
    settle(client, args[1], s, before, changed=removed > 0, changes=removed)
    return removed


def _srem_stretch(client, key, commands) -> list:
    """Consecutive one-member SREMs from `key` (keyed_runs): one lookup; the commands after
    the one that emptied the set (and deleted its key) find nothing, as they would."""
    db = client.db
    s = write_typed(db, key, Set)
    if s is None:
        return [0] * len(commands)
    before = s.nbytes
    replies = []
    for args in commands:
        if not len(s):
            break
        replies.append(1 if s.discard(args[2]) else 0)
    touch_again(db, key, len(replies) - 1)  # (the lookups that found the set)
    removed = sum(replies)
    settle(client, key, s, before, changed=removed > 0, changes=removed)
    return replies + [0] * (len(commands) - len(replies))


keyed_run("srem", 3, _srem_stretch)


@command("sismember", 3, "readonly fast", (1, 1, 1), G, "Determines whether a member belongs "
         "to a set.")
def sismember(client, args):
    s = read_typed(client.db, args[1], Set)
    return 1 if s is not None and args[2] in s else 0


@command("smismember", -3, "readonly fast", (1, 1, 1), G, "Determines whether multiple members "
         "belong to a set.", "6.2.0")
def smismember(client, args):
    s = read_typed(client.db, args[1], Set)
    return [1 if s is not None and member in s else 0 for member in args[2:]]


@command("smembers", 2, "readonly", (1, 1, 1), G, "Returns all members of a set.")
def smembers(client, args):
    s = read_typed(client.db, args[1], Set)
    if s is None:
        return set()
    if s.kind == "intset":  # Redis's intset is sorted: its members come out in order
        return OrderedSet(sorted(s.members, key=int))
    return set(s.members)


@command("scard", 2, "readonly fast", (1, 1, 1), G, "Returns the number of members in a set.")
def scard(client, args):
    s = read_typed(client.db, args[1], Set)
    return 0 if s is None else len(s)


@command("spop", -2, "write fast", (1, 1, 1), G, "Returns one or more random members from a set "
         "after removing them. Deletes the set if the last member was popped.")
def spop(client, args):
    count = optional_count(args)
    s = write_typed(client.db, args[1], Set)
    if s is None:
        return None if count is None else set()
    before = s.nbytes
    if count is None:
        popped = _pop_random(s)
        settle(client, args[1], s, before)
        return popped
    if count == 0:
        return set()
    chosen = set(random.sample(list(s.members), min(count, len(s))))
    for member in chosen:
        s.discard(member)
    settle(client, args[1], s, before, changes=len(chosen))
    return chosen


def _spop_stretch(client, key, commands) -> list:
    """Consecutive plain SPOPs of `key` (keyed_runs); those after the set ran out find no key."""
    db = client.db
    s = write_typed(db, key, Set)
    if s is None:
        return [None] * len(commands)
    before = s.nbytes
    popped = [_pop_random(s) for _ in range(min(len(commands), len(s)))]
    touch_again(db, key, len(popped) - 1)
    settle(client, key, s, before, changes=len(popped))
    return popped + [None] * (len(commands) - len(popped))


keyed_run("spop", 2, _spop_stretch)


def _pop_random(s: Set) -> bytes:
    member = random.choice(list(s.members)) if len(s) < 64 else s.pop()
    s.discard(member)
    return member


@command("srandmember", -2, "readonly", (1, 1, 1), G, "Get one or multiple random members from a "
         "set")
def srandmember(client, args):
    count = None
    if len(args) == 3:
        count = to_long_in(args[2], -LLONG_MAX, LLONG_MAX)
        if count < -(2**62):
            raise CommandError("ERR value is out of range")
    elif len(args) > 3:
        raise CommandError(errors.SYNTAX)
    s = read_typed(client.db, args[1], Set)
    if s is None:
        return None if count is None else []
    members = list(s.members)
    if repetitions_cut_short(client, members, count):
        return NO_REPLY
    return random_members(members, count)


@command("smove", 4, "write fast", (1, 2, 1), G, "Moves a member from one set to another.")
def smove(client, args):
    db = client.db
    src_key, dst_key, member = args[1], args[2], args[3]
    src, dst = db.lookup(src_key), db.lookup(dst_key)  # (both first, as Redis looks them up)
    if src is None:  # 0, whatever the destination holds
        return 0
    if type(src) is not Set or (dst is not None and type(dst) is not Set):
        raise CommandError(errors.WRONGTYPE)  # before anything moves
    if member not in src:
        return 0
    if src_key == dst_key:
        return 1
    before = src.nbytes
    src.discard(member)
    settle(client, src_key, src, before, event="srem")
    target, before = writable(db, dst_key, Set)
    if member not in target:  # already there: the destination did not change (WATCH holds)
        target.add(member)
        settle(client, dst_key, target, before, event="sadd")
    return 1


def _sources(client, keys):
    """The sets at `keys` (None where absent), read as Redis's lookupKeyRead (store forms
    too: hits, misses, keymiss events)."""
    return [read_typed(client.db, key, Set) for key in keys]


def _combine(op: str, sources: list) -> set:
    if op == "inter":
        if any(s is None for s in sources):
            return set()
        ordered = sorted(sources, key=len)
        result = set(ordered[0].members)
        for s in ordered[1:]:
            result &= s.members
        return result
    if op == "union":
        result = set()
        for s in sources:
            if s is not None:
                result |= s.members
        return result
    first = sources[0]
    if first is None:
        return set()
    result = set(first.members)
    for s in sources[1:]:
        if s is not None:
            result -= s.members
    return result


def _store(client, dest, members: set) -> int:
    db = client.db
    if members:  # (replaced, as Redis's setKey: a 'new' event only if it was absent)
        db.set(dest, Set.of(members))
        modified(client, dest)
    elif db.delete(dest):
        modified(client, dest, event="del")
    return len(members)


@command("sinter", -2, "readonly", (1, -1, 1), G, "Returns the intersect of multiple sets.")
def sinter(client, args):
    return _combine("inter", _sources(client, args[1:]))


@command("sunion", -2, "readonly", (1, -1, 1), G, "Returns the union of multiple sets.")
def sunion(client, args):
    return _combine("union", _sources(client, args[1:]))


@command("sdiff", -2, "readonly", (1, -1, 1), G, "Returns the difference of multiple sets.")
def sdiff(client, args):
    return _combine("diff", _sources(client, args[1:]))


@command("sinterstore", -3, "write denyoom", (1, -1, 1), G, "Stores the intersect of multiple "
         "sets in a key.")
def sinterstore(client, args):
    return _store(client, args[1], _combine("inter", _sources(client, args[2:])))


@command("sunionstore", -3, "write denyoom", (1, -1, 1), G, "Stores the union of multiple sets "
         "in a key.")
def sunionstore(client, args):
    return _store(client, args[1], _combine("union", _sources(client, args[2:])))


@command("sdiffstore", -3, "write denyoom", (1, -1, 1), G, "Stores the difference of multiple "
         "sets in a key.")
def sdiffstore(client, args):
    return _store(client, args[1], _combine("diff", _sources(client, args[2:])))


_TOO_MANY_KEYS = "ERR Number of keys can't be greater than number of args"


def parse_numkeys(args, index: int, too_many: str = _TOO_MANY_KEYS) -> int:
    """SINTERCARD, LMPOP, ZMPOP (and blocking forms): numkeys, with Redis's errors (the
    *MPOP commands answer a syntax error for more keys than arguments)."""
    numkeys = to_int(args[index], "ERR numkeys should be greater than 0")
    if numkeys <= 0:
        raise CommandError("ERR numkeys should be greater than 0")
    if numkeys > len(args) - index - 1:
        raise CommandError(too_many)
    return numkeys


@command("sintercard", -3, "readonly", (0, 0, 0), G, "Returns the number of members of the "
         "intersect of multiple sets.", "7.0.0")
def sintercard(client, args):
    numkeys = parse_numkeys(args, 1)
    keys = args[2:2 + numkeys]
    limit = 0
    i = 2 + numkeys
    while i < len(args):  # (LIMIT may come more than once: the last one counts)
        if lower(args[i]) != b"limit" or i + 1 >= len(args):
            raise CommandError(errors.SYNTAX)
        limit = to_int(args[i + 1], "ERR LIMIT can't be negative")
        if limit < 0:
            raise CommandError("ERR LIMIT can't be negative")
        i += 2
    count = len(_combine("inter", _sources(client, keys)))
    return min(count, limit) if limit else count


@command("sscan", -3, "readonly", (1, 1, 1), G, "Iterates over members of a set.", "2.8.0")
def sscan(client, args):
    cursor = parse_cursor(args[2])
    s = read_typed(client.db, args[1], Set)
    return scan_reply(client, args, cursor, s, lambda m: (m,) if m in s else (),
                      lambda: s.members, small=s is not None and s.kind != "hashtable")


