"""Pipelined runs of one data-type command, a key at a time.

`dispatch.execute_batch` hands a run of consecutive identical commands (LPUSH, SADD, HSET,
ZADD, pops...) to the command's run handler. When nothing observes writes one command at a
time (`quiet_writes`), the handler does each stretch of commands on one key together: one
lookup, one size update, one dirty count, where a loop would pay all of them per command. The
replies, the data, the memory accounting and the access log come out as the commands run one
by one would leave them. Otherwise the handler returns None and the commands run one by one.
"""

from itertools import groupby
from operator import itemgetter

from ..command_table import batched
from ..errors import CommandError
from ..replies import ErrorReply
from .common import settle, writable

_key = itemgetter(1)


def quiet_writes(server) -> bool:
    """No blocked client to serve between commands, no WATCH or tracking hook, no keyspace
    events: a key's consecutive writes are then seen only through their end state."""
    return (not server.blocking.queues and server.on_key_modified is None
            and not server.notifier.flags)


def keyed_run(name: str, argc: int, do_stretch) -> None:
    """Make run_by_key(.., do_stretch) the run handler of `name` invoked with `argc` args."""
    batched(name, argc)(lambda client, run: run_by_key(client, run, do_stretch))


def run_by_key(client, run: list, do_stretch):
    """(replies, failures) of `run`, each stretch of commands on one key done by
    `do_stretch(client, key, commands)` -> their replies; a CommandError it raises (WRONGTYPE
    before anything changed) answers every command of the stretch. None when the run must go
    command by command."""
    if not quiet_writes(client.server):
        return None
    replies: list = []
    failed = 0
    for key, stretch in groupby(run, key=_key):
        stretch = list(stretch)
        try:
            produced = do_stretch(client, key, stretch)
        except CommandError as exc:
            produced = [ErrorReply(exc.message)] * len(stretch)
            if key in client.db.data:  # each failed lookup found the key (WRONGTYPE...)
                touch_again(client.db, key, len(stretch) - 1)
        replies += produced
        if ErrorReply in map(type, produced):
            failed += sum(type(reply) is ErrorReply for reply in produced)
    return replies, failed


def one_by_one(client, commands: list, handler) -> list:
    """The replies of `handler` run on each command in turn (a stretch the fast way does not
    cover, e.g. XADD with explicit IDs)."""
    replies = []
    for args in commands:
        try:
            replies.append(handler(client, args))
        except CommandError as exc:
            replies.append(ErrorReply(exc.message))
    return replies


def member_increments(client, key, commands, container, amount, apply, handler) -> list:
    """Consecutive increments of members of the `container` (Hash, ZSet) at `key` (HINCRBY,
    ZINCRBY): one lookup, one size update. `amount(args)` parses a command's increment (a
    CommandError, which comes before the lookup, sends the stretch one by one through
    `handler`); `apply(client, value, args, amount)` -> (reply, changed) or a CommandError
    for that command alone, the value left as it was."""
    try:
        amounts = [amount(args) for args in commands]
    except CommandError:
        return one_by_one(client, commands, handler)
    db = client.db
    value, before = writable(db, key, container)
    touch_again(db, key, len(commands) - 1)
    replies, changes = [], 0
    for args, each in zip(commands, amounts):
        try:
            reply, changed = apply(client, value, args, each)
        except CommandError as exc:
            replies.append(ErrorReply(exc.message))
            continue
        replies.append(reply)
        changes += changed
    settle(client, key, value, before, changed=changes > 0, changes=changes)
    return replies


def touch_again(db, key, times: int) -> None:
    """Log `times` more accesses of `key`: the lookups of a stretch's later commands, which
    the stretch did once (LRU clock, LFU counter and the samplers see every command)."""
    if times > 0:
        db.touch_many([key] * times)
