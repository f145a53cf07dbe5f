"""Argument converters and helpers shared by the command families.

Converters raise CommandError with Redis's exact words, so a handler reads like a spec:
`count = to_int(args[2])`.
"""

import math
import re
import time

import numpy as np

from .. import errors
from ..errors import CommandError
from ..notify import event_class

LLONG_MIN = -(2**63)
LLONG_MAX = 2**63 - 1
_INT_RE = re.compile(rb"(?:-?[1-9][0-9]{0,19}|0)\Z")
# strtod-style numbers as Redis accepts them: no spaces, no underscores, optional exponent,
# hex floats, inf/infinity (nan is rejected separately).
_FLOAT_RE = re.compile(
    rb"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity"
    rb"|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?)\Z",
    re.IGNORECASE,
)
# what C's strtod reads of a string with no end pointer asked: its longest number prefix
_FLOAT_PREFIX_RE = re.compile(
    rb"\s*([+-]?(?:0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?"
    rb"|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|infinity|inf|nan))",
    re.IGNORECASE,
)
# a digit that is not zero before the exponent: a number that parses as 0 underflowed
_NONZERO_MANTISSA = re.compile(r"^[+-]?(?:0x[0-9a-f.]*[1-9a-f]|[0-9.]*[1-9])")


def to_int(value, message: str = errors.NOT_INTEGER) -> int:
    """Redis's string2ll: canonical decimal only (no '+', spaces or leading zeros), int64."""
    try:
        number = int(value)
    except ValueError:
        raise CommandError(message) from None
    # int() also accepts ' 1', '+1', '01', '1_0': only the canonical spelling is an integer.
    if LLONG_MIN <= number <= LLONG_MAX and b"%d" % number == value:
        return number
    raise CommandError(message)


def strtod_prefix(value) -> float:
    """C's strtod(s, NULL): the number at the start of the string, 0 when there is none
    (DEBUG SLEEP reads its argument so)."""
    found = _FLOAT_PREFIX_RE.match(bytes(value))
    if found is None:
        return 0.0
    text = found[1].decode()
    return float.fromhex(text) if "x" in text.lower() else float(text)


def to_float(value, message: str = errors.NOT_FLOAT, out_of_range_ok: bool = False) -> float:
    """Redis's string2d: a finite or infinite double, never NaN, and not a number too large or
    too small for a double (strtod's ERANGE: '1e400', '1e-400'; 'inf' itself is fine).
    `out_of_range_ok`: plain strtod, as score ranges take them (as inf and 0)."""
    if type(value) is bytes and value.isdigit() and len(value) <= 308:
        return float(value)  # plain digits (most scores): finite, nothing below refuses them
    if not _FLOAT_RE.match(value):
        raise CommandError(message)
    text = value.decode().lower()
    try:
        number = float.fromhex(text) if "0x" in text else float(text)
    except OverflowError:  # (a hexadecimal float past the largest double)
        if not out_of_range_ok:
            raise CommandError(message) from None
        number = -math.inf if text.startswith("-") else math.inf
    if math.isnan(number):
        raise CommandError(message)
    if not out_of_range_ok and (math.isinf(number) and "inf" not in text or number == 0 and
                                _NONZERO_MANTISSA.search(text)):
        raise CommandError(message)
    return number


def to_long_double(value, message: str = errors.NOT_FLOAT):
    """Redis's string2ld (INCRBYFLOAT): parsed as an 80-bit long double where available."""
    to_float(value, message, out_of_range_ok=True)  # same syntax; 80 bits reach further
    text = value.decode().lower()
    if "0x" in text:
        return np.longdouble(float.fromhex(text))
    return np.longdouble(text)


def format_long_double(number) -> bytes:
    """Redis's ld2string in human mode: %.17Lf with trailing zeros (and '.') removed."""
    text = np.format_float_positional(number, precision=17, unique=False, fractional=True,
                                      trim="-")
    if text in ("-0",):
        text = "0"
    return text.encode()


def to_timeout_seconds(value) -> float:
    """Blocking-command timeouts: a non-negative float number of seconds."""
    number = to_float(value, errors.TIMEOUT_NOT_FLOAT, out_of_range_ok=True)
    if number * 1000 > LLONG_MAX:
        raise CommandError(errors.TIMEOUT_OUT_OF_RANGE)
    _check_deadline(math.ceil(number * 1000) if number > 0 else number)
    return number


def to_timeout_ms(value) -> int:
    """WAIT, WAITAOF and XREAD BLOCK timeouts: non-negative integer milliseconds."""
    number = to_int(value, errors.TIMEOUT_NOT_INTEGER)
    _check_deadline(number)
    return number


def _check_deadline(ms) -> None:
    """Redis's getTimeoutFromObjectOrReply: negative, or a deadline past LLONG_MAX, is refused."""
    if ms < 0:
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    if ms > LLONG_MAX - int(time.time() * 1000):
        raise CommandError(errors.TIMEOUT_OUT_OF_RANGE)


def first_served(client, keys, attempt):
    """attempt(db, key) on each key in order; the first reply that is not None (else None)."""
    db = client.db
    for key in keys:
        reply = attempt(db, key)
        if reply is not None:
            return reply
    return None


def block(client, keys, attempt, timeout: float, timeout_reply, kind=None,
          unblock_on_nokey=False):
    """Wait on `keys` until attempt() succeeds for one of them, or the timeout answers.
    Inside EXEC or a script a blocking command never blocks: it answers the timeout reply.
    `kind`, `unblock_on_nokey`: the value type waited for; whether any change (a deletion
    too) runs attempt() again (blocking.Waiter)."""
    if client.deny_blocking:
        return timeout_reply
    return client.server.blocking.block(client, keys, attempt, timeout, timeout_reply, kind,
                                        unblock_on_nokey)


def serve_or_block(client, keys, attempt, timeout: float, timeout_reply, kind):
    """The blocking commands' shape: serve now from the first key that can, else wait."""
    reply = first_served(client, keys, attempt)
    if reply is not None:
        return reply
    return block(client, keys, attempt, timeout, timeout_reply, kind)


def take_flags(args, start: int, names: frozenset):
    """Leading bare option words (NX, XX, GT, ...) from args[start:], case-insensitive.
    Returns (set of lowercase flags, index of the first argument that is not one)."""
    flags = set()
    index = start
    while index < len(args):
        word = lower(args[index])
        if word not in names:
            break
        flags.add(word)
        index += 1
    return flags, index


def optional_count(args, index: int = 2):
    """SPOP/ZPOPMIN-style trailing [count]: None when absent, a non-negative int otherwise."""
    if len(args) > index + 1:
        raise CommandError(errors.SYNTAX)
    if len(args) <= index:
        return None
    return to_positive(args[index])


def to_positive(arg) -> int:
    """Redis's getPositiveLongFromObjectOrReply: a non-negative integer, one error for both
    kinds of bad value."""
    number = to_int(arg, "ERR value is out of range, must be positive")
    if number < 0:
        raise CommandError("ERR value is out of range, must be positive")
    return number


def to_long_in(arg, low: int, high: int) -> int:
    """Redis's getRangeLongFromObjectOrReply without a message of its own."""
    number = to_int(arg)
    if not low <= number <= high:
        raise CommandError(f"ERR value is out of range, value must between {low} and {high}")
    return number


def parse_random_count(args, option: bytes):
    """HRANDFIELD/ZRANDMEMBER arguments: [count [WITHVALUES|WITHSCORES]] -> (count, flag)."""
    if len(args) < 3:
        return None, False
    count = to_long_in(args[2], -LLONG_MAX, LLONG_MAX)
    flag = False
    if len(args) == 4 and lower(args[3]) == option:
        flag = True
    elif len(args) > 3:
        raise CommandError(errors.SYNTAX)
    if count < -(LLONG_MAX // 2) or (flag and count < -(LLONG_MAX // 4)):
        raise CommandError("ERR value is out of range")
    return count, flag


def repetitions_cut_short(client, members: list, count, parts: int = 1) -> bool:
    """A negative count repeats members |count| times: a reply past the client's hard output
    limit closes the client before it is built (output_limits.cut_short); True if so.
    `parts`: bulk strings per member (2 with values or scores)."""
    if count is None or count >= 0 or not members:
        return False
    from ..output_limits import cut_short

    sample = members[:16]
    item = sum(map(len, sample)) / len(sample) + 8  # ($N, CRLFs)
    return cut_short(client, int(-count * parts * item))


def random_members(members: list, count):
    """Redis's sampling: one member (count None), distinct ones (count >= 0), or |count| with
    repetitions (count < 0)."""
    import random

    if count is None:
        return random.choice(members)
    if count >= 0:
        return members if count >= len(members) else random.sample(members, count)
    return [random.choice(members) for _ in range(-count)]


def get_string(db, key, read: bool = True):
    """The string stored at `key` (bytes/bytearray) or None; WRONGTYPE for other types."""
    value = db.lookup_read(key) if read else db.lookup(key)
    if value is None:
        return None
    kind = type(value)
    if kind is bytes or kind is bytearray:
        return value
    raise CommandError(errors.WRONGTYPE)


def modified(client, key, db=None, event=None, notify=True, changes=1) -> None:
    """Every write to a key goes through here: dirty counter, blocked clients waiting on the
    key, the on_key_modified hook (WATCH, CLIENT TRACKING) and keyspace notifications
    (`event` defaults to what Redis sends for the running command; notify=False for the
    writes Redis announces no event for, e.g. XCLAIM). `changes`: what Redis adds to its
    dirty counter for it (the elements a variadic command added or removed; 0 for the
    second key of a RENAME or MOVE)."""
    server = client.server
    server.keyspace.dirty += changes
    if server.blocking.queues:
        server.blocking.signal(db or client.db, key)
    if server.on_key_modified is not None:
        server.on_key_modified(db or client.db, key, client)
    if notify and server.notifier.flags:
        spec = client.last_command
        name = event or server.notifier.command_event(spec)
        server.notifier.notify(event_class(name, spec.group), name, key, (db or client.db).index)


def modified_many(client, keys) -> None:
    """modified() for several keys written by one command (MSET, runs of SET)."""
    server = client.server
    if server.on_key_modified is None and not server.blocking.queues and \
            not server.notifier.flags:
        server.keyspace.dirty += len(keys)
        return
    for key in keys:
        modified(client, key)


def store_strings(client, db, keys: list, values: list) -> None:
    """MSET's stores and their events. While 'new' events are on, key by key, so that each
    created key's 'new' comes just before its 'set', as Redis sends them."""
    if db.stats.on_key_added is None:
        db.set_strings(keys, values)
        modified_many(client, keys)
        return
    for key, value in zip(keys, values):
        db.set(key, value)
        modified(client, key, db)


def check_db_index(client, value) -> int:
    index = to_int(value)
    if not 0 <= index < len(client.server.keyspace):
        raise CommandError(errors.DB_INDEX_OUT_OF_RANGE)
    return index


def lower(arg) -> bytes:
    return bytes(arg).lower()


def write_typed_string(db, key):
    """The string at `key` (None if absent) without touching stats; WRONGTYPE otherwise."""
    value = db.lookup(key)
    if value is None or type(value) is bytes or type(value) is bytearray:
        return value
    raise CommandError(errors.WRONGTYPE)


def read_typed(db, key, cls):
    """The value at `key` if it is a `cls` (None if absent); WRONGTYPE otherwise. Counts a
    keyspace hit or miss, like Redis's lookupKeyRead."""
    value = db.lookup_read(key)
    if value is None or type(value) is cls:
        return value
    raise CommandError(errors.WRONGTYPE)


def write_typed(db, key, cls):
    """The value at `key` if it is a `cls` (None if absent); WRONGTYPE otherwise (no stats)."""
    value = db.lookup(key)
    if value is None or type(value) is cls:
        return value
    raise CommandError(errors.WRONGTYPE)


def writable(db, key, cls):
    """(container, its size before the change), creating an empty `cls` if the key is absent.
    Pair every call with settle()."""
    value = write_typed(db, key, cls)
    if value is None:
        value = cls()
        db.add(key, value)
    return value, value.nbytes


def settle(client, key, value, before: int, changed: bool = True, event=None,
           changes: int = 1) -> None:
    """After an in-place change: account the size delta, signal the write (`changes` for the
    dirty counter, see modified()), and drop the key if the container is now empty (as Redis
    does, with its 'del' event)."""
    db = client.db
    db.resized(key, value.nbytes - before)
    if changed:
        modified(client, key, event=event, changes=changes)
    if not len(value):
        db.delete(key)
        if changed:
            notify_generic(client, "del", key, db)


def notify_generic(client, event: str, key, db=None) -> None:
    """An extra generic event next to a command's own one (del of an emptied key, expire...)."""
    notifier = client.server.notifier
    if notifier.flags:
        notifier.notify("g", event, key, (db or client.db).index)
