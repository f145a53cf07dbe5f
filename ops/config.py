"""Configuration: redis.conf syntax, command-line overrides, CONFIG GET/SET semantics.

Values are kept as Python values keyed by canonical name (`config["maxmemory"]` is an int).
Validation messages are Redis 7.2's, without the 'CONFIG SET failed ...' wrapper that the
CONFIG command adds.
"""

import fnmatch
import os
import re

from server.protocol.reader import ProtocolError, split_inline

from . import proc_title
from .config_params import BY_NAME, LLONG_MAX, LLONG_MIN, PARAMS, ULLONG_MAX, Param

PROTECTED = {"dir", "dbfilename"}
# Refused with -LOADING while a dataset loads (Redis's DENY_LOADING_CONFIG)
DENY_LOADING = {"appendonly", "dir", "repl-diskless-load"}
_MEM_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2,
              "g": 1000**3, "gb": 1024**3}
MAX_INCLUDE_DEPTH = 32
_INT_RE = re.compile(r"-?\d+\Z")
_CANONICAL_INT_RE = re.compile(r"(0|-?[1-9]\d*)\Z")
_MEMORY_RE = re.compile(r"(\d*)([a-zA-Z]*)")
# string2d's doubles: no leading space, no NaN (strtod's inf and infinity are numbers)
_DOUBLE_RE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z|[+-]?inf(inity)?\Z", re.I)
_HEX_DOUBLE_RE = re.compile(r"[+-]?0x([0-9a-f]+\.?[0-9a-f]*|\.[0-9a-f]+)(p[+-]?\d+)?\Z", re.I)
_HOSTNAME_RE = re.compile(r"[A-Za-z0-9.-]*\Z")
_NOTIFY_CLASSES = "Ag$lshzxeKEtmdn"
_COBL_CLASSES = {"normal": "normal", "slave": "slave", "replica": "slave", "pubsub": "pubsub"}


class ConfigError(Exception):
    """A value or directive was rejected; `reason` is Redis's text, `name` the parameter."""

    def __init__(self, reason: str, name: str = ""):
        super().__init__(f"{name}: {reason}" if name else reason)
        self.reason = reason
        self.name = name


def parse_memory(text: str):
    """Redis's memtoull: digits (none reads as 0) and an optional unit, no sign; None when it
    does not parse. Past 2**64 - 1 the digits saturate and the product wraps, as in C."""
    m = _MEMORY_RE.fullmatch(text)
    if not m or m.group(2).lower() not in _MEM_UNITS or len(m.group(1)) >= 128:
        return None
    digits = min(int(m.group(1) or "0"), ULLONG_MAX)  # (strtoull saturates)
    return digits * _MEM_UNITS[m.group(2).lower()] & ULLONG_MAX


def _parse_int(text: str):
    return int(text) if _INT_RE.match(text) else None


def _string2ll(text: str):
    """Redis's string2ll: canonical decimal (no '+', no leading zero, no '-0'), int64."""
    if not _CANONICAL_INT_RE.match(text):
        return None
    value = int(text)
    return value if LLONG_MIN <= value <= LLONG_MAX else None


class Config:
    """The live configuration. `on_change[name]` callbacks apply a new value to the server."""

    def __init__(self):
        self.argv = []
        self.values = {}
        self.on_change = {}
        self.config_file = None
        self._including = 0  # include directives being read, nested
        for param in PARAMS:
            self.values[param.name] = self._convert(param, param.default)

    def __getitem__(self, name):
        return self.values[name]

    # -- conversion -------------------------------------------------------------------
    def _convert(self, param: Param, text: str):
        kind = param.kind
        if kind == "bool":
            low = text.lower()
            if low not in ("yes", "no"):
                raise ConfigError("argument must be 'yes' or 'no'")
            return low == "yes"
        if kind == "int":
            value = _string2ll(text)
            if value is None:
                raise ConfigError("argument couldn't be parsed into an integer")
            return self._bounded(param, value)
        if kind == "float":
            try:
                number = float(text)
            except ValueError:
                raise ConfigError("argument couldn't be parsed into a number") from None
            if not param.low <= number <= param.high:  # NaN fails both comparisons
                raise ConfigError(
                    f"argument must be between {param.low} and {param.high} inclusive")
            return number
        if kind == "octal":
            try:
                value = int(text, 8)
            except ValueError:
                raise ConfigError("argument couldn't be parsed into an integer") from None
            return self._bounded(param, value)
        if kind == "mem":  # Redis's numericParseString: a memory value, then a percentage
            percent = param.name == "maxmemory-clients"
            value = parse_memory(text)
            if value is not None and value > LLONG_MAX and param.high <= LLONG_MAX:
                value -= 2**64  # (read into a signed long long)
            if value is None and percent and len(text) > 1 and text.endswith("%"):
                pct = _string2ll(text[:-1])
                if pct is not None and pct >= 0:
                    value = -pct  # Redis stores percentages as negative numbers
            if value is None:
                raise ConfigError("argument must be a memory or percent value" if percent
                                  else "argument must be a memory value")
            if percent and value < 0:
                if value < -100:
                    raise ConfigError("percentage argument must be less or equal to 100")
                return value
            return self._bounded(param, value)
        if kind == "enum":
            low = text.lower()
            if low not in param.choices:
                raise ConfigError(
                    "argument(s) must be one of the following: " + ", ".join(param.choices))
            return low
        if kind == "flags":
            words = text.lower().split()
            if not words or any(w not in param.choices for w in words):
                raise ConfigError(
                    "argument(s) must be one of the following: " + ", ".join(param.choices))
            # in the choices' order, once each, as Redis renders a flags value
            return " ".join(choice for choice in param.choices if choice in words)
        if kind == "save":
            return _parse_save(text)
        if kind == "notify":
            return _parse_notify(text)
        if kind == "cobl":
            return _parse_cobl(text, self.values.get("client-output-buffer-limit"))
        if kind == "ints3":
            parts = text.split()
            if len(parts) != 3:
                raise ConfigError("wrong number of arguments")
            nums = [_parse_int(p) for p in parts]
            if None in nums or any(not -2000 <= n <= 2000 for n in nums):
                raise ConfigError("Invalid oom-score-adj-values, elements must be between -2000 "
                                  "and 2000.")
            return nums
        if kind == "percentiles":  # each checked in turn, as Redis does
            nums = []
            for word in text.split():
                if _DOUBLE_RE.match(word):
                    number = float(word)
                elif _HEX_DOUBLE_RE.match(word):  # (strtod reads hexadecimal too)
                    number = float.fromhex(word)
                else:
                    raise ConfigError("Invalid latency-tracking-info-percentiles parameters")
                if not 0.0 <= number <= 100.0:
                    raise ConfigError("latency-tracking-info-percentiles parameters should sit "
                                      "between [0.0,100.0]")
                nums.append(number)
            return nums
        if kind == "proc_title":
            if not proc_title.valid(text, self):
                raise ConfigError(proc_title.INVALID)
            return text
        if kind == "hostname":  # (isValidAnnouncedHostname)
            if len(text) >= 256:
                raise ConfigError("Hostnames must be less than 256 characters")
            if not _HOSTNAME_RE.match(text):
                raise ConfigError("Hostnames may only contain alphanumeric characters, hyphens "
                                  "or dots")
            return text
        if kind == "bind":
            return text.split()
        if kind == "dir":
            return text
        return text  # str

    @staticmethod
    def _bounded(param: Param, value: int) -> int:
        if not param.low <= value <= param.high:
            raise ConfigError(
                f"argument must be between {param.low} and {param.high} inclusive")
        return value

    def render(self, name: str) -> str:
        """The value as CONFIG GET shows it."""
        param = BY_NAME[name]
        value = self.values[param.name]
        kind = param.kind
        if kind == "bool":
            return "yes" if value else "no"
        if kind == "octal":
            return format(value, "o")
        if kind == "float":
            return format(value, "g")
        if kind == "mem" and isinstance(value, int) and value < 0:
            return f"{-value}%"
        if kind == "save":
            return " ".join(f"{s} {c}" for s, c in value)
        if kind == "notify":
            return value
        if kind == "cobl":
            return " ".join(f"{cls} {h} {s} {sec}" for cls, (h, s, sec) in value.items())
        if kind == "ints3":
            return " ".join(str(n) for n in value)
        if kind == "percentiles":
            return " ".join(_fmt_pct(n) for n in value)
        if kind == "bind":
            return " ".join(value)
        if kind == "dir":
            return os.path.abspath(value)
        return str(value)

    # -- CONFIG GET / SET ---------------------------------------------------------------
    def matching(self, pattern: str) -> list:
        """(name, rendered value) pairs for CONFIG GET, aliases included, as Redis lists them."""
        pattern = pattern.lower()
        if pattern in BY_NAME:
            return [(pattern, self.render(pattern))]
        return [(name, self.render(name)) for name, param in BY_NAME.items()
                if not param.hidden and fnmatch.fnmatchcase(name, pattern)]

    def _same(self, param, text) -> bool:
        try:
            return self._convert(param, text) == self.values[param.name]
        except ConfigError:
            return False

    def _refusal(self, param, text, local_client: bool = True) -> str:
        """Why CONFIG SET may not change `param` at all ("" if it may); a protected one only
        as enable-protected-configs allows (yes, or local for a local client)."""
        if param.immutable and not (param.same_value_ok and self._same(param, text)):
            return "can't set immutable config"
        if param.name in PROTECTED and not self.protected_allowed(local_client):
            return "can't set protected config"
        return ""

    def protected_allowed(self, local_client: bool) -> bool:
        setting = self.values["enable-protected-configs"]
        return setting == "yes" or (setting == "local" and local_client)

    def denied_while_loading(self, pairs: list) -> bool:
        """Whether CONFIG SET of these pairs gets -LOADING during a load: a DENY_LOADING
        parameter comes before any unknown or unsettable one (Redis stops checking at the first
        error, and answers LOADING before all others)."""
        for name, text in pairs:
            param = BY_NAME.get(name.lower())
            if param is None or self._refusal(param, text):
                return False
            if param.name in DENY_LOADING:
                return True
        return False

    def set_many(self, pairs: list, at_start: bool = False, local_client: bool = True) -> None:
        """Apply name/value pairs atomically: all are validated before any takes effect."""
        staged = []
        seen = set()
        for name, text in pairs:
            param = BY_NAME.get(name.lower())
            if param is None:
                raise KeyError(name)
            if param.name in seen:
                raise ConfigError("duplicate parameter", name)
            seen.add(param.name)
            refusal = "" if at_start else self._refusal(param, text, local_client)
            if refusal:
                raise ConfigError(refusal, name)
            try:
                value = self._convert(param, text)
            except ConfigError as exc:
                raise ConfigError(exc.reason, name) from None
            applied = param.extra.get("applied_range")
            if applied is not None and not at_start:
                value = min(max(value, applied[0]), applied[1])
            staged.append((param, value))
        previous = {p.name: self.values[p.name] for p, _ in staged}
        try:
            for param, value in staged:
                self.values[param.name] = value
                hook = self.on_change.get(param.name)
                if hook is not None:
                    hook(value)
        except ConfigError as exc:
            for name, value in previous.items():  # roll back, as Redis does
                self.values[name] = value
                hook = self.on_change.get(name)
                if hook is not None:
                    try:
                        hook(value)
                    except ConfigError:
                        pass
            raise ConfigError(exc.reason, param.name) from None

    # -- files and command line ---------------------------------------------------------
    def load_file(self, path: str) -> None:
        self.config_file = os.path.abspath(path)
        with open(path, "rb") as handle:
            self.load_text(handle.read(), source=path)

    def load_text(self, text: bytes, source: str = "(string)") -> None:
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith(b"#"):
                continue
            try:
                words = [w.decode() for w in split_inline(line)]
            except ProtocolError:
                raise ConfigError(f"{source}:{number}: Unbalanced quotes in configuration line")
            except UnicodeDecodeError:
                raise ConfigError(f"{source}:{number}: the line is not valid UTF-8") from None
            name, args = words[0].lower(), words[1:]
            if name == "include":
                if len(args) != 1:
                    raise ConfigError(f"{source}:{number}: Bad directive or wrong number of "
                                      "arguments")
                self._including += 1
                try:
                    if self._including > MAX_INCLUDE_DEPTH:  # a file that includes itself
                        raise ConfigError(f"{source}:{number}: includes nested more than "
                                          f"{MAX_INCLUDE_DEPTH} deep")
                    self.load_file(args[0])
                except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
                    reason = exc.strerror if isinstance(exc, OSError) else str(exc)
                    raise ConfigError(f"{source}:{number}: can't open the included file "
                                      f"'{args[0]}': {reason}") from None
                finally:
                    self._including -= 1
                continue
            if name in ("rename-command", "user", "loadmodule"):
                self.values.setdefault("_directives", []).append((name, args))
                continue
            if name not in BY_NAME:
                raise ConfigError(f"{source}:{number}: Bad directive or wrong number of arguments")
            param = BY_NAME[name]
            shown = "'" + " ".join([name] + [f'"{arg}"' for arg in args]) + "'"  # as Redis
            if len(args) != (2 if param.name == "replicaof" else 1) and \
                    param.kind not in MULTI_ARG_KINDS:
                raise ConfigError(f"{source}:{number}: {shown}: wrong number of arguments")
            if param.name == "replicaof" and [a.lower() for a in args] != ["no", "one"] and \
                    not (args[1].isdigit() and int(args[1]) <= 65535):
                raise ConfigError(f"{source}:{number}: {shown}: Invalid master port")
            if param.kind == "save" and args == [""]:
                value = ""
            elif param.kind in ("save", "cobl") and name in self._seen_multi:
                value = self.render(param.name) + " " + " ".join(args)
            else:
                value = " ".join(args)
            self._seen_multi.add(name)
            try:
                self.set_many([(name, value)], at_start=True)
            except ConfigError as exc:
                raise ConfigError(f"{source}:{number}: {shown}: {exc.reason}") from None

    @property
    def _seen_multi(self) -> set:
        return self.__dict__.setdefault("_multi", set())

    def load_argv(self, argv: list) -> None:
        """`predis-server [config-file] [--name value ...]`, exactly like redis-server."""
        self.argv = list(argv)  # kept for reload(): the file again, the same overrides
        args = list(argv)
        if args and not args[0].startswith("--"):
            self.load_file(args.pop(0))
        self.load_text(argv_as_config(args).encode(), source="(command line)")


def argv_as_config(args: list) -> str:
    """redis-server's command line as configuration text, by its main()'s rules: `--name`
    starts a line and the arguments after it are its values, even ones starting with `--`
    while the option has none yet; `"--name value"` in one argument is a whole line; a bare
    `--save` followed by another option (or last) means `save ""`; arguments before any option
    make a line of their own."""
    text, has_value = "", True
    for index, arg in enumerate(args):
        if has_value and arg.startswith("--"):
            text += ("\n" if text else "") + arg[2:] + " "
            has_value = len(arg.split()) > 1
            if arg.lower() == "--save" and (index == len(args) - 1
                                            or args[index + 1].startswith("--")):
                text, has_value = text + '""', True
        else:
            text, has_value = text + _quote(arg) + " ", True
    return text


# Parameters that take several arguments on a config line (Redis's MULTI_ARG_CONFIG)
MULTI_ARG_KINDS = frozenset({"save", "cobl", "bind", "ints3", "percentiles", "flags"})


def reload(config: Config) -> tuple:
    """SIGHUP: read the config file again, with the same command-line overrides, and apply
    every parameter whose value now differs, as CONFIG SET would (validated together, all or
    nothing). Parameters CONFIG SET may not change (immutable, protected) are left as they
    are and returned apart. Values set at run time and not in the file go back to the file's.
    Returns (applied names, left names); ConfigError (nothing changed) if the file is bad."""
    if not config.config_file:
        raise ConfigError("the server was started without a config file")
    fresh = Config()
    try:
        fresh.load_argv(config.argv)
    except OSError as exc:
        raise ConfigError(f"can't read the config file: {exc.strerror}") from None
    changed = [param for param in PARAMS
               if fresh.render(param.name) != config.render(param.name)]
    left = [p.name for p in changed if p.immutable or (
        p.name in PROTECTED and config.values["enable-protected-configs"] == "no")]
    applied = [(p.name, fresh.render(p.name)) for p in changed if p.name not in left]
    config.set_many(applied)
    return [name for name, _ in applied], left


def _quote(word: str) -> str:
    if word == "":
        return '""'
    if any(c in word for c in " \"'\\"):
        return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return word


def _fmt_pct(n: float) -> str:
    """Redis's "%f" with the trailing zeros (and a bare dot) trimmed: 99.9, 50, -0."""
    return ("%f" % n).rstrip("0").rstrip(".")


def _parse_save(text: str):
    parts = text.split()
    if len(parts) % 2:
        raise ConfigError("Invalid save parameters")
    points = []
    for i in range(0, len(parts), 2):
        seconds, changes = _parse_int(parts[i]), _parse_int(parts[i + 1])
        if seconds is None or changes is None or seconds < 1 or changes < 0:
            raise ConfigError("Invalid save parameters")
        points.append((seconds, changes))
    return points


def _parse_notify(text: str) -> str:
    if any(c not in _NOTIFY_CLASSES for c in text):
        raise ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
    return _canonical_notify(text)


def _canonical_notify(text: str) -> str:
    """Redis re-renders the flags in a fixed order, folding the 'A' alias."""
    flags = set(text)
    if "A" in flags:
        flags |= set("g$lshzxetd")
    out = "A" if set("g$lshzxetd") <= flags else "".join(c for c in "g$lshzxetd" if c in flags)
    for c in "mnKE":
        if c in flags:
            out += c
    return out


def _parse_cobl(text: str, current):
    parts = text.split()
    if len(parts) % 4:
        raise ConfigError("Wrong number of arguments in buffer limit configuration.")
    limits = dict(current) if current else {}
    for i in range(0, len(parts), 4):
        cls = _COBL_CLASSES.get(parts[i].lower())
        if cls is None:
            raise ConfigError("Invalid client class specified in buffer limit configuration.")
        hard, soft = parse_memory(parts[i + 1]), parse_memory(parts[i + 2])
        seconds = _parse_int(parts[i + 3])
        if hard is None or soft is None or seconds is None or min(hard, soft, seconds) < 0:
            raise ConfigError("Error in hard, soft or soft_seconds setting in buffer limit "
                              "configuration.")
        limits[cls] = (hard, soft, seconds)
    return {cls: limits[cls] for cls in ("normal", "slave", "pubsub") if cls in limits}
