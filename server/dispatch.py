"""The dispatcher: look a command up in the table, check arity, auth and client state once,
call the handler, turn a CommandError into an error reply, keep statistics.

Handlers never repeat these checks. Everything on this path runs for every request, so it is
kept short: one dict lookup, one arity test, two clock reads.
"""

import time

from . import errors
from .command_table import TABLE
from .errors import CommandError
from .replies import NO_REPLY, ErrorReply

_perf_ns = time.perf_counter_ns


def dispatch(client, args):
    server = client.server
    name = args[0]
    spec = TABLE.get(name)
    if spec is None:
        spec = TABLE.get(name.lower())
        if spec is None:
            return _reject(client, None, errors.unknown_command(name, args[1:]))
    if spec.subcommands:
        if len(args) >= 2:
            sub = spec.subcommands.get(args[1].lower())
            if sub is None:
                return _reject(client, spec, errors.unknown_subcommand(args[1], spec.name))
            spec = sub
        elif spec.handler is None:  # a pure container (CLIENT, CONFIG...) needs a subcommand
            return _reject(client, spec, errors.wrong_arity(spec.name))
    arity = spec.arity
    argc = len(args)
    if (arity > 0 and argc != arity) or argc < -arity:
        return _reject(client, spec, errors.wrong_arity(spec.fullname))
    if not client.authenticated and "no_auth" not in spec.flags:
        return _reject(client, spec, errors.NOAUTH)
    if server.gate is not None:
        held = server.gate(client, spec, args)
        if held is not None:
            return held

    client.last_command = spec
    started = _perf_ns()
    try:
        reply = spec.handler(client, args)
    except CommandError as exc:
        reply = ErrorReply(exc.message)
    elapsed = _perf_ns() - started

    spec.calls += 1
    spec.nanoseconds += elapsed
    server.stats.commands += 1
    if type(reply) is ErrorReply:
        spec.failed_calls += 1
        server.count_error(reply)
    if server.observers:
        server.observe(client, spec, args, elapsed)
    if client.reply_mode != "on":
        return _suppress(client, reply)
    return reply


def _reject(client, spec, message: str):
    """An error before execution: counted as rejected, as Redis does."""
    if spec is not None:
        spec.rejected_calls += 1
    reply = ErrorReply(message)
    client.server.count_error(reply)
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
