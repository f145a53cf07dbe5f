"""Stream values <-> RDB (types STREAM_LISTPACKS 15, _2 19 and _3 21).

Entries live in listpack nodes keyed by a 128-bit master ID; each node starts with a master
entry (live count, deleted count, master field names) and stores entries as ID deltas, with
the fields omitted when they equal the master's. Consumer groups follow: last ID, entries read
(v2+), the pending entries list, then consumers with their own pending IDs.
"""

import struct

from .codec import RDBError, Reader, encode_length, encode_string
from .listpack import as_int64, build_listpack, element_size, int_size
from .packed import Corrupt, read_listpack

STREAM_LISTPACKS, STREAM_LISTPACKS_2, STREAM_LISTPACKS_3 = 15, 19, 21
FLAG_DELETED, FLAG_SAMEFIELDS = 1, 2
U64 = (1 << 64) - 1
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


_LISTPACK_DAMAGED = "Stream listpack integrity check failed."


def _raw_id(data: bytes):
    return struct.unpack(">QQ", data)


def _to_int(value: bytes) -> int:
    """A listpack element that must be an integer (lpGetIntegerIfValid): an integer
    encoding, or text that is an int64's canonical form."""
    number = as_int64(value)
    if number is None:
        raise RDBError(_LISTPACK_DAMAGED)
    return number


def _unchecked(reader: Reader) -> int:
    """A stream counter or ID part. Redis's loader reads these without looking for a bad
    length encoding, so a damaged one holds RDB_LENERR (2^64 - 1) instead of failing the
    load: the same here."""
    first = reader.data[reader.pos] if reader.pos < len(reader.data) else 0
    if first >> 6 == 2 and first not in (0x80, 0x81):
        reader.pos += 1
        return U64
    return reader.length()[0]


def id_delta(part: int, master_part: int) -> int:
    """An ID part relative to the node's master ID, as Redis stores it: int64, wrapping."""
    return ((part - master_part + (1 << 63)) & U64) - (1 << 63)


def read_stream(kind: int, reader: Reader) -> dict:
    """A plain description: entries, ids and counters, groups (see write_stream). RDBError,
    with Redis's reason, for what its loader refuses (a damaged node, a node twice, a
    consumer twice, pending entries without their consumer, ...)."""
    entries, nodes, masters = [], [], set()
    for _ in range(reader.length()[0]):
        key = reader.string()
        if len(key) != 16:
            raise RDBError("Stream node key entry is not the size of a stream ID")
        master = _raw_id(key)
        blob = reader.string()
        try:
            items = read_listpack(blob)
        except Corrupt:
            raise RDBError(_LISTPACK_DAMAGED) from None
        if not items:
            raise RDBError("Empty listpack inside stream")
        if master in masters:
            raise RDBError("Listpack re-added with existing key")
        masters.add(master)
        live, deleted, fields = _node_entries(master, items)
        if entries and live and live[0][0] <= entries[-1][0]:
            raise RDBError(_LISTPACK_DAMAGED)  # (IDs only grow: Predis keeps them sorted)
        entries += live
        nodes.append((master, fields, len(live), deleted, len(blob)))
    description = {"entries": entries, "nodes": nodes, "length": _unchecked(reader)}
    if description["length"] and not nodes:
        raise RDBError("Stream length inconsistent with rax entries")
    description["last_id"] = (_unchecked(reader), _unchecked(reader))
    if kind >= STREAM_LISTPACKS_2:
        description["first_id"] = (_unchecked(reader), _unchecked(reader))
        description["max_deleted"] = (_unchecked(reader), _unchecked(reader))
        description["entries_added"] = _unchecked(reader)
    groups, names = [], set()
    for _ in range(reader.length()[0]):
        group = _read_group(kind, reader)
        if group["name"] in names:
            raise RDBError("Duplicated consumer group name "
                           + group["name"].decode(errors="replace"))
        names.add(group["name"])
        groups.append(group)
    description["groups"] = groups
    return description


def _read_group(kind: int, reader: Reader) -> dict:
    group = {"name": reader.string(), "last_id": (_unchecked(reader), _unchecked(reader))}
    # None: a file older than the counter (the stream estimates it once loaded)
    entries_read = _unchecked(reader) if kind >= STREAM_LISTPACKS_2 else None
    if entries_read is not None and entries_read >= 1 << 63:  # saved signed: -1 unknown
        entries_read -= 1 << 64
    group["entries_read"] = entries_read
    pel, unowned = [], set()
    for _ in range(reader.length()[0]):
        stream_id = _raw_id(reader.take(16))
        delivery_time = struct.unpack("<q", reader.take(8))[0]
        if stream_id in unowned:
            raise RDBError("Duplicated global PEL entry loading stream consumer group")
        unowned.add(stream_id)
        pel.append((stream_id, delivery_time, _unchecked(reader)))
    group["pel"] = pel
    consumers, names = [], set()
    for _ in range(reader.length()[0]):
        name = reader.string()
        if name in names:
            raise RDBError("Duplicate stream consumer detected.")
        names.add(name)
        seen = struct.unpack("<q", reader.take(8))[0]
        active = struct.unpack("<q", reader.take(8))[0] if kind >= STREAM_LISTPACKS_3 \
            else seen
        owned = [_raw_id(reader.take(16)) for _ in range(reader.length()[0])]
        for stream_id in owned:
            if stream_id not in unowned:
                pel_ids = {entry[0] for entry in pel}
                raise RDBError("Consumer entry not found in group global PEL"
                               if stream_id not in pel_ids else
                               "Duplicated consumer PEL entry  loading a stream consumer group")
            unowned.discard(stream_id)
        consumers.append({"name": name, "seen": seen, "active": active, "pending": owned})
    if unowned:
        raise RDBError("Stream CG PEL entry without consumer")
    group["consumers"] = consumers
    return group


def _node_entries(master, items: list) -> tuple:
    """(the node's live entries, its count of deleted ones, its master field names), checked
    as streamValidateListpackIntegrity checks a node: integers where integers belong, each
    entry's lp-count right, nothing after the last entry, IDs growing."""
    elements = iter(items)

    def take():
        try:
            return next(elements)
        except StopIteration:
            raise RDBError(_LISTPACK_DAMAGED) from None

    count, deleted = _to_int(take()), _to_int(take())
    master_fields = [take() for _ in range(_to_int(take()))]
    if _to_int(take()) != 0:  # the master entry's terminator
        raise RDBError(_LISTPACK_DAMAGED)
    out, previous = [], None
    for _ in range(count + deleted):
        flags = _to_int(take())
        stream_id = ((master[0] + _to_int(take())) & U64, (master[1] + _to_int(take())) & U64)
        if flags & FLAG_SAMEFIELDS:
            fields = []
            for name in master_fields:
                fields += [name, take()]
            elements_count = 3 + len(master_fields)  # flags, the ID's two parts, values
        else:
            fields = []
            for _ in range(_to_int(take())):
                fields += [take(), take()]
            elements_count = 4 + len(fields)  # and the field count, names and values
        if _to_int(take()) != elements_count:  # lp-count
            raise RDBError(_LISTPACK_DAMAGED)
        if previous is not None and stream_id <= previous:
            raise RDBError(_LISTPACK_DAMAGED)
        previous = stream_id
        if not flags & FLAG_DELETED:
            out.append((stream_id, fields))
    if next(elements, None) is not None:
        raise RDBError(_LISTPACK_DAMAGED)
    return out, deleted, master_fields


def entry_elements(stream_id, fields: list, master_id, master_fields) -> list:
    """An entry's listpack elements in a node: flags, the ID relative to the master ID, the
    values alone when the field names are the master entry's (else their count, then names
    and values), and the count of those (lp-count)."""
    names = fields[0::2]
    same = tuple(names) == tuple(master_fields)
    entry = [FLAG_SAMEFIELDS if same else 0, id_delta(stream_id[0], master_id[0]),
             id_delta(stream_id[1], master_id[1])]
    entry += fields[1::2] if same else [len(names), *fields]
    return entry + [len(entry)]


def entry_bytes(stream_id, fields: list, master_id, master_fields: tuple) -> int:
    """sum(map(element_size, entry_elements(...))): the entry's listpack bytes, computed
    without building it (stream nodes size every XADD with it)."""
    names = tuple(fields[0::2])
    ms, seq = stream_id[0] - master_id[0], stream_id[1] - master_id[1]
    if not (_INT64_MIN <= ms <= _INT64_MAX and _INT64_MIN <= seq <= _INT64_MAX):
        ms, seq = id_delta(stream_id[0], master_id[0]), id_delta(stream_id[1], master_id[1])
    size = 2 + int_size(ms) + int_size(seq)  # flags, then the ID's two deltas
    if names == master_fields:
        size += sum(map(element_size, fields[1::2]))
        count = 3 + len(names)
    else:
        size += int_size(len(names)) + sum(map(element_size, fields))
        count = 4 + len(fields)
    return size + int_size(count)  # + lp-count


def write_stream(description: dict, compression: bool = True, version: int = 11) -> bytes:
    """Type byte + encoding: STREAM_LISTPACKS_3 as Redis 7.2 writes (RDB 11), or
    STREAM_LISTPACKS_2 (no consumer active-time) for RDB 10 readers."""
    v3 = version >= 11
    out = bytearray([STREAM_LISTPACKS_3 if v3 else STREAM_LISTPACKS_2])
    entries, nodes = description["entries"], description["nodes"]
    out += encode_length(len(nodes))
    start = 0
    for master_id, master_fields, live, *_ in nodes:
        node = entries[start:start + live]
        start += live
        elements = [len(node), 0, len(master_fields), *master_fields, 0]
        for stream_id, fields in node:
            elements += entry_elements(stream_id, fields, master_id, master_fields)
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
