"""Server commands: INFO CONFIG TIME LASTSAVE DEBUG MEMORY SLOWLOG MONITOR WAIT FUNCTION
SHUTDOWN LATENCY."""

import asyncio
import gc
import time

from ops.config import parse_memory

from .. import errors
from ..command_table import command, container
from ..errors import CommandError
from ..info import render_info
from ..latency_doctor import report as latency_doctor_report
from ..memory_doctor import report as memory_doctor_report
from ..keyspace import quicklist_layout
from ..keyspace.containers import LIMITS
from ..keyspace.memory import entry_size
from ..protocol.connection import Deferred
from ..protocol.ldb_wire import atoi  # (C's atoi)
from ..protocol.reply_buffer import DEFAULT_PEAK_RESET_MS
from ..error_stats import panic
from ..replies import OK, SimpleString, UncountedError, Verbatim
from ..shutdown import FAILED
from .common import lower, strtod_prefix, to_int, to_positive, to_timeout_ms
from .keys import encoding_of, idle_seconds

G = "server"


@command("info", -1, "loading stale", (0, 0, 0), G, "Returns information and statistics about "
         "the server.", categories="@dangerous")
def info(client, args):
    return Verbatim(render_info(client.server, [a.decode(errors="replace") for a in args[1:]]))


@command("time", 1, "loading stale fast", (0, 0, 0), G, "Returns the server time.", "2.6.0")
def time_(client, args):
    now = time.time_ns() // 1000
    return [b"%d" % (now // 1_000_000), b"%d" % (now % 1_000_000)]


@command("save", 1, "admin noscript no_async_loading no_multi", (0, 0, 0), G, "Synchronously "
         "saves the database(s) to disk.")
def save(client, args):
    server = client.server
    if server.persistence.rdb_child_running():
        raise CommandError("ERR Background save already in progress")
    if not server.persistence.save():
        raise CommandError("ERR")
    return OK


@command("bgsave", -1, "admin noscript no_async_loading", (0, 0, 0), G, "Asynchronously saves "
         "the database(s) to disk.")
def bgsave(client, args):
    schedule = len(args) == 2 and lower(args[1]) == b"schedule"
    if len(args) > 2 or (len(args) == 2 and not schedule):
        raise CommandError(errors.SYNTAX)
    server = client.server
    if server.persistence.rdb_child_running():
        raise CommandError("ERR Background save already in progress")
    if server.has_active_child() or server.in_exec:  # an AOF rewrite runs
        if not (schedule or server.in_exec):
            raise CommandError("ERR Another child process is active (AOF?): can't BGSAVE right "
                               "now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever "
                               "possible.")
        server.persistence.scheduled = True
        return SimpleString("Background saving scheduled")
    if not server.persistence.background_save():
        raise CommandError("ERR Background save failed")
    return SimpleString("Background saving started")


@command("bgrewriteaof", 1, "admin noscript no_async_loading", (0, 0, 0), G, "Asynchronously "
         "rewrites the append-only file to disk.", "1.0.0")
def bgrewriteaof(client, args):
    try:
        return SimpleString(client.server.rewrite_aof())
    except RuntimeError as exc:
        raise CommandError(f"ERR {exc}") from None
    except OSError as exc:
        raise CommandError(f"ERR Can't rewrite append only file: {exc}") from None


@command("lastsave", 1, "loading stale fast", (0, 0, 0), G, "Returns the Unix timestamp of the "
         "last successful save to disk.", categories="@admin @dangerous")
def lastsave(client, args):
    return client.server.lastsave


# -- CONFIG ---------------------------------------------------------------------------------
container("config", -2, "", G, "A container for server configuration commands.", "2.0.0")


@command("get", -3, "admin noscript loading stale", (0, 0, 0), G, "Returns the effective "
         "values of configuration parameters.", "2.0.0", parent="config")
def config_get(client, args):
    found = {}
    for pattern in args[2:]:
        for name, value in client.server.config.matching(pattern.decode(errors="replace")):
            found[name.encode()] = value.encode()
    return found


@command("set", -4, "admin noscript loading stale", (0, 0, 0), G, "Sets configuration "
         "parameters in-flight.", "2.0.0", parent="config")
def config_set(client, args):
    from ops.config import ConfigError

    if len(args) % 2:
        raise CommandError(errors.SYNTAX)
    pairs = [(args[i].decode(errors="replace"), args[i + 1].decode(errors="replace"))
             for i in range(2, len(args), 2)]
    server = client.server
    if (server.loading is not None or server.async_loading) \
            and server.config.denied_while_loading(pairs):
        raise CommandError(errors.LOADING)
    try:
        client.server.config.set_many(pairs, local_client=client.local)
    except KeyError as exc:
        raise CommandError(
            f"ERR Unknown option or number of arguments for CONFIG SET - '{exc.args[0]}'"
        ) from None
    except ConfigError as exc:
        raise CommandError(f"ERR CONFIG SET failed (possibly related to argument "
                           f"'{exc.name}') - {exc.reason}") from None
    return OK


@command("resetstat", 2, "admin noscript loading stale", (0, 0, 0), G, "Resets the server's "
         "statistics.", "2.0.0", parent="config")
def config_resetstat(client, args):
    client.server.reset_stats()
    return OK


@command("rewrite", 2, "admin noscript loading stale", (0, 0, 0), G, "Persists the effective "
         "configuration to file.", "2.8.0", parent="config")
def config_rewrite(client, args):
    return _rewrite_config_file(client.server.config)


def _rewrite_config_file(config, force_all: bool = False):
    from ops.config_rewrite import rewrite_config

    if not config.config_file:
        raise CommandError("ERR The server is running without a config file")
    try:
        rewrite_config(config, force_all)
    except OSError as exc:
        raise CommandError(f"ERR Rewriting config file: {exc.strerror}") from None
    return OK


@command("help", 2, "loading stale", (0, 0, 0), G, "Returns helpful text about the different "
         "subcommands.", "5.0.0", parent="config")
def config_help(client, args):
    return [
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>", "    Set the configuration <directive> to <value>.",
        "RESETSTAT", "    Reset statistics reported by the INFO command.",
        "REWRITE", "    Rewrite the configuration file.",
        "HELP", "    Prints this help.",
    ]


# -- DEBUG --------------------------------------------------------------------------------------
def protected_command_allowed(client, name: str) -> None:
    """DEBUG and MODULE as `enable-<name>-command` allows them (yes, local or no), with
    Redis's refusal."""
    setting = client.server.config[f"enable-{name}-command"]
    if setting == "yes" or (setting == "local" and client.local):
        return
    raise CommandError(
        f"ERR {name.upper()} command not allowed. If the enable-{name}-command option is set "
        "to \"local\", you can run it from a local connection, otherwise you need to set this "
        "option in the configuration file, and then restart the server.")


@command("debug", -2, "admin noscript loading stale", (0, 0, 0), G, "A container for debugging "
         "commands.")
def debug(client, args):
    protected_command_allowed(client, "debug")
    entry = _DEBUG.get(lower(args[1]))
    if entry is not None:
        fewest, most, handler = entry
        if fewest <= len(args) and (most is None or len(args) <= most):
            return handler(client, args)
    raise CommandError(errors.subcommand_syntax(args[1], "debug"))


def _debug_sleep(client, args):
    seconds = strtod_prefix(args[2])  # (a negative or NaN time is no sleep: nanosleep fails)
    if seconds > 0:
        time.sleep(min(seconds, 2**63 / 1e6))  # Redis's blocks the whole server; so does this
    return OK


def _debug_log(client, args):
    """A line in the server's log (Redis's tests mark where a test starts, to read the log
    from there)."""
    client.server.log.warning("debug_log", text=args[2].decode(errors="replace"))
    return OK


def _debug_replicate(client, args):
    """A command into the replication stream as it is, run on no one here (Redis's tests
    make replicas diverge with it)."""
    if client.server.replication is not None:
        client.server.replication.inject(list(args[2:]))
    return OK


def _debug_panic(client, args):
    panic(client.server, f"DEBUG PANIC called at Unix time {int(time.time())}")


def _debug_digest(client, args):
    from .debug_digest import dataset_digest

    return SimpleString(dataset_digest(client.server.keyspace))


def _debug_digest_value(client, args):
    from .debug_digest import key_digests

    return [SimpleString(d) for d in key_digests(client.db, args[2:])]


def _debug_protocol(client, args):
    from .debug_protocol import protocol_reply

    return protocol_reply(client, args[2])


def _debug_object(client, args):
    db = client.db
    value = db.values_of([args[2]])[0]  # (an expired key still in memory too, as Redis)
    if value is None:
        raise CommandError(errors.NO_SUCH_KEY)
    client.server.keyspace.fold(db)
    clock = db.table.clock_of(args[2]) or 0
    size = len(value) if isinstance(value, (bytes, bytearray)) else value.memory_usage()
    encoding = encoding_of(value)
    extra = "" if encoding != "quicklist" else quicklist_layout.debug_fields(
        value.items, LIMITS["list-max-listpack-size"], client.server.config["list-compress-depth"],
        client.server.list_packed_threshold)
    return SimpleString(
        f"Value at:0x{id(value):x} refcount:1 encoding:{encoding} "
        f"serializedlength:{size + 1} lru:{clock & 0xFFFFFF} "
        f"lru_seconds_idle:{idle_seconds(clock)}{extra}")


def _setter(apply):
    """A DEBUG subcommand that sets a server knob from its one argument: `apply(server,
    argument)`."""
    def handler(client, args):
        apply(client.server, args[2])
        return OK
    return handler


def _switch(attribute: str):
    """A DEBUG subcommand that turns a server flag on (non-zero) or off; the argument read
    with atoi, as Redis reads it (junk is 0)."""
    return _setter(lambda server, value: setattr(server, attribute, atoi(value) != 0))


def _debug_help(client, args):
    return ["DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "OBJECT <key>", "    Show low level info about the key and associated value.",
            "DIGEST", "    Output a hex signature representing the current DB content.",
            "DIGEST-VALUE <key> [<key> ...]", "    Output a hex signature of the values of "
            "all the specified keys.",
            "ERROR <string>", "    Return a Redis protocol error with <string> as message. "
            "Useful for clients unit tests to simulate Redis errors.",
            "LOADAOF", "    Flush the AOF buffers on disk and reload the AOF in memory.",
            "REPLICATE <string>", "    Replicates the provided string to replicas, allowing "
            "data divergence.",
            "PANIC", "    Crash the server simulating a panic.",
            "POPULATE <count> [<prefix>] [<size>]", "    Create <count> string keys named "
            "key:<num>. If <prefix> is specified then it is used instead of the 'key' "
            "prefix. These are not propagated to replicas.",
            "CONFIG-REWRITE-FORCE-ALL", "    Like CONFIG REWRITE but writes all configuration "
            "options, including keywords not listed in original configuration file or "
            "default values.",
            "AOF-FLUSH-SLEEP <microsec>", "    Server will sleep before flushing the AOF, "
            "this is used for testing.",
            "LOG <message>", "    Write <message> to the server log.",
            "PAUSE-CRON <0|1>", "    Stop periodic cron job processing.",
            "PROTOCOL <type>", "    Reply with a test value of the specified type. <type> "
            "can be: string, integer, double, bignum, null, array, set, map, attrib, push, "
            "verbatim, true, false.",
            "RELOAD [option ...]", "    Save the RDB on disk and reload it back to "
            "memory. Options: MERGE (keys and libraries in the RDB replace those present), "
            "NOFLUSH (do not empty the dataset first), NOSAVE (load the RDB as it is).",
            "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>", "    Sets the time (in "
            "milliseconds) to wait between client reply buffer peak resets. In case NEVER "
            "is provided the last observed peak will never be reset. In case RESET is "
            "provided the peak reset time will be restored to the default value.",
            "REPLYBUFFER RESIZING <0|1>", "    Enable or disable the reply buffer resize "
            "cron job.",
            "QUICKLIST-PACKED-THRESHOLD <size>", "    Sets the threshold for elements to be "
            "inserted as plain vs packed nodes. Default value is 1GB, allows values up to "
            "4GB. Setting to 0 restores to default.",
            "SET-DISABLE-DENY-SCRIPTS <0|1>", "    Let scripts run commands that are "
            "normally refused in scripts (for tests).",
            "SET-ACTIVE-EXPIRE <0|1>", "    Setting it to 0 disables expiring keys in "
            "background when they are not accessed (otherwise the Redis behavior). Setting "
            "it to 1 reenables back the default.",
            "SET-SKIP-CHECKSUM-VALIDATION <0|1>", "    Enables or disables checksum checks "
            "for RDB files and RESTORE's payload.",
            "SLEEP <seconds>", "    Stop the server for <seconds>. Decimals allowed.",
            "HELP", "    Prints this help."]


# DEBUG's subcommands: name -> (fewest and most arguments, DEBUG included; handler)
_DEBUG = {
    b"sleep": (3, 3, _debug_sleep),
    b"reload": (2, None, lambda client, args: _debug_reload(client, args[2:])),
    b"loadaof": (2, 2, lambda client, args: _debug_loadaof(client.server)),
    b"populate": (3, 5, lambda client, args: _debug_populate(client, args)),
    b"config-rewrite-force-all": (2, 2, lambda client, args: _rewrite_config_file(
        client.server.config, force_all=True)),
    b"replybuffer": (4, 4, lambda client, args: _debug_replybuffer(client.server.reply_buffers,
                                                                    args)),
    b"quicklist-packed-threshold": (3, 3, _setter(lambda server, value: setattr(
        server, "list_packed_threshold", _packed_threshold(value)))),
    b"set-disable-deny-scripts": (3, 3, _switch("scripts_run_noscript")),
    b"log": (3, 3, _debug_log),
    b"aof-flush-sleep": (3, 3, _setter(lambda server, value: setattr(
        server, "aof_flush_sleep_us", atoi(value)))),
    b"set-skip-checksum-validation": (3, 3, _switch("skip_checksum_validation")),
    b"set-active-expire": (3, 3, _setter(lambda server, value: setattr(
        server.expiry, "enabled", atoi(value) != 0))),
    b"pause-cron": (3, 3, _switch("cron_paused")),
    b"replicate": (3, None, _debug_replicate),
    b"error": (3, 3, lambda client, args: UncountedError(args[2].decode(
        errors="surrogateescape"))),
    b"panic": (2, 2, _debug_panic),
    b"digest": (2, 2, _debug_digest),
    b"digest-value": (2, None, _debug_digest_value),
    b"protocol": (3, 3, _debug_protocol),
    b"object": (3, 3, _debug_object),
    b"help": (2, 2, _debug_help),
}


def _debug_replybuffer(settings, args) -> object:
    """DEBUG REPLYBUFFER PEAK-RESET-TIME <never|reset|ms> | RESIZING <0|1>: the client cron's
    reply buffer resizing (server/protocol/reply_buffer.py)."""
    knob, value = lower(args[2]), args[3]
    if knob == b"peak-reset-time":
        word = lower(value)
        settings.peak_reset_ms = -1 if word == b"never" else \
            DEFAULT_PEAK_RESET_MS if word == b"reset" else to_int(value)
    elif knob == b"resizing":
        settings.resizing = atoi(bytes(value)) != 0
    else:
        raise CommandError("ERR unknown subcommand or wrong number of arguments for "
                           f"'{args[1].decode(errors='replace')}'. Try DEBUG HELP.")
    return OK


def _packed_threshold(value) -> int:
    """DEBUG QUICKLIST-PACKED-THRESHOLD <bytes>: the size from which Redis keeps a list
    element in a quicklist node of its own (0: back to 1 GB). It changes no reply or encoding
    in Redis 7.2, only the nodes DEBUG OBJECT counts (server/keyspace/quicklist_layout.py)."""
    try:
        size = parse_memory(bytes(value).decode())
    except UnicodeDecodeError:
        size = None
    if size is None or not 0 <= size <= (1 << 32) - (1 << 20):
        raise CommandError("ERR argument must be a memory value bigger than 1 and smaller "
                           "than 4gb")
    return size or 1 << 30


def _debug_populate(client, args):
    """DEBUG POPULATE count [prefix] [size]: keys prefix:0.. (default `key`) holding
    value:N, padded with zero bytes or cut to `size`; keys that exist are left alone. As in
    Redis: no events, no dirty count, not propagated; WATCH sees the keys change."""
    count = to_positive(args[2])
    prefix = bytes(args[3]) if len(args) > 3 else b"key"
    size = to_positive(args[4]) if len(args) > 4 else 0
    db, server = client.db, client.server
    keys, values = [], []
    for index in range(count):
        key = b"%b:%d" % (prefix, index)
        if key in db.data and (key not in db.expires or db.lookup(key, False) is not None):
            continue  # (a key past its deadline goes, and is made again)
        value = b"value:%d" % index
        keys.append(key)
        values.append(value[:size].ljust(size, b"\0") if size else value)
    db.set_strings(keys, values)  # one call: one batch for a string engine on a GPU
    if server.on_key_modified is not None:
        for key in keys:
            server.on_key_modified(db, key, client)
    return OK


def _debug_loadaof(server):
    """DEBUG LOADAOF: write out what the AOF still holds, empty the data set (functions too)
    and replay the AOF files into it, as Redis does, also when appendonly is off (the files
    a BGREWRITEAOF left). The replay reaches no sink: the AOF must not get its commands
    again."""
    from ops.aof.loader import load_aof

    if server.aof is not None:
        server.aof.complete_now()  # (a base CONFIG SET appendonly yes still awaits)
        server.aof.write_pending()
    aof, propagation = server.aof or server.aof_files(), server.propagation
    server.keyspace.flushall()
    server.flush_functions()
    if aof.exists():
        server.propagation = None
        try:
            load_aof(server, aof)
        except (OSError, ValueError) as exc:  # (Redis exits; the data set stays empty)
            raise CommandError(f"ERR Error loading the append only file: {exc}") from None
        finally:
            server.propagation = propagation
    server.keyspace.dirty = 0  # what was loaded is what the AOF holds
    return OK


def _debug_reload(client, options):
    """DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, empty the keyspace, load the snapshot
    back. NOFLUSH loads over what is there: a key or library already present is an error
    unless MERGE lets the snapshot's one replace it."""
    from ops.snapshot import load_snapshot, snapshot_path

    words = {lower(o) for o in options}
    if not words <= {b"nosave", b"noflush", b"merge"}:
        raise CommandError("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE "
                           "options.")
    server = client.server
    if b"nosave" not in words and not server.persistence.save():
        raise CommandError("ERR Error trying to save the DB")
    flush = b"noflush" not in words
    if flush:
        server.keyspace.flushall()
        server.flush_functions()
    try:
        load_snapshot(server, snapshot_path(server.config), caller=client,
                      merge=flush or b"merge" in words)
    except (OSError, ValueError) as exc:
        server.log.warning("debug_reload_failed", error=str(exc))
        raise CommandError("ERR Error trying to load the RDB dump, check server logs.") \
            from None
    return OK


# -- MEMORY -------------------------------------------------------------------------------------
container("memory", -2, "", G, "A container for memory diagnostics commands.", "4.0.0")


@command("usage", -3, "readonly", (2, 2, 1), G, "Estimates the memory usage of a key.", "4.0.0",
         parent="memory")
def memory_usage(client, args):
    if len(args) not in (3, 5):
        raise CommandError(errors.SYNTAX)
    if len(args) == 5:
        if lower(args[3]) != b"samples":
            raise CommandError(errors.SYNTAX)
        to_int(args[4])
    db = client.db
    value = db.lookup(args[2], False)
    if value is None:
        return None
    size = entry_size(bytes(args[2]), value)
    if db.get_expire(args[2]) is not None:
        size += 32
    return size


@command("stats", 2, "", (0, 0, 0), G, "Returns details about memory usage.",
         "4.0.0", parent="memory")
def memory_stats(client, args):
    server = client.server
    clients = server.clients
    clients.measure_all()
    used = server.used_memory()
    overhead = server.baseline_memory()
    keys = server.keyspace.total_keys()
    dataset = used - overhead
    stats = {
        "peak.allocated": max(getattr(server, "memory_peak", 0), used),
        "total.allocated": used,
        "startup.allocated": server.startup_memory(),
        "replication.backlog": 0,
        "clients.slaves": clients.replica_memory,
        "clients.normal": clients.memory - clients.replica_memory,
        "cluster.links": 0,
        "aof.buffer": server.aof_buffer_memory(),
        "lua.caches": 0,
        "functions.caches": 184,
        "overhead.total": overhead,
        "keys.count": keys,
        "keys.bytes-per-key": dataset // keys if keys else 0,
        "dataset.bytes": dataset,
        "dataset.percentage": float(dataset * 100 / used) if used else 0.0,
        "peak.percentage": 100.0,
        "fragmentation": 1.0,
    }
    for db in server.keyspace.dbs:
        if db.data:
            stats[f"db.{db.index}"] = {"overhead.hashtable.main": len(db.data) * 48,
                                       "overhead.hashtable.expires": len(db.expires) * 80}
    return stats


@command("doctor", 2, "", (0, 0, 0), G, "Outputs a memory problems report.", "4.0.0",
         parent="memory")
def memory_doctor(client, args):
    return Verbatim(memory_doctor_report(client.server))


@command("malloc-stats", 2, "", (0, 0, 0), G, "Returns the allocator statistics.", "4.0.0",
         parent="memory")
def memory_malloc_stats(client, args):
    return Verbatim("Stats not supported for the current allocator")


@command("purge", 2, "", (0, 0, 0), G, "Asks the allocator to release memory.", "4.0.0",
         parent="memory")
def memory_purge(client, args):
    gc.collect()
    return OK


@command("help", 2, "loading stale", (0, 0, 0), G, "Returns helpful text about the different "
         "subcommands.", "4.0.0", parent="memory")
def memory_help(client, args):
    return ["MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR", "    Return memory problems reports.",
            "MALLOC-STATS", "    Return internal statistics report from the memory allocator.",
            "PURGE", "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS", "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
            "HELP", "    Prints this help."]


# -- SLOWLOG ------------------------------------------------------------------------------------
container("slowlog", -2, "", G, "A container for slow log commands.", "2.2.12")


@command("get", -2, "admin loading stale", (0, 0, 0), G, "Returns the slow log's entries.",
         "2.2.12", parent="slowlog")
def slowlog_get(client, args):
    count = 10
    if len(args) == 3:
        count = to_int(args[2], "ERR count should be greater than or equal to -1")
        if count < -1:
            raise CommandError("ERR count should be greater than or equal to -1")
    elif len(args) > 3:
        raise CommandError(errors.subcommand_syntax(args[1], "slowlog"))
    entries = list(client.server.slowlog.entries)
    if count != -1:
        entries = entries[:count]
    return [list(e[:4]) + [e[4], e[5]] for e in entries]


@command("len", 2, "admin loading stale", (0, 0, 0), G, "Returns the number of entries in the "
         "slow log.", "2.2.12", parent="slowlog")
def slowlog_len(client, args):
    return len(client.server.slowlog.entries)


@command("reset", 2, "admin loading stale", (0, 0, 0), G, "Clears all entries from the slow "
         "log.", "2.2.12", parent="slowlog")
def slowlog_reset(client, args):
    client.server.slowlog.reset()
    return OK


@command("help", 2, "loading stale", (0, 0, 0), G, "Show helpful text about the different "
         "subcommands", "6.2.0", parent="slowlog")
def slowlog_help(client, args):
    return ["SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN", "    Return the length of the slowlog.",
            "RESET", "    Reset the slowlog.",
            "HELP", "    Prints this help."]


# -- MONITOR, WAIT, FUNCTION, SHUTDOWN --------------------------------------------------------
@command("monitor", 1, "admin noscript loading stale", (0, 0, 0), G, "Listens for all requests "
         "received by the server in real-time.")
def monitor(client, args):
    if not client.monitor:
        client.server.add_monitor(client)
    return OK


# Redis 7.2: WAIT runs in scripts (not blocking there); WAITAOF does not yet
@command("wait", 3, "", (0, 0, 0), "generic", "Blocks until the asynchronous replication of all "
         "preceding write commands sent by the connection is completed.", "3.0.0")
def wait(client, args):
    if client.server.master_link is not None:
        raise CommandError(
            "ERR WAIT cannot be used with replica instances. Please also note that since Redis "
            "4.0 if a replica is configured to be writable (which is not the default) writes "
            "to replicas are just local and are not propagated.")
    wanted = to_int(args[1])
    timeout = to_timeout_ms(args[2])
    return _waited(client, client.server.acks.wait(client, 0, wanted, timeout, aof=False))


@command("waitaof", 4, "noscript", (0, 0, 0), "generic", "Blocks until all of the preceding "
         "write commands sent by the connection are written to the append-only file of the "
         "master and/or replicas.", "7.2.0")
def waitaof(client, args):
    local = to_int(args[1])
    if not 0 <= local <= 1:
        raise CommandError("ERR value is out of range, value must between 0 and 1")
    replicas = to_positive(args[2])
    timeout = to_timeout_ms(args[3])
    if client.server.master_link is not None:
        raise CommandError(
            "ERR WAITAOF cannot be used with replica instances. Please also note that writes "
            "to replicas are just local and are not propagated.")
    return _waited(client, client.server.acks.wait(client, local, replicas, timeout, aof=True))


def _waited(client, result):
    """The reply now, or a Deferred for the future server/write_acks.py resolves."""
    if isinstance(result, asyncio.Future):
        return Deferred(result)
    return result


@command("shutdown", -1, "admin noscript loading stale no_multi sentinel allow_busy", (0, 0, 0),
         G, "Synchronously saves the database(s) to disk and shuts down the Redis server.")
def shutdown(client, args):
    options = {lower(a) for a in args[1:]}
    if not options <= {b"nosave", b"save", b"now", b"force", b"abort"}:
        raise CommandError(errors.SYNTAX)
    if b"nosave" in options and b"save" in options:
        raise CommandError(errors.SYNTAX)
    server = client.server
    if b"abort" in options:
        if len(options) > 1:
            raise CommandError(errors.SYNTAX)
        if not server.shutdown.abort():
            raise CommandError("ERR No shutdown in progress.")
        return OK
    if b"now" not in options and client.deny_blocking:  # (it may wait for replicas)
        raise CommandError("ERR SHUTDOWN without NOW or ABORT isn't allowed for DENY BLOCKING "
                           "client")
    if server.busy_script is not None:  # only NOSAVE may end a busy script's server
        if b"nosave" not in options:
            raise CommandError(server.busy_script.busy_error)
        server.busy_script.stop_for_shutdown()
    wants_save = b"save" in options or (b"nosave" not in options and server.config["save"])
    outcome = server.shutdown.begin(wants_save, now=b"now" in options,
                                    force=b"force" in options)
    if outcome == "failed":
        raise CommandError(FAILED)
    if outcome == "waiting":
        return Deferred(server.shutdown.block(client))
    client.close_after_reply = True
    from ..replies import NO_REPLY

    return NO_REPLY


# -- LATENCY ------------------------------------------------------------------------------------
container("latency", -2, "", G, "A container for latency diagnostics commands.", "2.8.13")


@command("latest", 2, "admin noscript loading stale", (0, 0, 0), G, "Returns the latest latency "
         "samples for all events.", "2.8.13", parent="latency")
def latency_latest(client, args):
    out = []
    for event, record in client.server.latency.events.items():
        when, millis = record["samples"][-1]
        out.append([event.encode(), when, millis, record["max"]])
    return out


@command("history", 3, "admin noscript loading stale", (0, 0, 0), G, "Returns timestamp-latency "
         "samples for an event.", "2.8.13", parent="latency")
def latency_history(client, args):
    record = client.server.latency.events.get(args[2].decode(errors="replace"))
    return [] if record is None else [[t, ms] for t, ms in record["samples"]]


@command("reset", -2, "admin noscript loading stale", (0, 0, 0), G, "Resets the latency data "
         "for one or more events.", "2.8.13", parent="latency")
def latency_reset(client, args):
    return client.server.latency.reset([a.decode(errors="replace") for a in args[2:]])


@command("doctor", 2, "admin noscript loading stale", (0, 0, 0), G, "Returns a human-readable "
         "latency analysis report.", "2.8.13", parent="latency")
def latency_doctor(client, args):
    return Verbatim(latency_doctor_report(client.server))


@command("graph", 3, "admin noscript loading stale", (0, 0, 0), G, "Returns a latency graph "
         "for an event.", "2.8.13", parent="latency")
def latency_graph(client, args):
    from ..sparkline import render

    event = args[2].decode(errors="replace")
    record = client.server.latency.events.get(event)
    if record is None:
        raise CommandError(f"ERR No samples available for event '{event}'")
    samples = record["samples"]
    now = int(time.time())
    values = [millis for _, millis in samples]
    header = (f"{event} - high {max(values)} ms, low {min(values)} ms (all time high "
              f"{record['max']} ms)\n" + "-" * 80 + "\n")
    return Verbatim(header + render([(millis, _ago(now - when)) for when, millis in samples]))


def _ago(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


@command("histogram", -2, "admin noscript loading stale", (0, 0, 0), G, "Returns the "
         "cumulative distribution of latencies of a subset or all commands.", "7.0.0",
         parent="latency")
def latency_histogram(client, args):
    """{command: {calls, histogram_usec}} for the named commands (a container names all its
    subcommands; unknown names are skipped) or every command, those with calls only."""
    from ..command_table import TABLE, all_commands
    from ..latency_stats import cumulative_usec

    if len(args) == 2:
        specs = [item for spec in all_commands() for item in (spec, *spec.subcommands.values())]
    else:
        specs = []
        for name in args[2:]:
            parent, _, sub = lower(name).partition(b"|")
            spec = TABLE.get(parent)
            if spec is not None and sub:
                spec = spec.subcommands.get(sub)
            if spec is not None:
                specs += [spec, *([] if sub else spec.subcommands.values())]
    out = {}
    for spec in specs:
        calls = sum(spec.latency)
        if calls:
            out[spec.fullname] = {"calls": calls, "histogram_usec": cumulative_usec(spec.latency)}
    return out


@command("help", 2, "loading stale", (0, 0, 0), G, "Returns helpful text about the different "
         "subcommands.", "2.8.13", parent="latency")
def latency_help(client, args):
    return ["LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR", "    Return a human readable latency analysis report.",
            "GRAPH <event>", "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST", "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram "
            "for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
            "HELP", "    Prints this help."]


