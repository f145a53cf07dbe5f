"""MULTI / EXEC / DISCARD / WATCH / UNWATCH.

Queueing happens in the dispatcher (it already knows a command's spec and arity); EXEC runs the
queue synchronously on the event loop, which makes the transaction atomic.
"""

from ..command_table import command
from ..errors import CommandError
from ..keyspace import clock_frozen
from ..replies import NULL_ARRAY, OK

G = "transactions"


@command("multi", 1, "noscript loading stale fast allow_busy", (0, 0, 0), G, "Starts a "
         "transaction.", "1.2.0")
def multi(client, args):
    if client.multi is not None:
        raise CommandError("ERR MULTI calls can not be nested")
    client.multi = []
    client.multi_memory = 0  # the queue's arguments (server/clients.client_memory)
    client.multi_failed = False
    return OK


@command("discard", 1, "noscript loading stale fast allow_busy", (0, 0, 0), G, "Discards a "
         "transaction.", "2.0.0")
def discard(client, args):
    if client.multi is None:
        raise CommandError("ERR DISCARD without MULTI")
    client.discard_transaction()
    return OK


@command("exec", 1, "noscript loading stale skip_slowlog", (0, 0, 0), G, "Executes all commands "
         "in a transaction.", "1.2.0")
def exec_(client, args):
    from ..dispatch import dispatch

    if client.multi is None:
        raise CommandError("ERR EXEC without MULTI")
    queued, failed = client.multi, client.multi_failed
    client.multi = None
    server = client.server
    if failed:
        server.watches.unwatch_all(client)
        raise CommandError("EXECABORT Transaction discarded because of previous errors.")
    allowed = server.watches.exec_allowed(client)
    server.watches.unwatch_all(client)
    if not allowed:
        return NULL_ARRAY
    client.in_exec = server.in_exec = True
    client.deny_blocking += 1
    exec_spec = client.last_command
    client.exec_state = (queued, args)
    try:
        with clock_frozen():  # keys expire by EXEC's start time throughout, as in Redis
            return [dispatch(client, queued_args) for queued_args in queued]
    finally:
        client.in_exec = server.in_exec = False
        client.deny_blocking -= 1
        client.exec_state = None
        client.last_command = exec_spec  # CLIENT LIST's cmd= names EXEC, not its last command


@command("watch", -2, "noscript loading stale fast allow_busy", (1, -1, 1), G, "Monitors "
         "changes to keys to determine the execution of a transaction.", "2.2.0")
def watch(client, args):
    if client.multi is not None:
        raise CommandError("ERR WATCH inside MULTI is not allowed")
    if client.watch_dirty:  # its EXEC fails already: nothing more is watched (Redis)
        return OK
    for key in args[1:]:
        client.server.watches.watch(client, key)
    return OK


@command("unwatch", 1, "noscript loading stale fast allow_busy", (0, 0, 0), G, "Forgets about "
         "watched keys of a transaction.", "2.2.0")
def unwatch(client, args):
    client.server.watches.unwatch_all(client)
    return OK


