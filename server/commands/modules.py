"""MODULE: Predis loads no Redis modules (their C API does not exist here). LIST answers an
empty list; LOAD, LOADEX and UNLOAD are refused as Redis refuses them: by
`enable-module-command` first, then as a module that cannot be loaded or is not loaded."""

from ..command_table import command, container
from ..errors import CommandError
from .server_admin import protected_command_allowed

G = "server"

container("module", -2, "", G, "A container for module commands.", "4.0.0")


@command("help", 2, "loading stale", (0, 0, 0), G, "Returns helpful text about the different "
         "subcommands.", "5.0.0", parent="module")
def module_help(client, args):
    return [
        "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LIST", "    Return a list of loaded modules.",
        "LOAD <path> [<arg> ...]",
        "    Load a module library from <path>, passing to it any optional arguments.",
        "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
        "    Load a module library from <path>, while passing it module configurations and "
        "optional arguments.",
        "UNLOAD <name>", "    Unload a module.",
        "HELP", "    Prints this help.",
    ]


@command("list", 2, "admin noscript", (0, 0, 0), G, "Returns all loaded modules.", "4.0.0",
         parent="module")
def module_list(client, args):
    return []


@command("load", -3, "admin noscript no_async_loading", (0, 0, 0), G, "Loads a module.",
         "4.0.0", parent="module")
def module_load(client, args):
    protected_command_allowed(client, "module")
    raise CommandError("ERR Error loading the extension. Please check the server logs.")


@command("loadex", -3, "admin noscript no_async_loading", (0, 0, 0), G, "Loads a module using "
         "extended parameters.", "7.0.0", parent="module")
def module_loadex(client, args):
    protected_command_allowed(client, "module")
    raise CommandError("ERR Error loading the extension. Please check the server logs.")


@command("unload", 3, "admin noscript no_async_loading", (0, 0, 0), G, "Unloads a module.",
         "4.0.0", parent="module")
def module_unload(client, args):
    protected_command_allowed(client, "module")
    raise CommandError("ERR Error unloading module: no such module with that name")
