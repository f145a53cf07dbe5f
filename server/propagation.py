"""Propagation: every change to the data, as the commands that reproduce it, handed to the
sinks that need them (the append-only file; replicas later).

Callers: the dispatcher after a command that changed the data (the keyspace's dirty counter
moved), run batches and the GPU engine's batcher, the scripting engine for each write a script
makes (scripts are logged by their effects, never as EVAL), the blocking registry when it
serves a waiting client, and the keyspace when a key expires or is evicted (DEL, or UNLINK when freed lazily). EXEC and
scripts wrap what they propagate in MULTI/EXEC, so a replay applies them atomically.
"""

from .effects import effects
from .replies import ErrorReply

# Commands that run others and propagate those instead of themselves.
WRAPPERS = frozenset({"exec", "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"})
# Commands never propagated, whatever they do to the data (DEBUG RELOAD, LOADAOF, POPULATE:
# a replay must not redo them).
NEVER = frozenset({"debug"})
# Commands replicas get although they change no data (Redis's forceCommandPropagation).
REPLICA_ONLY = frozenset({"publish", "spublish"})
# Changes the dirty counter may not show: they touch no key, or nothing was there (FLUSHDB
# and FLUSHALL of empty databases, which Redis propagates all the same), or (FLUSHALL,
# which saves when save points are set) reset it.
KEYLESS_WRITES = frozenset({"function|load", "function|delete", "function|flush",
                            "function|restore", "flushall", "flushdb"})


# Where a change goes (Redis's PROPAGATE_AOF / PROPAGATE_REPL); a sink names its own in
# `target` (the AOF by default). Scripts choose with redis.set_repl.
TO_AOF, TO_REPLICAS = 1, 2
TO_ALL = TO_AOF | TO_REPLICAS


class Propagation:
    def __init__(self, acks, config):
        self.acks = acks  # server/write_acks.py: counts what is propagated
        self.config = config  # (the lazyfree-lazy-* settings choose DEL or UNLINK)
        self.sinks: list = []  # each has feed(db_index, commands)
        self._depth = 0  # nesting of EXEC / scripts
        self._pending: list = []  # (db index, commands, targets) inside the outermost wrapper

    def __bool__(self):
        return bool(self.sinks)

    def ran(self, db, spec, args, reply, changed: bool, targets: int = TO_ALL) -> None:
        """After a command (from a client or a script): its effects when it changed the data;
        else PUBLISH/SPUBLISH itself, to replicas only. `targets`: a script's redis.set_repl."""
        if spec.name in NEVER:
            return
        if changed:
            self.command(db, spec, args, reply, targets)
        elif spec.name in REPLICA_ONLY and type(reply) is not ErrorReply:
            self._emit(db.index, [list(args)], targets & TO_REPLICAS)

    def command(self, db, spec, args, reply, targets: int = TO_ALL) -> None:
        # (by full name: FUNCTION RESTORE is not RESTORE)
        self._emit(db.index, effects(spec.fullname, args, reply, db, self.config), targets)

    def to_replicas(self, db, args) -> None:
        """A command only replicas get (PUBLISH, SPUBLISH: their subscribers hear it too)."""
        self._emit(db.index, [list(args)], TO_REPLICAS)

    def deleted(self, db, key: bytes, lazy: bool) -> None:
        """A key expired or was evicted: logged as UNLINK when freed lazily (`lazy`: the
        lazyfree-lazy-expire or -eviction setting), else DEL, as Redis."""
        self._emit(db.index, [[b"UNLINK" if lazy else b"DEL", key]])

    def begin(self) -> None:
        self._depth += 1

    def end(self) -> None:
        self._depth -= 1
        if self._depth or not self._pending:
            return
        pending, self._pending = self._pending, []
        self._deliver(pending)

    def _emit(self, index: int, commands: list, targets: int = TO_ALL) -> None:
        if not commands or not targets:
            return
        if self._depth:
            self._pending.append((index, commands, targets))
        else:
            self._deliver([(index, commands, targets)])

    def _deliver(self, parts: list) -> None:
        """Each sink gets the parts meant for it; more than one command in all (a transaction,
        a script, one command's several effects) goes in MULTI/EXEC, as Redis wraps them."""
        self.acks.counted += 1
        for sink in self.sinks:
            target = getattr(sink, "target", TO_AOF)
            taken = [(index, commands) for index, commands, targets in parts
                     if targets & target]
            if not taken:
                continue
            if len(taken) == 1 and len(taken[0][1]) == 1:
                sink.feed(*taken[0])
                continue
            sink.feed(taken[0][0], [[b"MULTI"]])
            for index, commands in taken:
                sink.feed(index, commands)
            sink.feed(taken[-1][0], [[b"EXEC"]])
