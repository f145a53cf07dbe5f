"""An AOF base in the AOF's own format (aof-use-rdb-preamble no): the commands that rebuild the
data, as Redis's rewriteAppendOnlyFileRio writes them.

A "#TS:" annotation first when aof-timestamp-enabled is on; FUNCTION LOAD for each library;
then per database a SELECT and per key: SET, RPUSH / SADD / ZADD / HMSET in batches of 64
items, a stream as its XADDs (an empty one as XADD MAXLEN 0 0-1 x y), XSETID with its counters,
XGROUP CREATE per group, XCLAIM ... JUSTID FORCE per pending entry and XGROUP CREATECONSUMER per
consumer without one; PEXPIREAT for a key with a deadline.
"""

import os
import time

from ops.commandstream import encode
from server.keyspace.serialize import describe
from server.protocol.doubles import dtoa
from server.keyspace.stream import format_id

ITEMS_PER_COMMAND = 64  # Redis's AOF_REWRITE_ITEMS_PER_CMD
FLUSH_BYTES = 1 << 20


def write_aof_base(server, path: str, reporter=None) -> int:
    """Write the base to `path` (through a temporary file); returns the number of keys.
    `reporter`: a forked child's (ops/children.py), told of the keys written."""
    temp = os.path.join(os.path.dirname(path) or ".", f"temp-rewriteaof-{os.getpid()}.aof")
    written = 0
    try:
        with open(temp, "wb") as handle:
            out, size = [], 0
            if server.config["aof-timestamp-enabled"]:
                out.append(b"#TS:%d\r\n" % int(time.time()))
            for library in server.libraries.values():
                out.append(encode([b"FUNCTION", b"LOAD", library.code]))
            for db in server.keyspace.dbs:
                if not db.data:
                    continue
                out.append(encode([b"SELECT", b"%d" % db.index]))
                for key, value in list(db.data.items()):
                    data = b"".join(map(encode, key_commands(key, value, db.expires.get(key))))
                    out.append(data)
                    size += len(data)
                    written += 1
                    if reporter is not None:
                        reporter.written(written)
                    if size >= FLUSH_BYTES:
                        handle.write(b"".join(out))
                        out, size = [], 0
            handle.write(b"".join(out))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    return written


def key_commands(key: bytes, value, deadline) -> list:
    """The commands that rebuild one key (and its deadline)."""
    kind, contents = describe(value)
    if kind == "string":
        commands = [[b"SET", key, contents]]
    elif kind == "list":
        commands = _batched(b"RPUSH", key, [[item] for item in contents])
    elif kind == "set":
        commands = _batched(b"SADD", key, [[member] for member in contents])
    elif kind == "zset":
        commands = _batched(b"ZADD", key, [[dtoa(score), member]  # (rioWriteBulkDouble)
                                           for member, score in contents])
    elif kind == "hash":
        commands = _batched(b"HMSET", key, [[field, item] for field, item in contents])
    else:
        commands = _stream_commands(key, contents)
    if deadline is not None:
        commands.append([b"PEXPIREAT", key, b"%d" % deadline])
    return commands


def _batched(name: bytes, key: bytes, items: list) -> list:
    return [[name, key, *[part for item in items[start:start + ITEMS_PER_COMMAND]
                          for part in item]]
            for start in range(0, len(items), ITEMS_PER_COMMAND)]


def _stream_commands(key: bytes, stream: dict) -> list:
    commands = []
    for stream_id, fields in stream["entries"]:
        commands.append([b"XADD", key, format_id(stream_id), *fields])
    if not stream["entries"]:  # an empty stream is made by adding and trimming at once
        commands.append([b"XADD", key, b"MAXLEN", b"0", b"0-1", b"x", b"y"])
    commands.append([b"XSETID", key, format_id(stream["last_id"]),
                     b"ENTRIESADDED", b"%d" % stream["entries_added"],
                     b"MAXDELETEDID", format_id(stream["max_deleted"])])
    for group in sorted(stream["groups"], key=lambda g: g["name"]):
        commands.append([b"XGROUP", b"CREATE", key, group["name"],
                         format_id(group["last_id"]), b"ENTRIESREAD",
                         b"%d" % group["entries_read"]])
        pel = {stream_id: (delivered, count) for stream_id, delivered, count in group["pel"]}
        for consumer in sorted(group["consumers"], key=lambda c: c["name"]):
            if not consumer["pending"]:
                commands.append([b"XGROUP", b"CREATECONSUMER", key, group["name"],
                                 consumer["name"]])
            for stream_id in consumer["pending"]:
                delivered, count = pel[stream_id]
                commands.append([b"XCLAIM", key, group["name"], consumer["name"], b"0",
                                 format_id(stream_id), b"TIME", b"%d" % delivered,
                                 b"RETRYCOUNT", b"%d" % count, b"JUSTID", b"FORCE"])
    return commands
