"""Coalescing for the GPU engine: plain GET, SET and MGET from every connection that arrive in
one event-loop turn become one engine call per kind of operation.

A GPU engine call costs a device round trip whatever its size, so the dispatcher hands these
commands (and runs of them) here instead of running them: each gets a Deferred reply, and the
flush, scheduled with call_soon, runs after every read of the turn. The queue is executed in
arrival order, consecutive commands of one kind merged into one call per database, so the
result is that of running them one by one in that order. A connection's later commands wait
behind its Deferred (server/protocol/connection.py), so its own order holds, and a GET after a
SET in one pipeline sees the SET. Statistics are kept as for run batches (dispatch.py).

Only the top level is coalesced: inside MULTI/EXEC, scripts, CLIENT NO-TOUCH or CLIENT REPLY
OFF/SKIP commands run at once, as everywhere else.

A flush's read of at most `gpu-direct-read-keys` keys in all is served by the engine without a
kernel (gpu/gpu_engine.py): one client alone pays a memcpy per key instead of a launch, while
many clients' reads still share one launch (measured: docs/benchmarks.md).
"""

import asyncio
import time
from itertools import groupby

from .commands.common import modified_many, store_strings
from .commands.strings import get_replies, mget_reply
from .protocol.connection import Deferred
from .replies import OK, ErrorReply, Replies

_perf_ns = time.perf_counter_ns


def _by_database(items, keys_of):
    """{db: (keys, [(item index, start, count)])}: keys of the items grouped per database."""
    grouped = {}
    for index, item in enumerate(items):
        keys = keys_of(item)
        all_keys, spans = grouped.setdefault(item.db, ([], []))
        spans.append((index, len(all_keys), len(keys)))
        all_keys.extend(keys)
    return grouped


def _read_replies(items, keys_of, shape):
    """One batched read per database; each item's replies shaped by `shape(values)`."""
    results = [None] * len(items)
    for db, (keys, spans) in _by_database(items, keys_of).items():
        values = db.read_many(keys)
        for index, start, count in spans:
            results[index] = shape(values[start:start + count])
    return results


def _gets(items):
    return _read_replies(items, lambda item: [args[1] for args in item.run],
                         get_replies)


def _mgets(items):
    return _read_replies(items, lambda item: item.run[0][1:],
                         lambda values: [mget_reply(values)])


def _sets(items):
    if items[0].db.stats.on_key_added is not None:  # 'new' events on: key by key, in order
        for item in items:
            store_strings(item.client, item.db, [a[1] for a in item.run], [a[2] for a in item.run])
    else:
        for db, (keys, spans) in _by_database(items, lambda item: [a[1] for a in item.run]).items():
            values = [args[2] for index, _, _ in spans for args in items[index].run]
            db.set_strings(keys, values)
        for item in items:
            modified_many(item.client, [args[1] for args in item.run])
    for item in items:
        propagation = item.client.server.propagation
        if propagation is not None:
            for args in item.run:
                propagation.command(item.db, item.spec, args, OK)
            item.client.woff = item.client.server.acks.offset()
    return [[OK] * len(item.run) for item in items]


# command name -> (arity of the coalesced form (0: any), the batch operation)
_KINDS = {"get": (2, _gets), "mget": (0, _mgets), "set": (3, _sets)}


class _Pending:
    __slots__ = ("client", "db", "spec", "run", "future")

    def __init__(self, client, spec, run, future):
        self.client, self.db, self.spec, self.run, self.future = (
            client, client.db, spec, run, future)


class EngineBatcher:
    def __init__(self, server):
        self.server = server
        self.queue: list = []
        self.calls = 0  # engine batches flushed (INFO engine_coalesced_batches)
        self.commands = 0

    def accepts(self, client, spec, run) -> bool:
        kind = _KINDS.get(spec.name)
        if kind is None or spec.parent is not None or client.in_exec or client.no_touch:
            return False
        if client.reply_mode != "on" or client.multi is not None:
            return False
        return kind[0] == 0 or all(len(args) == kind[0] for args in run)

    def submit(self, client, spec, run) -> Deferred:
        """Queue a command (or a run of one command) for this turn's flush."""
        if not self.queue:
            asyncio.get_running_loop().call_soon(self.flush)
        future = asyncio.get_running_loop().create_future()
        self.queue.append(_Pending(client, spec, run, future))
        client.last_command = spec
        return Deferred(future)

    def flush(self) -> None:
        queue, self.queue = self.queue, []
        for name, group in groupby(queue, key=lambda item: item.spec.name):
            self._execute(list(group), _KINDS[name][1])

    def _execute(self, items, operation) -> None:
        server = self.server
        spec = items[0].spec
        count = sum(len(item.run) for item in items)
        started = _perf_ns()
        try:
            results = operation(items)
        except Exception as exc:  # a bug costs error replies, never the connections
            server.log.error("engine_batch_failed", command=spec.fullname, error=repr(exc),
                             exc_info=exc)
            failure = ErrorReply(f"ERR internal error in '{spec.fullname}': "
                                 f"{type(exc).__name__}")
            results = [[failure] * len(item.run) for item in items]
        elapsed = _perf_ns() - started
        self.calls += 1
        self.commands += count
        spec.calls += count
        spec.nanoseconds += elapsed
        share = elapsed // count
        for item, replies in zip(items, results):
            for reply in replies:
                if type(reply) is ErrorReply:
                    spec.failed_calls += 1
                    server.count_error(reply)
            if share >= server.observe_ns:
                for args in item.run:
                    server.observe(item.client, spec, args, share)
            if not item.future.done():
                item.future.set_result(replies[0] if len(replies) == 1 and len(item.run) == 1
                                       else Replies(replies))
