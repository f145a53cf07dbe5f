"""DUMP and RESTORE, byte-compatible with Redis's payload framing (RDB object + version +
CRC-64), for every data type (streams with their consumer groups)."""

from ops.rdb.codec import RDBError, Reader, frame_payload, unframe_payload
from ops.rdb.objects import read_object, write_object

from .. import errors
from ..command_table import command
from ..errors import CommandError
from ..keyspace import now_ms
from ..keyspace.containers import Hash, List, Set, ZSet
from ..keyspace.stream import Group, PendingEntry, Stream
from ..keyspace.database import type_name
from ..replies import OK
from .common import lower, modified, to_int

G = "generic"


def _contents(value):
    kind = type_name(value)
    if kind == "string":
        return kind, bytes(value)
    if kind == "list":
        return kind, list(value.items)
    if kind == "set":
        return kind, list(value.members)
    if kind == "zset":
        return kind, [(member, score) for score, member in value.order]
    if kind == "hash":
        return kind, list(value.fields.items())
    return kind, _stream_description(value)


def _stream_description(stream) -> dict:
    groups = []
    for group in stream.groups.values():
        groups.append({
            "name": group.name, "last_id": group.last_id, "entries_read": group.entries_read,
            "pel": [(stream_id, entry.delivery_time, entry.delivery_count)
                    for stream_id, entry in sorted(group.pel.items())],
            "consumers": [{"name": c.name, "seen": c.seen_time, "active": c.active_time,
                           "pending": sorted(c.pending)} for c in group.consumers.values()],
        })
    return {"entries": [(i, stream.entries[i]) for i in stream.ids],
            "length": stream.length, "last_id": stream.last_id, "first_id": stream.first_id,
            "max_deleted": stream.max_deleted, "entries_added": stream.entries_added,
            "groups": groups}


def _stream_from(description: dict):
    stream = Stream()
    for stream_id, fields in description["entries"]:
        stream.add(stream_id, [bytes(f) for f in fields])
    stream.last_id = description["last_id"]
    stream.first_id = description.get("first_id", stream.first_id)
    stream.max_deleted = description.get("max_deleted", (0, 0))
    stream.entries_added = description.get("entries_added", stream.length)
    for spec in description["groups"]:
        group = Group(spec["name"], spec["last_id"], spec["entries_read"])
        for consumer_spec in spec["consumers"]:
            consumer = group.consumer(consumer_spec["name"])
            consumer.seen_time, consumer.active_time = consumer_spec["seen"], consumer_spec["active"]
            for stream_id in consumer_spec["pending"]:
                consumer.pending[stream_id] = None
        owners = {i: c for c in group.consumers.values() for i in c.pending}
        for stream_id, delivery_time, delivery_count in spec["pel"]:
            owner = owners.get(stream_id)
            if owner is None:
                raise RDBError("pending entry without a consumer")
            group.pel[stream_id] = PendingEntry(owner, delivery_time, delivery_count)
        stream.groups[group.name] = group
    return stream


def _build(kind: str, contents):
    if kind == "string":
        return contents
    if kind == "list":
        return List(contents)
    if kind == "set":
        return Set.of(contents)
    if kind == "zset":
        z = ZSet()
        for member, score in contents:
            z.add(member, score)
        return z
    if kind == "stream":
        return _stream_from(contents)
    h = Hash()
    for field, value in contents:
        h.set(field, value)
    return h


@command("dump", 2, "readonly", (1, 1, 1), G, "Returns a serialized representation of the value "
         "stored at a key.", "2.6.0")
def dump(client, args):
    value = client.db.lookup_read(args[1])
    if value is None:
        return None
    kind, contents = _contents(value)
    return frame_payload(write_object(kind, contents, client.server.config["rdbcompression"]))


@command("restore", -4, "write denyoom", (1, 1, 1), G, "Creates a key from the serialized "
         "representation of a value.", "2.6.0")
def restore(client, args):
    key, payload = args[1], bytes(args[3])
    ttl = to_int(args[2])
    replace = absttl = False
    idle = freq = None
    i = 4
    while i < len(args):
        opt = lower(args[i])
        if opt == b"replace":
            replace = True
        elif opt == b"absttl":
            absttl = True
        elif opt == b"idletime" and i + 1 < len(args) and freq is None:
            idle = to_int(args[i + 1])
            if idle < 0:
                raise CommandError("ERR Invalid IDLETIME value, must be >= 0")
            i += 1  # access metadata arrives with the eviction work; the value is validated
        elif opt == b"freq" and i + 1 < len(args) and idle is None:
            freq = to_int(args[i + 1])
            if not 0 <= freq <= 255:
                raise CommandError("ERR Invalid FREQ value, must be >= 0 and <= 255")
            i += 1
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    if ttl < 0:
        raise CommandError("ERR Invalid TTL value, must be >= 0")
    db = client.db
    if not replace and db.lookup(key) is not None:
        raise CommandError("BUSYKEY Target key name already exists.")
    try:
        body = unframe_payload(payload)
    except RDBError:
        raise CommandError("ERR DUMP payload version or checksum are wrong") from None
    try:
        reader = Reader(body)
        kind, contents = read_object(reader.byte(), reader)
        if not reader.done():
            raise RDBError("trailing data")
    except (RDBError, ValueError, IndexError):
        raise CommandError("ERR Bad data format") from None
    deadline = (ttl if absttl else now_ms() + ttl) if ttl else None
    existed = db.delete(key)
    if deadline is not None and deadline <= now_ms():
        if existed:
            modified(client, key, event="del")
        return OK  # already expired: Redis answers OK and creates nothing
    db.add(key, _build(kind, contents))
    if deadline is not None:
        db.set_expire(key, deadline)
    modified(client, key, event="restore")
    return OK
