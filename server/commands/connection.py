"""Connection commands: PING ECHO QUIT RESET AUTH HELLO and the CLIENT container."""

import time

from .. import errors, output_limits
from ..clients import argv_memory, client_memory, queued_memory
from ..command_table import batched, command, container
from ..errors import CommandError
from ..replies import NO_REPLY, OK, PONG, ErrorReply, SimpleString, Verbatim
from .common import lower, to_int

G = "connection"


@command("ping", -1, "fast", (0, 0, 0), G, "Returns the server's liveliness response.")
def ping(client, args):
    if len(args) > 2:
        raise CommandError(errors.wrong_arity("ping"))
    if client.subscribed and not client.resp3:  # RESP2 subscribed mode answers with an array
        return [b"pong", args[1] if len(args) == 2 else b""]
    return PONG if len(args) == 1 else args[1]


@batched("ping", 1)
def ping_run(client, run):
    return [PONG] * len(run), 0


@command("echo", 2, "fast loading stale", (0, 0, 0), G, "Returns the given string.")
def echo(client, args):
    return args[1]


@command("quit", -1, "allow_busy no_auth fast loading stale noscript", (0, 0, 0), G,
         "Closes the connection.")
def quit_(client, args):
    client.close_after_reply = True
    return OK


@command("reset", 1, "noscript loading stale fast no_auth allow_busy", (0, 0, 0), G,
         "Resets the connection.", "6.2.0")
def reset(client, args):
    client.multi = None
    # (RESET ends CLIENT REPLY OFF and a pending SKIP; RESET itself skipped keeps its reply
    # dropped, as in Redis)
    client.reply_mode = "skip" if client.reply_mode == "skip" else "on"
    client.no_evict = client.no_touch = False
    client.resp3 = False
    client.name = ""
    client.select(0)
    client.user = "default"
    client.acl_user = client.server.acl.users["default"]
    client.authenticated = not client.server.auth_required()
    output_limits.watch(client.server, client)
    client.server.on_client_reset(client)
    return SimpleString("RESET")


def authenticate(client, username: bytes, password: bytes) -> None:
    """AUTH / HELLO AUTH: an enabled ACL user whose password matches (or nopass)."""
    name = bytes(username).decode("utf-8", "surrogateescape")
    user = client.server.acl.authenticate(name, bytes(password))
    if user is None:
        client.server.acl_log_failure(client, username)
        raise CommandError(errors.WRONGPASS)
    client.authenticated = True
    client.user = user.name
    client.acl_user = user
    output_limits.watch(client.server, client)  # (the limit before AUTH goes)


@command("auth", -2, "noscript loading stale fast no_auth allow_busy", (0, 0, 0), G,
         "Authenticates the connection.")
def auth(client, args):
    if len(args) > 3:
        raise CommandError(errors.SYNTAX)
    if len(args) == 2:
        if client.server.acl.users["default"].nopass:
            raise CommandError(errors.AUTH_NOT_CONFIGURED)
        authenticate(client, b"default", args[1])
    else:
        authenticate(client, args[1], args[2])
    return OK


@command("hello", -1, "noscript loading stale fast no_auth allow_busy", (0, 0, 0), G,
         "Handshakes with the Redis server.", "6.0.0")
def hello(client, args):
    """Checked in Redis's order: the version, then each option in turn (a bad client name as
    it comes), then the credentials."""
    version = None
    if len(args) >= 2:
        try:
            version = to_int(args[1])
        except CommandError:
            raise CommandError("ERR Protocol version is not an integer or out of range") from None
        if version not in (2, 3):
            raise CommandError("NOPROTO unsupported protocol version")
    credentials = None
    name = None
    i = 2
    while i < len(args):
        opt = lower(args[i])
        remaining = len(args) - i - 1
        if opt == b"auth" and remaining >= 2:
            credentials = (args[i + 1], args[i + 2])
            i += 3
        elif opt == b"setname" and remaining >= 1:
            name = args[i + 1]
            if not _valid_name(name):
                raise CommandError(errors.CLIENT_NAME)
            i += 2
        else:
            raise CommandError(f"ERR Syntax error in HELLO option '{args[i].decode(errors='replace')}'")
    if credentials is not None:
        authenticate(client, *credentials)
    if not client.authenticated:
        raise CommandError(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
            "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
            "select the RESP protocol version at the same time")
    if name is not None:
        _set_name(client, name)
    if version is not None:
        client.resp3 = version == 3
    server = client.server
    return {
        "server": "redis",
        "version": server.version,
        "proto": client.resp,
        "id": client.id,
        "mode": "standalone",
        "role": "master" if server.master_link is None else "replica",
        "modules": [],
    }


# -- CLIENT -------------------------------------------------------------------------------------
container("client", -2, "", G, "A container for client connection commands.", "2.4.0")

_CLIENT_FLAGS = "admin noscript loading stale"


def _valid_name(value: bytes) -> bool:
    return all(33 <= byte <= 126 for byte in value)


def _set_name(client, name: bytes) -> None:
    if not _valid_name(name):
        raise CommandError(errors.CLIENT_NAME)
    client.name = name.decode()


@command("id", 2, "noscript loading stale", (0, 0, 0), G, "Returns the unique client ID of the "
         "connection.", "5.0.0", parent="client")
def client_id(client, args):
    return client.id


@command("setname", 3, "noscript loading stale", (0, 0, 0), G, "Sets the connection name.",
         "2.6.9", parent="client")
def client_setname(client, args):
    _set_name(client, args[2])
    return OK


@command("getname", 2, "noscript loading stale", (0, 0, 0), G, "Returns the name of the "
         "connection.", "2.6.9", parent="client")
def client_getname(client, args):
    return client.name.encode() if client.name else None


@command("setinfo", 4, "noscript loading stale", (0, 0, 0), G, "Sets information specific to "
         "the client or connection.", "7.2.0", parent="client")
def client_setinfo(client, args):
    attr = lower(args[2])
    if attr not in (b"lib-name", b"lib-ver"):
        raise CommandError(f"ERR Unrecognized option '{args[2].decode(errors='replace')}'")
    if not _valid_name(args[3]) and args[3]:
        raise CommandError(
            f"ERR {attr.decode()} cannot contain spaces, newlines or special characters.")
    if attr == b"lib-name":
        client.lib_name = args[3].decode()
    else:
        client.lib_ver = args[3].decode()
    return OK


# CLIENT LIST's flags in Redis's order: each letter and the test of the client that sets it
_FLAG_TESTS = (
    ("O", lambda c: c.monitor),
    ("S", lambda c: c.replica is not None and not c.monitor),  # a replica's link
    ("M", lambda c: c.is_primary),
    ("P", lambda c: c.subscribed),
    ("x", lambda c: c.multi is not None or c.exec_state is not None),
    ("b", lambda c: c.blocked is not None),
    ("t", lambda c: c.tracking is not None),
    ("R", lambda c: c.tracking is not None and c.tracking.broken_redirect),
    ("B", lambda c: c.tracking is not None and c.tracking.bcast),
    ("d", lambda c: c.watch_dirty),
    ("c", lambda c: c.close_after_reply),
    ("U", lambda c: c.unix_socket),
    ("e", lambda c: c.no_evict),
    ("T", lambda c: c.no_touch),
)


def client_flags(client) -> str:
    return "".join(letter for letter, test in _FLAG_TESTS if test(client)) or "N"


def client_line(client, running=None) -> str:
    """CLIENT LIST's line for `client`; `running`: the arguments of the command it is running
    (CLIENT LIST / INFO itself, for the caller's own line: Redis counts them in argv-mem and
    tot-mem)."""
    now = time.time()
    subs = client.server.client_subscriptions(client)
    conn = client.conn
    qbuf = conn.query_buffer_size() if conn is not None else 0
    room = conn.query_buffer_room() if conn is not None else 0
    omem = conn.output_buffer_size() if conn is not None else 0
    rbs, rbp = (conn.reply_buffer.size, conn.reply_buffer.peak(conn.reply_peak)) \
        if conn is not None else (0, 0)
    if client.exec_state is not None:  # inside EXEC: still MULTI, EXEC's own arguments
        queued, running = client.exec_state
        multi, command = len(queued), "exec"
    else:
        multi = -1 if client.multi is None else len(client.multi)
        command = client.last_command.fullname if client.last_command else "NULL"
    memory = client_memory(client) + (argv_memory(running) if running else 0)
    return (
        f"id={client.id} addr={client.addr} laddr={client.laddr} fd={client.fd} "
        f"name={client.name} age={int(now - client.created)} "
        f"idle={int(now - client.last_interaction)} flags={client_flags(client)} "
        f"db={client.db.index} sub={subs[0]} psub={subs[1]} ssub={subs[2]} "
        f"multi={multi} qbuf={qbuf} "
        f"qbuf-free={room - qbuf} argv-mem={sum(map(len, running or ()))} "
        f"multi-mem={queued_memory(client)} "
        f"rbs={rbs} rbp={rbp} obl=0 oll=0 omem={omem} tot-mem={memory} events=r "
        f"cmd={command} user={client.user} redir=-1 resp={client.resp} "
        f"lib-name={client.lib_name} lib-ver={client.lib_ver}"
    )


_CLIENT_TYPES = {"normal", "master", "replica", "slave", "pubsub"}


def client_type(client) -> str:
    if client.replica is not None:
        return "replica"
    if client.is_primary:
        return "master"
    return "pubsub" if client.subscribed else "normal"


@command("list", -2, "admin noscript loading stale", (0, 0, 0), G, "Lists open connections.",
         "2.4.0", parent="client")
def client_list(client, args):
    """CLIENT LIST, LIST TYPE t (exactly), or LIST ID id... (in the order given, an ID named
    twice listed twice, unknown ones skipped), as Redis reads them."""
    clients = [other for other in sorted(client.server.clients, key=lambda c: c.id)
               # (evicted or killed just now: gone, as in Redis, though not yet reaped)
               if other.conn is None or not other.conn.closed]
    if len(args) == 4 and lower(args[2]) == b"type":
        wanted_type = lower(args[3]).decode()
        if wanted_type not in _CLIENT_TYPES:
            raise CommandError(f"ERR Unknown client type '{args[3].decode(errors='replace')}'")
        wanted_type = "replica" if wanted_type == "slave" else wanted_type
        clients = [other for other in clients if client_type(other) == wanted_type]
    elif len(args) > 3 and lower(args[2]) == b"id":
        by_id = {other.id: other for other in clients}
        clients = []
        for value in args[3:]:
            try:
                number = to_int(value)
            except CommandError:
                raise CommandError("ERR Invalid client ID") from None
            if number in by_id:
                clients.append(by_id[number])
    elif len(args) != 2:
        raise CommandError(errors.SYNTAX)
    return Verbatim("".join(client_line(other, args if other is client else None) + "\n"
                            for other in clients))


@command("info", 2, "noscript loading stale", (0, 0, 0), G, "Returns information about the "
         "connection.", "6.2.0", parent="client")
def client_info(client, args):
    return Verbatim(client_line(client, args) + "\n")


@command("kill", -3, "admin noscript loading stale", (0, 0, 0), G, "Terminates open "
         "connections.", "2.4.0", parent="client")
def client_kill(client, args):
    clients = client.server.clients
    if len(args) == 3:  # old form: CLIENT KILL addr:port
        target = args[2].decode(errors="replace")
        for other in clients:
            if other.addr == target:
                _kill(client, other)
                return OK
        raise CommandError("ERR No such client")
    filters = {}
    skipme = True
    i = 2
    while i < len(args):
        if i + 1 >= len(args):
            raise CommandError(errors.SYNTAX)
        opt, value = lower(args[i]), args[i + 1]
        if opt == b"id":
            try:
                number = to_int(value)
            except CommandError:
                number = 0
            if number <= 0:
                raise CommandError("ERR client-id should be greater than 0")
            filters["id"] = number
        elif opt == b"type":
            kind = lower(value).decode()
            if kind not in _CLIENT_TYPES:
                raise CommandError(f"ERR Unknown client type '{value.decode(errors='replace')}'")
            filters["type"] = "replica" if kind == "slave" else kind
        elif opt == b"addr":
            filters["addr"] = value.decode(errors="replace")
        elif opt == b"laddr":
            filters["laddr"] = value.decode(errors="replace")
        elif opt == b"user":
            filters["user"] = value.decode(errors="replace")
            if filters["user"] not in client.server.acl.users:
                raise CommandError(f"ERR No such user '{filters['user']}'")
        elif opt == b"skipme":
            choice = lower(value)
            if choice not in (b"yes", b"no"):
                raise CommandError(errors.SYNTAX)
            skipme = choice == b"yes"
        elif opt == b"maxage":
            filters["maxage"] = to_int(value)
        else:
            raise CommandError(errors.SYNTAX)
        i += 2
    killed = 0
    now = time.time()
    for other in clients:
        if skipme and other is client:
            continue
        if "id" in filters and other.id != filters["id"]:
            continue
        if "type" in filters and client_type(other) != filters["type"]:
            continue
        if "addr" in filters and other.addr != filters["addr"]:
            continue
        if "laddr" in filters and other.laddr != filters["laddr"]:
            continue
        if "user" in filters and other.user != filters["user"]:
            continue
        if "maxage" in filters and now - other.created < filters["maxage"]:
            continue
        _kill(client, other)
        killed += 1
    return killed


def _kill(client, other) -> None:
    if other is client:
        client.close_after_reply = True
    else:
        other.kill(abort=True)  # its output goes unsent, as Redis frees a killed client


@command("reply", 3, "noscript loading stale", (0, 0, 0), G, "Instructs the server whether to "
         "reply to commands.", "3.2.0", parent="client")
def client_reply(client, args):
    mode = lower(args[2])
    if mode == b"on":
        client.reply_mode = "on"
        return OK
    if mode == b"off":
        client.reply_mode = "off"
        return NO_REPLY
    if mode == b"skip":
        if client.reply_mode != "off":
            client.reply_mode = "skip_next"
        return NO_REPLY
    raise CommandError(errors.SYNTAX)


def _on_off(value) -> bool:
    choice = lower(value)
    if choice not in (b"on", b"off"):
        raise CommandError(errors.SYNTAX)
    return choice == b"on"


@command("no-evict", 3, "admin noscript loading stale", (0, 0, 0), G, "Sets the client "
         "eviction mode of the connection.", "7.0.0", parent="client")
def client_no_evict(client, args):
    client.no_evict = _on_off(args[2])
    return OK


@command("no-touch", 3, "noscript loading stale", (0, 0, 0), G, "Controls whether commands "
         "sent by the client affect the LRU/LFU of accessed keys.", "7.2.0", parent="client")
def client_no_touch(client, args):
    client.no_touch = _on_off(args[2])
    return OK


@command("pause", -3, "admin noscript loading stale", (0, 0, 0), G, "Suspends commands "
         "processing.", "3.0.0", parent="client")
def client_pause(client, args):
    millis = to_int(args[2], "ERR timeout is not an integer or out of range")
    if millis < 0:
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    mode = "all"
    if len(args) == 4:
        choice = lower(args[3])
        if choice not in (b"write", b"all"):
            raise CommandError("ERR CLIENT PAUSE mode must be WRITE or ALL")
        mode = choice.decode()
    elif len(args) > 4:
        raise CommandError(errors.SYNTAX)
    client.server.pause.pause(mode, millis)
    return OK


@command("unpause", 2, "admin noscript loading stale", (0, 0, 0), G, "Resumes processing "
         "commands from paused clients.", "6.2.0", parent="client")
def client_unpause(client, args):
    client.server.pause.unpause()
    return OK


@command("unblock", -3, "admin noscript loading stale", (0, 0, 0), G, "Unblocks a client "
         "blocked by a blocking command from a different connection.", "5.0.0", parent="client")
def client_unblock(client, args):
    if len(args) > 4:
        raise CommandError(errors.subcommand_syntax(args[1], "client"))
    mode = b"timeout"
    if len(args) == 4:  # (the reason before the ID, as Redis reads them)
        mode = lower(args[3])
        if mode not in (b"timeout", b"error"):
            raise CommandError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    target_id = to_int(args[2])
    target = client.server.clients.by_id.get(target_id)
    if target is None or target.blocked is None:
        return 0
    reply = ErrorReply("UNBLOCKED client unblocked via CLIENT UNBLOCK") if mode == b"error" \
        else None  # (None: the reply its timeout would give)
    return 1 if client.server.unblock(target, reply) else 0


@command("help", 2, "loading stale", (0, 0, 0), G, "Returns helpful text about the different "
         "subcommands.", "5.0.0", parent="client")
def client_help(client, args):
    # Redis 7.0's text, with 7.2's SETINFO and NO-TOUCH entries.
    return [
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME", "    Return the name of the current connection.",
        "ID", "    Return the ID of the current connection.",
        "INFO", "    Return information about the current client connection.",
        "KILL <ip:port>", "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]", "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Kill connections by type.",
        "    * USER <username>", "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)", "      Skip killing current connection (default: yes).",
        "LIST [options ...]", "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Return clients of specified type.",
        "UNPAUSE", "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)", "    Control the replies sent to the current connection.",
        "SETNAME <name>", "    Assign the name <name> to the current connection.",
        "SETINFO <option> <value>", "    Set client meta attr. Options are:",
        "    * LIB-NAME: the client lib name.", "    * LIB-VER: the client lib version.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]", "    Unblock the specified blocked client.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]", "    Control server assisted client side caching.",
        "TRACKINGINFO", "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)", "    Protect current client connection from eviction.",
        "NO-TOUCH (ON|OFF)", "    Will not touch LRU/LFU stats when this mode is on.",
        "HELP", "    Prints this help.",
    ]
