"""COMMAND and its subcommands, generated from the command table."""

from .. import errors
from .. import key_specs
from ..command_table import (TABLE, acl_categories, all_commands, command, container,
                             lookup_command)
from ..errors import CommandError
from ..glob import compile_glob
from ..replies import SimpleString
from .common import lower

G = "server"

container("command", -1, "loading stale", G, "Returns detailed information about all commands.",
          "2.8.13")


# The order Redis lists command flags in (COMMAND INFO).
_FLAG_ORDER = ["write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript",
               "blocking", "loading", "stale", "skip_monitor", "skip_slowlog", "asking", "fast",
               "no_auth", "no_mandatory_keys", "no_async_loading", "no_multi", "movablekeys",
               "allow_busy"]  # may_replicate, sentinel, only_sentinel: hidden, as in Redis


def command_info(spec) -> list:
    name = spec.fullname
    flags = spec.flags | {"movablekeys"} if key_specs.has_movable_keys(name) else spec.flags
    return [
        name,
        spec.arity,
        [SimpleString(f) for f in _FLAG_ORDER if f in flags],
        spec.first_key,
        spec.last_key,
        spec.step,
        [SimpleString(c) for c in acl_categories(spec)],
        list(key_specs.tips_of(name)),
        [key_spec.info() for key_spec in key_specs.specs_of(name)],
        [command_info(sub) for sub in spec.subcommands.values()],
    ]


def command_docs(spec) -> dict:
    doc = {"summary": spec.summary, "since": spec.since, "group": spec.group}
    if spec.complexity:
        doc["complexity"] = spec.complexity
    if spec.subcommands:
        doc["subcommands"] = {sub.fullname: command_docs(sub) for sub in spec.subcommands.values()}
    return doc


@command("command", -1, "loading stale", (0, 0, 0), G, "Returns detailed information about all "
         "commands.", "2.8.13")
def command_all(client, args):
    return [command_info(spec) for spec in all_commands()]


@command("count", 2, "loading stale", (0, 0, 0), G, "Returns a count of commands.", "2.8.13",
         parent="command")
def command_count(client, args):
    return len(TABLE)


@command("info", -2, "loading stale", (0, 0, 0), G, "Returns information about one, multiple or "
         "all commands.", "2.8.13", parent="command")
def command_info_cmd(client, args):
    if len(args) == 2:
        return [command_info(spec) for spec in all_commands()]
    return [_find(name) and command_info(_find(name)) for name in args[2:]]


def _find(name):
    """A spec by name, 'container|sub' included; None if unknown."""
    text = lower(name)
    if b"|" in text:
        parent, _, sub = text.partition(b"|")
        container_spec = TABLE.get(parent)
        return container_spec.subcommands.get(sub) if container_spec else None
    return TABLE.get(text)


@command("docs", -2, "loading stale", (0, 0, 0), G, "Returns documentary information about one, "
         "multiple or all commands.", "7.0.0", parent="command")
def command_docs_cmd(client, args):
    specs = all_commands() if len(args) == 2 else [s for s in map(_find, args[2:]) if s]
    return {spec.fullname: command_docs(spec) for spec in specs}


@command("list", -2, "loading stale", (0, 0, 0), G, "Returns a list of command names.", "7.0.0",
         parent="command")
def command_list(client, args):
    names = []
    for spec in all_commands():
        names.append(spec.name)
        names += [sub.fullname for sub in spec.subcommands.values()]
    if len(args) == 2:
        return names
    if len(args) != 5 or lower(args[2]) != b"filterby":
        raise CommandError(errors.SYNTAX)
    kind, value = lower(args[3]), args[4]
    if kind == b"pattern":
        match = compile_glob(bytes(value), True).fullmatch
        return [n for n in names if match(n.encode())]
    if kind == b"aclcat":
        wanted = "@" + value.decode(errors="replace").lower()
        return [n for n in names if wanted in acl_categories(_find(n.encode()))]
    if kind == b"module":
        return []
    raise CommandError(errors.SYNTAX)


def keys_of(args) -> list:
    """COMMAND GETKEYS[ANDFLAGS]: [(key, flags)] of a full command, with Redis's errors."""
    spec = lookup_command(args)
    if spec is None:
        raise CommandError("ERR Invalid command specified")
    if not key_specs.has_keys(spec.fullname):
        raise CommandError("ERR The command has no key arguments")
    argc = len(args)
    if (spec.arity > 0 and argc != spec.arity) or argc < -spec.arity:
        raise CommandError("ERR Invalid number of arguments specified for command")
    found = key_specs.find_keys(spec, args)
    if not found and "no_mandatory_keys" not in spec.flags:
        raise CommandError("ERR Invalid arguments specified for command")
    return [(args[index], flags) for index, flags in found]


@command("getkeys", -4, "loading stale", (0, 0, 0), G, "Extracts the key names from an "
         "arbitrary command.", "2.8.13", parent="command")
def command_getkeys(client, args):
    return [key for key, _ in keys_of(args[2:])]


@command("getkeysandflags", -4, "loading stale", (0, 0, 0), G, "Extracts the key names and "
         "access flags for an arbitrary command.", "7.0.0", parent="command")
def command_getkeysandflags(client, args):
    return [[key, key_specs.flags_reply(flags)] for key, flags in keys_of(args[2:])]


@command("help", 2, "loading stale", (0, 0, 0), G, "Returns helpful text about the different "
         "subcommands.", "5.0.0", parent="command")
def command_help(client, args):
    return ["COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "(no subcommand)", "    Return details about all Redis commands.",
            "COUNT", "    Return the total number of commands in this Redis server.",
            "LIST", "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
            "HELP", "    Prints this help."]
