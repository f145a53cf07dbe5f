"""Values <-> plain descriptions (type name + lists, pairs, dicts) that the RDB codec in
ops/rdb reads and writes; shared by DUMP/RESTORE and snapshot files."""

from ops.rdb.codec import RDBError

from .containers import Hash, List, Set, ZSet
from .database import type_name
from .stream import Group, PendingEntry, Stream


def describe(value):
    """(type name, plain contents) of a value, as ops.rdb.objects.write_object takes them."""
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
            # the file keeps Redis's node boundaries: (master id, master fields, live
            # entries) per node (deleted entries are gone from memory: not written)
            "nodes": [(node.master_id, node.fields, node.live)
                      for node in stream.nodes.nodes if node.live],
            "length": stream.length, "last_id": stream.last_id, "first_id": stream.first_id,
            "max_deleted": stream.max_deleted, "entries_added": stream.entries_added,
            "groups": groups}


def _stream_from(description: dict):
    stream = Stream()
    entries = iter(description["entries"])
    for node in description["nodes"]:  # the file's nodes, as they were
        _restore_node(stream, entries, *node)
    stream.last_id = description["last_id"]
    stream.first_id = description.get("first_id", stream.first_id)
    stream.max_deleted = description.get("max_deleted", (0, 0))
    stream.entries_added = description.get("entries_added", stream.length)
    for spec in description["groups"]:
        entries_read = spec["entries_read"]
        if entries_read is None:  # a legacy file's group: estimated as Redis loads it
            entries_read = stream.estimate_entries_read(spec["last_id"])
        group = Group(spec["name"], spec["last_id"], entries_read)
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


def _restore_node(stream, entries, master_id, fields, live, deleted=0, size=0) -> None:
    """One node of a snapshot: its live entries (taken from `entries`), and where the file
    says so its deleted ones and its listpack's size, which decide when it is full."""
    if not live:
        return  # Redis keeps a node of deleted entries only after some trims: nothing to read
    node = stream.nodes.open(master_id, tuple(bytes(f) for f in fields))
    for _ in range(live):
        stream_id, values = next(entries)
        stream.add(stream_id, [bytes(f) for f in values], (0, 0))
    node.deleted = deleted
    if size:
        node.body = size - node.listpack_bytes() + node.body


def build(kind: str, contents):
    """The value for (type name, plain contents) read by ops.rdb.objects.read_object."""
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


