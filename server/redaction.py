"""Secrets kept out of SLOWLOG and MONITOR: the arguments Redis shows as "(redacted)"
(passwords of AUTH, HELLO AUTH and MIGRATE AUTH/AUTH2, every argument of ACL SETUSER, the
values of sensitive CONFIG SET parameters)."""

from ops.config_params import PARAMS

REDACTED = b"(redacted)"
SENSITIVE_CONFIG = frozenset(name.encode() for param in PARAMS if param.sensitive
                             for name in (param.name, *param.aliases))


def _lower(arg) -> bytes:
    return bytes(arg).lower()


def _positions(name: bytes, args: list):
    """Indexes of the arguments to hide in one command."""
    if name == b"auth":
        return range(1, len(args))
    if name == b"acl" and len(args) > 2 and _lower(args[1]) == b"setuser":
        return range(2, len(args))
    if name == b"hello":
        for index in range(2, len(args) - 2):
            if _lower(args[index]) == b"auth":
                return (index + 1, index + 2)
        return ()
    if name == b"config" and len(args) > 3 and _lower(args[1]) == b"set":
        return [index + 1 for index in range(2, len(args) - 1, 2)
                if _lower(args[index]) in SENSITIVE_CONFIG]
    if name == b"migrate":
        hidden, index = [], 6
        while index < len(args):
            option = _lower(args[index])
            if option == b"keys":
                break
            taken = 1 if option == b"auth" else 2 if option == b"auth2" else 0
            hidden += range(index + 1, min(index + 1 + taken, len(args)))
            index += 1 + taken
        return hidden
    return ()


def redacted(args: list) -> list:
    """`args` as SLOWLOG and MONITOR may show them (the same list when nothing is secret)."""
    positions = _positions(_lower(args[0]), args) if args else ()
    if not positions:
        return args
    shown = list(args)
    for index in positions:
        shown[index] = REDACTED
    return shown
