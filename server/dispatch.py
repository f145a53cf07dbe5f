"""The dispatcher: look a command up in the table, check arity, auth and client state once,
call the handler, turn a CommandError into an error reply, keep statistics.

Handlers never repeat these checks. Everything on this path runs for every request, so it is
kept short: one dict lookup, one arity test, two clock reads.
"""

import time
from itertools import groupby
from operator import itemgetter

from . import errors
from .blocking import Waiter
from .clients import argv_memory
from .command_table import LOOKUP, LOOP_RUN
from .errors import CommandError
from .key_specs import keys_from_command
from .latency_stats import bucket
from .propagation import KEYLESS_WRITES, WRAPPERS
from .protocol.connection import Deferred
from .replies import NO_REPLY, QUEUED, ErrorReply
from .scripting.declared import command_flags, running_stale

_perf_ns = time.perf_counter_ns
_name = itemgetter(0)
# Commands that run immediately even between MULTI and EXEC.
_RUN_INSIDE_MULTI = frozenset({"exec", "discard", "multi", "watch", "quit", "reset"})
# What a RESP2 client may send while subscribed.
_RUN_WHEN_SUBSCRIBED = frozenset({"subscribe", "psubscribe", "ssubscribe", "unsubscribe",
                                  "punsubscribe", "sunsubscribe", "ping", "quit", "reset"})


def dispatch(client, args):
    server = client.server
    if server.clients.eviction_limit and not client.in_exec and \
            not client.obeys_unconditionally and server.clients.evict_before_command(client, args):
        return NO_REPLY  # this client was the one evicted: the command does not run
    name = args[0]
    spec = LOOKUP.get(name)
    aliases = server.command_aliases  # rename-command: new names, and old ones mapped to None
    if aliases is not None:
        spec = aliases.get(name.lower(), LOOKUP.get(name.lower()))
    if spec is None:
        spec = LOOKUP.get(name.lower()) if aliases is None else None
        if spec is None:
            if name.lower() in (b"post", b"host:"):
                return _cross_protocol_attack(client)
            _looked_up(client, None)
            return _reject(client, None, errors.unknown_command(name, args[1:]))
    if spec.subcommands:
        if len(args) >= 2:
            sub = spec.subcommands.get(args[1].lower())
            if sub is None:  # no command: no command's statistics count it (Redis)
                _looked_up(client, None)
                return _reject(client, None, errors.unknown_subcommand(args[1], spec.name))
            spec = sub
        elif spec.handler is None:  # a pure container (CLIENT, CONFIG...) needs a subcommand
            _looked_up(client, spec)
            return _reject(client, spec, errors.wrong_arity(spec.name))
    if not client.in_exec:  # (_looked_up, inline on the way every command takes)
        client.last_command = spec
    arity = spec.arity
    argc = len(args)
    if (arity > 0 and argc != arity) or argc < -arity:
        return _reject(client, spec, errors.wrong_arity(spec.fullname))
    if not client.authenticated and "no_auth" not in spec.flags:
        return _reject(client, spec, errors.NOAUTH)
    user = client.acl_user
    if not user.unrestricted and "no_auth" not in spec.flags:
        refusal = server.acl.refuse(client, user, spec, args, "toplevel" if (
            client.multi is None and not client.in_exec) else "multi")
        if refusal is not None:
            return _reject(client, spec, refusal)
    if client.subscribed and not client.resp3 and (spec.parent is not None
                                                   or spec.name not in _RUN_WHEN_SUBSCRIBED):
        return _reject(client, spec, f"ERR Can't execute '{spec.fullname}': only (P|S)SUBSCRIBE "
                       "/ (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
    if (server.master_link is not None and not client.obeys_unconditionally
            and not client.in_exec and server.config["replica-read-only"]
            and _writes(client, spec, args)):  # (the AOF a replica loads is obeyed too)
        return _reject(client, spec, "READONLY You can't write against a read only replica.")
    if (server.master_link is not None and running_stale(server)
            and not client.obeys_unconditionally and _needs_fresh_data(client, spec, args)):
        return _reject(client, spec, errors.MASTERDOWN)
    if server.loading is not None and not client.obeys_unconditionally \
            and _denied_while_loading(client, spec):  # (the AOF's own commands run)
        return _reject(client, spec, errors.LOADING)
    if server.async_loading and "no_async_loading" in spec.flags:
        return _reject(client, spec, errors.LOADING)
    if server.busy_script is not None and "allow_busy" not in spec.flags:
        return _reject(client, spec, server.busy_script.busy_error)  # a script past its time
    if server.maxmemory and server.busy_script is None and not client.in_exec:
        # Redis evicts before every command once over the limit (reads too, so a client
        # tracking a key hears of its eviction before its next reply); only commands that
        # may grow memory are refused when nothing more can go. (EXEC was judged as a whole:
        # what it runs is neither refused nor preceded by evictions.)
        server.pre_command_oom = not server.make_room()
        if server.pre_command_oom and _refused_when_full(client, spec, args):
            return _reject(client, spec, errors.OOM)
    if server.disk_error is not None and not client.in_exec and \
            not client.obeys_unconditionally and (spec.name == "ping" or _writes(client, spec, args)):
        return _reject(client, spec, server.disk_error)  # (Redis refuses PING too)
    if server.min_replicas_enforced and not client.in_exec and _writes(client, spec, args) \
            and not server.min_replicas.allow_writes():
        return _reject(client, spec, errors.NOREPLICAS)
    if server.tenants is not None and server.tenants.has_quotas and "denyoom" in spec.flags:
        refusal = server.tenants.refusal(
            spec, args, server.evictor.evict_tenant
            if server.config["predis-tenant-quota-policy"] == "evict" else None)
        if refusal is not None:
            return _reject(client, spec, refusal)
    if client.multi is not None and (spec.parent is not None
                                     or spec.name not in _RUN_INSIDE_MULTI):
        if "no_multi" in spec.flags:
            return _reject(client, spec, "ERR Command not allowed inside a transaction")
        if not (client.multi_failed or client.watch_dirty):  # (a doomed transaction keeps
            client.multi.append(args)  # nothing more, as Redis's queueMultiCommand)
            client.multi_memory += argv_memory(args)
        return QUEUED
    if server.gate is not None and not client.in_exec:
        held = server.gate(client, spec, args)
        if held is not None:
            return held
    batcher = server.batcher  # GPU engine: GET/SET/MGET of one loop turn share a device call
    if batcher is not None and client.tracking is None and \
            batcher.accepts(client, spec, (args,)):  # (tracking clients' reads are remembered)
        return batcher.submit(client, spec, [args])

    client.last_command = spec
    client.last_args = args  # a blocked command is propagated when it is served
    propagation = server.propagation  # None unless an AOF (or replica) takes the changes
    if propagation is not None:
        dirty, counted = server.keyspace.dirty, server.acks.counted
        # (one unit: the keys the command expires on its way go with its effects, in one
        # MULTI/EXEC when there are both, as Redis's also_propagate)
        propagation.begin()
    started = _perf_ns()
    untouched = client.no_touch and spec.name != "touch"
    if untouched:  # CLIENT NO-TOUCH: reads leave the LRU/LFU data alone
        server.keyspace.silence_touches(True)
    try:
        reply = spec.handler(client, args)
    except CommandError as exc:
        reply = ErrorReply(exc.message)
    except Exception as exc:  # a bug must cost one error reply, never the connection
        reply = _internal_error(client, spec, exc)
    finally:
        if untouched:
            server.keyspace.silence_touches(False)
    elapsed = _perf_ns() - started
    if propagation is not None:
        _propagate(server, propagation, client, spec, args, reply, dirty)
        if server.acks.counted != counted:  # it propagated: WAIT/WAITAOF wait for this
            client.woff = server.acks.offset()
    if server.master_link is not None:
        server.note_replica_write(client, spec, args)

    spec.calls += 1
    if type(reply) is Deferred and type(client.blocked) is Waiter:
        # blocked on keys: timed and slow-logged when it ends (blocking.py), as Redis does
        client.blocked.duration_ns = elapsed
        server.feed_monitors(client, spec, args)
    else:
        spec.nanoseconds += elapsed
        if server.latency_tracking:  # latency_stats.bucket(), inline: this is every command
            bits = elapsed.bit_length()
            spec.latency[(bits << 2) | ((elapsed >> (bits - 3)) & 3) if bits > 2
                         else bits << 2] += 1
        if type(reply) is ErrorReply:
            spec.failed_calls += 1
            server.count_error(reply, client, spec)
        if elapsed >= server.observe_ns:  # slowlog, latency monitor, MONITOR clients
            server.observe(client, spec, args, elapsed)
    # keys made ready for blocked clients: served after the command (or the transaction, or
    # the script: a command run while a script is busy must not serve what it pushed so far)
    if server.blocking.ready and not client.in_exec and server.busy_script is None:
        server.blocking.serve()
    if spec.audited:
        audit(client, spec, args, reply)
    if client.tracking is not None:  # CLIENT TRACKING: remember what it read
        # (a read that failed too, WRONGTYPE..., as Redis's call(); a read-only script's
        # keys are not: the reads it runs are remembered)
        if "readonly" in spec.flags and spec.name not in _READ_ONLY_SCRIPTS:
            server.tracking.remember(client, [args[i] for i in keys_from_command(spec, args)])
        elif spec.fullname != "client|caching":
            client.tracking.caching = None  # CLIENT CACHING counts for the next command only
    if client.reply_mode != "on":
        return _suppress(client, reply)
    return reply


# Admin commands whose arguments are logged (no secrets in them); the rest log the name only
AUDIT_ARGUMENTS = {"predis.model", "predis.ab", "predis.retrain", "replicaof", "slaveof",
                   "shutdown", "failover", "bgsave", "save", "bgrewriteaof", "debug"}


def audit(client, spec, args, reply) -> None:
    """An admin action in the log: who (client id, user, address), what, and how it ended."""
    root = spec.parent.name if spec.parent is not None else spec.name
    fields = {"command": spec.fullname, "client_id": client.id, "user": client.user,
              "addr": client.addr, "ok": type(reply) is not ErrorReply}
    if root in AUDIT_ARGUMENTS:
        fields["args"] = [bytes(a).decode("utf-8", "replace")[:200] for a in args[1:]]
    elif root == "acl" and len(args) > 2:
        fields["acl_user"] = bytes(args[2]).decode("utf-8", "replace")  # not the rules
    elif spec.fullname == "config|set":
        fields["params"] = [bytes(a).decode("utf-8", "replace") for a in args[2::2]]
    if not fields["ok"]:
        fields["error"] = str(reply)[:200]
    client.server.log.info("admin_command", **fields)


def execute_batch(client, commands: list, start: int, replies: list) -> int:
    """Run commands[start:], appending one reply per command to `replies`.

    Returns the index after the last command run: it stops early after a Deferred reply, a
    protocol switch (HELLO/RESET: later replies need the new encoding) or a close request.
    A run of two or more consecutive plain invocations of a command that has a run handler
    (GET, SET ...) is executed in one call: same replies, same statistics (the run's time is
    shared evenly between its commands), fewer interpreter round trips per command.
    """
    server = client.server
    append = replies.append
    resp3 = client.resp3
    held = client.conn.held_pushes
    index = start
    for name, group in groupby(commands[start:] if start else commands, key=_name):
        group = list(group)
        if len(group) > 1:
            spec = LOOKUP.get(name)
            # the run path skips dispatch(): only where none of its checks could refuse
            if (spec is not None and spec.batch is not None and client.authenticated
                    and client.acl_user.unrestricted and server.master_link is None
                    and not server.min_replicas_enforced
                    and client.tracking is None
                    and server.command_aliases is None
                    and client.reply_mode == "on" and server.gate is None
                    and server.busy_script is None and server.loading is None
                    and client.multi is None and not client.subscribed and not server.maxmemory
                    and (server.tenants is None or not server.tenants.has_quotas)
                    and not client.no_touch
                    and all(map(spec.batch_argc.__eq__, map(len, group)))):
                batcher = server.batcher
                if batcher is not None and batcher.accepts(client, spec, group):
                    append(batcher.submit(client, spec, group))
                    return index + len(group)
                _run_batch(client, spec, group, replies)
                index += len(group)
                continue
        for args in group:
            reply = dispatch(client, args)
            append(reply)
            index += 1
            if type(reply) is Deferred or client.resp3 is not resp3 or client.close_after_reply:
                return index
            if held:  # pushes to this client held for after its reply: before the next one
                replies += held
                held.clear()
    return index


def _propagate(server, propagation, client, spec, args, reply, dirty) -> None:
    """Hand a command that changed the data to the AOF (as the commands that redo it)."""
    if spec.name not in WRAPPERS and type(reply) is not Deferred:
        # (dirty only grows with writes: SAVE lowers it)
        propagation.ran(client.db, spec, args, reply, server.keyspace.dirty > dirty or (
            spec.fullname in KEYLESS_WRITES and type(reply) is not ErrorReply))
    propagation.end()


def _run_batch(client, spec, run: list, replies: list) -> None:
    server = client.server
    client.last_command = spec
    dirty = server.keyspace.dirty
    started = _perf_ns()
    try:
        done = None if spec.batch is LOOP_RUN else spec.batch(client, run)
        # (a run handler answers None when this run must go command by command)
        produced, failed = _loop(client, spec.handler, run) if done is None else done
    except Exception as exc:  # a bug must cost error replies, never the connection
        produced, failed = [_internal_error(client, spec, exc)] * len(run), len(run)
    elapsed = _perf_ns() - started
    if server.propagation is not None and server.keyspace.dirty > dirty:
        for args, reply in zip(run, produced):
            if type(reply) is not ErrorReply:
                server.propagation.command(client.db, spec, args, reply)
        client.woff = server.acks.offset()
    replies.extend(produced)
    spec.calls += len(run)
    spec.nanoseconds += elapsed
    if server.latency_tracking:  # each command of the run at its share of the time
        spec.latency[bucket(elapsed // len(run))] += len(run)
    if failed:
        spec.failed_calls += failed
        for reply in produced:
            if type(reply) is ErrorReply:
                server.count_error(reply, client, spec)
    share = elapsed // len(run)
    if share >= server.observe_ns:
        for args in run:
            server.observe(client, spec, args, share)


def _loop(client, handler, run):
    """The run of a LOOP_RUN command: each command's own handler, no dispatch around it."""
    blocking = client.server.blocking
    replies = []
    failed = 0
    for args in run:
        try:
            replies.append(handler(client, args))
        except CommandError as exc:
            replies.append(ErrorReply(exc.message))
            failed += 1
        if blocking.ready:  # a push serves blocked clients before the next command, as Redis
            blocking.serve()
    return replies, failed


def _cross_protocol_attack(client):
    """An HTTP request sent to the RESP port (a browser tricked into talking to the cache):
    close the connection at once without answering anything, as Redis does."""
    client.server.log.warning(
        "security_attack_detected", client_id=client.id, addr=client.addr,
        message="Possible SECURITY ATTACK detected. It looks like somebody is sending POST or "
                "Host: commands to Redis. This is likely due to an attacker attempting to use "
                "Cross Protocol Scripting to compromise your Redis instance. Connection aborted.")
    client.conn.abort()
    return NO_REPLY


def _internal_error(client, spec, exc) -> ErrorReply:
    client.server.log.error("command_failed", command=spec.fullname, client_id=client.id,
                            error=repr(exc), exc_info=exc)
    return ErrorReply(f"ERR internal error in '{spec.fullname}': {type(exc).__name__}")


def _refused_when_full(client, spec, args) -> bool:
    """What Redis refuses with OOM when nothing more can be evicted: commands that may grow
    memory (an EXEC holding one), and anything queued inside MULTI but the commands that end
    it."""
    if "denyoom" in command_flags(client.server, spec, args):
        return True
    if client.multi is None:
        return False
    if spec.name == "exec":
        return any("denyoom" in command_flags(client.server, _spec_of(queued), queued)
                   for queued in client.multi)
    return spec.name not in ("discard", "quit", "reset")


def _needs_fresh_data(client, spec, args) -> bool:
    """What a replica cut off from its primary refuses under replica-serve-stale-data no:
    commands without the `stale` flag (a script or function without allow-stale), and an
    EXEC that queued one."""
    if spec.name == "exec" and spec.parent is None:
        return any("stale" not in command_flags(client.server, _spec_of(queued), queued)
                   for queued in client.multi or ())
    return "stale" not in command_flags(client.server, spec, args)


def _writes(client, spec, args) -> bool:
    """A write command (a script that declared it may write), or an EXEC whose transaction
    holds one (what a replica refuses). Commands inside EXEC are not checked again: a
    REPLICAOF in the transaction does not stop the writes queued after it, as in Redis."""
    if "write" in command_flags(client.server, spec, args):
        return True
    if spec.name == "exec" and client.multi:
        return any("write" in command_flags(client.server, _spec_of(queued), queued)
                   for queued in client.multi)
    return False


def _denied_while_loading(client, spec) -> bool:
    """Redis's is_denyloading_command: no `loading` flag, or an EXEC whose queue holds a
    command without it."""
    if "loading" not in spec.flags:
        return True
    return spec.name == "exec" and bool(client.multi) and any(
        "loading" not in _spec_of(queued).flags for queued in client.multi)


def refuse_replica_keyspace_access(client, args):
    """A replica's connection may not touch the keyspace (Redis's processCommand): the error
    for such a command (which counts, and is logged as one sent to a replica), else None."""
    spec = _spec_of(args)
    if spec.flags & {"write", "readonly", "may_replicate"}:
        client.last_command = spec
        return _reject(client, spec, "ERR Replica can't interact with the keyspace")
    return None


def _spec_of(args):
    spec = LOOKUP.get(args[0]) or LOOKUP.get(args[0].lower())
    if spec is not None and spec.subcommands and len(args) > 1:
        spec = spec.subcommands.get(args[1].lower(), spec)
    return spec or _NO_SPEC


class _NoSpec:
    flags = frozenset()


_NO_SPEC = _NoSpec()


_READ_ONLY_SCRIPTS = frozenset({"eval_ro", "evalsha_ro", "fcall_ro"})


def _looked_up(client, spec) -> None:
    """CLIENT LIST's cmd= names a command once it is looked up (None: no such command), before
    any check refuses it or MULTI queues it, as Redis's processCommand sets lastcmd. EXEC's
    queued commands leave it at EXEC."""
    if not client.in_exec:
        client.last_command = spec


def _reject(client, spec, message: str):
    """An error before execution: counted as rejected, as Redis does. Inside MULTI it also
    dooms the transaction (EXEC will answer EXECABORT)."""
    if client.multi is not None:
        client.multi_failed = True
    if spec is not None:
        spec.rejected_calls += 1
        if spec.name == "exec":  # Redis ends the transaction and says why
            client.discard_transaction()
            message = "EXECABORT Transaction discarded because of: " + message
    reply = ErrorReply(message)
    client.server.count_error(reply, client, spec)
    if client.reply_mode != "on":
        return _suppress(client, reply)
    return reply


def _suppress(client, reply):
    """CLIENT REPLY OFF / SKIP. 'skip_next' is set by CLIENT REPLY SKIP itself; the command after
    it runs in 'skip' and its reply is the one dropped."""
    mode = client.reply_mode
    if mode == "skip_next":
        client.reply_mode = "skip"
    elif mode == "skip":
        client.reply_mode = "on"
    return NO_REPLY
