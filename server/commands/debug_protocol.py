"""DEBUG PROTOCOL <type>: one reply of each RESP type, as Redis sends them, for testing
clients (what redis-py's and Redis's own tests ask for). Attributes, big numbers and pushes
are RESP3's: RESP2 gets a big number as a bulk string, the reply after an attribute alone,
and an error for a push."""

from ..errors import CommandError
from ..replies import Attributed, BigNumber, Push, Verbatim

TYPES = "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"


def protocol_reply(client, name: bytes):
    name = name.lower()
    if name == b"string":
        return b"Hello World"
    if name == b"integer":
        return 12345
    if name == b"double":
        return 3.141
    if name == b"bignum":
        return BigNumber(b"1234567999999999999999999999999999999")
    if name == b"null":
        return None
    if name == b"array":
        return [0, 1, 2]
    if name == b"set":
        return {0, 1, 2}
    if name == b"map":
        return {0: False, 1: True, 2: False}
    if name == b"attrib":
        return Attributed({b"key-popularity": [b"key:123", 90]},
                          b"Some real reply following the attribute")
    if name == b"push":
        if not client.resp3:
            raise CommandError("ERR RESP2 is not supported by this command")
        client.deliver(Push([b"server-cpu-usage", 42]))  # (before this command's reply)
        return b"Some real reply following the push reply"
    if name == b"verbatim":
        return Verbatim("This is a verbatim\nstring")
    if name in (b"true", b"false"):
        return name == b"true"
    raise CommandError("ERR Wrong protocol type name. Please use one of the following: " + TYPES)
