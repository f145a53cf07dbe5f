"""Replication commands: REPLICAOF/SLAVEOF, ROLE, and what replicas send their primary
(REPLCONF, PSYNC, SYNC). The machinery is in ops/replication/."""

from ops.replication.roles import replicate_from, stop_replicating

from .. import errors
from ..command_table import command
from ..errors import CommandError
from ..protocol.reader import ProtocolError, split_inline
from ..replies import NO_REPLY, OK, SimpleString
from .common import lower, to_int
from .connection import client_line

G = "server"


@command("replicaof", 3, "admin noscript stale no_async_loading", (0, 0, 0), G, "Configures "
         "a server as replica of another, or promotes it to a master.", "5.0.0")
def replicaof(client, args):
    server = client.server
    if server.failover.running:
        raise CommandError("ERR REPLICAOF not allowed while failing over.")
    if lower(args[1]) == b"no" and lower(args[2]) == b"one":
        stop_replicating(server)
        return OK
    port = to_int(args[2], "ERR Invalid master port")
    if not 0 <= port < 65536:
        raise CommandError("ERR Invalid master port")
    host = args[1].decode(errors="replace")
    link = server.master_link
    if link is not None and (link.host, link.port) == (host, port):
        return SimpleString("OK Already connected to specified master")
    replicate_from(server, host, port)
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
                server.replication.acknowledge(replica, to_int(value), fack)
            return NO_REPLY  # ACKs are never answered
        elif option == b"getack":
            return NO_REPLY  # only a primary's stream asks this of a replica
        elif option == b"rdb-filter-only":  # (redis-cli --functions-rdb)
            client.rdb_excludes = _rdb_excludes(value)
        elif option == b"ip-address":  # the address it is known by (FAILOVER TO finds it)
            client.replica_ip = value.decode(errors="replace")
        elif option == b"capa":
            client.replica_capa_eof |= lower(value) == b"eof"
        elif option != b"rdb-only":
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
    server = client.server
    replid = args[1].decode(errors="replace")
    if len(args) > 3 and lower(args[3]) == b"failover":  # a primary hands over its role
        server.failover.requested(replid, client_line(client))
    _refuse_sync(client)
    try:
        offset = to_int(args[2]) if args[2] != b"-1" else -1
    except CommandError:
        server.log.warning("replica_wrong_offset", replica=client.addr)
        raise
    server.replication_source().attach(client, replid, offset, client.replica_port)
    return NO_REPLY


@command("sync", 1, "admin noscript no_async_loading no_multi", (0, 0, 0), G, "An internal "
         "command used in replication.", "1.0.0")
def sync(client, args):
    _refuse_sync(client)
    client.server.replication_source().attach(client, "?", -1, client.replica_port,
                                              legacy=True)
    return NO_REPLY


def _refuse_sync(client) -> None:
    """SYNC's and PSYNC's refusals before the sync starts, in Redis's order."""
    if client.server.failover.running:
        raise CommandError("NOMASTERLINK Can't SYNC while failing over")
    if client.conn is not None and client.conn.has_pending_output():
        # (the replies of commands sent before it in the same read, not yet written: the
        # replica's output must start with the sync, as Redis requires)
        raise CommandError("ERR SYNC and PSYNC are invalid with pending output")


@command("failover", -1, "admin noscript stale", (0, 0, 0), G, "Starts a coordinated failover "
         "from a server to one of its replicas.", "6.2.0")
def failover(client, args):
    abort, target, timeout_ms, force = _failover_arguments(args)
    server = client.server
    if abort:
        if not server.failover.running:
            raise CommandError("ERR No failover in progress.")
        server.failover.abort("Failover manually aborted")
    else:
        server.failover.start(target, timeout_ms, force)
    return OK


def _failover_arguments(args):
    """FAILOVER [TO host port [FORCE]] [TIMEOUT ms] | ABORT: (abort, target, timeout_ms,
    force), with Redis's errors."""
    if len(args) == 2 and lower(args[1]) == b"abort":
        return True, None, 0, False
    target, timeout_ms, force = None, 0, False
    index = 1
    while index < len(args):
        word = lower(args[index])
        if word == b"timeout" and index + 1 < len(args) and timeout_ms == 0:
            timeout_ms = to_int(args[index + 1])
            if timeout_ms <= 0:
                raise CommandError("ERR FAILOVER timeout must be greater than 0")
            index += 2
        elif word == b"to" and index + 2 < len(args) and target is None:
            port = to_int(args[index + 2])
            target = (args[index + 1].decode(errors="replace"), port)
            index += 3
        elif word == b"force" and not force:
            force = True
            index += 1
        else:
            raise CommandError(errors.SYNTAX)
    return False, target, timeout_ms, force
