"""Clients blocked on keys (BLPOP, BLMOVE, BLMPOP, ... and later BZPOPMIN, XREAD BLOCK).

A blocked client waits in a FIFO queue per (db, key). Every write signals its key through
`signal()`; after the command that wrote it, `serve()` hands the key's values to the waiters
in arrival order, as Redis's handleClientsBlockedOnKeys does. A waiter leaves all its queues when
it is served, times out, is unblocked (CLIENT UNBLOCK) or disconnects.
"""

from collections import deque

from .errors import CommandError
from .latency_stats import bucket
from .protocol.connection import Deferred
from .replies import ErrorReply


class Waiter:
    __slots__ = ("client", "db", "keys", "attempt", "future", "timer", "timeout_reply", "spec",
                 "args", "kind", "unblock_on_nokey", "duration_ns")

    def __init__(self, client, keys, attempt, timeout_reply, kind=None,
                 unblock_on_nokey=False):
        self.client = client
        # The value type it waits for (List, ZSet, Stream): a key of another type leaves it
        # waiting, as in Redis, rather than answering WRONGTYPE. None: any change is tried.
        self.kind = kind
        # XREADGROUP (Redis's unblock_on_nokey): any change to a key, deletion and a new type
        # included, runs the command again, which may then fail (NOGROUP, WRONGTYPE).
        self.unblock_on_nokey = unblock_on_nokey
        self.db = client.db
        self.spec, self.args = client.last_command, client.last_args  # what to propagate
        self.keys = keys
        self.attempt = attempt  # attempt(db, key) -> reply, or None if it cannot be served
        self.timeout_reply = timeout_reply
        self.future = None
        self.timer = None
        self.duration_ns = 0  # the blocking call's own run time (the dispatcher sets it)


class BlockingRegistry:
    def __init__(self, server):
        self.server = server
        self.queues: dict = {}  # (db index, key) -> deque of Waiters
        self.ready: list = []  # (db index, key) signalled since the last serve()

    def block(self, client, keys, attempt, timeout_s: float, timeout_reply,
              kind=None, unblock_on_nokey=False) -> Deferred:
        """Park `client` on `keys` until served or `timeout_s` (0 = forever) passes."""
        waiter = Waiter(client, list(dict.fromkeys(keys)), attempt, timeout_reply, kind,
                        unblock_on_nokey)
        loop = self.server.loop
        waiter.future = loop.create_future()
        for key in waiter.keys:
            self.queues.setdefault((waiter.db.index, key), deque()).append(waiter)
        if timeout_s:
            waiter.timer = loop.call_later(timeout_s, self._expire, waiter)
        client.blocked = waiter
        return Deferred(waiter.future)

    def signal(self, db, key) -> None:
        ident = (db.index, key)
        if ident in self.queues:
            self.ready.append(ident)

    def signal_db(self, index: int) -> None:
        """Every waited key of a database (FLUSHDB, FLUSHALL, SWAPDB changed them all)."""
        self.ready += [ident for ident in self.queues if ident[0] == index]

    def serve(self) -> None:
        """Serve waiters on every key signalled so far (serving may signal more keys)."""
        while self.ready:
            ident = self.ready.pop(0)
            for waiter in list(self.queues.get(ident, ())):
                if waiter.kind is not None and not waiter.unblock_on_nokey:
                    # (a key that expired meanwhile stays, and leaves it waiting: Redis 7.2)
                    value = waiter.db.peek(ident[1])
                    if value is None or type(value) is not waiter.kind:
                        continue  # e.g. a list waiter on a key now holding a string
                if self._refused_now(waiter):
                    continue
                try:
                    reply = waiter.attempt(waiter.db, ident[1])
                except CommandError as exc:  # e.g. BLMOVE whose target changed type meanwhile
                    reply = ErrorReply(exc.message)
                if reply is None:  # not this one (a later waiter may want another change)
                    continue
                propagation = self.server.propagation
                if propagation is not None and type(reply) is not ErrorReply:
                    propagation.command(waiter.db, waiter.spec, waiter.args, reply)
                    waiter.client.woff = self.server.acks.offset()
                self._finish(waiter, reply)

    def _refused_now(self, waiter) -> bool:
        """Redis 7.2 runs a woken command through its checks again: one the user's rules no
        longer allow (ACL SETUSER while it waited) ends with NOPERM, counted as a rejected
        call and not as the call it blocked in. True if it was refused."""
        client, spec = waiter.client, waiter.spec
        if spec is None or client.acl_user.unrestricted:
            return False
        refusal = self.server.acl.refuse(client, client.acl_user, spec, waiter.args,
                                         "toplevel")
        if refusal is None:
            return False
        spec.calls -= 1
        spec.rejected_calls += 1
        reply = ErrorReply(refusal)
        self.server.count_error(reply, client, spec)
        waiter.spec = None  # (nothing more to count when it finishes)
        self._finish(waiter, reply)
        return True

    def unblock(self, client, reply=None) -> bool:
        """End `client`'s wait on keys with `reply` (None: its timeout reply); False if it is
        not waiting on keys."""
        waiter = client.blocked
        if not isinstance(waiter, Waiter):
            return False
        self._finish(waiter, waiter.timeout_reply if reply is None else reply)
        return True

    def forget(self, client) -> None:
        """The client disconnected: drop it from every queue without replying."""
        waiter = client.blocked
        if isinstance(waiter, Waiter):
            self._remove(waiter)

    def _expire(self, waiter) -> None:
        waiter.timer = None
        self._finish(waiter, waiter.timeout_reply)

    def _finish(self, waiter, reply) -> None:
        self._remove(waiter)
        if not waiter.future.done():
            self._count(waiter, reply)
            waiter.future.set_result(reply)

    def _count(self, waiter, reply) -> None:
        """The statistics the dispatcher left for now (Redis's updateStatsOnUnblock): the
        call's run time, an error if it ends in one, a SLOWLOG entry if slow."""
        server, spec = self.server, waiter.spec
        if spec is None:
            return
        elapsed = waiter.duration_ns
        spec.nanoseconds += elapsed
        if server.latency_tracking:
            spec.latency[bucket(elapsed)] += 1
        if type(reply) is ErrorReply:
            spec.failed_calls += 1
            server.count_error(reply)
        server.log_if_slow(waiter.client, spec, waiter.args, elapsed)

    def _remove(self, waiter) -> None:
        if waiter.timer is not None:
            waiter.timer.cancel()
            waiter.timer = None
        for key in waiter.keys:
            ident = (waiter.db.index, key)
            queue = self.queues.get(ident)
            if queue is not None:
                try:
                    queue.remove(waiter)
                except ValueError:
                    pass
                if not queue:
                    del self.queues[ident]
        if waiter.client.blocked is waiter:
            waiter.client.blocked = None

    def blocked_keys(self) -> int:
        return len(self.queues)

    def keys_on_nokey(self) -> int:
        """Keys some client waits on to change in any way (INFO total_blocking_keys_on_nokey)."""
        return sum(1 for queue in self.queues.values()
                   if any(waiter.unblock_on_nokey for waiter in queue))
