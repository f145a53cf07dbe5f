"""DUMP and RESTORE, byte-compatible with Redis's payload framing (RDB object + version +
CRC-64), for every data type (streams with their consumer groups)."""

from ops.rdb.codec import RDBError, Reader, frame_payload, unframe_payload
from ops.rdb.objects import EmptyKey, read_object, write_object

from .. import errors
from ..command_table import command
from ..errors import CommandError
from ..keyspace import already_expired, now_ms
from ..keyspace.serialize import build, describe
from ..replies import OK
from .common import lower, modified, to_int

G = "generic"


@command("dump", 2, "readonly", (1, 1, 1), G, "Returns a serialized representation of the value "
         "stored at a key.", "2.6.0")
def dump(client, args):
    value = client.db.lookup_read(args[1])
    if value is None:
        return None
    return dump_payload(client.server, value)


def _read_payload(server, payload: bytes) -> tuple:
    """(type name, contents) of a RESTORE payload. It is checked whole (Redis's deep
    sanitization, whatever sanitize-dump-payload says: Predis builds its own structures from
    it at once), so a damaged one is refused and logged with Redis's reason."""
    try:
        body = unframe_payload(payload, verify_checksum=not server.skip_checksum_validation)
    except RDBError:
        raise CommandError("ERR DUMP payload version or checksum are wrong") from None
    try:
        reader = Reader(body)
        kind, contents = read_object(reader.byte(), reader)
        if not reader.done():
            raise RDBError("trailing data")
    except (RDBError, ValueError, IndexError) as exc:
        if not isinstance(exc, EmptyKey):
            server.log.info("restore_refused", reason=str(exc))
        raise CommandError("ERR Bad data format") from None
    return kind, contents


def dump_payload(server, value) -> bytes:
    """A value as DUMP serializes it (MIGRATE sends the same payloads)."""
    kind, contents = describe(value)
    return frame_payload(write_object(kind, contents, server.config["rdbcompression"]))


@command("restore-asking", -4, "write denyoom asking", (1, 1, 1), G, "An internal command for "
         "migrating keys in a cluster.", "3.0.0")
@command("restore", -4, "write denyoom", (1, 1, 1), G, "Creates a key from the serialized "
         "representation of a value.", "2.6.0")
def restore(client, args):
    key, payload = args[1], bytes(args[3])
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
            i += 1
        elif opt == b"freq" and i + 1 < len(args) and idle is None:
            freq = to_int(args[i + 1])
            if not 0 <= freq <= 255:
                raise CommandError("ERR Invalid FREQ value, must be >= 0 and <= 255")
            i += 1
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    db = client.db  # (options, then the key, then the TTL, as Redis checks them)
    if not replace and db.lookup(key) is not None:
        raise CommandError("BUSYKEY Target key name already exists.")
    ttl = to_int(args[2])
    if ttl < 0:
        raise CommandError("ERR Invalid TTL value, must be >= 0")
    kind, contents = _read_payload(client.server, payload)
    deadline = (ttl if absttl else now_ms() + ttl) if ttl else None
    existed = db.delete(key)
    if deadline is not None and already_expired(deadline, client.server):
        if existed:
            modified(client, key, event="del")
        return OK  # already expired: Redis answers OK and creates nothing
    db.add(key, build(kind, contents))
    if deadline is not None:
        db.set_expire(key, deadline)
    if idle is not None or freq is not None:
        client.server.keyspace.set_access_clock(db, key, idle, freq)
    modified(client, key, event="restore")
    return OK
