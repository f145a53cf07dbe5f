"""ACL users: passwords, command rules, key and channel patterns, selectors; parsing ACL
SETUSER's modifiers and describing a user as ACL LIST / ACL GETUSER do (Redis 7.2: command
rules are kept in the order they were given, a repeated rule replacing its earlier one).

A user is a root selector plus optional extra selectors; a command is allowed when one
selector allows the command, every key it touches (with the access it needs) and every channel.
"""

import hashlib

from ..command_table import TABLE, acl_categories, all_commands
from ..glob import glob_match

CATEGORIES = ("keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
              "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
              "blocking", "dangerous", "connection", "transaction", "scripting")


class ACLError(ValueError):
    """A modifier ACL SETUSER cannot apply; the message is Redis's reason."""


def password_hash(password: bytes) -> str:
    return hashlib.sha256(password).hexdigest()


def command_names() -> dict:
    """fullname -> spec for every command and subcommand ('config|get')."""
    names = {}
    for spec in all_commands():
        names[spec.fullname] = spec
        for sub in spec.subcommands.values():
            names[sub.fullname] = sub
    return names


def commands_in(category: str) -> set:
    tag = "@" + category
    return {name for name, spec in command_names().items() if tag in acl_categories(spec)}


class Selector:
    def __init__(self):
        self.allowed: set = set()  # fullnames of allowed commands and subcommands
        self.all_commands = False
        # Redis's reserved "future commands" bit: set by +@all, cleared by -@all and kept
        # through later rules; the description starts from whichever it says
        self.future_commands = False
        self.rules: list = []  # ('+', 'get') ... in the order given, for the description
        # `+select|0`: a command with no subcommands allowed for these first arguments only
        self.first_args: dict = {}  # fullname -> {lowercased first argument}
        self.keys: list = []  # (pattern, read, write)
        self.all_keys = False
        self.channels: list = []
        self.all_channels = False

    # -- modifiers -----------------------------------------------------------------------------
    def apply(self, rule: str) -> None:
        lowered = rule.lower()
        if lowered in ("allcommands", "+@all"):
            self.allowed, self.all_commands, self.rules = set(command_names()), True, []
            self.first_args, self.future_commands = {}, True
        elif lowered in ("nocommands", "-@all"):
            self.allowed, self.all_commands, self.rules = set(), False, []
            self.first_args, self.future_commands = {}, False
        elif lowered in ("allkeys", "~*"):
            self.keys, self.all_keys = [(b"*", True, True)], True
        elif lowered == "resetkeys":
            self.keys, self.all_keys = [], False
        elif lowered in ("allchannels", "&*"):
            self.channels, self.all_channels = [b"*"], True
        elif lowered == "resetchannels":
            self.channels, self.all_channels = [], False
        elif rule[:1] in "+-" and len(rule) > 1:
            self._command_rule(rule[0], lowered[1:], rule)
        elif rule[:1] in ("~", "%"):
            if self.all_keys:  # (before the rule is read, as ACLSetSelector does)
                raise ACLError("Adding a pattern after the * pattern (or the 'allkeys' flag) "
                               "is not valid and does not have any effect. Try 'resetkeys' to "
                               "start with an empty list of patterns")
            if rule[0] == "~":
                self._key_pattern(_pattern(rule[1:]), True, True)
            else:
                self._key_pattern(*_permission_pattern(rule[1:]))
        elif rule.startswith("&"):
            if self.all_channels:
                raise ACLError("Adding a pattern after the * pattern (or the 'allchannels' "
                               "flag) is not valid and does not have any effect. Try "
                               "'resetchannels' to start with an empty list of channels")
            if _pattern(rule[1:]).encode() not in self.channels:
                self.channels.append(rule[1:].encode())
        else:
            raise ACLError("Syntax error")

    def _key_pattern(self, pattern: str, read: bool, write: bool) -> None:
        encoded = pattern.encode()
        for index, (existing, r, w) in enumerate(self.keys):
            if existing == encoded:
                self.keys[index] = (existing, r or read, w or write)
                return
        self.keys.append((encoded, read, write))

    def _command_rule(self, sign: str, name: str, original: str) -> None:
        if name.startswith("@"):
            category = name[1:]
            if category not in CATEGORIES:
                raise ACLError("Unknown command or category name in ACL")
            affected = commands_in(category)
        else:
            known = command_names()
            parent, _, first_arg = name.rpartition("|")  # (Redis splits at the last bar)
            if sign == "-" and name not in known:
                raise ACLError("Unknown command or category name in ACL")
            if not _:
                parent, first_arg = name, ""
            elif "|" in parent and parent in known:
                raise ACLError("Allowing first-arg of a subcommand is not supported")
            elif not first_arg:
                raise ACLError("Syntax error")  # `debug|`
            spec = TABLE.get(parent.encode())
            if first_arg and spec is not None and not spec.subcommands:
                self._first_arg_rule(parent, first_arg)
                self._record(sign, name)
                return
            if name not in known:
                raise ACLError("Unknown command or category name in ACL")
            affected = {name} | ({sub.fullname for sub in spec.subcommands.values()}
                                 if not first_arg else set())
        for command in affected:  # a rule for the whole command ends its first-arg rules
            self.first_args.pop(command, None)
        if sign == "+":
            self.allowed |= affected
        else:
            self.allowed -= affected
        self.all_commands = False
        self._record(sign, name)

    def _first_arg_rule(self, command: str, first_arg: str) -> None:
        """`+select|0` (Redis keeps these, deprecated, for commands without subcommands): the
        command is allowed when its first argument is one of these."""
        self.first_args.setdefault(command, set()).add(first_arg.lower())

    def _record(self, sign: str, name: str) -> None:
        # a later rule replaces the command's (and a whole command's, its subcommands')
        self.rules = [r for r in self.rules if r[1] != name and not r[1].startswith(name + "|")]
        self.rules.append((sign, name))

    # -- checks ----------------------------------------------------------------------------------
    def allows_command(self, fullname: str, args=()) -> bool:
        """`args`: the call's, for first-arg rules (only top-level commands have them)."""
        if self.all_commands or fullname in self.allowed:
            return True
        allowed_first = self.first_args.get(fullname)
        return allowed_first is not None and len(args) > 1 and \
            bytes(args[1]).lower().decode(errors="replace") in allowed_first

    def reads_every_key(self) -> bool:
        """allkeys, or a `*` pattern that grants reads (`~*`, `%R~*`)."""
        return self.all_keys or any(pattern == b"*" and read for pattern, read, _ in self.keys)

    def key_denied(self, keys) -> bytes | None:
        """The first key this selector does not allow with the access it needs, or None."""
        if self.all_keys:
            return None
        for key, read, write in keys:
            if not any(glob_match(pattern, key) and (r or not read) and (w or not write)
                       and (r or w) for pattern, r, w in self.keys):
                return key
        return None

    def channel_denied(self, channels, patterns) -> bytes | None:
        if self.all_channels:
            return None
        for channel in channels:
            if not any(glob_match(allowed, channel) for allowed in self.channels):
                return channel
        for pattern in patterns:  # a subscribed pattern must be one of the allowed ones
            if pattern not in self.channels:
                return pattern
        return None

    # -- description -----------------------------------------------------------------------------
    def describe_commands(self) -> str:
        base = "+@all" if self.future_commands else "-@all"
        return " ".join([base] + [sign + name for sign, name in self.rules])

    def describe_keys(self) -> str:
        if self.all_keys:
            return "~*"
        parts = []
        for pattern, read, write in self.keys:
            prefix = "~" if read and write else "%R~" if read else "%W~"
            parts.append(prefix + pattern.decode(errors="replace"))
        return " ".join(parts)

    def describe_channels(self) -> str:
        if self.all_channels:
            return "&*"
        return " ".join("&" + c.decode(errors="replace") for c in self.channels)

    def describe(self) -> str:
        parts = [self.describe_keys()]
        parts.append("&*" if self.all_channels else
                     " ".join(["resetchannels"] + ["&" + c.decode(errors="replace")
                                                   for c in self.channels]))
        parts.append(self.describe_commands())
        return " ".join(p for p in parts if p)


class User:
    def __init__(self, name: str):
        self.name = name
        self.enabled = False
        self.nopass = False
        self.passwords: list = []  # sha256 hex digests, in the order added
        # 'sanitize-payload': Redis 7.2 creates every user with it (7.0 only set it on `reset`);
        # ACL GETUSER and LIST show it, RESTORE's payloads are validated whole either way
        self.sanitize = True
        self.skip_sanitize = False
        self.root = Selector()
        self.selectors: list = []
        # every command, key and channel allowed (the default user's usual state): the
        # dispatcher then skips the checks; kept up to date by apply()
        self.unrestricted = False

    def _update_unrestricted(self) -> None:
        root = self.root
        self.unrestricted = root.all_commands and root.all_keys and root.all_channels

    def check_password(self, password: bytes) -> bool:
        return self.nopass or password_hash(password) in self.passwords

    # -- ACL SETUSER ---------------------------------------------------------------------------
    def apply(self, rules: list, all_channels: bool = False) -> None:
        """Apply modifiers in order (all-or-nothing is the caller's job: apply to a copy).
        `all_channels`: acl-pubsub-default is allchannels, so `reset` and new selectors
        start with every channel, as in Redis."""
        for rule in _with_selectors(rules):
            self._apply_one(rule, all_channels)
        self._update_unrestricted()

    def _apply_one(self, rule: str, all_channels: bool) -> None:
        if not rule:
            return  # an empty rule does nothing (ACLSetUser)
        lowered = rule.lower()
        try:
            if rule.startswith("(") and rule.endswith(")"):
                selector = Selector()
                if all_channels:
                    selector.apply("allchannels")
                for inner in rule[1:-1].split():
                    selector.apply(inner)
                self.selectors.append(selector)
            elif lowered == "on":
                self.enabled = True
            elif lowered == "off":
                self.enabled = False
            elif lowered == "nopass":
                self.nopass, self.passwords = True, []
            elif lowered == "resetpass":
                self.nopass, self.passwords = False, []
            elif rule.startswith(">"):
                self._add_hash(password_hash(rule[1:].encode("utf-8", "surrogateescape")))
            elif rule.startswith("<"):
                digest = password_hash(rule[1:].encode("utf-8", "surrogateescape"))
                if digest not in self.passwords:
                    raise ACLError("The password you are trying to remove from the user does "
                                   "not exist")
                self.passwords.remove(digest)
            elif rule.startswith("#"):
                self._add_hash(_valid_hash(rule[1:]))
            elif rule.startswith("!"):
                digest = _valid_hash(rule[1:])
                if digest not in self.passwords:
                    raise ACLError("The password you are trying to remove from the user does "
                                   "not exist")
                self.passwords.remove(digest)
            elif lowered == "clearselectors":
                self.selectors = []
            elif lowered == "reset":
                self.enabled, self.nopass, self.passwords = False, False, []
                self.root, self.selectors = Selector(), []
                self.sanitize, self.skip_sanitize = True, False
                if all_channels:
                    self.root.apply("allchannels")
            elif lowered == "sanitize-payload":  # Predis always validates RESTORE payloads
                self.sanitize, self.skip_sanitize = True, False
            elif lowered == "skip-sanitize-payload":
                self.sanitize, self.skip_sanitize = False, True
            else:
                self.root.apply(rule)
        except ACLError as exc:
            shown = rule.partition("\0")[0]  # (Redis formats it with %s: it ends at a NUL)
            raise ACLError(f"Error in ACL SETUSER modifier '{shown}': {exc}") from None

    def _add_hash(self, digest: str) -> None:
        self.nopass = False
        if digest not in self.passwords:
            self.passwords.append(digest)

    def copy(self) -> "User":
        clone = User(self.name)
        clone.enabled, clone.nopass = self.enabled, self.nopass
        clone.sanitize, clone.skip_sanitize = self.sanitize, self.skip_sanitize
        clone.passwords = list(self.passwords)
        clone.root = _copy_selector(self.root)
        clone.selectors = [_copy_selector(s) for s in self.selectors]
        clone.unrestricted = self.unrestricted
        return clone

    # -- checks ------------------------------------------------------------------------------------
    def denial(self, spec, keys, channels, patterns, args=()):
        """None if allowed, else (reason, object): when no selector allows the call, the most
        relevant refusal, as Redis picks it: a channel over a key over the command, and
        between two of a kind the one further into the arguments (the first on a tie)."""
        relevant, rank = None, None
        for selector in [self.root, *self.selectors]:
            if not selector.allows_command(spec.fullname, args):
                found, order = ("command", spec.fullname), (1, 0)
            else:
                key = selector.key_denied(keys)
                channel = None if key is not None else selector.channel_denied(channels,
                                                                                patterns)
                if key is None and channel is None:
                    return None
                if key is not None:
                    found = ("key", key)
                    order = (2, next(i for i, access in enumerate(keys) if access[0] == key))
                else:
                    found, order = ("channel", channel), (4, 0)
            if rank is None or order > rank:
                relevant, rank = found, order
        return relevant

    def full_key_access(self, spec, args, keys, channels, patterns) -> bool:
        """Some selector allows this call and reading every key (Redis's
        ACLUserCheckCmdWithUnrestrictedKeyAccess: what SORT's BY and GET need)."""
        return self.unrestricted or any(
            selector.reads_every_key() and selector.allows_command(spec.fullname, args)
            and selector.key_denied(keys) is None
            and selector.channel_denied(channels, patterns) is None
            for selector in [self.root, *self.selectors])

    def may_subscribe(self, channels, patterns) -> bool:
        """Every one of these channels and patterns is allowed by some selector."""
        selectors = [self.root, *self.selectors]
        return all(any(s.channel_denied([channel], []) is None for s in selectors)
                   for channel in channels) and \
            all(any(s.channel_denied([], [pattern]) is None for s in selectors)
                for pattern in patterns)

    def sees_key(self, key: bytes) -> bool:
        """Tenant isolation: a key name this user's key patterns cover (any selector)."""
        return any(selector.key_denied([(key, False, False)]) is None
                   for selector in [self.root, *self.selectors])

    # -- description ---------------------------------------------------------------------------
    def flags(self) -> list:
        """The flags ACL GETUSER and ACL LIST show, in Redis's order (ACLUserFlags)."""
        return ["on" if self.enabled else "off"] + (["nopass"] if self.nopass else []) + \
            (["skip-sanitize-payload"] if self.skip_sanitize else []) + \
            (["sanitize-payload"] if self.sanitize else [])

    def describe(self) -> str:
        """One ACL LIST line (also the aclfile format)."""
        parts = [f"user {self.name}", *self.flags()]
        parts += ["#" + digest for digest in self.passwords]
        parts.append(self.root.describe())
        parts += ["(" + selector.describe() + ")" for selector in self.selectors]
        return " ".join(p for p in parts if p)

    def getuser(self) -> list:
        """ACL GETUSER's reply."""
        return ["flags", self.flags(), "passwords", list(self.passwords),
                "commands", self.root.describe_commands(), "keys", self.root.describe_keys(),
                "channels", self.root.describe_channels(),
                "selectors", [["commands", s.describe_commands(), "keys", s.describe_keys(),
                               "channels", s.describe_channels()] for s in self.selectors]]


def _pattern(text: str) -> str:
    """A key or channel pattern: no whitespace (C's isspace) or NUL in it."""
    if any(char in " \t\n\v\f\r\0" for char in text):
        raise ACLError("Syntax error")
    return text


def _permission_pattern(text: str) -> tuple:
    """`%R~pattern`, `%W~...`, `%RW~...` (case-insensitive, each letter once; without the
    `~` the pattern is empty): (pattern, read, write)."""
    read = write = False
    letters, tilde, pattern = text.partition("~")
    for letter in letters.upper():
        if letter == "R" and not read:
            read = True
        elif letter == "W" and not write:
            write = True
        else:
            raise ACLError("Syntax error")
    if not (read or write):
        raise ACLError("Syntax error")
    return _pattern(pattern if tilde else ""), read, write


def _copy_selector(selector: Selector) -> Selector:
    clone = Selector()
    clone.allowed = set(selector.allowed)
    clone.all_commands, clone.rules = selector.all_commands, list(selector.rules)
    clone.future_commands = selector.future_commands
    clone.first_args = {name: set(args) for name, args in selector.first_args.items()}
    clone.keys, clone.all_keys = list(selector.keys), selector.all_keys
    clone.channels, clone.all_channels = list(selector.channels), selector.all_channels
    return clone


def _valid_hash(text: str) -> str:
    if len(text) != 64 or set(text) - set("0123456789abcdef"):
        raise ACLError("The password hash must be exactly 64 characters and contain only "
                       "lowercase hexadecimal characters")
    return text


def _with_selectors(rules: list) -> list:
    """Join '(' ... ')' spread over several arguments into one selector rule."""
    joined, open_parts = [], None
    for rule in rules:
        if open_parts is not None:
            open_parts.append(rule)
            if rule.endswith(")"):
                joined.append(" ".join(open_parts))
                open_parts = None
        elif rule.startswith("(") and not rule.endswith(")"):
            open_parts = [rule]
        else:
            joined.append(rule)
    if open_parts is not None:
        raise ACLError(f"Unmatched parenthesis in acl selector starting at '{open_parts[0]}'.")
    return joined
