"""Stream commands: XADD XLEN XRANGE XREVRANGE XDEL XTRIM XSETID XREAD (groups: stream_groups)."""

import re

from .. import errors
from ..command_table import command
from ..errors import CommandError
from ..keyspace.stream import MAX_ID, Stream, format_id, next_id, now_ms, previous_id
from ..replies import NULL_ARRAY, OK, ErrorReply
from .common import block, lower, modified, read_typed, to_int, to_timeout_ms, write_typed
from .keyed_runs import keyed_run, one_by_one, touch_again

G = "stream"
INVALID_ID = "ERR Invalid stream ID specified as stream command argument"
_ID_RE = re.compile(rb"(\d+)(?:-(\d+|\*))?\Z")
U64 = 2**64 - 1


# -- IDs --------------------------------------------------------------------------------------
def parse_id(value, missing_seq: int = 0, allow_star_seq: bool = False):
    """'ms-seq' or 'ms' (seq defaults to missing_seq) -> (ms, seq); 'ms-*' -> (ms, None)."""
    match = _ID_RE.match(value)
    if not match:
        raise CommandError(INVALID_ID)
    ms = int(match.group(1))
    seq_text = match.group(2)
    if seq_text == b"*":
        if not allow_star_seq:
            raise CommandError(INVALID_ID)
        seq = None
    else:
        seq = missing_seq if seq_text is None else int(seq_text)
    if ms > U64 or (seq is not None and seq > U64):
        raise CommandError(INVALID_ID)
    return ms, seq


def parse_range_id(value, is_start: bool):
    """XRANGE bounds: '-', '+', incomplete IDs, and '(' exclusive bounds."""
    exclusive = value[:1] == b"("
    if exclusive:
        value = value[1:]
    if value == b"-":
        if exclusive:
            raise CommandError(INVALID_ID)
        return (0, 0)
    if value == b"+":
        if exclusive:
            raise CommandError(INVALID_ID)
        return MAX_ID
    stream_id = parse_id(value, 0 if is_start else U64)
    if exclusive:
        if is_start:
            if stream_id == MAX_ID:
                raise CommandError("ERR invalid start ID for the interval")
            stream_id = next_id(stream_id)
        else:
            if stream_id == (0, 0):
                raise CommandError("ERR invalid end ID for the interval")
            stream_id = previous_id(stream_id)
    return stream_id


def entry_reply(stream_id, fields):
    return [format_id(stream_id), None if fields is None else list(fields)]


def _stream(client, key, write=False):
    return (write_typed if write else read_typed)(client.db, key, Stream)


# -- XADD / trimming ------------------------------------------------------------------------
class _AddOrTrim:
    """XADD's and XTRIM's options as read (see _parse_add_or_trim)."""
    __slots__ = ("nomkstream", "trim", "id_at", "explicit")

    def __init__(self):
        self.nomkstream = False
        self.trim = None  # (strategy, approx, threshold, limit) or None
        self.id_at = None  # XADD: the index of its ID
        self.explicit = None  # XADD: its explicit ID, None for '*'


def _parse_add_or_trim(client, args, xadd: bool) -> _AddOrTrim:
    """The options of XADD (up to its ID, which it reads too) or XTRIM, as Redis's
    streamParseAddOrTrimArgsOrReply reads them: MAXLEN|MINID [=|~] threshold, LIMIT n and
    XADD's NOMKSTREAM in any order, each error where Redis meets it. The primary's link and
    the AOF loader may send LIMIT with '=': approximate trims are logged as the exact ones
    they came to, LIMIT and all."""
    parsed = _AddOrTrim()
    strategy = threshold = limit = None
    approx = limit_given = False
    i = 2
    while i < len(args):
        more = len(args) - 1 - i
        word = lower(args[i])
        if xadd and args[i] == b"*":
            parsed.id_at = i
            break
        if word in (b"maxlen", b"minid") and more:
            if strategy is not None:
                raise CommandError("ERR syntax error, MAXLEN and MINID options at the same time "
                                   "are not compatible")
            approx = False
            if more >= 2 and args[i + 1] in (b"~", b"="):
                approx = args[i + 1] == b"~"
                i += 1
            if word == b"maxlen":
                threshold = to_int(args[i + 1])
                if threshold < 0:
                    raise CommandError("ERR The MAXLEN argument must be >= 0.")
            else:
                threshold = parse_id(args[i + 1])
            strategy = word
            i += 2
        elif word == b"limit" and more:
            limit = to_int(args[i + 1])
            if limit < 0:
                raise CommandError("ERR The LIMIT argument must be >= 0.")
            limit_given = True
            i += 2
        elif xadd and word == b"nomkstream":
            parsed.nomkstream = True
            i += 1
        elif xadd:  # the ID, read here: its error comes before the checks below
            parsed.explicit = parse_id(args[i], 0, allow_star_seq=True)
            parsed.id_at = i
            break
        else:
            raise CommandError(errors.SYNTAX)
    if limit and strategy is None:
        raise CommandError("ERR syntax error, LIMIT cannot be used without specifying a "
                           "trimming strategy")
    if not xadd and strategy is None:
        raise CommandError("ERR syntax error, XTRIM must be called with a trimming strategy")
    if limit_given and not approx and not client.obeys_unconditionally:
        raise CommandError("ERR syntax error, LIMIT cannot be used without the special ~ option")
    if strategy is not None:
        parsed.trim = (strategy, approx, threshold, limit)
    return parsed


def trim(client, stream: Stream, spec) -> int:
    """Trim as Redis does (Stream.trim). With `~` and no LIMIT, the work is capped at 100
    nodes' worth of entries; no cap for the primary's link or the AOF loader, which replay
    what was already trimmed, nor for exact trimming."""
    strategy, approx, threshold, limit = spec
    if client.obeys_unconditionally or not approx:
        limit = 0
    elif limit is None:
        limit = 100 * client.server.config["stream-node-max-entries"]
        limit = 10000 if limit <= 0 else min(limit, 1000000)
    if strategy == b"maxlen":
        return stream.trim(maxlen=threshold, approx=approx, limit=limit)
    return stream.trim(minid=threshold, approx=approx, limit=limit)


def node_limits(client) -> tuple:
    """(stream-node-max-entries, stream-node-max-bytes): where a stream's nodes split."""
    config = client.server.config
    return config["stream-node-max-entries"], config["stream-node-max-bytes"]


def _next_auto_id(stream: Stream, ms=None):
    """The id of `*` (ms None) or `ms-*`."""
    last_ms, last_seq = stream.last_id
    if ms is not None and ms == last_ms and last_seq == U64:  # ms-* cannot move to ms+1
        raise CommandError("ERR The ID specified in XADD is equal or smaller than the target "
                           "stream top item")
    if ms is None:
        ms = max(now_ms(), last_ms)
    if ms == last_ms:
        if last_seq == U64:
            if ms == U64:
                raise CommandError("ERR The stream has exhausted the last possible ID, unable "
                                   "to add more items")
            return (ms + 1, 0)
        return (ms, last_seq + 1)
    if ms < last_ms:
        raise CommandError("ERR The ID specified in XADD is equal or smaller than the target "
                           "stream top item")
    return (ms, 0)


@command("xadd", -5, "write denyoom fast", (1, 1, 1), G, "Appends a new message to a stream. "
         "Creates the key if it doesn't exist.", "5.0.0")
def xadd(client, args):
    if args[2] == b"*" and len(args) % 2:  # XADD key * field value ...: nothing to parse
        return _xadd_plain(client, args[1], args[3:])
    parsed = _parse_add_or_trim(client, args, xadd=True)
    nomkstream, trim_spec, explicit = parsed.nomkstream, parsed.trim, parsed.explicit
    i = len(args) if parsed.id_at is None else parsed.id_at  # (no ID: too few arguments)
    fields = args[i + 1:]
    if not fields or len(fields) % 2:
        raise CommandError(errors.wrong_arity("xadd"))
    if explicit == (0, 0):  # (before the key is looked at: no stream is made for it)
        raise CommandError("ERR The ID specified in XADD must be greater than 0-0")
    db = client.db
    stream = _stream(client, args[1], write=True)
    if stream is None:
        if nomkstream:
            return None
        stream = Stream()
        db.add(args[1], stream)
    if stream.last_id == MAX_ID:
        raise CommandError("ERR The stream has exhausted the last possible ID, unable to add "
                           "more items")
    before = stream.nbytes
    if explicit is None:
        new_id = _next_auto_id(stream)
    elif explicit[1] is None:
        new_id = _next_auto_id(stream, explicit[0])
    else:
        if explicit <= stream.last_id:
            raise CommandError("ERR The ID specified in XADD is equal or smaller than the "
                               "target stream top item")
        new_id = explicit
    stream.add(new_id, [bytes(f) for f in fields], node_limits(client))
    trimmed = trim(client, stream, trim_spec) if trim_spec is not None else 0
    db.resized(args[1], stream.nbytes - before)
    modified(client, args[1])
    if trimmed:  # ('xtrim' after 'xadd', as Redis tells of a trim that removed entries)
        modified(client, args[1], event="xtrim", changes=0)
    return format_id(new_id)


def _xadd_plain(client, key, fields: list) -> bytes:
    """XADD key * field value ...: the form without options or an explicit ID."""
    stream = _stream(client, key, write=True)
    if stream is None:
        stream = Stream()
        client.db.add(key, stream)
    before = stream.nbytes
    new_id = _next_auto_id(stream)
    stream.add(new_id, list(map(bytes, fields)), node_limits(client))
    client.db.resized(key, stream.nbytes - before)
    modified(client, key)
    return b"%d-%d" % new_id


def _xadd_stretch(client, key, commands) -> list:
    """Consecutive `XADD key * field value` (keyed_runs): one lookup, one size update; other
    forms of a 5-argument XADD (an explicit ID, an option where the ID goes) one by one."""
    if any(args[2] != b"*" for args in commands):
        return one_by_one(client, commands, xadd)
    db = client.db
    stream = _stream(client, key, write=True)
    if stream is None:
        stream = Stream()
        db.add(key, stream)
    touch_again(db, key, len(commands) - 1)
    before = stream.nbytes
    limits = node_limits(client)
    replies = []
    for args in commands:
        try:
            new_id = _next_auto_id(stream)
        except CommandError as exc:  # the last possible ID was taken
            replies.append(ErrorReply(exc.message))
            continue
        stream.add(new_id, [bytes(args[3]), bytes(args[4])], limits)
        replies.append(format_id(new_id))
    db.resized(key, stream.nbytes - before)
    added = sum(type(reply) is bytes for reply in replies)
    if added:
        modified(client, key, changes=added)
    return replies


keyed_run("xadd", 5, _xadd_stretch)


@command("xlen", 2, "readonly fast", (1, 1, 1), G, "Return the number of messages in a stream.",
         "5.0.0")
def xlen(client, args):
    stream = _stream(client, args[1])
    return 0 if stream is None else stream.length


def _range(client, args, reverse: bool):
    start_arg, end_arg = (args[3], args[2]) if reverse else (args[2], args[3])
    start = parse_range_id(start_arg, True)
    end = parse_range_id(end_arg, False)
    count = None
    if len(args) == 6 and lower(args[4]) == b"count":
        count = max(to_int(args[5]), 0)
    elif len(args) != 4:
        raise CommandError(errors.SYNTAX)
    stream = _stream(client, args[1])
    if stream is None:
        return []
    if count == 0:
        return NULL_ARRAY  # Redis answers COUNT 0 (or negative) with a null array
    if start > end:
        return []
    return [entry_reply(i, f) for i, f in stream.range(start, end, count, reverse)]


@command("xrange", -4, "readonly", (1, 1, 1), G, "Returns the messages from a stream within a "
         "range of IDs.", "5.0.0")
def xrange(client, args):
    return _range(client, args, False)


@command("xrevrange", -4, "readonly", (1, 1, 1), G, "Returns the messages from a stream within a "
         "range of IDs in reverse order.", "5.0.0")
def xrevrange(client, args):
    return _range(client, args, True)


@command("xdel", -3, "write fast", (1, 1, 1), G, "Returns the number of messages after removing "
         "them from a stream.", "5.0.0")
def xdel(client, args):
    stream = _stream(client, args[1], write=True)
    if stream is None:  # (as Redis: before the IDs are read)
        return 0
    ids = [parse_id(a) for a in args[2:]]
    before = stream.nbytes
    removed = 0
    for stream_id in ids:
        if stream.delete(stream_id):
            removed += 1
            stream.max_deleted = max(stream.max_deleted, stream_id)
    client.db.resized(args[1], stream.nbytes - before)
    if removed:
        modified(client, args[1])
    return removed


@command("xtrim", -4, "write", (1, 1, 1), G, "Deletes messages from the beginning of a stream.",
         "5.0.0")
def xtrim(client, args):
    spec = _parse_add_or_trim(client, args, xadd=False).trim
    stream = _stream(client, args[1], write=True)
    if stream is None:
        return 0
    before = stream.nbytes
    removed = trim(client, stream, spec)
    client.db.resized(args[1], stream.nbytes - before)
    if removed:
        modified(client, args[1])
    return removed


@command("xsetid", -3, "write denyoom fast", (1, 1, 1), G, "An internal command for replicating "
         "stream values.", "5.0.0")
def xsetid(client, args):
    new_last = parse_id(args[2])
    entries_added = max_deleted = None
    i = 3
    while i < len(args):
        opt = lower(args[i])
        if opt == b"entriesadded" and i + 1 < len(args):
            entries_added = to_int(args[i + 1])
            if entries_added < 0:
                raise CommandError("ERR entries_added must be positive")
        elif opt == b"maxdeletedid" and i + 1 < len(args):
            max_deleted = parse_id(args[i + 1])
            if new_last < max_deleted:
                raise CommandError("ERR The ID specified in XSETID is smaller than the provided "
                                   "max_deleted_entry_id")
        else:
            raise CommandError(errors.SYNTAX)
        i += 2
    stream = _stream(client, args[1], write=True)
    if stream is None:
        raise CommandError("ERR no such key")
    if stream.length and new_last < stream.last_id:
        raise CommandError("ERR The ID specified in XSETID is smaller than the target stream "
                           "top item")
    if entries_added is not None and stream.length > entries_added:
        raise CommandError("ERR The entries_added specified in XSETID is smaller than the "
                           "target stream length")
    stream.last_id = new_last
    if entries_added is not None:
        stream.entries_added = entries_added
    if max_deleted is not None:
        stream.max_deleted = max_deleted
    modified(client, args[1])
    return OK


# -- XREAD / XREADGROUP -------------------------------------------------------------------------
def _parse_read(args, group_mode: bool, in_script: bool = False):
    count = None
    block = None
    noack = False
    group = consumer = None
    i = 1
    while i < len(args):
        opt = lower(args[i])
        if opt == b"count" and i + 1 < len(args):
            count = max(to_int(args[i + 1]), 0) or None
            i += 2
        elif opt == b"block" and i + 1 < len(args):
            if in_script:  # Redis refuses it outright there, rather than not blocking
                raise CommandError(f"ERR {'xreadgroup' if group_mode else 'xread'} command is "
                                   "not allowed with BLOCK option from scripts")
            block = to_timeout_ms(args[i + 1])
            i += 2
        elif opt == b"group" and group_mode and i + 2 < len(args):
            group, consumer = args[i + 1], args[i + 2]
            i += 3
        elif opt == b"noack" and group_mode:
            noack = True
            i += 1
        elif opt == b"streams":
            i += 1
            break
        else:
            raise CommandError(errors.SYNTAX)
    else:
        raise CommandError(errors.SYNTAX)
    rest = args[i:]
    name, special = ("xreadgroup", ">") if group_mode else ("xread", "$")
    if not rest or len(rest) % 2:  # (7.2 names the special ID each command takes)
        raise CommandError(f"ERR Unbalanced '{name}' list of streams: for each stream key an "
                           f"ID or '{special}' must be specified.")
    half = len(rest) // 2
    return count, block, noack, group, consumer, rest[:half], rest[half:]


def _read_reply(client, results):
    if not results:
        return NULL_ARRAY
    if client.resp3:
        return {key: entries for key, entries in results}
    return [[key, entries] for key, entries in results]


@command("xread", -4, "readonly blocking", (0, 0, 0), G, "Returns messages from multiple streams "
         "with IDs greater than the ones requested. Blocks until a message is available "
         "otherwise.", "5.0.0")
def xread(client, args):
    count, block_ms, _, _, _, keys, ids = _parse_read(args, False, client.in_script)
    db = client.db
    starts = []
    for key, id_arg in zip(keys, ids):
        stream = _stream(client, key)
        if id_arg == b"$":
            starts.append(stream.last_id if stream is not None else (0, 0))
        elif id_arg == b">":
            raise CommandError("ERR The > ID can be specified only when calling XREADGROUP "
                               "using the GROUP <group> <consumer> option.")
        else:
            starts.append(parse_id(id_arg))

    def collect(db):
        results = []
        for key, start in zip(keys, starts):  # (Redis's second lookup of each key, a read too)
            stream = read_typed(db, key, Stream)
            if stream is None:
                continue
            entries = stream.after(start, count)
            if entries:
                results.append([key, [entry_reply(i, f) for i, f in entries]])
        return results

    results = collect(db)
    if results or block_ms is None:
        return _read_reply(client, results)

    def attempt(db, key):
        for each_key in keys:  # (Redis 7.2 runs the command again: its first lookups too)
            read_typed(db, each_key, Stream)
        found = collect(db)
        return _read_reply(client, found) if found else None

    return block(client, keys, attempt, block_ms / 1000, NULL_ARRAY, Stream)


def _text(value) -> str:
    """A key, group or option in an error as Redis's '%s' prints it: raw bytes, up to the
    first NUL (the error writer encodes them back with surrogateescape)."""
    return bytes(value).split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
