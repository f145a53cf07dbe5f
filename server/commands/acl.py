"""ACL and its subcommands (users, permissions, the log, the aclfile). The rules themselves are
in server/acl/."""

import secrets

from .. import errors
from ..acl.users import CATEGORIES, ACLError, commands_in
from ..command_table import command, container, lookup_command
from ..errors import CommandError
from ..replies import OK
from .common import lower, to_int

G = "server"
_FLAGS = "admin noscript loading stale"

container("acl", -2, "", G, "A container for Access List Control commands.", "6.0.0")


def _text(value) -> str:
    return bytes(value).decode("utf-8", "surrogateescape")


def _acl(client):
    return client.server.acl


@command("setuser", -3, _FLAGS, (0, 0, 0), G, "Creates and modifies an ACL user and its rules.",
         "6.0.0", parent="acl")
def acl_setuser(client, args):
    try:
        _acl(client).setuser(_text(args[2]), [_text(a) for a in args[3:]], client)
    except ACLError as exc:
        raise CommandError(f"ERR {exc}") from None
    return OK


@command("getuser", 3, _FLAGS, (0, 0, 0), G, "Lists the ACL rules of a user.", "6.0.0",
         parent="acl")
def acl_getuser(client, args):
    user = _acl(client).users.get(_text(args[2]))
    return None if user is None else user.getuser()


@command("deluser", -3, _FLAGS, (0, 0, 0), G, "Deletes ACL users, and terminates their "
         "connections.", "6.0.0", parent="acl")
def acl_deluser(client, args):
    try:
        return _acl(client).deluser([_text(a) for a in args[2:]], caller=client)
    except ACLError as exc:
        raise CommandError(f"ERR {exc}") from None


@command("users", 2, _FLAGS, (0, 0, 0), G, "Lists all ACL users.", "6.0.0", parent="acl")
def acl_users(client, args):
    return sorted(_acl(client).users)


@command("list", 2, _FLAGS, (0, 0, 0), G, "Dumps the effective rules in ACL file format.",
         "6.0.0", parent="acl")
def acl_list(client, args):
    users = _acl(client).users
    return [users[name].describe() for name in sorted(users)]


@command("whoami", 2, "noscript loading stale", (0, 0, 0), G, "Returns the authenticated "
         "username of the current connection.", "6.0.0", parent="acl")
def acl_whoami(client, args):
    return client.user


@command("cat", -2, "noscript loading stale", (0, 0, 0), G, "Lists the ACL categories, or the "
         "commands inside a category.", "6.0.0", parent="acl")
def acl_cat(client, args):
    if len(args) > 3:
        raise CommandError(errors.subcommand_syntax(args[1], "acl"))
    if len(args) == 2:
        return list(CATEGORIES)
    category = lower(args[2]).decode(errors="replace")
    if category not in CATEGORIES:
        raise CommandError(f"ERR Unknown category '{_text(args[2])}'")
    return sorted(commands_in(category))


@command("genpass", -2, "noscript loading stale", (0, 0, 0), G, "Generates a pseudorandom, "
         "secure password that can be used to identify ACL users.", "6.0.0", parent="acl")
def acl_genpass(client, args):
    if len(args) > 3:
        raise CommandError(errors.subcommand_syntax(args[1], "acl"))
    bits = to_int(args[2]) if len(args) == 3 else 256
    if not 0 < bits <= 4096:
        raise CommandError("ERR ACL GENPASS argument must be the number of bits for the output "
                           "password, a positive number up to 4096")
    return secrets.token_hex((bits + 7) // 8)[:(bits + 3) // 4]


@command("log", -2, _FLAGS, (0, 0, 0), G, "Lists recent security events generated due to "
         "commands rejected by ACL rules.", "6.0.0", parent="acl")
def acl_log(client, args):
    acl = _acl(client)
    if len(args) > 3:
        raise CommandError(errors.subcommand_syntax(args[1], "acl"))
    if len(args) == 3:
        if lower(args[2]) == b"reset":
            acl.log.clear()
            return OK
        count = max(to_int(args[2]), 0)  # (a negative count lists nothing, as in Redis)
        return [entry.reply() for entry in acl.log[:count]]
    return [entry.reply() for entry in acl.log[:10]]


@command("dryrun", -4, _FLAGS, (0, 0, 0), G, "Simulates the execution of a command by a user, "
         "without executing the command.", "7.0.0", parent="acl")
def acl_dryrun(client, args):
    from ..acl.registry import denial_message

    acl = _acl(client)
    user = acl.users.get(_text(args[2]))
    if user is None:
        raise CommandError(f"ERR User '{_text(args[2])}' not found")
    argv = list(args[3:])
    spec = lookup_command(argv)
    if spec is None:
        raise CommandError(f"ERR Command '{_text(argv[0])}' not found")
    if (spec.arity > 0 and len(argv) != spec.arity) or len(argv) < -spec.arity:
        raise CommandError(errors.wrong_arity(spec.fullname))
    found = acl.denial(user, spec, argv)
    if found is None:
        return OK
    return denial_message(user, found[0], found[1], verbose=True)


@command("save", 2, _FLAGS, (0, 0, 0), G, "Saves the effective ACL rules in the configured ACL "
         "file.", "6.0.0", parent="acl")
def acl_save(client, args):
    try:
        _acl(client).save()
    except ACLError as exc:
        raise CommandError(f"ERR {exc}") from None
    except OSError as exc:
        raise CommandError(f"ERR There was an error trying to save the ACLs. Please check the "
                           f"server logs for more information ({exc.strerror})") from None
    return OK


@command("load", 2, _FLAGS, (0, 0, 0), G, "Reloads the rules from the configured ACL file.",
         "6.0.0", parent="acl")
def acl_load(client, args):
    try:
        _acl(client).load(caller=client)
    except ACLError as exc:
        raise CommandError(f"ERR {exc}") from None
    return OK



@command("help", 2, "loading stale", (0, 0, 0), G, "Returns helpful text about the different "
         "subcommands.", "6.0.0", parent="acl")
def acl_help(client, args):
    return [
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]", "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the "
        "command.",
        "GETUSER <username>", "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST", "    Show users details in config file format.",
        "LOAD", "    Reload users from the ACL file.",
        "LOG [<count> | RESET]", "    Show the ACL log entries.",
        "SAVE", "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS", "    List all the registered usernames.",
        "WHOAMI", "    Return the current connection username.",
        "HELP", "    Prints this help.",
    ]
