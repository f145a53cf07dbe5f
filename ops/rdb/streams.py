"""Stream values <-> RDB (types STREAM_LISTPACKS 15, _2 19 and _3 21).

Entries live in listpack nodes keyed by a 128-bit master ID; each node starts with a master
entry (live count, deleted count, master field names) and stores entries as ID deltas, with
the fields omitted when they equal the master's. Consumer groups follow: last ID, entries read
(v2+), the pending entries list, then consumers with their own pending IDs.
"""

import struct

from .codec import RDBError, Reader, encode_length, encode_string
from .listpack import build_listpack
from .objects import read_listpack

STREAM_LISTPACKS, STREAM_LISTPACKS_2, STREAM_LISTPACKS_3 = 15, 19, 21
FLAG_DELETED, FLAG_SAMEFIELDS = 1, 2
NODE_ENTRIES = 100


def _raw_id(data: bytes):
    if len(data) != 16:
        raise RDBError("bad stream ID")
    return struct.unpack(">QQ", data)


def _to_int(value: bytes) -> int:
    return int(value)


def read_stream(kind: int, reader: Reader) -> dict:
    """A plain description: entries, ids and counters, groups (see write_stream)."""
    entries, nodes = [], []
    for _ in range(reader.length()[0]):
        master = _raw_id(reader.string())
        items = read_listpack(reader.string())
        live, deleted = _node_entries(master, items)
        entries += live
        nodes.append((len(live), deleted))
    description = {"entries": entries, "nodes": nodes, "length": reader.length()[0]}
    description["last_id"] = (reader.length()[0], reader.length()[0])
    if kind >= STREAM_LISTPACKS_2:
        description["first_id"] = (reader.length()[0], reader.length()[0])
        description["max_deleted"] = (reader.length()[0], reader.length()[0])
        description["entries_added"] = reader.length()[0]
    groups = []
    for _ in range(reader.length()[0]):
        group = {"name": reader.string(), "last_id": (reader.length()[0], reader.length()[0])}
        entries_read = reader.length()[0] if kind >= STREAM_LISTPACKS_2 else -1
        if entries_read >= 1 << 63:  # saved from a signed counter: -1 means unknown
            entries_read -= 1 << 64
        group["entries_read"] = entries_read
        pel = []
        for _ in range(reader.length()[0]):
            stream_id = _raw_id(reader.take(16))
            delivery_time = struct.unpack("<q", reader.take(8))[0]
            pel.append((stream_id, delivery_time, reader.length()[0]))
        group["pel"] = pel
        consumers = []
        for _ in range(reader.length()[0]):
            name = reader.string()
            seen = struct.unpack("<q", reader.take(8))[0]
            active = struct.unpack("<q", reader.take(8))[0] if kind >= STREAM_LISTPACKS_3 \
                else seen
            owned = [_raw_id(reader.take(16)) for _ in range(reader.length()[0])]
            consumers.append({"name": name, "seen": seen, "active": active, "pending": owned})
        group["consumers"] = consumers
        groups.append(group)
    description["groups"] = groups
    return description


def _node_entries(master, items: list) -> tuple:
    """(the node's live entries, its count of deleted ones)."""
    ints = iter(items)

    def take():
        return next(ints)

    count, deleted = _to_int(take()), _to_int(take())
    master_fields = [take() for _ in range(_to_int(take()))]
    take()  # the master entry's terminating 0
    out = []
    for _ in range(count + deleted):
        flags = _to_int(take())
        stream_id = (master[0] + _to_int(take()), master[1] + _to_int(take()))
        if flags & FLAG_SAMEFIELDS:
            fields = []
            for name in master_fields:
                fields += [name, take()]
        else:
            fields = []
            for _ in range(_to_int(take())):
                fields += [take(), take()]
        take()  # lp-count
        if not flags & FLAG_DELETED:
            out.append((stream_id, fields))
    return out, deleted


def write_stream(description: dict, compression: bool = True, version: int = 11) -> bytes:
    """Type byte + encoding: STREAM_LISTPACKS_3 as Redis 7.2 writes (RDB 11), or
    STREAM_LISTPACKS_2 (no consumer active-time) for RDB 10 readers."""
    v3 = version >= 11
    out = bytearray([STREAM_LISTPACKS_3 if v3 else STREAM_LISTPACKS_2])
    entries = description["entries"]
    sizes = [live for live, _ in description["nodes"]] if "nodes" in description else \
        [NODE_ENTRIES] * ((len(entries) + NODE_ENTRIES - 1) // NODE_ENTRIES)
    nodes, start = [], 0
    for size in sizes:
        nodes.append(entries[start:start + size])
        start += size
    out += encode_length(len(nodes))
    for node in nodes:
        master_id = node[0][0]
        master_fields = node[0][1][0::2]
        elements = [len(node), 0, len(master_fields), *master_fields, 0]
        for stream_id, fields in node:
            names = fields[0::2]
            same = names == master_fields
            entry = [FLAG_SAMEFIELDS if same else 0, stream_id[0] - master_id[0],
                     stream_id[1] - master_id[1]]
            if same:
                entry += fields[1::2]
            else:
                entry += [len(names), *fields]
            elements += entry + [len(entry)]
        out += encode_string(struct.pack(">QQ", *master_id), False)
        out += encode_string(build_listpack(elements), compression)
    out += encode_length(description["length"])
    for pair in (description["last_id"], description["first_id"], description["max_deleted"]):
        out += encode_length(pair[0]) + encode_length(pair[1])
    out += encode_length(description["entries_added"])
    out += encode_length(len(description["groups"]))
    for group in description["groups"]:
        out += encode_string(group["name"], compression)
        out += encode_length(group["last_id"][0]) + encode_length(group["last_id"][1])
        out += encode_length(group["entries_read"] & 0xFFFFFFFFFFFFFFFF)
        out += encode_length(len(group["pel"]))
        for stream_id, delivery_time, delivery_count in group["pel"]:
            out += struct.pack(">QQ", *stream_id) + struct.pack("<q", delivery_time)
            out += encode_length(delivery_count)
        out += encode_length(len(group["consumers"]))
        for consumer in group["consumers"]:
            out += encode_string(consumer["name"], compression)
            out += struct.pack("<q", consumer["seen"])
            if v3:
                out += struct.pack("<q", consumer["active"])
            out += encode_length(len(consumer["pending"]))
            for stream_id in consumer["pending"]:
                out += struct.pack(">QQ", *stream_id)
    return bytes(out)
