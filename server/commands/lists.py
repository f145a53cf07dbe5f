"""List commands, blocking variants included (they wait through server.blocking)."""

from functools import partial
from itertools import islice

from .. import errors
from ..command_table import command
from ..errors import CommandError
from ..keyspace.containers import List
from ..replies import NULL_ARRAY, OK, BulkStrings
from .common import (first_served, lower, modified, notify_generic, optional_count, read_typed,
                     serve_or_block, settle, to_int, to_timeout_seconds, writable, write_typed)
from .keyed_runs import keyed_run, touch_again

G = "list"
LEFT, RIGHT = b"left", b"right"


# -- pushes ---------------------------------------------------------------------------------
def _push(client, args, head: bool, only_existing: bool):
    db = client.db
    if only_existing and write_typed(db, args[1], List) is None:
        return 0
    items, before = writable(db, args[1], List)
    push = items.push_head if head else items.push_tail
    if len(args) == 3:  # one element, the usual call
        push(args[2])
    else:
        for value in args[2:]:
            push(value)
    size = len(items)
    settle(client, args[1], items, before, changes=len(args) - 2)
    return size


@command("lpush", -3, "write denyoom fast", (1, 1, 1), G, "Prepends one or more elements to a "
         "list. Creates the key if it doesn't exist.")
def lpush(client, args):
    return _push(client, args, True, False)


@command("rpush", -3, "write denyoom fast", (1, 1, 1), G, "Appends one or more elements to a "
         "list. Creates the key if it doesn't exist.")
def rpush(client, args):
    return _push(client, args, False, False)


@command("lpushx", -3, "write denyoom fast", (1, 1, 1), G, "Prepends one or more elements to a "
         "list only when the list exists.", "2.2.0")
def lpushx(client, args):
    return _push(client, args, True, True)


@command("rpushx", -3, "write denyoom fast", (1, 1, 1), G, "Appends an element to a list only "
         "when the list exists.", "2.2.0")
def rpushx(client, args):
    return _push(client, args, False, True)


def _push_stretch(client, key, commands, head: bool) -> list:
    """Consecutive one-element pushes to `key` (keyed_runs): one lookup, one extend."""
    db = client.db
    items, before = writable(db, key, List)
    touch_again(db, key, len(commands) - 1)
    size = len(items)
    items.push_many([args[2] for args in commands], head)
    settle(client, key, items, before, changes=len(commands))
    return list(range(size + 1, len(items) + 1))


keyed_run("lpush", 3, partial(_push_stretch, head=True))
keyed_run("rpush", 3, partial(_push_stretch, head=False))


# -- pops -----------------------------------------------------------------------------------
def pop_from(client, db, key, head: bool, count: int, before_events=None):
    """Pop up to `count` items from the list at key (None if absent). `before_events` runs
    after the pop but before its notifications (LMOVE announces its push first, as Redis)."""
    items = write_typed(db, key, List)
    if items is None:
        return None
    before = items.nbytes
    pop = items.pop_head if head else items.pop_tail
    # (a list that exists holds an element: Redis deletes emptied ones)
    popped = [pop()] if count == 1 else [pop() for _ in range(min(count, len(items)))]
    db.resized(key, items.nbytes - before)
    if before_events is not None:
        before_events(popped)
    modified(client, key, db, event="lpop" if head else "rpop", changes=len(popped))
    if not len(items):
        db.delete(key)
        notify_generic(client, "del", key, db)
    return popped


def _pop(client, args, head: bool):
    if len(args) == 2:  # no count: the usual call
        popped = pop_from(client, client.db, args[1], head, 1)
        return popped[0] if popped else None
    if len(args) > 3:
        raise CommandError(errors.wrong_arity(args[0].decode(errors="replace").lower()))
    count = optional_count(args)
    if count == 0:
        return [] if write_typed(client.db, args[1], List) is not None else NULL_ARRAY
    popped = pop_from(client, client.db, args[1], head, 1 if count is None else count)
    if popped is None:
        return None if count is None else NULL_ARRAY
    return popped[0] if count is None else popped


@command("lpop", -2, "write fast", (1, 1, 1), G, "Returns the first elements in a list after "
         "removing it. Deletes the list if the last element was popped.")
def lpop(client, args):
    return _pop(client, args, True)


@command("rpop", -2, "write fast", (1, 1, 1), G, "Returns and removes the last elements of a "
         "list. Deletes the list if the last element was popped.")
def rpop(client, args):
    return _pop(client, args, False)


def _pop_stretch(client, key, commands, head: bool) -> list:
    """Consecutive plain pops of `key` (keyed_runs): one pop of as many elements; the
    commands after the list ran out find no key."""
    popped = pop_from(client, client.db, key, head, len(commands)) or []
    touch_again(client.db, key, len(popped) - 1)
    return popped + [None] * (len(commands) - len(popped))


keyed_run("lpop", 2, partial(_pop_stretch, head=True))
keyed_run("rpop", 2, partial(_pop_stretch, head=False))


# -- reads ------------------------------------------------------------------------------------
@command("llen", 2, "readonly fast", (1, 1, 1), G, "Returns the length of a list.")
def llen(client, args):
    items = read_typed(client.db, args[1], List)
    return 0 if items is None else len(items)


def _range(length: int, start: int, stop: int):
    if start < 0:
        start = max(length + start, 0)
    if stop < 0:
        stop = length + stop
    if stop >= length:
        stop = length - 1
    if start > stop or start >= length:
        return None
    return start, stop


@command("lrange", 4, "readonly", (1, 1, 1), G, "Returns a range of elements from a list.")
def lrange(client, args):
    start, stop = to_int(args[2]), to_int(args[3])
    items = read_typed(client.db, args[1], List)
    if items is None:
        return []
    bounds = _range(len(items), start, stop)
    if bounds is None:
        return []
    start, stop = bounds
    data = items.items
    if start == 0 and stop == len(data) - 1:
        return BulkStrings(data)
    return BulkStrings(islice(data, start, stop + 1))


@command("lindex", 3, "readonly", (1, 1, 1), G, "Returns an element from a list by its index.")
def lindex(client, args):
    items = read_typed(client.db, args[1], List)
    if items is None:  # Redis looks the key up before it parses the index
        return None
    index = to_int(args[2])
    if index < 0:
        index += len(items)
    return items.items[index] if 0 <= index < len(items) else None


@command("lpos", -3, "readonly", (1, 1, 1), G, "Returns the index of matching elements in a "
         "list.", "6.0.6")
def lpos(client, args):
    rank, count, maxlen = 1, None, 0
    i = 3
    while i < len(args):
        opt = lower(args[i])
        if i + 1 >= len(args):
            raise CommandError(errors.SYNTAX)
        if opt == b"rank":
            rank = to_int(args[i + 1])
            if rank == 0:
                raise CommandError(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
                    "second ... or use negative to start from the end of the list")
            if rank == -(2**63):
                raise CommandError("ERR value is out of range")
        elif opt in (b"count", b"maxlen"):  # (one error for a bad or a negative value)
            message = f"ERR {opt.decode().upper()} can't be negative"
            number = to_int(args[i + 1], message)
            if number < 0:
                raise CommandError(message)
            if opt == b"count":
                count = number
            else:
                maxlen = number
        else:
            raise CommandError(errors.SYNTAX)
        i += 2
    items = read_typed(client.db, args[1], List)
    if items is None:
        return None if count is None else []
    target = args[2]
    data = items.items
    length = len(data)
    indexes = range(length) if rank > 0 else range(length - 1, -1, -1)
    skip = abs(rank) - 1
    found = []
    for scanned, index in enumerate(indexes):
        if maxlen and scanned >= maxlen:
            break
        if data[index] == target:
            if skip:
                skip -= 1
                continue
            found.append(index)
            if count is None or (count and len(found) >= count):
                break
    if count is None:
        return found[0] if found else None
    return found


# -- edits ------------------------------------------------------------------------------------
@command("lset", 4, "write denyoom", (1, 1, 1), G, "Sets the value of an element in a list by "
         "its index.")
def lset(client, args):
    items = write_typed(client.db, args[1], List)
    if items is None:  # (as Redis: before the index is read)
        raise CommandError(errors.NO_SUCH_KEY)
    index = to_int(args[2])
    if index < 0:
        index += len(items)
    if not 0 <= index < len(items):
        raise CommandError("ERR index out of range")
    before = items.nbytes
    old = items.items[index]
    items.items[index] = args[3]
    items.nbytes += len(args[3]) - len(old)
    settle(client, args[1], items, before)
    return OK


@command("linsert", 5, "write denyoom", (1, 1, 1), G, "Inserts an element before or after "
         "another element in a list.", "2.2.0")
def linsert(client, args):
    where = lower(args[2])
    if where not in (b"before", b"after"):
        raise CommandError(errors.SYNTAX)
    items = write_typed(client.db, args[1], List)
    if items is None:
        return 0
    try:
        index = items.items.index(args[3])
    except ValueError:
        return -1
    before = items.nbytes
    values = list(items.items)
    values.insert(index if where == b"before" else index + 1, args[4])
    items.replace_all(values)
    settle(client, args[1], items, before)
    return len(items)


@command("lrem", 4, "write", (1, 1, 1), G, "Removes elements from a list. Deletes the list if "
         "the last element was removed.")
def lrem(client, args):
    count = to_int(args[2])
    items = write_typed(client.db, args[1], List)
    if items is None:
        return 0
    target = args[3]
    values = list(items.items)
    limit = abs(count) if count else len(values)
    order = range(len(values)) if count >= 0 else range(len(values) - 1, -1, -1)
    doomed = set()
    for index in order:
        if len(doomed) >= limit:
            break
        if values[index] == target:
            doomed.add(index)
    if not doomed:
        return 0
    before = items.nbytes
    items.replace_all(v for i, v in enumerate(values) if i not in doomed)
    settle(client, args[1], items, before, changes=len(doomed))
    return len(doomed)


@command("ltrim", 4, "write", (1, 1, 1), G, "Removes elements from both ends a list. Deletes "
         "the list if all elements were trimmed.")
def ltrim(client, args):
    start, stop = to_int(args[2]), to_int(args[3])
    items = write_typed(client.db, args[1], List)
    if items is None:
        return OK
    before, length = items.nbytes, len(items)
    bounds = _range(len(items), start, stop)
    if bounds is None:
        items.replace_all(())
    else:
        data = items.items
        for _ in range(bounds[0]):
            data.popleft()
        for _ in range(len(data) - (bounds[1] - bounds[0] + 1)):
            data.pop()
        items.replace_all(data)
    settle(client, args[1], items, before, changes=length - len(items))
    return OK


# -- moves ------------------------------------------------------------------------------------
def _side(value) -> bytes:
    side = lower(value)
    if side not in (LEFT, RIGHT):
        raise CommandError(errors.SYNTAX)
    return side


def move_one(client, db, src, dst, wherefrom: bytes, whereto: bytes):
    """Pop from src and push to dst (LMOVE); None if src is empty or absent."""
    source = write_typed(db, src, List)
    if source is None:
        return None
    write_typed(db, dst, List)  # WRONGTYPE before anything changes

    def push(popped):
        target = db.lookup(dst)
        if target is None:
            target = List()
            db.add(dst, target)
        before = target.nbytes
        (target.push_head if whereto == LEFT else target.push_tail)(popped[0])
        db.resized(dst, target.nbytes - before)
        modified(client, dst, db, event="lpush" if whereto == LEFT else "rpush",
                 changes=0)  # (the move counts once: the pop)

    return pop_from(client, db, src, wherefrom == LEFT, 1, before_events=push)[0]


@command("lmove", 5, "write denyoom", (1, 2, 1), G, "Returns an element after popping it from "
         "one list and pushing it to another. Deletes the list if the last element was moved.",
         "6.2.0")
def lmove(client, args):
    wherefrom, whereto = _side(args[3]), _side(args[4])
    return move_one(client, client.db, args[1], args[2], wherefrom, whereto)


@command("rpoplpush", 3, "write denyoom", (1, 2, 1), G, "Returns the last element of a list "
         "after removing and pushing it to another list. Deletes the list if the last element "
         "was popped.", "1.2.0")
def rpoplpush(client, args):
    return move_one(client, client.db, args[1], args[2], RIGHT, LEFT)


def parse_mpop(args, index: int, count_error: str = "ERR count should be greater than 0"):
    """numkeys key... LEFT|RIGHT [COUNT n] -> (keys, side, count)."""
    from .sets import parse_numkeys

    numkeys = parse_numkeys(args, index, errors.SYNTAX)
    keys = args[index + 1:index + 1 + numkeys]
    rest = args[index + 1 + numkeys:]
    if not rest:
        raise CommandError(errors.SYNTAX)
    side = _side(rest[0])
    count = 1
    if len(rest) == 3 and lower(rest[1]) == b"count":
        count = to_int(rest[2], count_error)
        if count <= 0:
            raise CommandError(count_error)
    elif len(rest) != 1:
        raise CommandError(errors.SYNTAX)
    return keys, side, count


@command("lmpop", -4, "write", (0, 0, 0), G, "Returns multiple elements from a list after "
         "removing them. Deletes the list if the last element was popped.", "7.0.0")
def lmpop(client, args):
    keys, side, count = parse_mpop(args, 1)
    result = first_served(client, keys, _pop_attempt(client, side == LEFT, count))
    return NULL_ARRAY if result is None else result


# -- blocking variants ----------------------------------------------------------------------
def _pop_attempt(client, head: bool, count=None):
    """attempt(db, key) for BLPOP/BRPOP ([key, item]) and (B)LMPOP ([key, [items]])."""
    def attempt(db, key):
        popped = pop_from(client, db, key, head, 1 if count is None else count)
        if popped is None:
            return None
        return [key, popped[0] if count is None else popped]

    return attempt


def _blocking_pop(client, args, head: bool):
    timeout = to_timeout_seconds(args[-1])
    keys = args[1:-1]
    return serve_or_block(client, keys, _pop_attempt(client, head), timeout, NULL_ARRAY, List)


@command("blpop", -3, "write blocking", (1, -2, 1), G, "Removes and returns the first element "
         "in a list. Blocks until an element is available otherwise. Deletes the list if the "
         "last element was popped.", "2.0.0")
def blpop(client, args):
    return _blocking_pop(client, args, True)


@command("brpop", -3, "write blocking", (1, -2, 1), G, "Removes and returns the last element in "
         "a list. Blocks until an element is available otherwise. Deletes the list if the last "
         "element was popped.", "2.0.0")
def brpop(client, args):
    return _blocking_pop(client, args, False)


def _blocking_move(client, src, dst, wherefrom, whereto, timeout):
    def attempt(db, key):
        return move_one(client, db, src, dst, wherefrom, whereto)

    return serve_or_block(client, [src], attempt, timeout, None, List)


@command("blmove", 6, "write denyoom blocking", (1, 2, 1), G, "Pops an element from a list, "
         "pushes it to another list and returns it. Blocks until an element is available "
         "otherwise. Deletes the list if the last element was moved.", "6.2.0")
def blmove(client, args):
    wherefrom, whereto = _side(args[3]), _side(args[4])
    timeout = to_timeout_seconds(args[5])
    return _blocking_move(client, args[1], args[2], wherefrom, whereto, timeout)


@command("brpoplpush", 4, "write denyoom blocking", (1, 2, 1), G, "Pops an element from a list, "
         "pushes it to another list and returns it. Block until an element is available "
         "otherwise. Deletes the list if the last element was popped.", "2.2.0")
def brpoplpush(client, args):
    timeout = to_timeout_seconds(args[3])
    return _blocking_move(client, args[1], args[2], RIGHT, LEFT, timeout)


@command("blmpop", -5, "write blocking", (0, 0, 0), G, "Pops the first element from one of "
         "multiple lists. Blocks until an element is available otherwise. Deletes the list if "
         "the last element was popped.", "7.0.0")
def blmpop(client, args):
    timeout = to_timeout_seconds(args[1])
    keys, side, count = parse_mpop(args, 2)
    return serve_or_block(client, keys, _pop_attempt(client, side == LEFT, count), timeout,
                          NULL_ARRAY, List)
