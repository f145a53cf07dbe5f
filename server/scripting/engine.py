"""The Lua engine: one sandboxed Lua 5.1 state per server, Redis's conversion rules between
RESP replies and Lua values, and the redis.call bridge back into the command table.

Scripts run synchronously on the event loop, which makes them atomic. One that runs past
busy-reply-threshold serves the other clients from its Lua hook (busy.py), so they get BUSY
and SCRIPT KILL / FUNCTION KILL / SHUTDOWN NOSAVE can end it, as in Redis.
"""

import hashlib
import os
import time
from functools import partial

from lupa.lua51 import LuaRuntime

from . import luabit, luajson, luarandom, luastruct
from .library_errors import ArgumentError, RaisedError
from .lua_values import c_long_long, number_text, to_number
from .luajson import LuaJSON
from .busy import HOOK_INSTRUCTIONS, ScriptRun
from . import msgpack

from ..command_table import MAY_WRITE_FLAGS, lookup_command
from ..errors import NOREPLICAS, CommandError, c_string
from ..key_specs import keys_from_command
from ..keyspace import clock_frozen
from ..propagation import TO_ALL
from ..protocol.doubles import as_long_long, d2string, dtoa
from ..protocol.writer import encode
from ..replies import (Attributed, BigNumber, DoubleText, ErrorReply, FormattedVerbatim,
                       MapPairs, NoReply, OrderedSet, SimpleString, Verbatim, _NullArray)

_COUNTED = b"ignore_error_stats_update"
REPLY_DEPTH = 200  # nesting of a script's reply (Redis stops at Lua's C stack limit)
_GLUE = open(os.path.join(os.path.dirname(__file__), "glue.lua"), encoding="utf-8").read()


def sha1hex(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


class CallError(Exception):
    """redis.call hit an error reply: unwinds the script; carries the text and the line."""

    def __init__(self, message: str, line: int, counted: bool = False):
        super().__init__(message)
        self.message = message
        self.line = line
        self.counted = counted  # the failed command counted it in errorstats already


class LibraryError(Exception):
    """A Lua error a library function raises as Redis's C code would (luaL_error,
    luaL_argerror): its text starts with the calling Lua code's position."""


GC_PERIOD = 50  # Redis's LUA_GC_CYCLE_PERIOD


class LuaEngine:
    def __init__(self, server):
        self.server = server
        # (a Python function returning a tuple returns its items: struct.unpack's values)
        self.lua = LuaRuntime(encoding=None, unpack_returned_tuples=True, register_eval=False)
        self.client = None  # the client whose script is running
        self.running = None  # its busy.ScriptRun
        self.debugger = None  # debugger.DebugSession while a script is debugged (SCRIPT DEBUG)
        self.read_only = False
        self.resp = 2
        self.json = LuaJSON(self.lua, _is_table)
        bridge = {
            "call": self._call, "call_raise": self._call_raise, "error_text": self._error_text, "sha1hex": self._sha1hex,
            "call_packed": self._call_packed, "call_raise_packed": self._call_raise_packed,
            "log": self._log, "setresp": self._setresp, "acl_check_cmd": self._acl_check,
            "set_repl": self._set_repl,

            "interrupt": self._interrupt,
            "monotonic": time.monotonic, "version": self._version,
            "ldb_line": self._ldb_line, "ldb_debug": self._ldb_debug,
            "ldb_breakpoint": self._ldb_breakpoint,
        }
        bridge.update({"bit_" + name: self._library_function(function)
                       for name, function in luabit.FUNCTIONS.items()})
        bridge.update({"msgpack_" + name: self._library_function(function) for name, function
                       in msgpack.library(self.lua.table_from, self._lua_map).items()})
        bridge.update({"struct_" + function.__name__: self._library_function(function)
                       for function in (luastruct.pack, luastruct.unpack, luastruct.size)})
        bridge["math_random"] = self._library_function(luarandom.random)
        bridge["math_randomseed"] = self._library_function(luarandom.randomseed)
        bridge.update({"cjson_" + name: self._library_function(
            partial(self.json.configure, name)) for name in luajson.SETTINGS})
        bridge["cjson_encode"] = self._library_function(self.json.encode)
        bridge["cjson_decode"] = self._library_function(self.json.decode)
        bridge["error_value"] = self._error_value
        bridge["cjson_null"] = luajson.NULL
        bridge["cjson_settings"] = self.lua.table_from(
            [name.encode() for name in luajson.SETTINGS])
        # encoding=None: Lua strings are bytes both ways, so table keys must be bytes too.
        self.lua.globals()[b"__predis_py"] = self.lua.table_from(
            {name.encode(): function for name, function in bridge.items()})
        self.lua.execute(_GLUE.encode())
        self.api = self.lua.eval(b"__predis")
        # Replies read tables without their metamethods, as Redis does (lua_rawget)
        self._raw = self.lua.eval(b"rawget")
        # lupa hands an integral Lua number to Python as an int, so -0.0 arrives as 0
        self._negative_zero_double = self.lua.eval(
            b"function(t) local d = rawget(t, 'double') return d == 0 and 1 / d < 0 end")
        self._collectgarbage = self.lua.eval(b"collectgarbage")
        self._tostring = self.lua.eval(b"tostring")
        self._calls = 0  # scripts run since the last collector steps

    def _collect_now_and_then(self) -> None:
        """Redis's luaCallFunction: every GC_PERIOD scripts, GC_PERIOD steps of Lua's
        collector, so garbage stays bounded without a full cycle's latency."""
        self._calls += 1
        if self._calls >= GC_PERIOD:
            self._calls = 0
            self._collectgarbage(b"step", GC_PERIOD)

    def memory_bytes(self) -> int:
        """What the Lua state holds (INFO's used_memory_vm_eval or _vm_functions)."""
        return int(self._collectgarbage(b"count") * 1024)

    # -- compiling and running ----------------------------------------------------------
    def compile(self, body: bytes):
        ok, result = _pair(self.api.compile(body))
        if not ok:
            raise CommandError(
                "ERR Error compiling script (new function): " + _text(result))
        return result

    def run(self, client, function, keys, argv, read_only: bool, sha: str, call_as_function=False,
            allow_oom: bool = False):
        """`allow_oom`: the script declared `allow-oom`, so its commands skip the OOM check."""
        previous = (self.client, self.read_only, self.resp, self.running)
        self.client, self.read_only, self.resp = client, read_only, 2
        self.running = ScriptRun(self.server, client, sha, is_eval=not call_as_function)
        self.running.keys = keys
        # Redis's pre_command_oom_state: judged once, when the script starts
        self.running.oom = not allow_oom and not client.is_primary and \
            bool(self.server.maxmemory) and self.server.pre_command_oom
        saved_resp3, saved_mode, saved_db = client.resp3, client.reply_mode, client.db
        saved_in_script, client.in_script = client.in_script, True
        client.deny_blocking += 1
        try:
            lua_keys = self.lua.table_from(list(keys))
            lua_argv = self.lua.table_from(list(argv))
            runner = self.api.call_function if call_as_function else self.api.run
            hook_count = HOOK_INSTRUCTIONS if self.server.config["busy-reply-threshold"] else 0
            if self.debugger is not None and not call_as_function:
                hook_count = -1  # the debugger's line hook instead of the busy-script one
            with clock_frozen():  # keys expire by the script's start time throughout
                outcome = runner(function, lua_keys, lua_argv, hook_count)
            ok, value, line = outcome[1], outcome[2], outcome[3]
            reply = self._to_reply(value, saved_resp3) if ok else \
                ErrorReply(self._failure_text(value, sha, line))
            if type(reply) is ErrorReply and self._counted(value):
                # the command whose error this is counted it already (Redis counts it once)
                self.server.counted_error = reply
            return reply
        finally:
            self.running.finish()
            self._collect_now_and_then()
            client.deny_blocking -= 1
            client.resp3, client.reply_mode = saved_resp3, saved_mode
            client.db, client.in_script = saved_db, saved_in_script  # a SELECT stays inside
            self.client, self.read_only, self.resp, self.running = previous

    def _version(self):
        """{REDIS_VERSION, REDIS_VERSION_NUM (0x00MMmmpp)} for the redis table."""
        from ..app import VERSION

        major, minor, patch = (int(part) for part in VERSION.split("."))
        return self.lua.table_from([VERSION.encode(), (major << 16) | (minor << 8) | patch])

    def _interrupt(self):
        return self.running is not None and self.running.interrupt()

    def _failure_text(self, value, sha: str, line) -> str:
        if isinstance(value, CallError):
            message, line = value.message, value.line
        elif _is_table(value):
            message = value[b"err"]
            message = _text(message) if message is not None else "ERR unknown error"
        elif isinstance(value, (bytes, Exception)):
            message = "ERR " + _text(value)
        else:  # Redis's error handler: 'ERR ' .. tostring(err) (nil, true, 0.3 as Lua writes them)
            message = "ERR " + _text(self._tostring(value))
        chunk = "@user_script" if len(sha) == 40 else "@user_function"
        where = f"{chunk}:{line}" if line and line > 0 else f"{chunk}:?"
        return f"{message} script: {sha}, on {where}."

    def _counted(self, value) -> bool:
        """Does this script outcome carry an error the failed command counted already?"""
        if isinstance(value, CallError):
            return value.counted
        return _is_table(value) and bool(self._raw(value, _COUNTED))

    # -- redis.call ------------------------------------------------------------------------
    def _rejected(self, spec, message: str):
        """A command the script may not run, counted as Redis's scriptCall counts it: a
        rejected call of that command (None: no such command) and an error reply, even if
        the script catches it."""
        if spec is not None:
            spec.rejected_calls += 1
        self.server.count_error(message)
        return self._refused(message, counted=True)

    def _refusal(self, client, spec, argv):
        """Why a script may not run this command now, in Redis's order (scriptCall: a stale
        replica, ACL, then the write checks, then OOM); None when it may. Once the script has
        written, the server-state checks pass: Redis cannot stop a script half-way through
        its effects."""
        link = self.server.master_link  # a script allowed on a stale replica (allow-stale)
        if link is not None and not link.link_up and "stale" not in spec.flags and \
                not self.server.config["replica-serve-stale-data"]:
            return "ERR Can not execute the command on a stale replica"
        user = client.acl_user
        if not user.unrestricted:
            refusal = self.server.acl.refuse(client, user, spec, argv, "lua")
            if refusal is not None:
                return refusal
        wrote = self.running.wrote
        if self.read_only and not spec.flags.isdisjoint(MAY_WRITE_FLAGS):
            return "ERR Write commands are not allowed from read-only scripts."
        if "write" in spec.flags:
            if not wrote and self.server.master_link is not None and not client.is_primary \
                    and self.server.config["replica-read-only"]:
                return "READONLY You can't write against a read only replica."
            if not wrote and self.server.disk_error is not None:
                return self.server.disk_error
            if not wrote and not self.server.min_replicas.allow_writes():
                return NOREPLICAS
        if self.running.oom and not wrote and "denyoom" in spec.flags:
            return "OOM command not allowed when used memory > 'maxmemory'."
        return None

    def _call(self, *args):
        """Run a command for the script; returns the Lua table {is_error, value}."""
        lua = self.lua
        client = self.client
        if not args:
            return self._refused("ERR Please specify at least one argument for this redis lib "
                                 "call")
        try:
            argv = [_to_bytes(a) for a in args]
        except TypeError:
            return self._refused("ERR Lua redis lib command arguments must be strings or "
                                 "integers")
        debugger = self.debugger if self.debugger is not None and self.debugger.tracing \
            else None
        if debugger is not None:
            debugger.log_command(argv)
        spec = lookup_command(argv)
        if spec is None:
            return self._rejected(None, "ERR Unknown Redis command called from script")
        if (spec.arity > 0 and len(argv) != spec.arity) or len(argv) < -spec.arity:
            return self._rejected(spec, "ERR Wrong number of args calling Redis command from "
                                        "script")
        if "noscript" in spec.flags and not self.server.scripts_run_noscript:
            return self._rejected(spec, "ERR This Redis command is not allowed from script")
        refusal = self._refusal(client, spec, argv)
        if refusal is not None:
            return self._rejected(spec, refusal)
        if "write" in spec.flags:
            self.running.wrote = True  # from now on SCRIPT KILL refuses (UNKILLABLE)
        client.resp3 = self.resp == 3
        client.reply_mode = "on"
        keyspace = self.server.keyspace
        dirty = keyspace.dirty
        touching = client.no_touch and spec.name == "touch"  # TOUCH touches even so (7.2)
        if touching:
            keyspace.silence_touches(False)
        # the command the handler runs as (keyspace events are named after it); the caller's
        # own stays EVAL's or FCALL's for CLIENT LIST
        caller_command, client.last_command = client.last_command, spec
        try:
            reply = spec.handler(client, argv)
        except CommandError as exc:
            reply = ErrorReply(exc.message)
        finally:
            client.last_command = caller_command
            if touching:
                keyspace.silence_touches(True)
        if self.server.propagation is not None:  # the effect, never the script
            self.server.propagation.ran(client.db, spec, argv, reply, keyspace.dirty > dirty,
                                        self.running.repl)
        self.server.feed_monitors(client, spec, argv, "lua")
        if self.server.master_link is not None:
            self.server.note_replica_write(client, spec, argv)
        if client.tracking is not None and "readonly" in spec.flags:
            # the keys the script read, not those it declared (Redis 7.2)
            self.server.tracking.remember(client, [argv[i] for i in keys_from_command(spec, argv)],
                                          consume=False)
        spec.calls += 1
        if debugger is not None:
            if type(reply) is ErrorReply:  # (Redis logs it as it converts it for Lua)
                debugger.log_error("-" + str(reply))
            debugger.log_reply(encode(reply, self.resp == 3))
        if type(reply) is ErrorReply:
            spec.failed_calls += 1
            self.server.count_error(reply)
            return lua.table_from([True, self._error_table(str(reply), counted=True)])
        return lua.table_from([False, self._to_lua(reply)])

    def _call_raise(self, *args):
        """redis.call: the reply, or a Lua error carrying Redis's message and the line."""
        outcome = self._call(*args)
        if outcome[1]:
            raise CallError(_text(outcome[2][b"err"]), self.api.where(),
                            bool(outcome[2][_COUNTED]))
        return outcome[2]

    # A call with more arguments than lupa's bridge passes, packed in a table by the glue
    def _call_packed(self, args, count: int):
        return self._call(*[args[i] for i in range(1, count + 1)])

    def _call_raise_packed(self, args, count: int):
        return self._call_raise(*[args[i] for i in range(1, count + 1)])

    def _refused(self, message: str, counted: bool = False):
        """redis.call's outcome for a call refused before it ran (logged while debugging)."""
        if self.debugger is not None and self.debugger.tracing:
            self.debugger.log_error(message[4:] if message.startswith("ERR ") else message)
        return self.lua.table_from([True, self._error_table(message, counted)])

    def _error_table(self, message: str, counted: bool = False):
        """{err = message}; `counted`: Redis's ignore_error_stats_update mark, for an error a
        command counted already (the script's own reply then does not count it again)."""
        table = {b"err": message.encode()}
        if counted:
            table[_COUNTED] = True
        return self.lua.table_from(table)

    # -- conversions ----------------------------------------------------------------------
    def _to_lua(self, reply):
        """A handler's reply as Redis converts it for Lua (RESP2 or RESP3 rules)."""
        lua = self.lua
        kind = type(reply)
        resp3 = self.resp == 3
        if kind is bytes or kind is bytearray:
            return bytes(reply)
        if kind is int:
            return reply
        if kind is bool:
            return reply if resp3 else int(reply)
        if reply is None or kind is _NullArray:
            return None if resp3 else False
        if kind is SimpleString:
            return lua.table_from({b"ok": reply.encode()})
        if kind is str:
            return reply.encode()
        if kind is float or kind is DoubleText:
            if resp3:
                return lua.table_from({b"double": float(reply)})
            return bytes(reply) if kind is DoubleText else d2string(reply)
        if kind is BigNumber:
            return lua.table_from({b"big_number": bytes(reply)}) if resp3 else bytes(reply)
        if kind is Verbatim or kind is FormattedVerbatim:
            form, data = (b"txt", reply.encode("utf-8", "surrogateescape")) \
                if kind is Verbatim else (reply.format, reply.data)
            if resp3:
                return lua.table_from({b"verbatim_string": lua.table_from(
                    {b"format": form, b"string": data})})
            return data
        if kind is Attributed:  # attributes are not shown to scripts
            return self._to_lua(reply.reply)
        if kind is dict:
            if resp3:
                return lua.table_from({b"map": lua.table_from(
                    {self._to_lua(k): self._to_lua(v) for k, v in reply.items()})})
            flat = []
            for k, v in reply.items():
                flat += [self._to_lua(k), self._to_lua(v)]
            return lua.table_from(flat)
        if kind is set or kind is frozenset or kind is OrderedSet:
            if resp3:
                return lua.table_from({b"set": lua.table_from(
                    {self._to_lua(m): True for m in reply})})
            return lua.table_from([self._to_lua(m) for m in reply])
        if kind in (list, tuple) or isinstance(reply, list):
            return lua.table_from([self._to_lua(item) for item in reply])
        if kind is NoReply:
            return False
        return _text(reply).encode()

    def _to_reply(self, value, resp3_caller: bool, depth: int = 0):
        """A script's return value as Redis converts it to a reply; a table nested deeper
        than REPLY_DEPTH (a table holding itself, say) ends in Redis's stack-limit error."""
        if depth > REPLY_DEPTH:
            return ErrorReply("ERR reached lua stack limit")
        if value is True or value is False:  # a RESP3 script's booleans stay booleans
            return value if self.resp == 3 else (1 if value else None)
        if value is None:
            return None
        if isinstance(value, (int, float)):
            return c_long_long(value)
        if isinstance(value, bytes):
            return value
        if _is_table(value):  # {err=...} and {ok=...} only with a string (a Lua number is not)
            raw = self._raw
            err = raw(value, b"err")
            if type(err) is bytes:  # Redis's "-%s" of the C string, trimmed of CR/LF at its end
                return ErrorReply(_binary_text(c_string(err).rstrip(b"\r\n")))
            ok = raw(value, b"ok")
            if type(ok) is bytes:
                return SimpleString(_binary_text(c_string(ok)))
            special = self._typed_table(value, resp3_caller, depth)
            if special is not _NONE:
                return special
            out = []
            index = 1
            while True:
                item = raw(value, index)
                if item is None:
                    break
                out.append(self._to_reply(item, resp3_caller, depth + 1))
                index += 1
            return out
        return None

    def _typed_table(self, value, resp3_caller, depth):
        """The tables Redis turns into RESP3 types, whichever protocol the script chose, in
        its order: {double=n}, {big_number=s} (CR and LF become spaces),
        {verbatim_string={format=f, string=s}}, {map=t}, {set=t}."""
        raw = self._raw
        double = raw(value, b"double")
        if isinstance(double, (int, float)) and not isinstance(double, bool):
            return -0.0 if double == 0 and self._negative_zero_double(value) else float(double)
        big = raw(value, b"big_number")
        if isinstance(big, bytes):
            return BigNumber(big.replace(b"\r", b" ").replace(b"\n", b" "))
        verbatim = raw(value, b"verbatim_string")
        if _is_table(verbatim):
            form, data = raw(verbatim, b"format"), raw(verbatim, b"string")
            if isinstance(form, bytes) and isinstance(data, bytes):
                return FormattedVerbatim(c_string(form), data)
        mapping = raw(value, b"map")
        if _is_table(mapping):
            return MapPairs((self._to_reply(k, resp3_caller, depth + 1),
                             self._to_reply(v, resp3_caller, depth + 1))
                            for k, v in mapping.items())
        members = raw(value, b"set")
        if _is_table(members):
            return OrderedSet(self._to_reply(k, resp3_caller, depth + 1)
                              for k in members.keys())
        return _NONE

    # -- helpers exposed to Lua ------------------------------------------------------------
    @staticmethod
    def _error_text(message: bytes) -> bytes:
        """redis.error_reply's message as luaPushErrorBuff stores it: the text before a NUL,
        as "-CODE message" (a '-' added when missing), becomes "CODE message" with the
        message trimmed of CR/LF; with no space, the code is ERR and all of it the message."""
        text = c_string(message)
        if not text.startswith(b"-"):
            text = b"-" + text
        code, space, rest = text[1:].partition(b" ")
        if not space:
            code, rest = b"ERR", text[1:]
        return code + b" " + rest.strip(b"\r\n")

    def _sha1hex(self, *args):
        """redis.sha1hex (a C function to Lua, like redis.call, so an error names the script's
        line): what lua_tolstring makes of its one argument - numbers as text, anything but
        a string or number as no bytes at all."""
        if len(args) != 1:
            raise CallError("ERR wrong number of arguments", self.api.where())
        try:
            data = _to_bytes(args[0])
        except TypeError:
            data = b""
        return sha1hex(data).encode()

    def _log(self, *args):
        """redis.log(level, message...): Redis's checks, then the strings and numbers among
        the rest joined by spaces, at that level (0 debug, 1 verbose, 2 notice, 3 warning)."""
        if len(args) < 2:
            raise CallError("ERR redis.log() requires two arguments or more.", self.api.where())
        level = to_number(args[0])
        if level is None:
            raise CallError("ERR First argument must be a number (log level).",
                            self.api.where())
        level = int(level)
        if not 0 <= level <= 3:
            raise CallError("ERR Invalid debug level.", self.api.where())  # (7.2's words)
        parts = [part if isinstance(part, bytes) else number_text(part) for part in args[1:]
                 if isinstance(part, (bytes, int, float)) and not isinstance(part, bool)]
        log = self.server.log.debug if level == 0 else (
            self.server.log.warning if level == 3 else self.server.log.info)
        log("script_log", level=level, message=_text(b" ".join(parts)))

    # -- the Lua debugger's access (debugger.py) ----------------------------------------------
    def _ldb_line(self, line):
        self.debugger.on_line(int(line))

    def _ldb_debug(self, *values):
        if self.debugger is not None:
            self.debugger.debug(values)

    def _ldb_breakpoint(self):
        return self.debugger is not None and self.debugger.breakpoint()

    def debug_frames(self) -> list:
        """(function name or None, line) of the script's frames, innermost first."""
        flat = self.api.ldb_frames()
        return [(_text(flat[i]) if flat[i] else None, int(flat[i + 1]))
                for i in range(1, len(flat) + 1, 2)]

    def debug_locals(self) -> list:
        outcome = self.api.ldb_locals()
        names, values, count = outcome[1], outcome[2], int(outcome[3])
        return [(names[i], values[i]) for i in range(1, count + 1)]

    def debug_lookup(self, name: bytes):
        outcome = self.api.ldb_lookup(name)
        return bool(outcome[1]), outcome[2]

    def debug_eval(self, code: bytes):
        outcome = self.api.ldb_eval(code)
        return bool(outcome[1]), outcome[2]

    def call_for_debugger(self, argv: list) -> None:
        self._call(*argv)

    def lua_tostring(self, value) -> bytes:
        return self._tostring(value)

    def _setresp(self, *args):
        """redis.setresp(2|3): the protocol of the replies redis.call hands the script; the
        argument read as (int)lua_tonumber (so "3" and 2.5 count)."""
        if len(args) != 1:
            raise CallError("ERR redis.setresp() requires one argument.", self.api.where())
        version = int(to_number(args[0]) or 0)
        if version not in (2, 3):
            raise CallError("ERR RESP version must be 2 or 3.", self.api.where())
        self.resp = version

    def _set_repl(self, *args):
        """redis.set_repl(flags): where the script's next writes propagate to (REPL_AOF=1,
        REPL_REPLICA=2, both, or none). A non-number reads as 0, as lua_tonumber gives."""
        if len(args) != 1:  # (sic: Redis 7.2's words)
            raise CallError("ERR redis.set_repl() requires two arguments.", self.api.where())
        flags = int(to_number(args[0]) or 0)
        if flags & ~TO_ALL:
            raise CallError("ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, "
                            "REPL_ALL or REPL_NONE.", self.api.where())
        self.running.repl = flags

    def _acl_check(self, *args):
        """redis.acl_check_cmd(command, args...): may the script's user run it, keys included
        (a C function to Lua, like redis.call)."""
        if not args:
            raise CallError("ERR Please specify at least one argument for this redis lib call",
                            self.api.where())
        try:
            argv = [_to_bytes(a) for a in args]
        except TypeError:
            raise CallError("ERR Lua redis lib command arguments must be strings or integers",
                            self.api.where()) from None
        spec = lookup_command(argv)
        if spec is None:
            raise CallError("ERR Invalid command passed to redis.acl_check_cmd()",
                            self.api.where())
        user = self.client.acl_user
        return user.unrestricted or \
            self.server.acl.refuse(self.client, user, spec, argv, "lua") is None

    def _lua_map(self, pairs):
        """A Lua table set a pair at a time (a Python dict would merge the keys 1 and true)."""
        table = self.lua.table()
        for key, value in pairs:
            table[key] = value
        return table

    # -- the C libraries' errors ------------------------------------------------------------
    def _library_function(self, function):
        """A library function (a C function to Lua) raising luaL_argerror's and luaL_error's
        errors, at the calling script's position."""
        def call(*values):
            try:
                return function(*values)
            except ArgumentError as exc:
                raise self._argument_error(exc.index, str(exc)) from None
            except RaisedError as exc:
                where = _triple(self.api.c_caller())[2]
                raise LibraryError(_text(where) + str(exc)) from None
        return call

    def _argument_error(self, index: int, text: str) -> LibraryError:
        """luaL_argerror: "bad argument #i to 'name' (text)", the argument counted as the
        script sees it (a method call's self is not)."""
        name, how, where = _triple(self.api.c_caller())
        if how == b"method":
            index -= 1
            if index == 0:
                return LibraryError(f"{_text(where)}calling '{_text(name)}' on bad self ({text})")
        return LibraryError(f"{_text(where)}bad argument #{index} to '{_text(name)}' ({text})")

    def _error_value(self, value):
        """What Redis's pcall gives a script for an error: a table's string `err`, the text of
        an error raised from Python (redis.call's, the libraries'), else the error itself."""
        if isinstance(value, CallError):
            return value.message.encode()
        if isinstance(value, LibraryError):
            return str(value).encode()
        if _is_table(value):
            message = value[b"err"]
            if isinstance(message, (bytes, int, float)) and not isinstance(message, bool):
                return message
        return value

    def load_library(self, body: bytes):
        """Run a FUNCTION LOAD body; returns {function name: (callback, flags, description)}."""
        outcome = self.api.load_library(body)
        if not outcome[1]:
            text = _text(outcome[2])
            if outcome[3] == b"compile":
                raise CommandError("ERR Error compiling function: " + text)
            if text.startswith("ERR ERR "):  # an error table's text already has its code
                text = text[4:]
            raise CommandError("ERR Error registering functions: " + text)
        functions = {}
        for name, entry in outcome[2].items():
            flags, description = entry[2], entry[3]
            functions[_text(name)] = (entry[1], [_text(f) for f in flags.values()],
                                      None if description is None else bytes(description))
        return functions


_NONE = object()


def _pair(table):
    return table[1], table[2]


def _triple(table):
    return table[1], table[2], table[3]


def _is_table(value) -> bool:
    return type(value).__name__ == "_LuaTable"


def _binary_text(data: bytes) -> str:
    """Bytes as a reply's str, every byte kept (the writer encodes it back the same way)."""
    return data.decode("utf-8", "surrogateescape")


def _text(value) -> str:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def _to_bytes(value) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, (int, float)):  # Redis: integral values in +-2^62 as integers, else
        whole = as_long_long(float(value))  # fpconv's digits (100000000, not 1e8)
        return b"%d" % whole if whole is not None else dtoa(float(value))
    raise TypeError
