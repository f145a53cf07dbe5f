"""EVAL / EVALSHA / EVAL_RO / EVALSHA_RO and SCRIPT."""

from .. import errors
from ..command_table import command, container
from ..errors import CommandError
from ..replies import OK
from ..scripting.busy import kill_running
from ..scripting.debugging import FORKED, SYNC, debug_eval
from ..scripting.declared import running_stale
from ..scripting.engine import sha1hex
from ..lazyfree import flush_is_async
from ..scripting.shebang import script_flags
from .common import lower, to_int

G = "scripting"


def _keys_and_args(args, index: int, not_a_number: str = errors.NOT_INTEGER):
    numkeys = to_int(args[index], not_a_number)
    if numkeys < 0:
        raise CommandError("ERR Number of keys can't be negative")
    if numkeys > len(args) - index - 1:
        raise CommandError("ERR Number of keys can't be greater than number of args")
    return args[index + 1:index + 1 + numkeys], args[index + 1 + numkeys:]


SCRIPT_ENTRY = 48 + 64  # Redis's sha1 string and the body string's header, per cached script


def _load(client, body: bytes):
    """(sha, (compiled function, shebang flags or None)), compiled once per body."""
    server = client.server
    sha = sha1hex(body)
    script = server.scripts.get(sha)
    if script is None:
        flags, code = script_flags(body)
        script = server.scripts[sha] = (server.lua().compile(code), flags)
        server.scripts_bytes += SCRIPT_ENTRY + len(body)
    return sha, script


def _run(client, args, sha: str, script, keys, argv, read_only: bool):
    """Run an EVAL script with its shebang flags, as Redis checks them before it starts."""
    function, flags = script
    server = client.server
    if flags is not None:  # declared flags: checked up front (none: command by command)
        check_declared_flags(client, flags, read_only)
        read_only = read_only or "no-writes" in flags
    elif running_stale(server):  # (Redis's compatibility mode for scripts without flags)
        raise CommandError(errors.MASTERDOWN)
    return server.lua().run(client, function, keys, argv, read_only, sha,
                            allow_oom=flags is not None and "allow-oom" in flags)


def check_declared_flags(client, flags, read_only: bool) -> None:
    """Before a script that declared flags starts (Redis's scriptPrepareForRun; a top-level
    call was refused earlier by the dispatcher with the generic words, see
    scripting/declared.py, so these are reached inside EXEC)."""
    server = client.server
    if "no-writes" not in flags:
        if server.master_link is not None and server.config["replica-read-only"] \
                and not client.is_primary:
            raise CommandError("READONLY Can not run script with write flag on readonly replica")
        if read_only:
            raise CommandError("ERR Can not execute a script with write flag using *_ro "
                               "command.")
        if not server.min_replicas.allow_writes():
            raise CommandError(errors.NOREPLICAS)
        if "allow-oom" not in flags and server.maxmemory and server.pre_command_oom:
            raise CommandError("OOM allow-oom flag is not set on the script, can not run it "
                               "when used memory > 'maxmemory'")


def _shown(client, args) -> None:
    """Scripts skip MONITOR after they run (skip_monitor); Redis shows them before their
    commands instead, first thing (one refused for its arguments or a missing script too)."""
    if client.server.clients.monitors:
        client.server.show_monitors(client, args)


def _eval(client, args, read_only: bool):
    _shown(client, args)
    if client.lua_debug is not None:  # SCRIPT DEBUG: the session's protocol, then the reply
        return debug_eval(client, bytes(args[1]), lambda: _eval_now(client, args, read_only))
    return _eval_now(client, args, read_only)


def _eval_now(client, args, read_only: bool):
    keys, argv = _keys_and_args(args, 2)
    sha, script = _load(client, bytes(args[1]))
    return _run(client, args, sha, script, keys, argv, read_only)


def _evalsha(client, args, read_only: bool):
    _shown(client, args)
    if client.lua_debug is not None and len(args[1]) == 40:
        raise CommandError("ERR Please use EVAL instead of EVALSHA for debugging")
    keys, argv = _keys_and_args(args, 2)
    sha = bytes(args[1]).decode("utf-8", "replace").lower()
    script = client.server.scripts.get(sha)
    if script is None:
        raise CommandError("NOSCRIPT No matching script. Please use EVAL.")
    return _run(client, args, sha, script, keys, argv, read_only)


@command("eval", -3, "noscript stale skip_monitor may_replicate no_mandatory_keys",
         (0, 0, 0), G, "Executes a server-side Lua script.", "2.6.0")
def eval_(client, args):
    return _eval(client, args, False)


@command("eval_ro", -3, "readonly noscript stale skip_monitor no_mandatory_keys",
         (0, 0, 0), G, "Executes a read-only server-side Lua script.", "7.0.0")
def eval_ro(client, args):
    return _eval(client, args, True)


@command("evalsha", -3, "noscript stale skip_monitor may_replicate no_mandatory_keys",
         (0, 0, 0), G, "Executes a server-side Lua script by SHA1 digest.", "2.6.0")
def evalsha(client, args):
    return _evalsha(client, args, False)


@command("evalsha_ro", -3, "readonly noscript stale skip_monitor no_mandatory_keys",
         (0, 0, 0), G, "Executes a read-only server-side Lua script by SHA1 digest.", "7.0.0")
def evalsha_ro(client, args):
    return _evalsha(client, args, True)


container("script", -2, "", G, "A container for Lua scripts management commands.", "2.6.0")


@command("load", 3, "noscript stale", (0, 0, 0), G, "Loads a server-side Lua script to the "
         "script cache.", "2.6.0", parent="script")
def script_load(client, args):
    return _load(client, bytes(args[2]))[0].encode()


@command("exists", -3, "noscript", (0, 0, 0), G, "Determines whether server-side Lua "
         "scripts exist in the script cache.", "2.6.0", parent="script")
def script_exists(client, args):
    scripts = client.server.scripts
    return [1 if bytes(sha).decode("utf-8", "replace").lower() in scripts else 0
            for sha in args[2:]]


@command("flush", -2, "noscript", (0, 0, 0), G, "Removes all server-side Lua scripts from the "
         "script cache.", "2.6.0", parent="script")
def script_flush(client, args):
    if len(args) > 3 or (len(args) == 3 and lower(args[2]) not in (b"async", b"sync")):
        raise CommandError("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
    server = client.server
    if flush_is_async(server.config, lower(args[2]) if len(args) == 3 else None):
        server.lazyfree.released_many(len(server.scripts))
    server.flush_scripts()
    return OK


@command("debug", 3, "noscript", (0, 0, 0), G, "Sets the debug mode of server-side Lua "
         "scripts.", "3.2.0", parent="script")
def script_debug(client, args):
    if client.conn is not None and client.conn.has_pending_output():
        raise CommandError("ERR SCRIPT DEBUG must be called outside a pipeline")
    mode = lower(args[2])
    if mode not in (b"no", b"yes", b"sync"):
        raise CommandError("ERR Use SCRIPT DEBUG YES/SYNC/NO")
    client.lua_debug = {b"no": None, b"yes": FORKED, b"sync": SYNC}[mode]
    return OK


@command("kill", 2, "noscript allow_busy", (0, 0, 0), G, "Terminates a server-side Lua script "
         "during execution.", "2.6.0", parent="script")
def script_kill(client, args):
    return kill_running(client.server, is_eval=True)


@command("help", 2, "loading stale", (0, 0, 0), G, "Returns helpful text about the different "
         "subcommands.", "5.0.0", parent="script")
def script_help(client, args):
    return ["SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DEBUG (YES|SYNC|NO)", "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL", "    Kill the currently executing Lua script.",
            "LOAD <script>", "    Load a script into the scripts cache without executing it.",
            "HELP", "    Prints this help."]




# -- FUNCTION / FCALL -------------------------------------------------------------------------
container("function", -2, "", "scripting", "A container for function commands.", "7.0.0")


@command("flush", -2, "write noscript", (0, 0, 0), "scripting", "Deletes all libraries and "
         "functions.", "7.0.0", parent="function")
def function_flush(client, args):
    if len(args) > 3:
        raise CommandError(errors.subcommand_syntax(args[1].decode(errors="replace"), "function"))
    if len(args) == 3 and lower(args[2]) not in (b"async", b"sync"):
        raise CommandError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
    server = client.server
    if flush_is_async(server.config, lower(args[2]) if len(args) == 3 else None):
        server.lazyfree.released_many(len(server.functions))
    server.flush_functions()
    return OK


@command("load", -3, "write denyoom noscript may_replicate", (0, 0, 0), G, "Creates a library.",
         "7.0.0", parent="function")
def function_load(client, args):
    from ..scripting.functions import KNOWN_FLAGS, Library, parse_metadata

    replace = False
    for option in args[2:-1]:  # (the last argument is the code; REPLACE may repeat)
        if lower(option) != b"replace":
            raise CommandError("ERR Unknown option given: "
                               + bytes(option).decode(errors="replace"))
        replace = True
    rest = args[-1:]
    code = bytes(rest[0])
    name, body = parse_metadata(code)
    server = client.server
    if name in server.libraries and not replace:
        raise CommandError(f"ERR Library '{name}' already exists")
    functions = server.lua(functions=True).load_library(body)
    if not functions:
        raise CommandError("ERR No functions registered")
    for fname, (_, flags, _) in functions.items():
        if any(flag not in KNOWN_FLAGS for flag in flags):
            raise CommandError("ERR Error registering functions: ERR unknown flag given")
        owner = server.functions.get(fname.lower())  # function names ignore case
        if owner is not None and owner.name != name:
            raise CommandError(f"ERR Function {fname} already exists")
    old = server.libraries.pop(name, None)
    if old is not None:
        for fname in old.functions:
            server.functions.pop(fname.lower(), None)
    library = Library(name, code, functions)
    server.libraries[name] = library
    for fname in functions:
        server.functions[fname.lower()] = library
    return name.encode()


@command("dump", 2, "noscript", (0, 0, 0), G, "Dumps all libraries into a serialized binary "
         "payload.", "7.0.0", parent="function")
def function_dump(client, args):
    from ops.rdb.codec import OPCODE_FUNCTION2, encode_string, frame_payload

    compression = client.server.config["rdbcompression"]
    body = b"".join(bytes([OPCODE_FUNCTION2]) + encode_string(library.code, compression)
                    for library in client.server.libraries.values())
    return frame_payload(body)


@command("restore", -3, "write denyoom noscript may_replicate", (0, 0, 0), G, "Restores all "
         "libraries from a payload.", "7.0.0", parent="function")
def function_restore(client, args):
    from ops.rdb.codec import OPCODE_FUNCTION2, RDBError, Reader, unframe_payload

    if len(args) > 4:
        raise CommandError(errors.subcommand_syntax(args[1].decode(errors="replace"), "function"))
    policy = lower(args[3]) if len(args) > 3 else b"append"
    if policy not in (b"append", b"replace", b"flush"):
        raise CommandError("ERR Wrong restore policy given, value should be either FLUSH, "
                           "APPEND or REPLACE.")
    try:
        reader = Reader(unframe_payload(bytes(args[2])))
        codes = []
        while not reader.done():
            if reader.byte() != OPCODE_FUNCTION2:
                raise CommandError("ERR given type is not a function")
            codes.append(reader.string())
    except RDBError:
        raise CommandError("ERR DUMP payload version or checksum are wrong") from None
    server = client.server
    saved_libraries, saved_functions = dict(server.libraries), dict(server.functions)
    if policy == b"flush":
        server.flush_functions()
    try:
        for code in codes:
            from ..scripting.functions import parse_metadata

            name, _ = parse_metadata(code)
            if name in server.libraries and policy == b"append":
                raise CommandError(f"ERR Library {name} already exists")
            function_load(client, [b"FUNCTION", b"LOAD", b"REPLACE", code])
    except CommandError:
        server.libraries, server.functions = saved_libraries, saved_functions  # all or nothing
        raise
    return OK


@command("delete", 3, "write noscript may_replicate", (0, 0, 0), G, "Deletes a library and its "
         "functions.", "7.0.0", parent="function")
def function_delete(client, args):
    server = client.server
    library = server.libraries.pop(bytes(args[2]).decode(errors="replace"), None)
    if library is None:
        raise CommandError("ERR Library not found")
    for fname in library.functions:
        server.functions.pop(fname.lower(), None)
    return OK


@command("list", -2, "noscript", (0, 0, 0), G, "Returns information about all libraries.",
         "7.0.0", parent="function")
def function_list(client, args):
    from ..glob import compile_glob

    with_code = False
    pattern = None
    i = 2
    while i < len(args):
        opt = lower(args[i])
        if opt == b"withcode" and not with_code:  # each option once
            with_code = True
        elif opt == b"libraryname" and pattern is None:
            if i + 1 >= len(args):
                raise CommandError("ERR library name argument was not given")
            pattern = compile_glob(bytes(args[i + 1]))
            i += 1
        else:
            raise CommandError("ERR Unknown argument " + bytes(args[i]).decode(errors="replace"))
        i += 1
    out = []
    for library in client.server.libraries.values():
        if pattern is not None and not pattern.fullmatch(library.name.encode()):
            continue
        entry = {"library_name": library.name, "engine": "LUA", "functions": [
            {"name": fname, "description": description, "flags": set(flags)}
            for fname, (_, flags, description) in sorted(library.functions.items())]}
        if with_code:
            entry["library_code"] = library.code
        out.append(entry)
    return out


@command("stats", 2, "noscript allow_busy", (0, 0, 0), G, "Returns information about a "
         "function during execution.", "7.0.0", parent="function")
def function_stats(client, args):
    server = client.server
    run = server.busy_script  # a script can only be seen running once it is past its time
    if run is not None and run.is_eval:
        raise CommandError(run.busy_error)
    running = None if run is None else {
        "name": run.name, "command": list(run.command), "duration_ms": run.duration_ms()}
    return {"running_script": running, "engines": {"LUA": {
        "libraries_count": len(server.libraries), "functions_count": len(server.functions)}}}


@command("kill", 2, "noscript allow_busy", (0, 0, 0), G, "Terminates a function during "
         "execution.", "7.0.0", parent="function")
def function_kill(client, args):
    return kill_running(client.server, is_eval=False)


@command("help", 2, "loading stale", (0, 0, 0), G, "Returns helpful text about the different "
         "subcommands.", "7.0.0", parent="function")
def function_help(client, args):
    return ["FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using "
            "LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined "
            "by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be "
            "restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to "
            "give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On "
            "collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On "
            "collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is "
            "a chance of failure",
            "      in case of functions name collision with another library).",
            "HELP",
            "    Prints this help."]


def _fcall(client, args, read_only: bool):
    _shown(client, args)
    name = bytes(args[1]).decode(errors="replace")
    library = client.server.functions.get(name.lower())
    if library is None:  # (as Redis: before the key count is read)
        raise CommandError("ERR Function not found")
    keys, argv = _keys_and_args(args, 2, "ERR Bad number of keys provided")
    name, callback, flags = library.function(name)
    check_declared_flags(client, flags, read_only)
    return client.server.lua(functions=True).run(client, callback, keys, argv, read_only or "no-writes" in flags,
                                   name, call_as_function=True, allow_oom="allow-oom" in flags)


@command("fcall", -3, "noscript stale skip_monitor may_replicate no_mandatory_keys",
         (0, 0, 0), G, "Invokes a function.", "7.0.0")
def fcall(client, args):
    return _fcall(client, args, False)


@command("fcall_ro", -3, "readonly noscript stale skip_monitor no_mandatory_keys",
         (0, 0, 0), G, "Invokes a read-only function.", "7.0.0")
def fcall_ro(client, args):
    return _fcall(client, args, True)
