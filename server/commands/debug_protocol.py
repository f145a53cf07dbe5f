"""DEBUG PROTOCOL <type>: one reply of each RESP type, as Redis sends them, for testing
clients (what redis-py's and Redis's own tests ask for). Attributes, big numbers and pushes
exist only in RESP3 and are written here directly; the rest go through the protocol writer."""

from ..errors import CommandError
from ..protocol.writer import encode
from ..replies import Push, Raw, Verbatim

TYPES = "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"
BIG_NUMBER = b"1234567999999999999999999999999999999"
AFTER_ATTRIBUTE = b"Some real reply following the attribute"
AFTER_PUSH = b"Some real reply following the push reply"


def protocol_reply(client, name: bytes):
    name = name.lower()
    resp3 = client.resp3
    if name == b"string":
        return b"Hello World"
    if name == b"integer":
        return 12345
    if name == b"double":
        return 3.141
    if name == b"bignum":
        return Raw(b"(" + BIG_NUMBER + b"\r\n") if resp3 else BIG_NUMBER
    if name == b"null":
        return None
    if name == b"array":
        return [0, 1, 2]
    if name == b"set":
        return {0, 1, 2}
    if name == b"map":
        return {0: False, 1: True, 2: False}
    if name == b"attrib":
        if not resp3:  # attributes are not replies: RESP2 gets the reply alone
            return AFTER_ATTRIBUTE
        return Raw(b"|1\r\n" + encode(b"key-popularity", True) + encode([b"key:123", 90], True)
                   + encode(AFTER_ATTRIBUTE, True))
    if name == b"push":
        if not resp3:
            raise CommandError("ERR RESP2 is not supported by this command")
        return Raw(encode(Push([b"server-cpu-usage", 42]), True) + encode(AFTER_PUSH, True))
    if name == b"verbatim":
        return Verbatim("This is a verbatim\nstring")
    if name in (b"true", b"false"):
        return name == b"true"
    raise CommandError("ERR Wrong protocol type name. Please use one of the following: " + TYPES)
