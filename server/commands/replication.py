"""Replication commands: REPLICAOF/SLAVEOF, ROLE, and what replicas send their primary
(REPLCONF, PSYNC, SYNC). The machinery is in ops/replication/."""

from .. import errors
from ..command_table import command
from ..errors import CommandError
from ..protocol.reader import ProtocolError, split_inline
from ..replies import NO_REPLY, OK, SimpleString
from .common import lower, to_int

G = "server"


@command("replicaof", 3, "admin noscript stale no_async_loading", (0, 0, 0), G, "Configures "
         "a server as replica of another, or promotes it to a master.", "5.0.0")
def replicaof(client, args):
    server = client.server
    if lower(args[1]) == b"no" and lower(args[2]) == b"one":
        server.stop_replicating()
        return OK
    port = to_int(args[2], "ERR Invalid master port")
    if not 0 <= port < 65536:
        raise CommandError("ERR Invalid master port")
    host = args[1].decode(errors="replace")
    link = server.master_link
    if link is not None and (link.host, link.port) == (host, port):
        return SimpleString("OK Already connected to specified master")
    server.replicate_from(host, port)
    return OK


@command("slaveof", 3, "admin noscript stale no_async_loading", (0, 0, 0), G, "Sets a Redis "
         "server as a replica of another, or promotes it to being a master.", "1.0.0")
def slaveof(client, args):
    return replicaof(client, args)


@command("role", 1, "noscript loading stale fast", (0, 0, 0), G, "Returns the replication role.",
         "2.8.12")
def role(client, args):
    server = client.server
    link = server.master_link
    if link is not None:
        return [b"slave", link.host.encode(), link.port, link.state.encode(), link.offset]
    source = server.replication
    replicas = [] if source is None else [
        [r.client.addr.rsplit(":", 1)[0].encode(), b"%d" % r.listening_port,
         b"%d" % r.ack_offset] for r in source.replicas]
    return [b"master", server.acks.offset(), replicas]


@command("replconf", -1, "admin noscript loading stale allow_busy", (0, 0, 0), G, "An internal "
         "command for configuring the replication stream.", "3.0.0")
def replconf(client, args):
    if len(args) % 2 == 0:
        raise CommandError(errors.SYNTAX)
    server = client.server
    for option, value in zip(args[1::2], args[2::2]):
        option = lower(option)
        if option == b"listening-port":
            client.replica_port = to_int(value)
        elif option == b"ack":  # ACK <offset> [FACK <aof offset>]
            replica = client.replica
            if replica is not None:
                fack = to_int(args[4]) if len(args) > 4 and lower(args[3]) == b"fack" else None
                server.replica_acknowledged(replica, to_int(value), fack)
            return NO_REPLY  # ACKs are never answered
        elif option == b"getack":
            return NO_REPLY  # only a primary's stream asks this of a replica
        elif option == b"rdb-filter-only":  # (redis-cli --functions-rdb)
            client.rdb_excludes = _rdb_excludes(value)
        elif option not in (b"capa", b"ip-address", b"rdb-only"):
            raise CommandError("ERR Unrecognized REPLCONF option: "
                               f"{option.decode(errors='replace')}")
    return OK


def _rdb_excludes(value: bytes) -> set:
    """REPLCONF rdb-filter-only: the parts of the RDB a replica leaves out, all but the ones
    it names ("functions" is the one filter Redis knows; "" leaves everything out)."""
    try:
        wanted = split_inline(value)
    except ProtocolError:
        raise CommandError("ERR Missing rdb-filter-only values") from None
    excluded = {"data", "functions"}
    for name in wanted:
        if lower(name) != b"functions":
            raise CommandError("ERR Unsupported rdb-filter-only option: "
                               f"{name.decode(errors='replace')}")
        excluded.discard("functions")
    return excluded


@command("psync", -3, "admin noscript no_async_loading no_multi", (0, 0, 0), G, "An internal "
         "command used in replication.", "2.8.0")
def psync(client, args):
    offset = to_int(args[2]) if args[2] != b"-1" else -1
    client.server.serve_replica(client, args[1].decode(errors="replace"), offset)
    return NO_REPLY


@command("sync", 1, "admin noscript no_async_loading no_multi", (0, 0, 0), G, "An internal "
         "command used in replication.", "1.0.0")
def sync(client, args):
    client.server.serve_replica(client, "?", -1, legacy=True)
    return NO_REPLY
