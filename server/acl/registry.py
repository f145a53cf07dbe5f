"""The server's users, the ACL log and the aclfile.

The `default` user starts `on nopass sanitize-payload ~* &* +@all`; `requirepass` sets its one
password (as in Redis). Denials are logged (ACL LOG): an entry repeats (count, last update,
client line, first place) when the same user is refused the same thing in the same context
within 60 s.
"""

import os
import secrets
import time

from .access import accesses
from .users import ACLError, User

LOG_MERGE_SECONDS = 60
LOG_MERGE_SCAN = 10  # how many of the latest entries a refusal may merge into


def denial_message(user, reason: str, denied, verbose: bool = False) -> str:
    """Redis 7.2's words for a refusal (verbose: ACL DRYRUN's form)."""
    if reason == "command":
        who = "This user" if verbose else f"User {user.name}"
        return f"{who} has no permissions to run the '{denied}' command"
    if verbose:
        noun = "key" if reason == "key" else "channel"
        return (f"This user has no permissions to access the "
                f"'{bytes(denied).decode(errors='replace')}' {noun}")
    return "No permissions to access a key" if reason == "key" else \
        "No permissions to access a channel"


_AT_EXEC = {"command": "no permission to execute the command or subcommand",
            "key": "no permission to touch the specified keys",
            "channel": "no permission to access one of the channels used as arguments"}


class LogEntry:
    def __init__(self, entry_id, reason, context, obj, username, client_info):
        self.entry_id, self.reason, self.context = entry_id, reason, context
        self.object, self.username, self.client_info = obj, username, client_info
        self.count = 1
        self.created = self.updated = time.time()

    def reply(self) -> list:
        now = time.time()
        return ["count", self.count, "reason", self.reason, "context", self.context,
                "object", self.object, "username", self.username,
                "age-seconds", round(now - self.updated, 3), "client-info", self.client_info,
                "entry-id", self.entry_id,
                "timestamp-created", int(self.created * 1000),
                "timestamp-last-updated", int(self.updated * 1000)]


class ACL:
    def __init__(self, server):
        self.server = server
        self.users: dict = {}
        self.log: list = []  # newest first
        self.next_entry = 0
        # INFO's acl_access_denied_* (as Redis, counted with each log entry or merge, and
        # not reset by CONFIG RESETSTAT)
        self.denials = dict.fromkeys(("auth", "command", "key", "channel"), 0)
        self.reset_default()

    def reset_default(self) -> None:
        default = User("default")
        default.apply(["on", "nopass", "~*", "&*", "+@all"])
        self.users["default"] = default
        self.set_default_password(self.server.config["requirepass"])

    def set_default_password(self, password: str) -> None:
        """requirepass: the default user's only password ('' = nopass)."""
        default = self.users["default"]
        default.apply(["resetpass", f">{password}"] if password else ["nopass"])

    def default_needs_auth(self) -> bool:
        default = self.users["default"]
        return not (default.enabled and default.nopass)

    # -- authentication --------------------------------------------------------------------------
    def authenticate(self, username: str, password: bytes):
        """The user, or None when the pair is wrong or the user is disabled."""
        user = self.users.get(username)
        if user is None or not user.enabled or not user.check_password(password):
            return None
        return user

    # -- permission checks -----------------------------------------------------------------------
    def denial(self, user, spec, args):
        keys, channels, patterns = accesses(spec, args)
        return user.denial(spec, keys, channels, patterns, args)

    def refuse(self, client, user, spec, args, context: str):
        """None if allowed, else the NOPERM error (the denial is logged). Inside EXEC (the
        rules changed since the command was queued) the error says so, as Redis's does."""
        found = self.denial(user, spec, args)
        if found is None:
            return None
        reason, denied = found
        obj = denied if reason == "command" else bytes(denied).decode(errors="replace")
        # (the command the client is running counts in its argv-mem, as Redis's c->argv: the
        # refused one at the top level, the script's EVAL or FCALL in a script)
        running = args if context == "toplevel" else \
            client.last_args if context == "lua" else None
        self.record(reason, context, obj, user.name, client, running)
        if client.in_exec and context == "multi":
            return ("NOPERM ACLs rules changed between the moment the transaction was "
                    "accumulated and the EXEC call. This command is no longer allowed for the "
                    "following reason: " + _AT_EXEC[reason])
        return "NOPERM " + denial_message(user, reason, denied)

    def record(self, reason, context, obj, username, client, running=None) -> None:
        self.denials[reason] += 1
        from ..commands.connection import client_line

        now = time.time()
        info = client_line(client, running) if client.conn is not None else ""
        # As Redis's addACLLogEntry: the same refusal as one of the 10 latest entries, within
        # 60 s of it, counts there and moves it first, with this client's line and time
        for index, entry in enumerate(self.log[:LOG_MERGE_SCAN]):
            if (entry.reason, entry.context, entry.object, entry.username) == (
                    reason, context, obj, username) and now - entry.updated <= LOG_MERGE_SECONDS:
                entry.count += 1
                entry.updated, entry.client_info = now, info
                self.log.insert(0, self.log.pop(index))
                return
        self.log.insert(0, LogEntry(self.next_entry, reason, context, obj, username, info))
        self.next_entry += 1
        del self.log[self.server.config["acllog-max-len"]:]

    # -- users -------------------------------------------------------------------------------------
    def setuser(self, name: str, rules: list, caller=None) -> None:
        """Apply ACL SETUSER's modifiers to a copy, then install it (all or nothing).
        `caller`: the client running ACL SETUSER (closed after its reply if it loses a
        subscription's permission)."""
        if " " in name or "\0" in name:
            raise ACLError("Usernames can't contain spaces or null characters")
        existing = self.users.get(name)
        if existing is not None:
            user = existing.copy()
        else:
            user = User(name)
            if self._all_channels_by_default():
                user.root.apply("allchannels")
        user.apply(rules, self._all_channels_by_default())
        if existing is not None:  # connected clients hold the object: update it in place
            existing.__dict__.update(user.__dict__)
            self._drop_forbidden_subscribers(existing, caller)
        else:
            self.users[name] = user

    def _all_channels_by_default(self) -> bool:
        return self.server.config["acl-pubsub-default"] == "allchannels"

    def _drop_forbidden_subscribers(self, user, caller) -> None:
        """Close the clients of `user` subscribed to a channel or pattern it may no longer
        use (Redis's ACLKillPubsubClientsIfNeeded)."""
        self._disconnect(lambda client: client.acl_user is user and client.subscribed and
                         not user.may_subscribe(client.subscriptions | client.ssubscriptions,
                                                client.psubscriptions), caller)

    def deluser(self, names: list, caller=None) -> int:
        removed = 0
        for name in names:
            if name == "default":
                raise ACLError("The 'default' user cannot be removed")
        for name in names:
            user = self.users.pop(name, None)
            if user is not None:
                removed += 1
                self._disconnect(lambda client: client.acl_user is user, caller)
        return removed

    def _disconnect(self, gone, caller) -> None:
        """Close the connections whose user `gone` says was removed; the caller's after its
        reply (Redis's CLIENT_CLOSE_AFTER_COMMAND)."""
        for client in list(self.server.clients):
            if client.acl_user is not None and gone(client):
                if client is caller:
                    client.close_after_reply = True
                else:
                    client.kill()

    # -- the aclfile -----------------------------------------------------------------------------
    def _path(self) -> str:
        name = self.server.config["aclfile"]
        if not name:
            raise ACLError("This Redis instance is not configured to use an ACL file. You may "
                           "want to specify users via the ACL SETUSER command and then issue a "
                           "CONFIG REWRITE (assuming you have a Redis configuration file set) "
                           "in order to store users in the Redis configuration.")
        return name if os.path.isabs(name) else os.path.join(self.server.config["dir"], name)

    def save(self) -> None:
        path = self._path()
        temporary = f"{path}.tmp-{secrets.token_hex(4)}"
        with open(temporary, "w") as handle:
            for name in sorted(self.users):
                handle.write(self.users[name].describe() + "\n")
        os.replace(temporary, path)

    def load(self, caller=None) -> None:
        """Replace every user with the file's (the default user too, if it names it); an error
        anywhere leaves the current users untouched."""
        path = self._path()
        try:
            with open(path) as handle:
                lines = handle.read().splitlines()
        except OSError as exc:
            raise ACLError(f"Error loading ACLs, opening file '{path}': {exc.strerror}") from None
        loaded = {}
        for number, line in enumerate(lines, 1):
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            if words[0] != "user" or len(words) < 2:
                raise ACLError(f"/{path}:{number}: line should start with user keyword")
            if words[1] in loaded:  # the file's users replace all: each is named once
                raise ACLError(f"WARNING: Duplicate user '{words[1]}' found on line {number}. "
                               "WARNING: ACL errors detected, no change to the previously "
                               "active ACL rules was performed")
            user = User(words[1])
            try:
                user.apply(words[2:], self._all_channels_by_default())
            except ACLError as exc:
                raise ACLError(f"{path}:{number}: {exc}") from None
            loaded[user.name] = user
        old, self.users = self.users, {"default": self.users["default"]}
        for name, user in loaded.items():
            if name in old:  # connected clients hold the object: update it in place
                old[name].__dict__.update(user.__dict__)
                self.users[name] = old[name]
                self._drop_forbidden_subscribers(old[name], caller)
            else:
                self.users[name] = user
        # users that are gone lose their connections
        self._disconnect(lambda client: client.acl_user.name not in self.users, caller)
