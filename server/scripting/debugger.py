"""The Lua debugger (LDB): SCRIPT DEBUG YES|SYNC, then EVAL runs step by step under the
client's control, as Redis's does (redis-cli --ldb speaks to it).

A Lua line hook (glue.lua) calls `DebugSession.on_line` for each line of the script. When the
session steps, meets a breakpoint or redis.breakpoint(), or the script has run past
busy-reply-threshold, it stops: it sends its log lines ("* Stopped at 3, stop reason = step
over", the line) and reads the client's commands (step, continue, list, print, break, eval,
redis, trace, maxlen, abort, help) until one lets the script go on. All of it is blocking I/O on
the client's socket (server/protocol/ldb_wire.py) from inside the hook, so nothing else runs
meanwhile: in SYNC mode the server waits for the debugging client, in YES mode a forked child
does (server/scripting/ldb_fork.py) and its changes die with it.
"""

import time

from lupa.lua51 import lua_type

from ..protocol.ldb_wire import (ProtocolError, atoi, log_reply, parse_command, quoted,
                                 reply_as_text)
from .engine import CallError

BREAKPOINTS_MAX = 64
MAXLEN_DEFAULT = 256  # log entries (replies, values) are cut to this many bytes by default
BUFFER_MAX = 1 << 20  # what the client may send without completing a command
VALUE_DEPTH = 10  # nesting shown of a table (Redis's LUA_MINSTACK/2)

HELP = [
    "Redis Lua debugger help:",
    "[h]elp               Show this help.",
    "[s]tep               Run current line and stop again.",
    "[n]ext               Alias for step.",
    "[c]ontinue           Run till next breakpoint.",
    "[l]ist               List source code around current line.",
    "[l]ist [line]        List source code around [line].",
    "                     line = 0 means: current position.",
    "[l]ist [line] [ctx]  In this form [ctx] specifies how many lines",
    "                     to show before/after [line].",
    "[w]hole              List all source code. Alias for 'list 1 1000000'.",
    "[p]rint              Show all the local variables.",
    "[p]rint <var>        Show the value of the specified variable.",
    "                     Can also show global vars KEYS and ARGV.",
    "[b]reak              Show all breakpoints.",
    "[b]reak <line>       Add a breakpoint to the specified line.",
    "[b]reak -<line>      Remove breakpoint from the specified line.",
    "[b]reak 0            Remove all breakpoints.",
    "[t]race              Show a backtrace.",
    "[e]val <code>        Execute some Lua code (in a different callframe).",
    "[r]edis <cmd>        Execute a Redis command.",
    "[m]axlen [len]       Trim logged Redis replies and Lua var dumps to len.",
    "                     Specifying zero as <len> means unlimited.",
    "[a]bort              Stop the execution of the script. In sync",
    "                     mode dataset changes will be retained.",
    "",
    "Debugger functions you can call from Lua scripts:",
    "redis.debug()        Produce logs in the debugger console.",
    "redis.breakpoint()   Stop execution like if there was a breakpoint in the",
    "                     next line of code.",
]


class DebugSession:
    """One debugged EVAL: its source, breakpoints, stepping state and log."""

    def __init__(self, engine, channel, source: bytes, time_limit_ms: int):
        self.engine = engine
        self.channel = channel
        source = source.rstrip(b"\r\n")
        self.lines = source.split(b"\n")
        self.time_limit = (time_limit_ms or 5000) / 1000  # a running script stops after it
        self.started = time.monotonic()
        self.step = True  # stop at the next line (a session starts stepping)
        self.script_breakpoint = False  # redis.breakpoint() was called
        self.breakpoints: list = []
        self.current_line = 0
        self.maxlen = MAXLEN_DEFAULT
        self.maxlen_hint_sent = False
        self.logs: list = []
        self.buffer = b""  # what the client sent that is not a whole command yet

    # -- the log ---------------------------------------------------------------------------
    def log(self, entry: str) -> None:
        self.logs.append(entry)

    def log_trimmed(self, entry: str) -> None:
        """A reply or value, cut at `maxlen` (with a hint the first time)."""
        if self.maxlen and len(entry) > self.maxlen:
            self.log(entry[:self.maxlen] + " ...")
            if not self.maxlen_hint_sent:
                self.maxlen_hint_sent = True
                self.log("<hint> The above reply was trimmed. Use 'maxlen 0' to disable "
                         "trimming.")
            return
        self.log(entry)

    def send_logs(self) -> None:
        logs, self.logs = self.logs, []
        self.channel.write(log_reply(logs))

    def end(self) -> None:
        """The script returned: the last logs and the end mark, before the EVAL's reply."""
        self.log("<endsession>")
        self.send_logs()

    # -- what redis.call and the redis.* helpers log -----------------------------------------
    @property
    def tracing(self) -> bool:
        """Commands, replies and errors are logged while stepping (Redis's ldbIsEnabled)."""
        return self.step

    def log_command(self, argv: list) -> None:
        shown = [arg.decode("utf-8", "surrogateescape") for arg in argv[:10]]
        more = f" ... ({len(argv) - 11} more)" if len(argv) > 10 else ""
        self.log("<redis> " + " ".join(shown) + more)

    def log_reply(self, data: bytes) -> None:
        self.log_trimmed("<reply> " + reply_as_text(data))

    def log_error(self, message: str) -> None:
        self.log("<error> " + message)

    def debug(self, values) -> None:
        """redis.debug(...)."""
        self.log("<debug> line %d: " % self.current_line +
                 ", ".join(self.describe(value) for value in values))

    def breakpoint(self) -> bool:
        """redis.breakpoint(): stop at the next line."""
        self.script_breakpoint = True
        return True

    # -- the hook ----------------------------------------------------------------------------
    def on_line(self, line: int) -> None:
        """A line of the script is about to run: stop here when stepping, at a breakpoint, or
        when the script has run too long. (Redis checks the time every 100,000 instructions,
        from a count hook; a Lua count hook beside a line hook written in Lua misses its
        counts, and every loop passes a line event on each turn anyway.)"""
        self.current_line = line
        at_breakpoint = line in self.breakpoints or self.script_breakpoint
        timed_out = False
        if not self.step and not at_breakpoint:
            if time.monotonic() - self.started < self.time_limit:
                return
            timed_out = self.step = True
        if not (self.step or at_breakpoint):
            return
        if at_breakpoint:
            reason = "redis.breakpoint() called" if self.script_breakpoint else "break point"
        else:
            reason = "timeout reached, infinite loop?" if timed_out else "step over"
        self.step = self.script_breakpoint = False
        self.log(f"* Stopped at {line}, stop reason = {reason}")
        self.log_source_line(line)
        self.send_logs()
        if not self.repl() and timed_out:
            # nobody is left to end a script that loops: stop it rather than hold the server
            raise CallError("ERR timeout during Lua debugging with client closing connection",
                            line)
        self.started = time.monotonic()

    def repl(self) -> bool:
        """Serve the client's commands until one resumes the script; False when the client
        went away (the script then runs to its end without stopping)."""
        while True:
            argv = self._next_command()
            if argv is None:
                self.step = False
                self.breakpoints.clear()
                return False
            name = argv[0].split(b"\0", 1)[0].lower()  # (compared as C strings are)
            if name in (b"s", b"step", b"n", b"next"):
                self.step = True
                return True
            if name in (b"c", b"continue"):
                return True
            if name in (b"a", b"abort"):
                raise CallError("ERR script aborted for user request", self.current_line)
            self._command(name, argv)
            self.send_logs()

    def _next_command(self):
        while True:
            try:
                parsed = parse_command(self.buffer) if self.buffer else None
            except ProtocolError as exc:
                raise CallError("ERR " + str(exc), self.current_line)
            if parsed is not None:
                self.buffer = b""  # (Redis drops whatever followed the command too)
                return parsed[0]
            data = self.channel.read()
            if not data:
                return None
            self.buffer += data
            if len(self.buffer) > BUFFER_MAX:
                self.buffer = b""
                raise CallError("ERR max client buffer reached", self.current_line)

    def _command(self, name: bytes, argv: list) -> None:
        if name in (b"h", b"help"):
            self.logs.extend(HELP)
        elif name in (b"t", b"trace"):
            self.trace()
        elif name in (b"m", b"maxlen"):
            self.set_maxlen(argv)
        elif name in (b"b", b"break"):
            self.edit_breakpoints(argv[1:])
        elif name in (b"e", b"eval"):
            self.evaluate(b" ".join(argv[1:]))
        elif name in (b"r", b"redis") and len(argv) > 1:
            self.run_command(argv[1:])
        elif name in (b"p", b"print"):
            if len(argv) == 2:
                self.print_variable(argv[1])
            else:
                self.print_locals()
        elif name in (b"l", b"list"):
            around = atoi(argv[1]) if len(argv) > 1 else 0
            context = atoi(argv[2]) if len(argv) > 2 else 5
            self.list_source(around if around > 0 else self.current_line, context)
        elif name in (b"w", b"whole"):
            self.list_source(1, 1000000)
        else:
            self.log("<error> Unknown Redis Lua debugger command or wrong number of "
                     "arguments.")

    # -- the commands ------------------------------------------------------------------------
    def log_source_line(self, line: int) -> None:
        text = self.lines[line - 1].decode("utf-8", "surrogateescape") \
            if 0 < line <= len(self.lines) else "<out of range source code line>"
        current, marked = line == self.current_line, line in self.breakpoints
        prefix = "->#" if current and marked else "-> " if current else "  #" if marked \
            else "   "
        self.log(f"{prefix}{line:<3d} {text}")

    def list_source(self, around: int, context: int) -> None:
        for line in range(1, len(self.lines) + 1):
            if around == 0 or abs(around - line) <= context:
                self.log_source_line(line)

    def edit_breakpoints(self, args: list) -> None:
        if not args:
            if not self.breakpoints:
                self.log("No breakpoints set. Use 'b <line>' to add one.")
                return
            self.log(f"{len(self.breakpoints)} breakpoints set:")
            for line in self.breakpoints:
                self.log_source_line(line)
            return
        for arg in args:
            line = _strict_int(arg)
            if line is None:
                self.log("Invalid argument:'%s'" % arg.decode("utf-8", "surrogateescape"))
            elif line == 0:
                self.breakpoints.clear()
                self.log("All breakpoints removed.")
            elif line > 0:
                if len(self.breakpoints) == BREAKPOINTS_MAX:
                    self.log("Too many breakpoints set.")
                elif 0 < line <= len(self.lines) and line not in self.breakpoints:
                    self.breakpoints.append(line)
                    self.list_source(line, 1)
                else:  # (Redis says so of a line that has one already, too)
                    self.log("Wrong line number.")
            elif -line in self.breakpoints:
                self.breakpoints.remove(-line)
                self.log("Breakpoint removed.")
            else:
                self.log("No breakpoint in the specified line.")

    def set_maxlen(self, argv: list) -> None:
        if len(argv) == 2:
            length = atoi(argv[1])
            self.maxlen_hint_sent = True  # the user knows of the command
            self.maxlen = 60 if length != 0 and length <= 60 else length
        if self.maxlen:
            self.log(f"<value> replies are truncated at {self.maxlen} bytes.")
        else:
            self.log("<value> replies are unlimited.")

    def trace(self) -> None:
        frames = self.engine.debug_frames()
        if not frames:
            self.log("<error> Can't retrieve Lua stack.")
        for index, (name, line) in enumerate(frames):
            self.log(f"{'In' if index == 0 else 'From'} {name or 'top level'}:")
            self.log_source_line(line)

    def print_variable(self, name: bytes) -> None:
        found, value = self.engine.debug_lookup(name)
        if found:
            self.log_trimmed("<value> " + self.describe(value))
        else:
            self.log("No such variable.")

    def print_locals(self) -> None:
        pairs = self.engine.debug_locals()
        for name, value in pairs:
            self.log_trimmed(f"<value> {name.decode('utf-8', 'surrogateescape')} = "
                             + self.describe(value))
        if not pairs:
            self.log("No local variables in the current context.")

    def evaluate(self, code: bytes) -> None:
        ok, value = self.engine.debug_eval(code)
        if ok:
            self.log_trimmed("<retval> " + self.describe(value))
        else:
            self.log("<error> " + _text(value))

    def run_command(self, argv: list) -> None:
        """`redis <command>`: run it as redis.pcall would, logging it and its reply."""
        self.step = True
        try:
            self.engine.call_for_debugger(argv)
        finally:
            self.step = False

    # -- values ------------------------------------------------------------------------------
    def describe(self, value, depth: int = 0) -> str:
        """A Lua value as the debugger shows it (Redis's ldbCatStackValue)."""
        if depth == VALUE_DEPTH:
            return "<max recursion level reached! Nested table?>"
        if value is None:
            return "nil"
        if value is True or value is False:
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return "%g" % value
        if isinstance(value, bytes):
            return quoted(value)
        kind = lua_type(value)
        if kind == "table":
            as_array, as_map, expected = [], [], 1
            for key, item in value.items():
                if as_array is not None and (type(key) not in (int, float) or key != expected):
                    as_array = None
                if as_array is not None:
                    as_array.append(self.describe(item, depth + 1))
                as_map.append(f"[{self.describe(key, depth + 1)}]="
                              f"{self.describe(item, depth + 1)}")
                expected += 1
            return "{" + "; ".join(as_array if as_array is not None else as_map) + "}"
        address = _text(self.engine.lua_tostring(value)).rpartition(" ")[2]
        return f'"{kind}@{address}"'


def _strict_int(text: bytes):
    """Redis's string2l: an optional '-', digits, no leading zeros, nothing else."""
    body = text[1:] if text[:1] == b"-" else text
    if not body.isdigit() or (len(body) > 1 and body[:1] == b"0") or text == b"-0":
        return None
    return int(text)


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return str(value)
