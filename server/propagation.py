"""Propagation: every change to the data, as the commands that reproduce it, handed to the
sinks that need them (the append-only file; replicas later).

Callers: the dispatcher after a command that changed the data (the keyspace's dirty counter
moved), run batches and the GPU engine's batcher, the scripting engine for each write a script
makes (scripts are logged by their effects, never as EVAL), the blocking registry when it
serves a waiting client, and the keyspace when a key expires or is evicted (DEL). EXEC and
scripts wrap what they propagate in MULTI/EXEC, so a replay applies them atomically.
"""

from .effects import effects

# Commands that run others and propagate those instead of themselves.
WRAPPERS = frozenset({"exec", "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"})
# Changes that touch no key (so the dirty counter does not see them).
KEYLESS_WRITES = frozenset({"function|load", "function|delete", "function|flush",
                            "function|restore"})


class Propagation:
    def __init__(self):
        self.sinks: list = []  # each has feed(db_index, commands)
        self._depth = 0  # nesting of EXEC / scripts
        self._pending: list = []  # (db index, commands) inside the outermost wrapper

    def __bool__(self):
        return bool(self.sinks)

    def command(self, db, spec, args, reply) -> None:
        self._emit(db.index, effects(spec.name, args, reply, db))

    def deleted(self, db, key: bytes) -> None:
        """A key expired or was evicted."""
        self._emit(db.index, [[b"DEL", key]])

    def begin(self) -> None:
        self._depth += 1

    def end(self) -> None:
        self._depth -= 1
        if self._depth or not self._pending:
            return
        pending, self._pending = self._pending, []
        if len(pending) == 1 and len(pending[0][1]) == 1:  # one command needs no wrapping
            self._send(*pending[0])
            return
        self._send(pending[0][0], [[b"MULTI"]])
        for index, commands in pending:
            self._send(index, commands)
        self._send(pending[-1][0], [[b"EXEC"]])

    def _emit(self, index: int, commands: list) -> None:
        if not commands:
            return
        if self._depth:
            self._pending.append((index, commands))
        elif len(commands) > 1:  # one command's effects apply together, as Redis wraps them
            self._send(index, [[b"MULTI"], *commands, [b"EXEC"]])
        else:
            self._send(index, commands)

    def _send(self, index: int, commands: list) -> None:
        for sink in self.sinks:
            sink.feed(index, commands)
