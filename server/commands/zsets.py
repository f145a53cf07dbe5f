"""Sorted set commands."""

import math
from functools import partial

from .. import errors
from ..command_table import command
from ..errors import CommandError
from ..keyspace.containers import Set, ZSet
from ..protocol.doubles import d2string
from ..replies import NO_REPLY, NULL_ARRAY, ErrorReply
from .common import (first_served, lower, modified, notify_generic, optional_count,
                     parse_random_count, random_members, read_typed, repetitions_cut_short,
                     serve_or_block, settle, take_flags, to_float, to_int, to_timeout_seconds,
                     writable, write_typed)
from .keyed_runs import keyed_run, member_increments, touch_again
from .scanning import parse_cursor, scan_reply
from .sets import parse_numkeys

G = "sorted-set"
INF = math.inf


# -- argument parsing -----------------------------------------------------------------------
def parse_score_bound(value):
    """'(1.5' (exclusive), '1.5', '-inf', '+inf' -> (score, exclusive)."""
    exclusive = value[:1] == b"("
    text = value[1:] if exclusive else value
    if not text:  # (strtod converts nothing and stops at the end: 0, as Redis takes it)
        return 0.0, exclusive
    try:  # (Redis's zslParseRange: plain strtod, leading white space too)
        score = to_float(text.lstrip(b" \t\n\v\f\r") or text, out_of_range_ok=True)
    except CommandError:
        raise CommandError("ERR min or max is not a float") from None
    return score, exclusive


def parse_lex_bound(value):
    """'[a' inclusive, '(a' exclusive, '-' / '+' -> (kind, member); kind in -inf, +inf, [ or (."""
    if value == b"-":
        return "-", b""
    if value == b"+":
        return "+", b""
    if value[:1] in (b"[", b"("):
        return chr(value[0]), bytes(value[1:])
    raise CommandError("ERR min or max not valid string range item")


def _score_reply(client, score: float):
    """A score as Redis 7.2 sends it: RESP3 double, RESP2 bulk string (d2string's text)."""
    if client.resp3:
        return score
    return d2string(score)


def _with_scores(client, pairs, flat_in_resp3: bool = False):
    if client.resp3 and not flat_in_resp3:
        return [[member, score] for score, member in pairs]
    out = []
    for score, member in pairs:
        out.append(member)
        out.append(_score_reply(client, score))
    return out


def _zset(client, key, write=False):
    return (write_typed if write else read_typed)(client.db, key, ZSet)


# -- ZADD / ZINCRBY -------------------------------------------------------------------------
_ZADD_FLAGS = frozenset({b"nx", b"xx", b"gt", b"lt", b"ch", b"incr"})

@command("zadd", -4, "write denyoom fast", (1, 1, 1), G, "Adds one or more members to a sorted "
         "set, or updates their scores. Creates the key if it doesn't exist.", "1.2.0")
def zadd(client, args):
    if len(args) == 4 and lower(args[2]) not in _ZADD_FLAGS:  # one pair, no flag: the usual
        reply = _zadd_stretch(client, args[1], (args,))[0]   # call, a stretch of one
        if type(reply) is ErrorReply:
            raise CommandError(str(reply))
        return reply
    flags, i = take_flags(args, 2, _ZADD_FLAGS)
    nx, xx, gt, lt = b"nx" in flags, b"xx" in flags, b"gt" in flags, b"lt" in flags
    ch, incr = b"ch" in flags, b"incr" in flags
    elements = args[i:]
    if not elements or len(elements) % 2:
        raise CommandError(errors.SYNTAX)
    if nx and xx:
        raise CommandError("ERR XX and NX options at the same time are not compatible")
    if (gt and nx) or (lt and nx) or (gt and lt):
        raise CommandError("ERR GT, LT, and/or NX options at the same time are not compatible")
    if incr and len(elements) > 2:
        raise CommandError("ERR INCR option supports a single increment-element pair")
    pairs = [(to_float(elements[j]), elements[j + 1]) for j in range(0, len(elements), 2)]
    if xx and write_typed(client.db, args[1], ZSet) is None:
        return None if incr else 0  # no key to update: none is made (no 'new' event)
    z, before = writable(client.db, args[1], ZSet)
    added = changed = 0
    result = None
    for score, member in pairs:
        current = z.score(member)
        if current is None:
            if xx:
                continue
            if incr:
                result = score
            z.add(member, score)
            added += 1
            continue
        if nx:
            continue
        new = current + score if incr else score
        if math.isnan(new):
            settle(client, args[1], z, before, changed=added + changed > 0)
            raise CommandError("ERR resulting score is not a number (NaN)")
        if (gt and new <= current) or (lt and new >= current):
            continue
        if incr:
            result = new
        if new != current:
            z.add(member, new)
            changed += 1
    settle(client, args[1], z, before, changed=added + changed > 0,
           event="zincr" if incr else None, changes=added + changed)
    if incr:
        return None if result is None else _score_reply(client, result)
    return added + changed if ch else added


def _zadd_stretch(client, key, commands) -> list:
    """Consecutive `ZADD key score member` on `key` (keyed_runs). A flag where the score goes
    leaves an odd element count (Redis's syntax error); errors come before the lookup."""
    replies: list = []
    parsed = []  # (reply index, score, member)
    for args in commands:
        try:
            if lower(args[2]) in _ZADD_FLAGS:
                raise CommandError(errors.SYNTAX)
            parsed.append((len(replies), to_float(args[2]), args[3]))
            replies.append(0)
        except CommandError as exc:
            replies.append(ErrorReply(exc.message))
    if not parsed:
        return replies
    db = client.db
    try:
        z, before = writable(db, key, ZSet)
    except CommandError as exc:  # WRONGTYPE, for the commands that got as far as the lookup
        touch_again(db, key, len(parsed) - 1)
        for index, _, _ in parsed:
            replies[index] = ErrorReply(exc.message)
        return replies
    touch_again(db, key, len(parsed) - 1)
    changes = 0
    for index, score, member in parsed:
        current = z.score(member)
        if current is None:
            replies[index] = 1
        elif score == current:
            continue
        z.add(member, score)
        changes += 1
    settle(client, key, z, before, changed=changes > 0, changes=changes)
    return replies


keyed_run("zadd", 4, _zadd_stretch)


@command("zincrby", 4, "write denyoom fast", (1, 1, 1), G, "Increments the score of a member in "
         "a sorted set.", "1.2.0")
def zincrby(client, args):
    increment = _zincrby_amount(args)
    z, before = writable(client.db, args[1], ZSet)
    try:
        new, changed = _incremented_score(z, args[3], increment)
    except CommandError:
        settle(client, args[1], z, before, changed=False)
        raise
    settle(client, args[1], z, before, changed=changed)
    return _score_reply(client, new)


def _incremented_score(z: ZSet, member: bytes, increment: float) -> tuple:
    """ZINCRBY's change to one member: (its new score, whether it changed), or a CommandError
    with z unchanged. A score left as it was (an increment of 0, inf + 1) is neither counted
    as a change nor announced, as in Redis's zsetAdd."""
    old = z.score(member)
    new = (old or 0.0) + increment
    if math.isnan(new):
        raise CommandError("ERR resulting score is not a number (NaN)")
    if new == old:
        return new, False
    z.add(member, new)
    return new, True


def _zincrby_amount(args) -> float:
    """ZINCRBY runs ZADD's parser in Redis: a ZADD flag where the increment goes is read as
    a flag, which leaves one argument: a syntax error."""
    if args[2].lower() in _ZADD_FLAGS:
        raise CommandError(errors.SYNTAX)
    return to_float(args[2])


def _apply_zincrby(client, z, args, increment) -> tuple:
    new, changed = _incremented_score(z, args[3], increment)
    return _score_reply(client, new), changed


keyed_run("zincrby", 4, partial(member_increments, container=ZSet, amount=_zincrby_amount,
                                apply=_apply_zincrby, handler=zincrby))


# -- point reads ------------------------------------------------------------------------------
@command("zscore", 3, "readonly fast", (1, 1, 1), G, "Returns the score of a member in a sorted "
         "set.", "1.2.0")
def zscore(client, args):
    z = _zset(client, args[1])
    score = None if z is None else z.score(args[2])
    return None if score is None else _score_reply(client, score)


@command("zmscore", -3, "readonly fast", (1, 1, 1), G, "Returns the score of one or more members "
         "in a sorted set.", "6.2.0")
def zmscore(client, args):
    z = _zset(client, args[1])
    out = []
    for member in args[2:]:
        score = None if z is None else z.score(member)
        out.append(None if score is None else _score_reply(client, score))
    return out


@command("zcard", 2, "readonly fast", (1, 1, 1), G, "Returns the number of members in a sorted "
         "set.", "1.2.0")
def zcard(client, args):
    z = _zset(client, args[1])
    return 0 if z is None else len(z)


def _rank(client, args, reverse: bool):
    with_score = False
    if len(args) == 4:
        if lower(args[3]) != b"withscore":
            raise CommandError(errors.SYNTAX)
        with_score = True
    elif len(args) > 4:
        raise CommandError(errors.SYNTAX)
    z = _zset(client, args[1])
    rank = None if z is None else z.rank(args[2])
    if rank is None:
        return NULL_ARRAY if with_score else None
    if reverse:
        rank = len(z) - 1 - rank
    if with_score:
        return [rank, _score_reply(client, z.score(args[2]))]
    return rank


@command("zrank", -3, "readonly fast", (1, 1, 1), G, "Returns the index of a member in a sorted "
         "set ordered by ascending scores.", "2.0.0")
def zrank(client, args):
    return _rank(client, args, False)


@command("zrevrank", -3, "readonly fast", (1, 1, 1), G, "Returns the index of a member in a "
         "sorted set ordered by descending scores.", "2.0.0")
def zrevrank(client, args):
    return _rank(client, args, True)


# -- ranges -----------------------------------------------------------------------------------
class _Top:
    """Sorts after every member: (score, _TOP) is past all pairs with that score."""

    def __lt__(self, other):
        return False

    def __gt__(self, other):
        return True

    def __eq__(self, other):
        return other is self

    __hash__ = object.__hash__


_TOP = _Top()


def _score_slice(z: ZSet, low, high):
    """[start, stop) positions of members with low <= score <= high (bounds may exclude)."""
    (lo, lo_ex), (hi, hi_ex) = low, high
    order = z.order
    start = order.bisect_right((lo, _TOP)) if lo_ex else order.bisect_left((lo,))
    stop = order.bisect_left((hi,)) if hi_ex else order.bisect_right((hi, _TOP))
    return start, max(start, stop)


def _lex_position(z: ZSet, bound, low_side: bool) -> int:
    kind, member = bound
    if kind == "-":
        return 0
    if kind == "+":
        return len(z)
    members = _LexView(z)
    if low_side:
        return members.bisect(member, right=(kind == "("))
    return members.bisect(member, right=(kind == "["))


class _LexView:
    """Members in order, searchable by member alone (BYLEX assumes equal scores, as Redis)."""

    def __init__(self, z: ZSet):
        self.z = z

    def bisect(self, member: bytes, right: bool) -> int:
        lo, hi = 0, len(self.z)
        order = self.z.order
        while lo < hi:
            mid = (lo + hi) // 2
            value = order[mid][1]
            if value < member or (right and value == member):
                lo = mid + 1
            else:
                hi = mid
        return lo


def _lex_slice(z: ZSet, low, high):
    start = _lex_position(z, low, True)
    stop = _lex_position(z, high, False)
    return start, max(start, stop)


def _rank_slice(length: int, start: int, stop: int):
    if start < 0:
        start = max(length + start, 0)
    if stop < 0:
        stop = length + stop
    stop = min(stop, length - 1)
    if start > stop or start >= length:
        return 0, 0
    return start, stop + 1


def _limit(start: int, stop: int, offset: int, count: int, reverse: bool):
    if offset < 0:
        return start, start
    if reverse:
        stop = max(stop - offset, start)
        if count >= 0:
            start = max(start, stop - count)
    else:
        start = min(start + offset, stop)
        if count >= 0:
            stop = min(stop, start + count)
    return start, stop


def range_generic(client, key, low, high, by: str, reverse: bool, limit, write=False):
    """The members (as (score, member) pairs) ZRANGE and its variants select."""
    z = _zset(client, key, write)
    if z is None:
        return []
    if by == "rank":
        length = len(z)
        start, stop = _rank_slice(length, low, high)
        if reverse:
            start, stop = length - stop, length - start
    elif by == "score":
        start, stop = _score_slice(z, *((high, low) if reverse else (low, high)))
    else:
        start, stop = _lex_slice(z, *((high, low) if reverse else (low, high)))
    if limit is not None:
        start, stop = _limit(start, stop, limit[0], limit[1], reverse)
    return z.order.islice(start, stop, reverse)


def parse_range_args(args, index: int, by, reverse, allow_withscores: bool):
    """ZRANGE-style options after min/max -> (by, reverse, limit, withscores). `by` / `reverse`
    None (ZRANGE, ZRANGESTORE) accept BYSCORE/BYLEX and REV once; the legacy commands fix
    them, so those words are syntax errors there, as in Redis."""
    limit = None
    withscores = False
    i = index
    while i < len(args):
        opt = lower(args[i])
        if opt == b"withscores" and allow_withscores:
            withscores = True
        elif opt == b"limit" and i + 2 < len(args):
            limit = (to_int(args[i + 1]), to_int(args[i + 2]))
            i += 2
        elif opt == b"rev" and reverse is None:
            reverse = True
        elif opt in (b"byscore", b"bylex") and by is None:
            by = "score" if opt == b"byscore" else "lex"
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    by, reverse = by or "rank", bool(reverse)
    if limit is not None and by == "rank":
        raise CommandError("ERR syntax error, LIMIT is only supported in combination with "
                           "either BYSCORE or BYLEX")
    if withscores and by == "lex":
        raise CommandError("ERR syntax error, WITHSCORES not supported in combination with "
                           "BYLEX")
    return by, reverse, limit, withscores


def parse_bounds(by: str, low, high):
    if by == "rank":
        return to_int(low), to_int(high)
    if by == "score":
        return parse_score_bound(low), parse_score_bound(high)
    return parse_lex_bound(low), parse_lex_bound(high)


def _range_reply(client, pairs, withscores):
    return _with_scores(client, pairs) if withscores else [member for _, member in pairs]


@command("zrange", -4, "readonly", (1, 1, 1), G, "Returns members in a sorted set within a range "
         "of indexes.", "1.2.0")
def zrange(client, args):
    by, reverse, limit, withscores = parse_range_args(args, 4, None, None, True)
    low, high = parse_bounds(by, args[2], args[3])
    return _range_reply(client, range_generic(client, args[1], low, high, by, reverse, limit),
                        withscores)


@command("zrangestore", -5, "write denyoom", (1, 2, 1), G, "Stores a range of members from "
         "sorted set in a key.", "6.2.0")
def zrangestore(client, args):
    by, reverse, limit, _ = parse_range_args(args, 5, None, None, False)
    low, high = parse_bounds(by, args[3], args[4])
    pairs = range_generic(client, args[2], low, high, by, reverse, limit)  # (a read lookup)
    return store_pairs(client, args[1], pairs)


def _legacy_range(client, args, by: str, reverse: bool):
    by, reverse, limit, withscores = parse_range_args(args, 4, by, reverse, True)
    low, high = parse_bounds(by, args[2], args[3])  # ZREV*BY* take max first, like REV
    return _range_reply(client, range_generic(client, args[1], low, high, by, reverse, limit),
                        withscores)


@command("zrevrange", -4, "readonly", (1, 1, 1), G, "Returns members in a sorted set within a "
         "range of indexes in reverse order.", "1.2.0")
def zrevrange(client, args):
    return _legacy_range(client, args, "rank", True)


@command("zrangebyscore", -4, "readonly", (1, 1, 1), G, "Returns members in a sorted set within "
         "a range of scores.", "1.0.5")
def zrangebyscore(client, args):
    return _legacy_range(client, args, "score", False)


@command("zrevrangebyscore", -4, "readonly", (1, 1, 1), G, "Returns members in a sorted set "
         "within a range of scores in reverse order.", "2.2.0")
def zrevrangebyscore(client, args):
    return _legacy_range(client, args, "score", True)


@command("zrangebylex", -4, "readonly", (1, 1, 1), G, "Returns members in a sorted set within a "
         "lexicographical range.", "2.8.9")
def zrangebylex(client, args):
    return _legacy_range(client, args, "lex", False)


@command("zrevrangebylex", -4, "readonly", (1, 1, 1), G, "Returns members in a sorted set within "
         "a lexicographical range in reverse order.", "2.8.9")
def zrevrangebylex(client, args):
    return _legacy_range(client, args, "lex", True)


@command("zcount", 4, "readonly fast", (1, 1, 1), G, "Returns the count of members in a sorted "
         "set that have scores within a range.", "2.0.0")
def zcount(client, args):
    low, high = parse_score_bound(args[2]), parse_score_bound(args[3])
    z = _zset(client, args[1])
    if z is None:
        return 0
    start, stop = _score_slice(z, low, high)
    return stop - start


@command("zlexcount", 4, "readonly fast", (1, 1, 1), G, "Returns the number of members in a "
         "sorted set within a lexicographical range.", "2.8.9")
def zlexcount(client, args):
    low, high = parse_lex_bound(args[2]), parse_lex_bound(args[3])
    z = _zset(client, args[1])
    if z is None:
        return 0
    start, stop = _lex_slice(z, low, high)
    return stop - start


# -- removal ----------------------------------------------------------------------------------
@command("zrem", -3, "write fast", (1, 1, 1), G, "Removes one or more members from a sorted set. "
         "Deletes the sorted set if all members were removed.", "1.2.0")
def zrem(client, args):
    z = _zset(client, args[1], write=True)
    if z is None:
        return 0
    before = z.nbytes
    removed = sum(1 for member in args[2:] if z.remove(member))
    settle(client, args[1], z, before, changed=removed > 0, changes=removed)
    return removed


def _remove_range(client, args, by: str):
    low, high = parse_bounds(by, args[2], args[3])
    z = _zset(client, args[1], write=True)
    if z is None:
        return 0
    pairs = range_generic(client, args[1], low, high, by, False, None, write=True)
    before = z.nbytes
    for _, member in pairs:
        z.remove(member)
    settle(client, args[1], z, before, changed=bool(pairs), changes=len(pairs))
    return len(pairs)


@command("zremrangebyrank", 4, "write", (1, 1, 1), G, "Removes members in a sorted set within a "
         "range of indexes. Deletes the sorted set if all members were removed.", "2.0.0")
def zremrangebyrank(client, args):
    return _remove_range(client, args, "rank")


@command("zremrangebyscore", 4, "write", (1, 1, 1), G, "Removes members in a sorted set within a "
         "range of scores. Deletes the sorted set if all members were removed.", "1.2.0")
def zremrangebyscore(client, args):
    return _remove_range(client, args, "score")


@command("zremrangebylex", 4, "write", (1, 1, 1), G, "Removes members in a sorted set within a "
         "lexicographical range. Deletes the sorted set if all members were removed.", "2.8.9")
def zremrangebylex(client, args):
    return _remove_range(client, args, "lex")


# -- pops -------------------------------------------------------------------------------------
def pop_pairs(client, db, key, maximum: bool, count: int):
    z = write_typed(db, key, ZSet)
    if z is None:
        return None
    n = min(count, len(z))
    if not n:
        return []  # (a count of 0 changes nothing: no event)
    pairs = z.order.islice(len(z) - n, len(z), True) if maximum else z.order.islice(0, n)
    before = z.nbytes
    for _, member in pairs:
        z.remove(member)
    db.resized(key, z.nbytes - before)
    modified(client, key, db, event="zpopmax" if maximum else "zpopmin", changes=len(pairs))
    if not len(z):
        db.delete(key)
        notify_generic(client, "del", key, db)
    return pairs


def _pop(client, args, maximum: bool):
    count = optional_count(args)
    pairs = pop_pairs(client, client.db, args[1], maximum, 1 if count is None else count) or []
    if count is None:
        return _with_scores(client, pairs, flat_in_resp3=True)
    return _with_scores(client, pairs)


@command("zpopmin", -2, "write fast", (1, 1, 1), G, "Returns the lowest-scoring members from a "
         "sorted set after removing them. Deletes the sorted set if the last member was popped.",
         "5.0.0")
def zpopmin(client, args):
    return _pop(client, args, False)


@command("zpopmax", -2, "write fast", (1, 1, 1), G, "Returns the highest-scoring members from a "
         "sorted set after removing them. Deletes the sorted set if the last member was popped.",
         "5.0.0")
def zpopmax(client, args):
    return _pop(client, args, True)


def _zpop_stretch(client, key, commands, maximum: bool) -> list:
    """Consecutive plain ZPOPMIN (ZPOPMAX) of `key` (keyed_runs): one pop of as many
    members; the commands after the set ran out find no key."""
    pairs = pop_pairs(client, client.db, key, maximum, len(commands)) or []
    touch_again(client.db, key, len(pairs) - 1)
    replies = [_with_scores(client, [pair], flat_in_resp3=True) for pair in pairs]
    return replies + [[] for _ in range(len(commands) - len(pairs))]


keyed_run("zpopmin", 2, partial(_zpop_stretch, maximum=False))
keyed_run("zpopmax", 2, partial(_zpop_stretch, maximum=True))


def _blocking_pop(client, args, maximum: bool):
    timeout = to_timeout_seconds(args[-1])
    keys = args[1:-1]

    def attempt(db, key):
        pairs = pop_pairs(client, db, key, maximum, 1)
        if not pairs:
            return None
        score, member = pairs[0]
        return [key, member, _score_reply(client, score)]

    return serve_or_block(client, keys, attempt, timeout, NULL_ARRAY, ZSet)


@command("bzpopmin", -3, "write blocking fast", (1, -2, 1), G, "Removes and returns the member "
         "with the lowest score from one or more sorted sets. Blocks until a member is available "
         "otherwise. Deletes the sorted set if the last element was popped.", "5.0.0")
def bzpopmin(client, args):
    return _blocking_pop(client, args, False)


@command("bzpopmax", -3, "write blocking fast", (1, -2, 1), G, "Removes and returns the member "
         "with the highest score from one or more sorted sets. Blocks until a member is "
         "available otherwise. Deletes the sorted set if the last element was popped.", "5.0.0")
def bzpopmax(client, args):
    return _blocking_pop(client, args, True)


def _parse_zmpop(args, index):
    numkeys = parse_numkeys(args, index, errors.SYNTAX)
    keys = args[index + 1:index + 1 + numkeys]
    rest = args[index + 1 + numkeys:]
    if not rest or lower(rest[0]) not in (b"min", b"max"):
        raise CommandError(errors.SYNTAX)
    count = 1
    if len(rest) == 3 and lower(rest[1]) == b"count":
        count = to_int(rest[2], "ERR count should be greater than 0")
        if count <= 0:
            raise CommandError("ERR count should be greater than 0")
    elif len(rest) != 1:
        raise CommandError(errors.SYNTAX)
    return keys, lower(rest[0]) == b"max", count


def _zmpop_attempt(client, maximum, count):
    def attempt(db, key):
        pairs = pop_pairs(client, db, key, maximum, count)
        if not pairs:
            return None
        return [key, [[member, _score_reply(client, score)] for score, member in pairs]]

    return attempt


@command("zmpop", -4, "write", (0, 0, 0), G, "Returns the highest- or lowest-scoring members from "
         "one or more sorted sets after removing them. Deletes the sorted set if the last member "
         "was popped.", "7.0.0")
def zmpop(client, args):
    keys, maximum, count = _parse_zmpop(args, 1)
    reply = first_served(client, keys, _zmpop_attempt(client, maximum, count))
    return NULL_ARRAY if reply is None else reply


@command("bzmpop", -5, "write blocking", (0, 0, 0), G, "Removes and returns a member by score "
         "from one or more sorted sets. Blocks until a member is available otherwise. Deletes "
         "the sorted set if the last element was popped.", "7.0.0")
def bzmpop(client, args):
    timeout = to_timeout_seconds(args[1])
    keys, maximum, count = _parse_zmpop(args, 2)
    return serve_or_block(client, keys, _zmpop_attempt(client, maximum, count), timeout,
                          NULL_ARRAY, ZSet)


# -- set operations ---------------------------------------------------------------------------
def _source_scores(client, key):
    """A source's scores (a set's members score 1), read as Redis's lookupKeyRead (store
    forms too: hits, misses, keymiss events)."""
    value = client.db.lookup_read(key)
    if value is None:
        return None
    if type(value) is ZSet:
        return value.scores
    if type(value) is Set:
        return dict.fromkeys(value.members, 1.0)
    raise CommandError(errors.WRONGTYPE)


def _aggregate(values, how: bytes) -> float:
    if how == b"min":
        return min(values)
    if how == b"max":
        return max(values)
    total = 0.0
    for value in values:
        total += value
        if math.isnan(total):  # inf + -inf: Redis uses 0
            total = 0.0
    return total


def _input_keys(args, index: int, name: str) -> list:
    """The numkeys-counted keys of ZUNION/ZINTER/ZDIFF/ZINTERCARD, with their errors."""
    numkeys = to_int(args[index])
    if numkeys <= 0:
        raise CommandError(f"ERR at least 1 input key is needed for '{name}' command")
    keys = args[index + 1:index + 1 + numkeys]
    if len(keys) < numkeys:
        raise CommandError(errors.SYNTAX)
    return keys


def combine(client, op: str, args, index: int, name: str, allow_withscores=True):
    """ZUNION/ZINTER/ZDIFF (and their STORE forms): (pairs in order, withscores)."""
    keys = _input_keys(args, index, name)
    sources = [_source_scores(client, key) for key in keys]  # (WRONGTYPE before options)
    numkeys = len(keys)
    weights = [1.0] * numkeys
    how = b"sum"
    withscores = False
    i = index + 1 + numkeys
    while i < len(args):
        opt = lower(args[i])
        if opt == b"weights" and op != "diff" and i + numkeys < len(args):
            weights = [to_float(w, "ERR weight value is not a float")
                       for w in args[i + 1:i + 1 + numkeys]]
            i += numkeys
        elif opt == b"aggregate" and op != "diff" and i + 1 < len(args):
            how = lower(args[i + 1])
            if how not in (b"sum", b"min", b"max"):
                raise CommandError(errors.SYNTAX)
            i += 1
        elif opt == b"withscores" and allow_withscores:
            withscores = True
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    result: dict = {}
    if op == "union":
        gathered: dict = {}
        for scores, weight in zip(sources, weights):
            for member, score in (scores or {}).items():
                gathered.setdefault(member, []).append(_weighted(score, weight))
        result = {m: _aggregate(v, how) for m, v in gathered.items()}
    elif op == "inter":
        if all(s is not None for s in sources):
            smallest = min(range(len(sources)), key=lambda j: len(sources[j]))
            for member in sources[smallest]:
                if all(member in s for s in sources):
                    result[member] = _aggregate(
                        [_weighted(s[member], w) for s, w in zip(sources, weights)], how)
    else:
        first = sources[0] or {}
        result = {m: s for m, s in first.items()
                  if not any(other and m in other for other in sources[1:])}
    return sorted((score, member) for member, score in result.items()), withscores


def _weighted(score: float, weight: float) -> float:
    value = score * weight
    return 0.0 if math.isnan(value) else value


def store_pairs(client, dest, pairs, changes: int = 1) -> int:
    """Replace `dest` with the pairs (`changes`: what the dirty counter gains for them)."""
    db = client.db
    if pairs:  # (replaced, as Redis's setKey: a 'new' event only if it was absent)
        z = ZSet()
        for score, member in pairs:
            z.add(member, score)
        db.set(dest, z)
        modified(client, dest, changes=changes)
    elif db.delete(dest):
        modified(client, dest, event="del")
    return len(pairs)


def _combine_reply(client, args, op, name):
    pairs, withscores = combine(client, op, args, 1, name)
    return _range_reply(client, pairs, withscores)


@command("zunion", -3, "readonly", (0, 0, 0), G, "Returns the union of multiple sorted sets.",
         "6.2.0")
def zunion(client, args):
    return _combine_reply(client, args, "union", "zunion")


@command("zinter", -3, "readonly", (0, 0, 0), G, "Returns the intersect of multiple sorted "
         "sets.", "6.2.0")
def zinter(client, args):
    return _combine_reply(client, args, "inter", "zinter")


@command("zdiff", -3, "readonly", (0, 0, 0), G, "Returns the difference between multiple sorted "
         "sets.", "6.2.0")
def zdiff(client, args):
    return _combine_reply(client, args, "diff", "zdiff")


def _combine_store(client, args, op, name):
    pairs, _ = combine(client, op, args, 2, name, allow_withscores=False)
    return store_pairs(client, args[1], pairs)


@command("zunionstore", -4, "write denyoom", (1, 1, 1), G, "Stores the union of multiple sorted "
         "sets in a key.", "2.0.0")
def zunionstore(client, args):
    return _combine_store(client, args, "union", "zunionstore")


@command("zinterstore", -4, "write denyoom", (1, 1, 1), G, "Stores the intersect of multiple "
         "sorted sets in a key.", "2.0.0")
def zinterstore(client, args):
    return _combine_store(client, args, "inter", "zinterstore")


@command("zdiffstore", -4, "write denyoom", (1, 1, 1), G, "Stores the difference of multiple "
         "sorted sets in a key.", "6.2.0")
def zdiffstore(client, args):
    return _combine_store(client, args, "diff", "zdiffstore")


@command("zintercard", -3, "readonly", (0, 0, 0), G, "Returns the number of members of the "
         "intersect of multiple sorted sets.", "7.0.0")
def zintercard(client, args):
    keys = _input_keys(args, 1, "zintercard")
    sources = [_source_scores(client, key) for key in keys]  # (before the options)
    limit = 0
    i = 2 + len(keys)
    while i < len(args):  # (LIMIT may come more than once: the last one counts)
        if lower(args[i]) != b"limit" or i + 1 >= len(args):
            raise CommandError(errors.SYNTAX)
        limit = to_int(args[i + 1], "ERR LIMIT can't be negative")
        if limit < 0:
            raise CommandError("ERR LIMIT can't be negative")
        i += 2
    if any(s is None for s in sources):
        return 0
    count = sum(1 for m in min(sources, key=len) if all(m in s for s in sources))
    return min(count, limit) if limit else count


# -- random members and scanning ------------------------------------------------------------
@command("zrandmember", -2, "readonly", (1, 1, 1), G, "Returns one or more random members from a "
         "sorted set.", "6.2.0")
def zrandmember(client, args):
    count, withscores = parse_random_count(args, b"withscores")
    z = _zset(client, args[1])
    if z is None:
        return None if count is None else []
    members = list(z.scores)
    if repetitions_cut_short(client, members, count, 2 if withscores else 1):
        return NO_REPLY
    chosen = random_members(members, count)
    if count is None or not withscores:
        return chosen
    return _with_scores(client, [(z.score(m), m) for m in chosen])


@command("zscan", -3, "readonly", (1, 1, 1), G, "Iterates over members and scores of a sorted "
         "set.", "2.8.0")
def zscan(client, args):
    cursor = parse_cursor(args[2])
    z = _zset(client, args[1])

    def expand(member):
        score = z.score(member)
        return () if score is None else (member, d2string(score))  # strings, even in RESP3

    return scan_reply(client, args, cursor, z, expand, lambda: z.scores,
                      small=z is not None and not z.big)
