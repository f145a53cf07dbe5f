"""Stream consumer groups: XGROUP XREADGROUP XACK XPENDING XCLAIM XAUTOCLAIM, and XINFO."""

from .. import errors
from ..command_table import command, container
from ..errors import CommandError
from ..keyspace.stream import MAX_ID, Group, PendingEntry, Stream, format_id, now_ms
from ..replies import NULL_ARRAY, OK
from .common import block, lower, modified, read_typed, to_int
from .streams import G, _parse_read, _read_reply, _stream, _text, entry_reply, parse_id, \
    parse_range_id


def _group(client, key, name, command_name: str, counted: bool = True):
    """`counted` False: the caller read the key already (Redis's lookupKeyRead, one hit or
    miss)."""
    stream = _stream(client, key, write=not counted)  # (a read lookup in Redis)
    group = None if stream is None else stream.groups.get(name)
    if group is None:
        suffix = f" in {command_name.upper()} with GROUP option" if command_name else ""
        raise CommandError(f"NOGROUP No such key '{_text(key)}' or consumer group "
                           f"'{_text(name)}'{suffix}")
    return stream, group


def _deliver_new(stream, group, consumer, count, noack, now):
    entries = stream.after(group.last_id, count)
    for stream_id, _ in entries:
        _advance(stream, group, stream_id)
        if not noack:
            old = group.pel.get(stream_id)
            if old is not None:
                old.consumer.pending.pop(stream_id, None)
            group.pel[stream_id] = PendingEntry(consumer, now)
            consumer.pending[stream_id] = None
    return entries


def _advance(stream, group, stream_id) -> None:
    """Move the group past `stream_id`, keeping Redis's logical read counter."""
    if stream_id > group.last_id:
        if group.entries_read != -1 and not _has_tombstones(stream, stream_id):
            group.entries_read += 1
        elif stream.entries_added:
            group.entries_read = stream.estimate_entries_read(stream_id)
        group.last_id = stream_id


def _has_tombstones(stream, start) -> bool:
    """Is there a deleted entry at or after `start` (Redis's streamRangeHasTombstones)?"""
    if not stream.length or stream.max_deleted == (0, 0):
        return False
    return start <= stream.max_deleted


def _history(stream, group, consumer, start, count):
    out = []
    for stream_id in sorted(i for i in consumer.pending if i > start):
        if count is not None and len(out) >= count:
            break
        entry = group.pel.get(stream_id)
        if entry is not None:
            entry.delivery_count += 1
            entry.delivery_time = now_ms()
        out.append((stream_id, stream.entries.get(stream_id)))
    return out


@command("xreadgroup", -7, "write blocking", (0, 0, 0), G, "Returns new or historical messages "
         "from a stream for a consumer in a group. Blocks until a message is available "
         "otherwise.", "5.0.0")
def xreadgroup(client, args):
    count, block_ms, noack, group_name, consumer_name, keys, ids = _parse_read(
        args, True, client.in_script)
    if group_name is None:
        raise CommandError("ERR Missing GROUP option for XREADGROUP")
    targets = []
    for key, id_arg in zip(keys, ids):  # (key by key: its group, then its ID, as Redis)
        stream, group = _group(client, key, group_name, "xreadgroup")
        if id_arg == b"$":
            raise CommandError(
                "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the "
                "history of this consumer by specifying a proper ID, or use the > ID to get new "
                "messages. The $ ID would just return an empty result set.")
        targets.append((key, None if id_arg == b">" else parse_id(id_arg)))

    def collect(db):
        results = []
        now = now_ms()
        for key, start in targets:  # (Redis's second lookup of each key: a read one again)
            stream = read_typed(db, key, Stream)
            group = None if stream is None else stream.groups.get(group_name)
            if group is None:
                continue
            created = group.consumer(consumer_name, create=False) is None
            consumer = _consumer(client, db, key, group, consumer_name)
            if noack and created:  # (until propagated: a blocked read comes back here)
                consumer.unannounced = True
            consumer.seen_time = now
            if start is None:
                served = _deliver_new(stream, group, consumer, count, noack, now)
                if served:
                    consumer.active_time = now
            else:
                served = _history(stream, group, consumer, start, count)
            if served or start is not None:
                results.append([key, [entry_reply(i, f) for i, f in served]])
                # a served stream is a change (Redis's dirty++, with no key signal): it
                # propagates as server/effects.py's XCLAIMs or XGROUP SETID
                client.server.keyspace.dirty += 1
        return results

    results = collect(client.db)
    if any(entries for _, entries in results) or block_ms is None or any(
            start is not None for _, start in targets):
        return _read_reply(client, results)

    def attempt(db, key):
        # Redis 7.2 runs the command again: a stream or group gone (DEL, a new type, XGROUP
        # DESTROY, FLUSHDB, SWAPDB) fails it as it would fail now
        for each_key in keys:
            _group(client, each_key, group_name, "xreadgroup")
        found = collect(db)
        return _read_reply(client, found) if any(e for _, e in found) else None

    return block(client, keys, attempt, block_ms / 1000, NULL_ARRAY, Stream,
                 unblock_on_nokey=True)


@command("xack", -4, "write fast", (1, 1, 1), G, "Returns the number of messages that were "
         "successfully acknowledged by the consumer group member of a stream.", "5.0.0")
def xack(client, args):
    stream = _stream(client, args[1])  # (a read lookup, as Redis's)
    group = None if stream is None else stream.groups.get(args[2])
    if group is None:  # (as Redis: before the IDs are read)
        return 0
    ids = [parse_id(a) for a in args[3:]]
    acked = 0
    for stream_id in ids:
        entry = group.pel.pop(stream_id, None)
        if entry is not None:
            entry.consumer.pending.pop(stream_id, None)
            acked += 1
    client.server.keyspace.dirty += acked  # as Redis: no key signal, but it propagates
    return acked


@command("xpending", -3, "readonly", (1, 1, 1), G, "Returns the information and entries from a "
         "stream consumer group's pending entries list.", "5.0.0")
def xpending(client, args):
    """Arguments read in Redis's order: their count, IDLE, the count, start, end (a
    consumer after them, anything after it ignored)."""
    if len(args) != 3 and not 6 <= len(args) <= 9:
        raise CommandError(errors.SYNTAX)
    extended = len(args) >= 6
    min_idle, consumer_name = 0, None
    if extended:
        first = 3
        if lower(args[3]) == b"idle":
            min_idle = to_int(args[4])
            if len(args) < 8:
                raise CommandError(errors.SYNTAX)
            first = 5
        count = to_int(args[first + 2])
        start = parse_range_id(args[first], True)
        end = parse_range_id(args[first + 1], False)
        if first + 3 < len(args):
            consumer_name = args[first + 3]
    stream, group = _group(client, args[1], args[2], "")
    if not extended:
        if not group.pel:
            return [0, None, None, NULL_ARRAY]
        ids = group.pel_ids()
        per_consumer = {}
        for stream_id in ids:
            name = group.pel[stream_id].consumer.name
            per_consumer[name] = per_consumer.get(name, 0) + 1
        return [len(ids), format_id(ids[0]), format_id(ids[-1]),
                [[name, b"%d" % n] for name, n in sorted(per_consumer.items())]]
    now = now_ms()
    out = []
    if count <= 0:
        return out
    for stream_id in group.pel_ids():
        if not start <= stream_id <= end:
            continue
        entry = group.pel[stream_id]
        if consumer_name is not None and entry.consumer.name != consumer_name:
            continue
        idle = now - entry.delivery_time
        if idle < min_idle:
            continue
        out.append([format_id(stream_id), entry.consumer.name, idle, entry.delivery_count])
        if len(out) >= count:
            break
    return out


def _claim_options(args, i):
    options = {"idle": None, "time": None, "retrycount": None, "force": False, "justid": False,
               "lastid": None}
    while i < len(args):
        opt = lower(args[i])
        if opt in (b"idle", b"time", b"retrycount") and i + 1 < len(args):
            options[opt.decode()] = to_int(
                args[i + 1], f"ERR Invalid {opt.decode().upper()} option argument for XCLAIM")
            i += 2
        elif opt == b"force":
            options["force"] = True
            i += 1
        elif opt == b"justid":
            options["justid"] = True
            i += 1
        elif opt == b"lastid" and i + 1 < len(args):
            options["lastid"] = parse_id(args[i + 1])
            i += 2
        else:
            raise CommandError(f"ERR Unrecognized XCLAIM option '{_text(args[i])}'")
    return options


@command("xclaim", -6, "write fast", (1, 1, 1), G, "Changes, or acquires, ownership of a message "
         "in a consumer group, as if the message was delivered a consumer group member.",
         "5.0.0")
def xclaim(client, args):
    stream, group = _group(client, args[1], args[2], "")  # (Redis looks first, then parses)
    min_idle = to_int(args[4], "ERR Invalid min-idle-time argument for XCLAIM")
    ids = []
    i = 5
    while i < len(args):
        try:
            ids.append(parse_id(args[i]))
        except CommandError:
            break
        i += 1
    options = _claim_options(args, i)
    now = now_ms()
    delivery_time = now
    if options["idle"] is not None:
        delivery_time = now - options["idle"]
    elif options["time"] is not None:
        delivery_time = options["time"]
    if options["lastid"] is not None and options["lastid"] > group.last_id:
        group.last_id = options["lastid"]
    consumer = None  # created with the first claim, as in Redis
    claimed = []
    for stream_id in ids:
        entry = group.pel.get(stream_id)
        exists = stream_id in stream.entries
        if entry is not None and not exists:
            group.forget(stream_id)
            continue
        if entry is None and (not options["force"] or not exists):
            continue
        if entry is not None and min_idle and now - entry.delivery_time < min_idle:
            continue
        if consumer is None:
            consumer = _consumer(client, client.db, args[1], group, args[3])
        if entry is None:
            entry = group.pel[stream_id] = PendingEntry(consumer, now, 0)
        group.hand_over(stream_id, consumer, delivery_time)
        if options["retrycount"] is not None:
            entry.delivery_count = options["retrycount"]
        elif not options["justid"]:
            entry.delivery_count += 1
        consumer.active_time = now
        claimed.append(stream_id)
    modified(client, args[1], notify=False)  # Redis announces no XCLAIM event
    if options["justid"]:
        return [format_id(s) for s in claimed]
    return [entry_reply(s, stream.entries[s]) for s in claimed]


@command("xautoclaim", -6, "write fast", (1, 1, 1), G, "Changes, or acquires, ownership of "
         "messages in a consumer group, as if the messages were delivered to as consumer group "
         "member.", "6.2.0")
def xautoclaim(client, args):
    client.db.lookup_read(args[1])  # a keyspace hit or miss before the arguments, as Redis
    min_idle = to_int(args[4], "ERR Invalid min-idle-time argument for XAUTOCLAIM")
    start = parse_range_id(args[5], True)
    count, justid = 100, False
    i = 6
    while i < len(args):
        opt = lower(args[i])
        if opt == b"count" and i + 1 < len(args):
            # (LONG_MAX over the larger of a stream ID's 16 bytes and the attempts factor)
            count = to_int(args[i + 1], "ERR COUNT must be > 0")
            if not 1 <= count <= (2**63 - 1) // 16:
                raise CommandError("ERR COUNT must be > 0")
            i += 2
        elif opt == b"justid":
            justid = True
            i += 1
        else:
            raise CommandError(errors.SYNTAX)
    stream, group = _group(client, args[1], args[2], "", counted=False)
    consumer = None  # created with the first claim, as in Redis
    now = now_ms()
    claimed, deleted = [], []
    next_start = (0, 0)
    candidates = [s for s in group.pel_ids() if s >= start]
    attempts = count * 10
    room = count  # entries the reply may still hold: claimed and deleted ones both count
    for stream_id in candidates:
        if room <= 0 or attempts <= 0:
            next_start = stream_id
            break
        attempts -= 1
        entry = group.pel[stream_id]
        if stream_id not in stream.entries:
            group.forget(stream_id)
            deleted.append(format_id(stream_id))
            room -= 1
            continue
        if min_idle and now - entry.delivery_time < min_idle:
            continue
        if consumer is None:
            consumer = _consumer(client, client.db, args[1], group, args[3])
        group.hand_over(stream_id, consumer, now)
        if not justid:
            entry.delivery_count += 1
        claimed.append(stream_id)
        room -= 1
    if consumer is not None:
        consumer.active_time = now
    modified(client, args[1], notify=False)  # nor an XAUTOCLAIM one
    body = ([format_id(s) for s in claimed] if justid
            else [entry_reply(s, stream.entries[s]) for s in claimed])
    return [format_id(next_start), body, deleted]


def _consumer(client, db, key, group, name):
    """The group's consumer `name`, created if new: announced as Redis does for a consumer
    XREADGROUP, XCLAIM or XAUTOCLAIM create (xgroup-createconsumer)."""
    consumer = group.consumer(name, create=False)
    if consumer is None:
        consumer = group.consumer(bytes(name))
        modified(client, key, db=db, event="xgroup-createconsumer")
    return consumer


# -- XGROUP -----------------------------------------------------------------------------------
container("xgroup", -2, "", G, "A container for consumer groups commands.", "5.0.0")


def _group_start(stream: Stream, value, extremes: bool = False):
    """XGROUP CREATE / SETID's id: `$` (the last entry) or an id; SETID also takes `-` and
    `+` (Redis parses CREATE's strictly)."""
    if value == b"$":
        return stream.last_id
    if extremes and value in (b"-", b"+"):
        return MAX_ID if value == b"+" else (0, 0)
    return parse_id(value)


def _entries_read_option(args, i):
    if i < len(args):
        if lower(args[i]) != b"entriesread" or i + 1 >= len(args):
            raise CommandError(errors.SYNTAX)
        value = to_int(args[i + 1])
        if value < -1:
            raise CommandError("ERR value for ENTRIESREAD must be positive or -1")
        return value
    return None


@command("create", -5, "write denyoom", (2, 2, 1), G, "Creates a consumer group.", "5.0.0",
         parent="xgroup")
def xgroup_create(client, args):
    mkstream = False
    i = 5
    if i < len(args) and lower(args[i]) == b"mkstream":
        mkstream = True
        i += 1
    entries_read = _entries_read_option(args, i)
    db = client.db
    stream = _stream(client, args[2], write=True)
    if stream is None:
        if not mkstream:
            raise CommandError(
                "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you "
                "may want to use the MKSTREAM option to create an empty stream automatically.")
        stream = Stream()
        db.add(args[2], stream)
    if args[3] in stream.groups:
        raise CommandError("BUSYGROUP Consumer Group name already exists")
    start = _group_start(stream, args[4])
    entries_read = -1 if entries_read is None else entries_read
    stream.groups[bytes(args[3])] = Group(bytes(args[3]), start, entries_read)
    modified(client, args[2], event="xgroup-create")
    return OK


@command("setid", -5, "write", (2, 2, 1), G, "Sets the last-delivered ID of a consumer group.",
         "5.0.0", parent="xgroup")
def xgroup_setid(client, args):
    entries_read = _entries_read_option(args, 5)
    stream, group = _xgroup_target(client, args)
    group.last_id = _group_start(stream, args[4], extremes=True)
    group.entries_read = -1 if entries_read is None else entries_read
    modified(client, args[2], event="xgroup-setid")
    return OK


def _xgroup_target(client, args):
    stream = _stream(client, args[2], write=True)
    if stream is None:
        raise CommandError(
            "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
            "want to use the MKSTREAM option to create an empty stream automatically.")
    group = stream.groups.get(args[3])
    if group is None:
        raise CommandError(f"NOGROUP No such consumer group '{_text(args[3])}' for key name "
                           f"'{_text(args[2])}'")
    return stream, group


@command("destroy", 4, "write", (2, 2, 1), G, "Destroys a consumer group.", "5.0.0",
         parent="xgroup")
def xgroup_destroy(client, args):
    stream = _stream(client, args[2], write=True)
    if stream is None:
        raise CommandError(
            "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
            "want to use the MKSTREAM option to create an empty stream automatically.")
    if stream.groups.pop(args[3], None) is None:
        return 0
    modified(client, args[2], event="xgroup-destroy")
    return 1


@command("createconsumer", 5, "write denyoom", (2, 2, 1), G, "Creates a consumer in a consumer "
         "group.", "6.2.0", parent="xgroup")
def xgroup_createconsumer(client, args):
    stream, group = _xgroup_target(client, args)
    if args[4] in group.consumers:
        return 0
    group.consumer(bytes(args[4]))
    modified(client, args[2], event="xgroup-createconsumer")
    return 1


@command("delconsumer", 5, "write", (2, 2, 1), G, "Deletes a consumer from a consumer group.",
         "5.0.0", parent="xgroup")
def xgroup_delconsumer(client, args):
    stream, group = _xgroup_target(client, args)
    consumer = group.consumers.pop(args[4], None)
    if consumer is None:
        return 0
    for stream_id in consumer.pending:
        group.pel.pop(stream_id, None)
    modified(client, args[2], event="xgroup-delconsumer")
    return len(consumer.pending)


@command("help", 2, "loading stale", (0, 0, 0), G, "Returns helpful text about the different "
         "subcommands.", "5.0.0", parent="xgroup")
def xgroup_help(client, args):
    return ["XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM", "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>", "    Remove the specified consumer.",
            "DESTROY <key> <groupname>", "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
            "HELP", "    Prints this help."]


# -- XINFO ------------------------------------------------------------------------------------
container("xinfo", -2, "", G, "A container for stream introspection commands.", "5.0.0")


def _lag(stream: Stream, group: Group):
    """Redis's streamReplyWithCGLag: exact, estimated, or unknown (None)."""
    if not stream.entries_added:
        return 0
    if group.entries_read != -1 and not _has_tombstones(stream, group.last_id):
        return stream.entries_added - group.entries_read
    estimate = stream.estimate_entries_read(group.last_id)
    return None if estimate == -1 else stream.entries_added - estimate


def _group_info(stream, group):
    pending = group.pel_ids()
    return {"name": group.name, "consumers": len(group.consumers), "pending": len(pending),
            "last-delivered-id": format_id(group.last_id),
            "entries-read": None if group.entries_read == -1 else group.entries_read,
            "lag": _lag(stream, group)}


@command("stream", -3, "readonly", (2, 2, 1), G, "Returns information about a stream.", "5.0.0",
         parent="xinfo")
def xinfo_stream(client, args):
    stream = _stream(client, args[2])  # (the key first, then [FULL [COUNT n]], as Redis)
    if stream is None:
        raise CommandError(errors.NO_SUCH_KEY)
    full = len(args) > 3
    count = 10
    if full:
        options = [lower(arg) for arg in args[3:5]]
        if len(args) not in (4, 6) or options[0] != b"full" or options[1:] not in ([], [b"count"]):
            raise CommandError(errors.subcommand_syntax(args[1], "xinfo"))
        if len(args) == 6:
            count = to_int(args[5])
            if count < 0:
                count = 10
    nodes = (stream.length + 99) // 100  # an estimate of Redis's listpack nodes (none: empty)
    info = {"length": stream.length, "radix-tree-keys": nodes, "radix-tree-nodes": nodes + 1,
            "last-generated-id": format_id(stream.last_id),
            "max-deleted-entry-id": format_id(stream.max_deleted),
            "entries-added": stream.entries_added,
            "recorded-first-entry-id": format_id(stream.first_id)}
    if not full:
        first = stream.range((0, 0), MAX_ID, 1)
        last = stream.range((0, 0), MAX_ID, 1, reverse=True)
        info["groups"] = len(stream.groups)
        info["first-entry"] = entry_reply(*first[0]) if first else None
        info["last-entry"] = entry_reply(*last[0]) if last else None
        return info
    limit = None if count == 0 else count
    info["entries"] = [entry_reply(i, f) for i, f in stream.range((0, 0), MAX_ID, limit)]
    groups = []
    for group in (stream.groups[name] for name in sorted(stream.groups)):
        entry = _group_info(stream, group)
        del entry["consumers"], entry["pending"]
        entry = {"name": group.name, "last-delivered-id": entry["last-delivered-id"],
                 "entries-read": entry["entries-read"], "lag": entry["lag"],
                 "pel-count": len(group.pel),
                 "pending": [[format_id(s), group.pel[s].consumer.name,
                              group.pel[s].delivery_time, group.pel[s].delivery_count]
                             for s in group.pel_ids()[:limit]],
                 "consumers": [{"name": c.name, "seen-time": c.seen_time,
                                "active-time": c.active_time, "pel-count": len(c.pending),
                                "pending": [[format_id(s), group.pel[s].delivery_time,
                                             group.pel[s].delivery_count]
                                            for s in sorted(c.pending)[:limit]]}
                               for c in sorted(group.consumers.values(), key=_by_name)]}
        groups.append(entry)
    info["groups"] = groups
    return info


def _by_name(consumer):
    return bytes(consumer.name)  # Redis lists consumers in name order (its radix tree's)


@command("groups", 3, "readonly", (2, 2, 1), G, "Returns a list of the consumer groups of a "
         "stream.", "5.0.0", parent="xinfo")
def xinfo_groups(client, args):
    stream = _stream(client, args[2])
    if stream is None:
        raise CommandError(errors.NO_SUCH_KEY)
    return [_group_info(stream, stream.groups[name]) for name in sorted(stream.groups)]


@command("consumers", 4, "readonly", (2, 2, 1), G, "Returns a list of the consumers in a "
         "consumer group.", "5.0.0", parent="xinfo")
def xinfo_consumers(client, args):
    stream = _stream(client, args[2])
    if stream is None:
        raise CommandError(errors.NO_SUCH_KEY)
    group = stream.groups.get(args[3])
    if group is None:
        raise CommandError(f"NOGROUP No such consumer group '{_text(args[3])}' for key name "
                           f"'{_text(args[2])}'")
    now = now_ms()
    return [{"name": c.name, "pending": len(c.pending), "idle": now - c.seen_time,
             "inactive": now - c.active_time if c.active_time >= 0 else -1}
            for c in sorted(group.consumers.values(), key=_by_name)]


@command("help", 2, "loading stale", (0, 0, 0), G, "Returns helpful text about the different "
         "subcommands.", "5.0.0", parent="xinfo")
def xinfo_help(client, args):
    return ["XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CONSUMERS <key> <groupname>", "    Show consumers of <groupname>.",
            "GROUPS <key>", "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
            "HELP", "    Prints this help."]
