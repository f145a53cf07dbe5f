"""Key specifications: where a command's keys are and what it does to each, as Redis 7
describes them (the data is in command_specs_data.py).

COMMAND INFO reports them; COMMAND GETKEYS and GETKEYSANDFLAGS find keys with them the way
Redis does: every spec is applied to the arguments, and when one cannot be (an INCOMPLETE or
`unknown` spec, a bad key count) or a spec's flags depend on the arguments (VARIABLE_FLAGS),
the command's own key finder decides instead, as Redis's getkeys procedures do.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from .command_specs_data import KEY_SPECS, NOTES, TIPS
from .commands.common import lower
from .protocol.ldb_wire import atoi
from .replies import SimpleString

# The order Redis lists a key's flags in.
FLAG_ORDER = ("RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key",
              "incomplete", "variable_flags")


_WHOLE_NUMBER = re.compile(rb"0|[1-9][0-9]*")


@dataclass(frozen=True)
class KeySpec:
    flags: tuple
    begin: tuple  # ("index", pos) | ("keyword", word, startfrom) | ("unknown",)
    find: tuple  # ("range", lastkey, keystep, limit) | ("keynum", idx, firstkey, step) | ("unknown",)
    notes: str = None

    @property
    def simple(self) -> bool:
        """A fixed position and range: what the legacy first/last/step triple can say."""
        return self.begin[0] == "index" and self.find[0] == "range"

    def info(self) -> dict:
        """The spec as COMMAND INFO's reply shows it."""
        reply = {} if self.notes is None else {"notes": self.notes}
        reply["flags"] = [SimpleString(f) for f in self.flags]
        kind = self.begin[0]
        spec = {"index": self.begin[1]} if kind == "index" else {
            "keyword": self.begin[1], "startfrom": self.begin[2]} if kind == "keyword" else {}
        reply["begin_search"] = {"type": kind, "spec": spec}
        kind = self.find[0]
        spec = dict(zip(("lastkey", "keystep", "limit"), self.find[1:])) if kind == "range" \
            else dict(zip(("keynumidx", "firstkey", "keystep"), self.find[1:]))
        reply["find_keys"] = {"type": kind, "spec": spec}
        return reply


class _Unusable(Exception):
    """A spec that cannot locate keys in these arguments."""


def _parse(text: str, notes) -> KeySpec:
    flags, begin, find = (part.split() for part in text.split("|"))
    begin = (begin[0], int(begin[1])) if begin[0] == "index" else \
        (begin[0], begin[1], int(begin[2])) if begin[0] == "keyword" else (begin[0],)
    find = (find[0], *map(int, find[1:]))
    return KeySpec(tuple(flags), begin, find, notes)


@lru_cache(maxsize=None)
def specs_of(fullname: str) -> tuple:
    return tuple(_parse(text, NOTES.get((fullname, position)))
                 for position, text in enumerate(KEY_SPECS.get(fullname, ())))


def tips_of(fullname: str) -> tuple:
    return TIPS.get(fullname, ())


def has_keys(fullname: str) -> bool:
    """Redis's doesCommandHaveKeys: some spec names real keys (not only shard channels)."""
    return any("not_key" not in spec.flags for spec in specs_of(fullname))


def has_movable_keys(fullname: str) -> bool:
    """Redis's `movablekeys` flag: some key is not at a fixed position."""
    return any(not spec.simple for spec in specs_of(fullname))


# -- finding keys --------------------------------------------------------------------------
def _first_key(spec: KeySpec, args: list) -> int:
    """The index where the spec's keys start, or 0 when its keyword is absent."""
    kind = spec.begin[0]
    if kind == "index":
        return spec.begin[1]
    if kind != "keyword":
        raise _Unusable
    word, start = spec.begin[1].encode().lower(), spec.begin[2]
    argc = len(args)
    order = range(start, argc - 1) if start > 0 else range(argc + start, 1, -1)
    for index in order:
        if lower(args[index]) == word:
            return index + 1
    return 0


def _spec_keys(spec: KeySpec, args: list) -> list:
    first = _first_key(spec, args)
    if not first:
        return []
    argc = len(args)
    kind = spec.find[0]
    if kind == "range":
        lastkey, step, limit = spec.find[1:]
        if lastkey >= 0:
            last = first + lastkey
        elif not limit:
            last = argc + lastkey
        else:
            last = first + ((argc - first) // limit + lastkey)
    elif kind == "keynum":
        number_at, offset, step = spec.find[1:]
        if first + number_at >= argc:
            raise _Unusable
        number = bytes(args[first + number_at])
        if not _WHOLE_NUMBER.fullmatch(number):
            raise _Unusable
        count = int(number)
        first += offset
        last = first + count - 1
    else:
        raise _Unusable
    if last >= argc or last < first or first >= argc:
        raise _Unusable
    if "incomplete" in spec.flags:
        raise _Unusable
    return [(index, spec.flags) for index in range(first, last + 1, step)]


def find_keys(command, args: list) -> list:
    """[(argument index, key flags)] for a command invocation, Redis's way."""
    specs = specs_of(command.fullname)
    if not any("variable_flags" in spec.flags for spec in specs):
        try:
            return [key for spec in specs if "not_key" not in spec.flags
                    for key in _spec_keys(spec, args)]
        except _Unusable:
            pass
    finder = _KEY_FINDERS.get(command.fullname)
    return finder(args) if finder is not None else []


# -- the commands' own key finders (Redis's getkeys procedures) ------------------------------
_READ = ("RO", "access")
_READ_WRITE = ("RW", "access", "update")
_OVERWRITE = ("OW", "update")


def _set_keys(args):
    wants_old_value = any(lower(arg) == b"get" for arg in args[3:])
    return [(1, _READ_WRITE if wants_old_value else _OVERWRITE)]


def _bitfield_keys(args):
    """Read-only when every operation is a GET (OVERFLOW aside)."""
    index, argc = 2, len(args)
    while index < argc:
        operation, left = lower(args[index]), argc - index - 1
        if operation == b"get" and left >= 2:
            index += 3
        elif operation == b"overflow" and left >= 1:
            index += 2
        else:
            return [(1, _READ_WRITE)]
    return [(1, _READ)]


def _sort_keys(args):
    keys, index, store = [(1, _READ)], 2, None
    skip = {b"limit": 2, b"get": 1, b"by": 1}
    while index < len(args):
        word = lower(args[index])
        if word == b"store" and index + 1 < len(args):
            store = index + 1  # the last STORE counts, as in SORT itself
        else:
            index += skip.get(word, 0)
        index += 1
    return keys + ([(store, _OVERWRITE)] if store is not None else [])


def _counted_keys(count_at: int, store_at: int = 0):
    """genericGetKeys, where a key count's spec could not be applied ('1x', ' 1', a count
    past the arguments): the count read with atoi, no key at all when it is below 1 or more
    than the arguments after it, a destination last; keys without flags."""
    def keys(args):
        count = atoi(args[count_at]) if len(args) > count_at else 0
        first = count_at + 1
        if count < 1 or count > len(args) - first:
            return []
        return [(index, ()) for index in range(first, first + count)] + (
            [(store_at, ())] if store_at else [])
    return keys


_MIGRATE_OPTIONS = {b"copy": 0, b"replace": 0, b"auth": 1, b"auth2": 2}


def _migrate_keys(args):
    """The key at 3, or those after KEYS (none when the key at 3 is not empty as well)."""
    first, count = 3, 1
    index = 6
    while index < len(args):
        word = lower(args[index])
        if word == b"keys":
            if len(args[3]):
                count = 0  # a syntax error MIGRATE itself reports
            else:
                first, count = index + 1, len(args) - index - 1
            break
        index += _MIGRATE_OPTIONS.get(word, 0) + 1
    return [(index, ("RW", "access", "delete")) for index in range(first, first + count)]


_READ_OPTIONS = {b"block": 1, b"count": 1, b"group": 2, b"noack": 0}


def _xread_keys(args):
    """XREAD / XREADGROUP: the keys after STREAMS, found past the options (none when STREAMS
    is missing or the keys and IDs do not pair up)."""
    index = 1
    while index < len(args):
        word = lower(args[index])
        if word == b"streams":
            count = len(args) - index - 1
            if not count or count % 2:
                return []
            return [(position, ()) for position in range(index + 1, index + 1 + count // 2)]
        if word not in _READ_OPTIONS:
            return []
        index += _READ_OPTIONS[word] + 1
    return []


_KEY_FINDERS = {
    "set": _set_keys,
    "bitfield": _bitfield_keys,
    "sort": _sort_keys,
    "sort_ro": lambda args: [(1, _READ)],
    "migrate": _migrate_keys,
    "xread": _xread_keys,
    "xreadgroup": _xread_keys,
    **dict.fromkeys(("eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro", "blmpop",
                     "bzmpop"), _counted_keys(2)),
    **dict.fromkeys(("zunion", "zinter", "zdiff", "zintercard", "sintercard", "lmpop", "zmpop"),
                    _counted_keys(1)),
    **dict.fromkeys(("zunionstore", "zinterstore", "zdiffstore"), _counted_keys(2, store_at=1)),
}


def keys_from_command(command, args: list) -> list:
    """Redis's getKeysFromCommand (the keys CLIENT TRACKING remembers a read of, and a
    tenant's quota is checked on): the argument indexes the command's own key finder gives,
    else its first/last/step positions."""
    finder = _KEY_FINDERS.get(command.fullname)
    if finder is None:
        return command.key_positions(args)
    return [index for index, _ in finder(args)]


def flags_reply(flags: tuple) -> list:
    return [SimpleString(f) for f in FLAG_ORDER if f in flags]
