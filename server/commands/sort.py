"""SORT and SORT_RO over lists, sets and sorted sets (BY, GET, LIMIT, ASC/DESC, ALPHA, STORE)."""

import functools

from .. import errors
from ..command_table import LOOKUP, command
from ..errors import CommandError
from ..keyspace.containers import Hash, List, Set, ZSet
from .common import lower, modified, to_float, to_int

G = "generic"


def _lookup_pattern(db, pattern: bytes, element: bytes):
    """Redis's lookupKeyByPattern: '#' is the element, '*' is replaced, '->field' reads a
    hash field; None when anything is missing."""
    if pattern == b"#":
        return element
    star = pattern.find(b"*")
    if star < 0:
        return None
    arrow = pattern.find(b"->", star + 1)
    if arrow >= 0 and arrow + 2 < len(pattern):
        key, field = pattern[:arrow].replace(b"*", element, 1), pattern[arrow + 2:]
    else:
        key, field = pattern.replace(b"*", element, 1), None
    value = db.lookup_read(key)  # (a hit or a miss each, as Redis's lookupKeyRead)
    if value is None:
        return None
    if field is not None:
        return value.get(field) if type(value) is Hash else None
    return bytes(value) if type(value) in (bytes, bytearray) else None


def _elements(value):
    if value is None:
        return []
    kind = type(value)
    if kind is List:
        return list(value.items)
    if kind is Set:
        return list(value.members)
    if kind is ZSet:
        return [member for _, member in value.order]
    raise CommandError(errors.WRONGTYPE)


def _need_full_key_access(client, args, option: str) -> None:
    """BY and GET patterns name keys no ACL check saw: Redis allows them only to users with
    access to every key (its error ends with a period, unlike most)."""
    from ..acl.access import accesses  # (the ACL package imports the command modules)

    spec = LOOKUP[bytes(args[0]).lower()]
    if not client.acl_user.full_key_access(spec, args, *accesses(spec, args)):
        raise CommandError(f"ERR {option} option of SORT denied due to insufficient ACL "
                           "permissions.")


def _sort(client, args, allow_store: bool):
    db = client.db
    by = None
    gets = []
    limit = None
    descending = alpha = False
    store = None
    i = 2
    while i < len(args):
        opt = lower(args[i])
        left = len(args) - i - 1
        if opt == b"asc":
            descending = False
        elif opt == b"desc":
            descending = True
        elif opt == b"alpha":
            alpha = True
        elif opt == b"limit" and left >= 2:
            limit = (to_int(args[i + 1]), to_int(args[i + 2]))
            i += 2
        elif opt == b"store" and left >= 1 and allow_store:
            store = args[i + 1]
            i += 1
        elif opt == b"by" and left >= 1:
            by = bytes(args[i + 1])
            if b"*" in by:  # a real pattern reads other keys: only with access to every key
                _need_full_key_access(client, args, "BY")
            i += 1
        elif opt == b"get" and left >= 1:
            _need_full_key_access(client, args, "GET")
            gets.append(bytes(args[i + 1]))
            i += 1
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    value = db.lookup_read(args[1])  # (STORE too, as Redis's lookupKeyRead)
    elements = _elements(value)
    dont_sort = by is not None and b"*" not in by  # BY nosort (or any constant pattern)
    if dont_sort and type(value) is Set:
        # A set has no order to keep. Stored (or inside a script or transaction) the result
        # must not depend on it: sorted as ALPHA, as Redis forces it.
        dont_sort = False
        if store is not None or client.deny_blocking:
            alpha, by = True, None
    if not dont_sort:
        elements = _ordered(db, elements, by, alpha, descending)
    elif descending and type(value) is ZSet:
        elements.reverse()
    if limit is not None:
        start, count = max(limit[0], 0), limit[1]
        elements = elements[start:] if count < 0 else elements[start:start + count]
    if gets:
        result = [_lookup_pattern(db, pattern, e) for e in elements for pattern in gets]
    else:
        result = elements
    if store is None:
        return result
    stored = [item if item is not None else b"" for item in result]
    if stored:  # (replaced, as Redis's setKey: a 'new' event only if it was absent)
        db.set(store, List(stored))
        modified(client, store, event="sortstore", changes=len(stored))
    elif db.delete(store):  # nothing to store: the destination goes, if it was there
        modified(client, store, event="del")
    return len(stored)


def _score(weight) -> float:
    """A weight as Redis's strtod(s, &end) takes it: the whole string a number after any
    leading spaces; an empty string (or a missing BY key) is 0."""
    if not weight:
        return 0.0
    number = bytes(weight).lstrip(b" \t\n\v\f\r")
    try:
        if not number:
            raise CommandError(errors.NOT_FLOAT)
        return to_float(number)
    except CommandError:
        raise CommandError("ERR One or more scores can't be converted into double") from None


def _ordered(db, elements, by, alpha: bool, descending: bool):
    keyed = []
    for element in elements:
        weight = _lookup_pattern(db, by, element) if by is not None else element
        if alpha:
            keyed.append((weight, element))
        else:
            keyed.append((_score(weight), element))

    def compare(a, b):
        if alpha and by is not None and (a[0] is None or b[0] is None):
            cmp = (a[0] is not None) - (b[0] is not None)  # missing BY values sort first
        else:
            cmp = (a[0] > b[0]) - (a[0] < b[0])
        if cmp == 0 and not alpha:
            cmp = (a[1] > b[1]) - (a[1] < b[1])  # equal scores: compare the elements
        return -cmp if descending else cmp

    keyed.sort(key=functools.cmp_to_key(compare))
    return [element for _, element in keyed]


@command("sort", -2, "write denyoom", (1, 1, 1), G, "Sorts the elements in a list, a set, or a "
         "sorted set, optionally storing the result.")
def sort(client, args):
    return _sort(client, args, True)


@command("sort_ro", -2, "readonly", (1, 1, 1), G, "Returns the sorted elements of a list, a set, "
         "or a sorted set.", "7.0.0")
def sort_ro(client, args):
    return _sort(client, args, False)
