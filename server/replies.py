"""Reply values that handlers return; the protocol writer turns them into RESP2 or RESP3 bytes.

Plain Python values map naturally: bytes/bytearray -> bulk string, int -> integer, None -> null,
list/tuple -> array, dict -> map, set -> set, float -> double, bool -> boolean. The classes below
cover the shapes that plain values cannot express.
"""


class SimpleString(str):
    """A status reply (+OK)."""

    __slots__ = ()


class ErrorReply(str):
    """An error reply (-ERR ...), returned rather than raised (e.g. inside EXEC results)."""

    __slots__ = ()


class UncountedError(ErrorReply):
    """An error reply that INFO's error counts and commandstats' failed_calls leave out, as
    Redis leaves out DEBUG ERROR's (written as raw protocol, not through addReplyError)."""

    __slots__ = ()


class Verbatim(str):
    """A RESP3 verbatim string (INFO, CLIENT INFO); a bulk string under RESP2."""

    __slots__ = ()


class FormattedVerbatim:
    """A verbatim string with a format of its own (a script's verbatim_string table; Redis
    writes the format's first three characters, padded with spaces); a bulk string in RESP2."""

    __slots__ = ("format", "data")

    def __init__(self, format: bytes, data: bytes):
        self.format, self.data = format[:3].ljust(3), data


class OrderedSet(list):
    """A RESP3 set whose members go out in this order (a script's set table, in Lua's
    iteration order); an array in RESP2."""

    __slots__ = ()


class MapPairs(list):
    """A map given as (key, value) pairs: a script's map table, whose keys need not be
    hashable once converted (a table) nor distinct (1 and 1.5 both become 1); a flat array
    in RESP2."""

    __slots__ = ()


class BulkStrings(list):
    """An array of plain strings (bytes or bytearray), as a list's elements are: encoded in one
    join without a look at each element's type (LRANGE's 100-element replies)."""

    __slots__ = ()


class Push(list):
    """An out-of-band push message (>) in RESP3; a plain array in RESP2."""

    __slots__ = ()


class Replies(list):
    """Several replies written one after another, not as an array: what a deferred run of
    commands resolves to (server/engine_batch.py)."""


class DoubleText(bytes):
    """A double already written out (e.g. Redis's 17-decimal "human" coordinates): a RESP3
    double, or a bulk string in RESP2."""


class BigNumber(bytes):
    """A RESP3 big number (its decimal digits); a bulk string in RESP2."""


class Attributed:
    """A reply preceded by RESP3 attributes (a map sent before it); the reply alone in RESP2."""

    __slots__ = ("attributes", "reply")

    def __init__(self, attributes: dict, reply):
        self.attributes, self.reply = attributes, reply


class Raw(bytes):
    """Bytes written as they are, not as a reply: a replication stream, an RDB transfer."""


class _NullArray:
    """The null array (*-1 in RESP2, _ in RESP3)."""

    __slots__ = ()

    def __repr__(self):
        return "NULL_ARRAY"


class NoReply:
    """The command produced no reply on the wire (CLIENT REPLY OFF/SKIP, MONITOR subscription)."""

    __slots__ = ()


OK = SimpleString("OK")
PONG = SimpleString("PONG")
QUEUED = SimpleString("QUEUED")
NULL_ARRAY = _NullArray()
NO_REPLY = NoReply()
