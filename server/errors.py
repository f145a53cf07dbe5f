"""Redis 7.2 error words, in one place.

Handlers raise :class:`CommandError` with one of these messages (or a formatted variant); the
dispatcher turns it into an error reply. Wording is copied from Redis so that clients matching on
error text keep working: single quotes, no trailing period unless Redis has one.
"""


class CommandError(Exception):
    """A command failed with a Redis error reply (message includes its prefix, e.g. 'ERR ...')."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


SYNTAX = "ERR syntax error"
NOT_INTEGER = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NO_SUCH_KEY = "ERR no such key"
OVERFLOW = "ERR increment or decrement would overflow"
NAN_OR_INF = "ERR increment would produce NaN or Infinity"
DB_INDEX_OUT_OF_RANGE = "ERR DB index is out of range"
SAME_OBJECT = "ERR source and destination objects are the same"
STRING_TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
BIT_OFFSET = "ERR bit offset is not an integer or out of range"
BIT_VALUE = "ERR bit is not an integer or out of range"
OFFSET_RANGE = "ERR offset is out of range"
INVALID_CURSOR = "ERR invalid cursor"
NOAUTH = "NOAUTH Authentication required."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
AUTH_NOT_CONFIGURED = (
    "ERR AUTH <password> called without any password configured for the default user. "
    "Are you sure your configuration is correct?"
)
TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range"
TIMEOUT_NEGATIVE = "ERR timeout is negative"
TIMEOUT_NOT_INTEGER = "ERR timeout is not an integer or out of range"
TIMEOUT_OUT_OF_RANGE = "ERR timeout is out of range"
# blocked clients of a primary that becomes a replica (REPLICAOF host port)
DEMOTED = ("UNBLOCKED force unblock from blocking operation, instance state changed "
           "(master -> replica?)")
EXPIRE_OPTIONS_NX = "ERR NX and XX, GT or LT options at the same time are not compatible"
EXPIRE_OPTIONS_GT_LT = "ERR GT and LT options at the same time are not compatible"
PROTO_PREFIX = "ERR Protocol error: "
CLIENT_NAME = "ERR Client names cannot contain spaces, newlines or special characters."
OOM = "OOM command not allowed when used memory > 'maxmemory'."
NOREPLICAS = "NOREPLICAS Not enough good replicas to write."
LOADING = "LOADING Redis is loading the dataset in memory"
MASTERDOWN = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
_POLICY_SWITCH = ("Please note that when switching between policies at runtime LRU and LFU data "
                  "will take some time to adjust.")
LFU_NOT_SELECTED = ("ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
                    + _POLICY_SWITCH)
LFU_SELECTED = "ERR An LFU maxmemory policy is selected, idle time not tracked. " + _POLICY_SWITCH


def wrong_arity(name: str) -> str:
    return f"ERR wrong number of arguments for '{name}' command"


def unknown_command(name, args) -> str:
    # Redis quotes arguments until the list reaches 128 characters, each followed by a space.
    shown = b""
    for arg in args:
        if len(shown) >= 128:
            break
        shown += b"'" + c_string(arg, 128 - len(shown)) + b"' "
    return (f"ERR unknown command '{_printable(name)}', with args beginning with: "
            f"{_printable(shown, len(shown))}")


def subcommand_syntax(sub, container: str) -> str:
    """Redis's addReplySubcommandSyntaxError: a subcommand given too many arguments (`sub` as
    the client wrote it)."""
    return (f"ERR unknown subcommand or wrong number of arguments for '{_printable(sub)}'. "
            f"Try {container.upper()} HELP.")


def unknown_subcommand(sub: str, container: str) -> str:
    return f"ERR unknown subcommand '{_printable(sub)}'. Try {container.upper()} HELP."


def invalid_expire(command: str) -> str:
    return f"ERR invalid expire time in '{command}' command"


def error_code(message: str) -> str:
    """The error's prefix as INFO errorstats counts it ('ERR', 'WRONGTYPE', ...)."""
    return message.split(" ", 1)[0]


def c_string(value, limit=None) -> bytes:
    """Bytes as C reads them as a string ('%.128s' with a `limit`): up to the first NUL, at
    most `limit` bytes."""
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogateescape")
    return bytes(value).split(b"\0", 1)[0][:limit]


def _printable(value, limit: int = 128) -> str:
    """Client-supplied bytes in an error, as Redis formats them ('%.128s'): raw bytes (the
    error writer encodes them back with surrogateescape), newlines made spaces so the reply
    stays on one line."""
    text = c_string(value, limit).decode("utf-8", "surrogateescape")
    return text.replace("\r", " ").replace("\n", " ")
