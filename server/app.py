"""The Predis server: owns the keyspace, the clients, statistics and the periodic cron.

One asyncio event loop (uvloop when available) owns all mutable state; nothing else mutates the
keyspace.
"""

import asyncio
import os
import secrets
import time

import structlog

from . import commands  # noqa: F401  (registers every command family in the table)
from .blocking import BlockingRegistry
from .redaction import redacted
from .client import Client
from .clients import ClientRegistry, eviction_limit
from .notify import Notifier
from .min_replicas import MinReplicas
from .pubsub import PubSub
from .watch import WatchRegistry
from .command_table import all_commands
from .errors import CommandError, error_code
from .keyspace import Keyspace
from .keyspace.containers import LIMITS
from .keyspace.engine_dict import EngineDict
from .acl.registry import ACL
from .acl.users import ACLError
from .engine_batch import EngineBatcher
from gpu import select as engine_select
from ml.model import DEFAULT_PATH as DEFAULT_MODEL
from ml.sidecar.registry import ModelRegistry, RegistryError
from ops import proc_title
from ops.children import Children
from ops.replication.failover import Failover
from ops.replication.roles import replicate_from
from ops.snapshot import Persistence
from .scripting.debugging import ForkedSessions

from . import disk_errors, error_stats, output_limits, tenants
from .eviction import Evictor
from .listen import PROTECTED_MODE_DENIED, Listeners, bind_hosts, is_loopback
from .protocol.reply_buffer import ReplyBufferSettings
from .learning import LEARNING_PARAMS, LearningLoop
from .keyspace.expiry import ActiveExpiry, ReplicaWrittenExpiry
from .keyspace.scan import Scanner
from . import collector
from .heap_trim import HeapTrimmer
from .lazyfree import LazyFree
from .observers import LatencyMonitor, SlowLog, monitor_line
from .pause import PauseGate
from .oom_score import OomScore
from .shutdown import Shutdown
from .tracking import Tracking
from .write_acks import WriteAcks
from .protocol.connection import Connection
from .traffic import InstantaneousMetrics, Limits, ServerStats

VERSION = "7.2.4"
PREDIS_VERSION = "0.1.0"


class PredisServer:
    def _new_data(self):
        """What each database keeps its values in: a dict, or for the GPU engine an EngineDict
        whose strings go to a GPU engine of its own."""
        if self.engine == "cpu":
            return dict
        make_engine = engine_select.gpu_engine_factory(self.config["gpu-arena-size"],
                                                       self.config["gpu-direct-read-keys"])
        return lambda: EngineDict(make_engine)

    def __init__(self, config, log=None):
        self.config = config
        self.log = log or structlog.get_logger("predis")
        self.engine = engine_select.choose(config["engine"], self.log)
        self.keyspace = Keyspace(config["databases"], self._new_data())
        self.batcher = EngineBatcher(self) if self.engine == "gpu" else None
        self._models = None  # the model registry, made on first use
        self.aof = None  # ops.aof.appendonly.AppendOnlyFile while appendonly is yes
        self.offline_aof = None  # the files BGREWRITEAOF rewrites while appendonly is no
        self.in_exec = False  # a MULTI's commands run (Redis's server.in_exec)
        self.admin_http = None  # ops.admin_http.AdminHTTP when admin-port is set
        self.ready = False  # listening, data loaded (/readyz)
        self.master_link = None  # ops.replication.replica.ReplicaLink while a replica
        # (id, offset, db) the next link PSYNCs from: a snapshot's (ops/replication/resume.py),
        # or where this server stood when REPLICAOF gave it a new primary
        self.resume_from = None
        self.replication = None  # ops.replication.primary.ReplicationSource once a replica
        #                          connected (the stream and its backlog)
        self.propagation = None  # a Propagation while something takes the changes (the AOF)
        self.acks = WriteAcks(self)  # the replication offset, WAIT and WAITAOF
        self.model_version = None  # the registry version in use (None: a file or the default)
        self.clients = ClientRegistry()
        self.tracking = Tracking(self)  # CLIENT TRACKING
        self.command_aliases = self._renamed_commands()
        self.acl = ACL(self)
        self._load_users()
        self.stats = ServerStats()
        self.counted_error = None  # see count_error
        self.slowlog = SlowLog()
        self.latency = LatencyMonitor()
        self.expiry = ActiveExpiry(self.keyspace)
        self.replica_written = ReplicaWrittenExpiry(self.keyspace)  # (while a replica)
        self.pause = PauseGate(self)
        self.blocking = BlockingRegistry(self)
        self.watches = WatchRegistry(self)
        self.pubsub = PubSub(self)
        self.notifier = Notifier(self)
        self.min_replicas = MinReplicas(self)
        self.persistence = Persistence(self)  # snapshots: SAVE, BGSAVE, save points
        self.debug_sessions = ForkedSessions(self)  # SCRIPT DEBUG YES children
        self.children = Children(self)  # forks, and what a BGSAVE / AOF rewrite child reports
        self.failover = Failover(self)  # FAILOVER's state
        self.shutdown = Shutdown(self)  # SHUTDOWN, SIGTERM and SIGINT
        self.cron_paused = False  # DEBUG PAUSE-CRON
        self.scripts_run_noscript = False  # DEBUG SET-DISABLE-DENY-SCRIPTS (tests only)
        self.reply_buffers = ReplyBufferSettings()  # DEBUG REPLYBUFFER, INFO's counters
        self.list_packed_threshold = 1 << 30  # DEBUG QUICKLIST-PACKED-THRESHOLD
        self.oom_score = OomScore(self)
        self.scripts: dict = {}  # sha1 -> (compiled Lua function, shebang flags or None)
        self.scripts_bytes = 0  # the cached scripts' sha1s and bodies (INFO memory)
        self.libraries: dict = {}  # FUNCTION libraries: name -> scripting.functions.Library
        self.functions: dict = {}  # function name -> Library
        self._lua = None  # EVAL's Lua engine (made on first use)
        self._function_lua = None  # the FUNCTION libraries' engine
        self.keyspace.stats.on_expired = self._key_expired
        self.gate = None  # set by PauseGate while clients are paused
        self.busy_script = None  # scripting.busy.ScriptRun past busy-reply-threshold
        # Redis's pre_command_oom_state: the eviction before the running command found nothing
        # more to evict (not merely ran out of time); scripts judge their writes by it
        self.pre_command_oom = False
        self.loading = None  # server.loading.Loading while a dataset loads
        self.async_loading = False  # a replica receives a full sync, serving its old data
        self.migrate_links: dict = {}  # MIGRATE's cached connections (commands/migrate.py)
        self.limits = Limits()
        self.instantaneous = InstantaneousMetrics(self.limits)
        self.scanners: dict = {}  # db index -> Scanner (SCAN cursors)
        self.container_scanner = Scanner()  # HSCAN/SSCAN/ZSCAN cursors
        self.version = VERSION
        self.predis_version = PREDIS_VERSION
        self.evicted_keys = 0
        self.lazyfree = LazyFree(config)
        self.evictor = Evictor(self)
        self.learning = LearningLoop(self)
        self.heap_trim = HeapTrimmer()
        self.memory_peak = 0
        self.aof_flush_sleep_us = 0  # DEBUG AOF-FLUSH-SLEEP
        self.skip_checksum_validation = False  # DEBUG SET-SKIP-CHECKSUM-VALIDATION
        self.disk_error = None  # MISCONF while saves or AOF writes fail (disk_errors.py)
        # Hooks later families attach to (WATCH, keyspace notifications): called per write.
        self.on_key_modified = None
        self.run_id = secrets.token_hex(20)
        self.started = time.time()
        self.started_monotonic = time.monotonic()
        self.lastsave = int(self.started)
        self.listen = None  # server.listen.Listeners once started
        self.slow_ns = None  # smallest slowlog/latency threshold in ns (None: both off)
        self.observe_ns = 0  # commands at least this slow are shown to observe()
        self.shutdown_event = None
        self.loop = None
        self._cron_handle = None
        self.tenants = None  # server/tenants.Tenants while predis-tenants declares some
        self._apply_config()

    # -- configuration hooks -----------------------------------------------------------
    def _apply_config(self):
        cfg = self.config
        hooks = {
            "client-query-buffer-limit": lambda v: setattr(self.limits, "query_buffer_limit", v),
            "proto-max-bulk-len": lambda v: setattr(self.limits, "proto_max_bulk_len", v),
            "slowlog-log-slower-than": lambda v: self._update_observers(),
            "latency-monitor-threshold": lambda v: self._update_observers(),
            "loglevel": lambda v: self._set_loglevel(v),
            "requirepass": lambda v: self.acl.set_default_password(v),
            "maxmemory": self._set_maxmemory,
            "maxmemory-clients": lambda v: self._set_client_eviction_limit(),
            "maxmemory-policy": lambda v: self.evictor.configure(v),
            "tracking-table-max-keys": lambda v: self.tracking.enforce_limit(),
            "learned-model-file": self._set_model_file,
            "predis-tenants": self._set_tenants,
            "lfu-log-factor": lambda v: setattr(self.keyspace.access, "lfu_log_factor", v),
            "lfu-decay-time": lambda v: setattr(self.keyspace.access, "lfu_decay_time", v),
            "notify-keyspace-events": lambda v: self.notifier.configure(v),
            "min-replicas-to-write": lambda v: self.min_replicas.configure(),
            "min-replicas-max-lag": lambda v: self.min_replicas.configure(),
            "latency-tracking": lambda v: setattr(self, "latency_tracking", v),
            "client-output-buffer-limit": lambda v: [output_limits.watch(self, c)
                                                     for c in self.clients],
            **{name: (lambda v: disk_errors.refresh(self)) for name in disk_errors.INPUTS},
            "appendonly": lambda v: (self.set_appendonly(v), disk_errors.refresh(self)),
            "oom-score-adj": self.oom_score.on_config_change,
            "oom-score-adj-values": self.oom_score.on_config_change,
        }
        for name in LEARNING_PARAMS:
            hooks[name] = lambda v: self.learning.configure()
        for name in LIMITS:  # container encoding thresholds
            hooks[name] = lambda v, name=name: LIMITS.__setitem__(name, v)
            LIMITS[name] = cfg[name]
        cfg.on_change.update(hooks)
        self.notifier.configure(cfg["notify-keyspace-events"])
        self.min_replicas.configure()
        self.maxmemory = cfg["maxmemory"]
        self._set_client_eviction_limit()
        self.latency_tracking = cfg["latency-tracking"]
        self.keyspace.access.lfu_log_factor = cfg["lfu-log-factor"]
        self.keyspace.access.lfu_decay_time = cfg["lfu-decay-time"]
        if cfg["learned-model-file"] or self._registered_champion() is not None:
            self._set_model_file(cfg["learned-model-file"])
        self.evictor.configure(cfg["maxmemory-policy"])
        self._set_tenants(cfg["predis-tenants"])
        self.learning.configure()
        self.limits.query_buffer_limit = cfg["client-query-buffer-limit"]
        self.limits.proto_max_bulk_len = cfg["proto-max-bulk-len"]
        self._update_observers()

    def _set_tenants(self, text: str) -> None:
        """`predis-tenants`: declare the tenants and charge every key to its own."""
        from ops.config import ConfigError, parse_memory

        try:
            pairs = tenants.parse(text, parse_memory)
        except tenants.TenantSpecError as exc:
            raise ConfigError(str(exc)) from None
        self.tenants = tenants.Tenants(pairs, self.tenants) if pairs else None
        for db in self.keyspace.dbs:
            db.tenants = self.tenants
            if self.tenants is not None:
                self.keyspace.fold(db)  # records first, then their tenants
                db.table.tag_tenants(self.tenants.number_of)
        if self.tenants is not None:
            self.tenants.recount(self.keyspace.dbs)
        self.learning.configure()  # the sidecar trains per namespace only with tenants

    def _set_model_file(self, path: str) -> None:
        """`learned-model-file`: that file; empty: the registry's champion if there is one,
        else the shipped model."""
        from ops.config import ConfigError

        version = None
        if not path:
            version = self._registered_champion()
            if version is not None:
                path = self.model_registry().model_path(version)
        try:
            self.evictor.load_model(path or DEFAULT_MODEL)
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(f"can't load the model: {exc}") from None
        self.model_version = version

    def model_registry(self) -> ModelRegistry:
        """The model versions under `<dir>/predis-models` (made on first use)."""
        if self._models is None:
            self._models = ModelRegistry(os.path.join(self.config["dir"], "predis-models"),
                                         self.log)
        return self._models

    def _registered_champion(self):
        """The registry's intact champion, if a registry exists: it survives restarts."""
        if not os.path.isdir(os.path.join(self.config["dir"], "predis-models")):
            return None
        registry = self.model_registry()
        champion = registry.aliases()["champion"]
        if champion is None:
            return None
        try:
            registry.describe(champion)
        except RegistryError as exc:
            self.log.warning("champion_model_broken", version=champion, reason=str(exc))
            return None
        return champion

    def _set_maxmemory(self, value: int) -> None:
        self.maxmemory = value
        self._set_client_eviction_limit()  # (a percentage of it)

    def _set_client_eviction_limit(self) -> None:
        self.clients.eviction_limit = eviction_limit(self.config)
        self.limits.clients_evictable = bool(self.clients.eviction_limit)
        if self.clients.eviction_limit:  # judged on fresh figures from the next command on
            self.clients.measure_all()  # (Redis's applyClientMaxMemoryUsage)

    def _set_loglevel(self, level):
        from ops.logging import set_level  # ops owns logging setup

        set_level(level)

    def _update_observers(self):
        """Decide once, not per command, which observers need to see commands."""
        thresholds = []
        slower = self.config["slowlog-log-slower-than"]
        if slower >= 0:
            thresholds.append(slower * 1000)
        latency = self.config["latency-monitor-threshold"]
        if latency > 0:
            thresholds.append(latency * 1_000_000)
        self.slow_ns = min(thresholds) if thresholds else None
        if self.clients.monitors:
            self.observe_ns = 0
        else:
            self.observe_ns = self.slow_ns if self.slow_ns is not None else 1 << 62

    def auth_required(self) -> bool:
        """New connections start unauthenticated unless the default user is on and nopass."""
        return self.acl.default_needs_auth()

    def _renamed_commands(self):
        """`rename-command OLD NEW` lines (NEW "" disables OLD): {lowercase name: spec, or None
        for a name that no longer exists}; None when nothing is renamed (the fast path)."""
        from ops.config import ConfigError

        from .command_table import TABLE

        aliases = {}
        for name, args in self.config.values.get("_directives", ()):
            if name != "rename-command":
                continue
            if len(args) != 2:
                raise ConfigError("rename-command needs the command and its new name")
            old, new = args[0].lower().encode(), args[1].lower().encode()
            spec = TABLE.get(old)
            if spec is None:
                raise ConfigError(f"No such command in rename-command: {args[0]}")
            aliases[old] = None
            if new:
                aliases[new] = spec
        return aliases or None

    def _load_users(self) -> None:
        """`user` lines of the config file, or the `aclfile` (not both, as in Redis)."""
        from ops.config import ConfigError

        lines = [args for name, args in self.config.values.get("_directives", ())
                 if name == "user"]
        if lines and self.config["aclfile"]:
            raise ConfigError("Configuring Redis with users defined in redis.conf and at the "
                              "same setting an ACL file path is invalid. This setup is very "
                              "likely to lead to configuration errors and security holes, "
                              "please define either an ACL file or declare users directly in "
                              "your redis.conf, but not both.")
        declared = set()
        for args in lines:
            name = args[0] if args else ""
            if name in declared:
                raise ConfigError(f"Error in user declaration '{name}': Duplicate user found. "
                                  "A user can only be defined once in config files")
            declared.add(name)
            try:
                # (the default user exists already: Redis resets it before a declaration's
                # rules, so it starts as a new user would, without channels by default)
                self.acl.setuser(name, ["reset", *args[1:]] if name == "default" else args[1:])
            except (ACLError, IndexError) as exc:
                raise ConfigError(f"Error in user declaration '{name}': {exc}") from None
        if self.config["aclfile"]:
            try:
                self.acl.load()
            except ACLError as exc:
                raise ConfigError(f"Error in user declaration: {exc}") from None

    # -- per-command hooks used by the dispatcher ---------------------------------------
    def count_error(self, reply, client=None, spec=None) -> None:
        """An error reply: INFO's counts; `client` and the command's `spec` (None: unknown)
        when it answers a client."""
        if reply is self.counted_error:  # a script's error its failed command counted already
            self.counted_error = None
            return
        self.stats.error_replies += 1
        error_stats.count_code(self, error_code(reply))
        if client is not None and (client.is_primary or client.id == 0 or client.replica):
            error_stats.unexpected(self, client, spec, reply)

    def feed_monitors(self, client, spec, args, origin: str = None) -> None:
        """MONITOR's line for a command (`origin` "lua" for a script's redis.call)."""
        if self.clients.monitors and not spec.flags & {"admin", "skip_monitor"}:
            self.show_monitors(client, args, origin)

    def show_monitors(self, client, args, origin: str = None) -> None:
        line = monitor_line(client, redacted(args), origin)
        for monitor in self.clients.monitors:
            if monitor is not client:
                monitor.deliver(line)

    def observe(self, client, spec, args, elapsed_ns: int) -> None:
        self.feed_monitors(client, spec, args)
        self.log_if_slow(client, spec, args, elapsed_ns)

    def log_if_slow(self, client, spec, args, elapsed_ns: int) -> None:  # SLOWLOG, LATENCY
        if self.slow_ns is None or elapsed_ns < self.slow_ns:
            return
        slower = self.config["slowlog-log-slower-than"]
        if slower >= 0 and elapsed_ns >= slower * 1000 and "skip_slowlog" not in spec.flags:
            self.slowlog.add(client, redacted(args), elapsed_ns // 1000,
                             self.config["slowlog-max-len"])
        self.latency.add_if_slow("fast-command" if "fast" in spec.flags else "command",
                                 elapsed_ns, self.config["latency-monitor-threshold"])

    def add_monitor(self, client) -> None:
        client.monitor = True
        self.clients.monitors.append(client)
        self._update_observers()

    def on_flush(self, db, keys_before=None) -> None:
        """FLUSHDB (db) / FLUSHALL (None): SCAN cursors are void, watched keys touched."""
        indexes = range(len(self.keyspace)) if db is None else [db.index]
        for index in indexes:
            self.scanners.pop(index, None)
            self.watches.touch_db(index, None if keys_before is None else keys_before.get(index))
            self.blocking.signal_db(index)
        self.tracking.flush()  # Redis empties its tracking table even with no client left

    def swap_databases(self, first: int, second: int) -> None:
        """SWAPDB: watchers judged on both databases as they are, then the swap; SCAN cursors
        are void and clients blocked on either database look again."""
        keyspace = self.keyspace
        self.watches.touch_swapped(keyspace[first], keyspace[second])
        self.watches.touch_swapped(keyspace[second], keyspace[first])
        keyspace.swap(first, second)
        keyspace.dirty += 1
        for index in (first, second):
            self.scanners.pop(index, None)
            self.blocking.signal_db(index)

    def _key_expired(self, db, key, value) -> None:
        lazy = self.config["lazyfree-lazy-expire"]
        if lazy:
            self.lazyfree.released(value)
        if self.propagation is not None:
            self.propagation.deleted(db, key, lazy)
        if self.on_key_modified is not None:
            self.on_key_modified(db, key)
        if self.notifier.flags:
            self.notifier.notify("x", "expired", key, db.index)

    def refresh_key_hook(self) -> None:
        """Every key change calls on_key_modified(db, key, by client or None) while a client
        WATCHes something or has CLIENT TRACKING on; otherwise the write path skips it."""
        wanted = self.watches.watchers or self.tracking.clients
        self.on_key_modified = self._key_modified if wanted else None

    def _key_modified(self, db, key, by=None, evicted=False) -> None:
        if self.watches.watchers:
            self.watches.touch(db, key)
        if self.tracking.clients:
            self.tracking.invalidate(key, by, evicted)

    def on_client_reset(self, client) -> None:
        self.watches.unwatch_all(client)
        self.pubsub.drop_client(client)
        self.tracking.disable(client)
        if client.monitor:
            client.monitor = False
            self.clients.monitors.remove(client)
            self._update_observers()

    def acl_log_failure(self, client, username) -> None:
        self.acl.record("auth", "toplevel", "AUTH", bytes(username).decode("utf-8", "replace"),
                        client, client.last_args)  # (AUTH's or HELLO's arguments)
        self.log.warning("auth_failed", client_id=client.id, addr=client.addr,
                         user=bytes(username).decode("utf-8", "replace"))

    def client_subscriptions(self, client):
        return (len(client.subscriptions), len(client.psubscriptions),
                len(client.ssubscriptions))

    # -- replication ----------------------------------------------------------------------
    def unblock(self, client, reply=None) -> bool:
        """End a client's wait, on keys or in WAIT/WAITAOF, with `reply` (None: as its timeout
        would); False if it waits on neither (CLIENT UNBLOCK)."""
        return self.blocking.unblock(client, reply) or self.acks.unblock(client, reply)

    def note_replica_write(self, client, spec, args) -> None:
        """A command ran on this replica: keys its own clients gave a TTL are remembered,
        to expire (keyspace/expiry.ReplicaWrittenExpiry)."""
        if not client.is_primary and "write" in spec.flags:
            self.replica_written.remember(client.db, [args[i] for i in spec.key_positions(args)])

    def replication_source(self):
        if self.replication is None:
            from ops.replication.primary import ReplicationSource

            self.replication = ReplicationSource(self)
            self._add_sink(self.replication)
        return self.replication

    def lua_memory(self) -> tuple:
        """Bytes held by EVAL's Lua state and by the FUNCTION libraries' one."""
        return tuple(engine.memory_bytes() if engine is not None else 0
                     for engine in (self._lua, self._function_lua))

    def lua(self, functions: bool = False):
        """EVAL's Lua engine, or the FUNCTION libraries' (Redis keeps them apart too), created
        on first use: each costs a Lua state."""
        engine = self._function_lua if functions else self._lua
        if engine is None:
            from .scripting.engine import LuaEngine

            engine = LuaEngine(self)
            if functions:
                self._function_lua = engine
            else:
                self._lua = engine
        return engine

    def flush_scripts(self) -> None:
        """SCRIPT FLUSH: forget compiled scripts and EVAL's Lua state with them; the next
        script gets a fresh state, as in Redis (the old one goes with its garbage)."""
        self.scripts.clear()
        self.scripts_bytes = 0
        self._lua = None

    def flush_functions(self) -> None:
        self.libraries.clear()
        self.functions.clear()

    # -- append-only file ------------------------------------------------------------------
    def _aof_directory(self) -> str:
        return os.path.join(self.config["dir"], self.config["appenddirname"])

    def aof_files(self):
        """The AOF in the configured directory, as its manifest describes it (not attached)."""
        from ops.aof.appendonly import AppendOnlyFile

        return AppendOnlyFile(self, self._aof_directory(), self.config["appendfilename"])

    def _add_sink(self, sink) -> None:
        from .propagation import Propagation

        if self.propagation is None:
            self.propagation = Propagation(self.acks, self.config)
        self.propagation.sinks.append(sink)

    def _remove_sink(self, sink) -> None:
        self.propagation.sinks.remove(sink)
        if not self.propagation.sinks:
            self.propagation = None

    def _attach_aof(self, aof) -> None:
        self.aof = aof
        self._add_sink(aof)
        self.limits.before_reply = aof.gate

    def set_appendonly(self, enabled: bool) -> None:
        """CONFIG SET appendonly: yes appends from now on while a forked child writes the base
        (as Redis's startAppendOnly); no stops appending (the files stay)."""
        if enabled and self.aof is None:
            if self.offline_aof is not None:  # its rewrite gives way to the new AOF's base
                self.offline_aof.close()
                self.offline_aof = None
            aof = self.aof_files()
            self._attach_aof(aof)
            aof.start_in_background()
        elif not enabled and self.aof is not None:
            self.aof.close()
            self._remove_sink(self.aof)
            self.aof = self.limits.before_reply = None
            self.acks.changed()  # WAITAOF's local waits end in an error

    def rewrite_aof(self) -> str:
        """BGREWRITEAOF; the status line Redis answers. With appendonly off, a child writes a
        new base for the AOF's files all the same (an `offline_aof` not fed any command)."""
        aof = self.aof_rewriter()
        if aof is None:
            aof = self.offline_aof = self.aof_files()
        if aof.child is not None:
            raise RuntimeError("Background append only file rewriting already in progress")
        if self.has_active_child() or self.in_exec:  # (the cron starts it when it can)
            aof.scheduled = True
            return "Background append only file rewriting scheduled"
        aof.start_rewrite()
        return "Background append only file rewriting started"

    def aof_rewriter(self):
        """The AOF whose rewrites run: the one appended to, else the offline one (if any)."""
        return self.aof if self.aof is not None else self.offline_aof

    def has_active_child(self) -> bool:
        """An RDB child (BGSAVE, full resync) or an AOF-rewrite child runs (Redis runs one at
        a time)."""
        aof = self.aof_rewriter()
        return self.persistence.rdb_child_running() or (aof is not None and aof.child is not None)

    def load_snapshot_at_start(self) -> None:
        """At start: the AOF when appendonly is yes and one exists; otherwise the RDB (and, with
        appendonly yes, a new AOF made from it)."""
        from ops.aof.loader import load_aof
        from ops.snapshot import load_rdb_at_start

        if self.config["appendonly"] and not self.config["import-rdb"]:
            aof = self.aof_files()
            if aof.adopt_old_style() or aof.exists():
                load_aof(self, aof)
                aof.open_for_append()
            else:
                load_rdb_at_start(self)
                aof.create()
            self._attach_aof(aof)
            return
        load_rdb_at_start(self)
        if self.config["appendonly"]:
            self.set_appendonly(True)

    def restore_library(self, code: bytes, replace: bool = True) -> str | None:
        """A function library read from a snapshot; the error when it cannot be loaded (one of
        that name exists and replace is False)."""
        from .commands.scripting import function_load

        try:
            function_load(Client(self, None, 0),
                          [b"FUNCTION", b"LOAD", *([b"REPLACE"] if replace else []), code])
        except CommandError as exc:
            return exc.message
        return None

    def on_client_gone(self, client) -> None:
        if client.replica is not None:
            self.replication.detach(client)
        self.pubsub.drop_client(client)
        self.blocking.forget(client)
        self.acks.forget(client)
        self.watches.unwatch_all(client)
        self.tracking.disable(client)
        self._update_observers()
        self.pause.forget(client)
        self.shutdown.forget(client)

    # -- networking -----------------------------------------------------------------------
    def _new_session(self, connection):
        client = Client(self, connection, self.clients.next_id)
        self.clients.next_id += 1
        self.stats.connections_received += 1
        if (self.config["protected-mode"] and not self.config["requirepass"]
                and not client.unix_socket and not is_loopback(client.addr)):
            self.stats.rejected_connections += 1
            connection.transport.write(PROTECTED_MODE_DENIED)
            connection.close()
            return client
        if len(self.clients) >= self.config["maxclients"]:
            self.stats.rejected_connections += 1
            client.close_after_reply = True
            connection.transport.write(b"-ERR max number of clients reached\r\n")
            connection.close()
            return client
        self.clients.register(client)
        output_limits.watch(self, client)
        return client

    def protocol_factory(self):
        return Connection(self._new_session, self.limits)

    async def open_listeners(self):
        """Listen first: while the data loads (load_snapshot_at_start), clients connect and
        get -LOADING, as with Redis."""
        self.loop = self.limits.cycle.loop = asyncio.get_running_loop()
        self.shutdown_event = asyncio.Event()
        self.oom_score.apply()  # (here, not in __init__: tests build servers in process)
        self.evictor.warm_up()  # (before listening: a connection would wait for it)
        tls_port, tls_context = self.config["tls-port"], None
        if tls_port:
            from ops.tls import server_context

            tls_context = server_context(self.config)
        self.listen = Listeners(self, bind_hosts(self.config["bind"]))
        await self.listen.open(self.config["port"], tls_port, tls_context,
                               self.config["unixsocket"], self.config["unixsocketperm"])
        self.config.on_change["port"] = self.listen.rebind
        self.config.on_change["bind"] = self.listen.readdress
        proc_title.follow(self.config)

    async def start(self):
        """Serve (after open_listeners and the load). The admin port opens first: by the time
        clients get answers, its probes and metrics answer too."""
        if self.config["admin-port"]:
            from ops.admin_http import AdminHTTP

            self.admin_http = AdminHTTP(self)
            await self.admin_http.start()
        await self.listen.start_serving()
        self._schedule_cron()
        self.learning.start()
        self.ready = True
        self.log.info("server_started", port=self.tcp_port, pid=os.getpid(), version=VERSION,
                      engine=self.engine)
        if self.config["replicaof"]:  # `replicaof host port` in the config or on the command line
            host, port = self.config["replicaof"].split()
            replicate_from(self, host, int(port))

    def _schedule_cron(self):
        hz = max(1, min(500, self.config["hz"]))
        self._cron_handle = self.loop.call_later(1.0 / hz, self._cron)

    def _cron(self):
        """Periodic work (Redis's serverCron): active expiry, client timeouts, pause ends, a
        shutdown a signal asked for."""
        if not self.limits.cycle.open:
            self.limits.cycle.begin()  # (the cron's turn is a cycle of the event loop)
        try:
            if self.cron_paused:
                return
            if self.shutdown.cron():
                return
            hz = max(1, min(500, self.config["hz"]))
            self.instantaneous.cron(hz)
            if self.master_link is None:  # a replica's keys expire by its primary's DELs
                started = time.perf_counter_ns()
                self.expiry.run(hz, self.config["active-expire-effort"])
                self.latency.add_if_slow("expire-cycle", time.perf_counter_ns() - started,
                                         self.config["latency-monitor-threshold"])
            elif self.replica_written.keys and self.expiry.enabled:
                self.replica_written.run()
            if self.clients.eviction_limit:  # clients before keys, as Redis evicts them
                self.clients.evict_over(self.clients.eviction_limit)
            self._tend_access_tables()
            if self.heap_trim.due():  # (after the folds: their arrays are what it gives back)
                self.heap_trim.tick(self.used_memory())
            collector.tick()
            self.clients.cron(hz, self.config["timeout"])
            self.pause.check_deadline()
            self.children.receive()
            self.persistence.check_child()
            self.debug_sessions.reap()
            self.persistence.save_on_schedule()
            rewriter = self.aof_rewriter()
            if rewriter is not None:
                rewriter.cron()
            self.failover.cron()
            if self.replication is not None:
                self.replication.cron()
            self.learning.tick()
        finally:
            if self.shutdown_event is not None and not self.shutdown_event.is_set():
                self._schedule_cron()

    def _tend_access_tables(self):
        """Fold the access logs (so idle times stay true to the tick), check every table still
        matches its data, and keep evicting while over maxmemory (e.g. after CONFIG SET)."""
        keyspace = self.keyspace
        keyspace.tend_tables()
        repaired = keyspace.repair_tables()
        if repaired:
            self.log.warning("access_table_repaired", dbs=repaired)
        if self.maxmemory and self.evictor.policy is not None:
            self.evictor.perform()

    async def serve_until_shutdown(self):
        await self.shutdown_event.wait()
        await self.close()

    def request_shutdown(self):
        """Stop serving (after Shutdown.prepare)."""
        if self.shutdown_event is not None:
            self.shutdown_event.set()

    def reload_config(self):
        """SIGHUP: the config file again (ops.config.reload); a bad file changes nothing."""
        from ops.config import ConfigError, reload

        try:
            applied, left = reload(self.config)
        except ConfigError as exc:
            self.log.warning("config_reload_failed", error=str(exc))
            return
        self.log.info("config_reloaded", applied=applied, left_unchanged=left)

    async def close(self):
        closing = self.listen.close() if self.listen is not None else []  # accept no more
        if self._cron_handle is not None:
            self._cron_handle.cancel()
        if self.master_link is not None:
            self.master_link.stop()
        if self.admin_http is not None:
            self.admin_http.close()
        await self.learning.close()
        self.persistence.kill_child()  # do not leave a half-written temp file behind
        if self.aof_rewriter() is not None:  # (ends a rewrite child too)
            self.aof_rewriter().close(complete=True)
        for client in self.clients:
            client.kill()
        for srv in closing:
            await srv.wait_closed()
        self.log.info("server_stopped")

    # -- introspection helpers ------------------------------------------------------------
    @property
    def tcp_port(self) -> int:
        return self.listen.port if self.listen is not None else 0

    def uptime(self) -> float:
        return time.monotonic() - self.started_monotonic

    def memory_for_eviction(self) -> int:
        """used_memory as maxmemory judges it (replica and AOF buffers left out, as Redis)."""
        return self.used_memory() - self.memory_not_counted_for_evict()

    def make_room(self) -> bool:
        """Before a command that may grow memory: evict per the policy; False means OOM."""
        return self.evictor.perform()

    def used_memory(self) -> int:
        return self.keyspace.used_bytes() + self.baseline_memory()

    def evict_key(self, db, key: bytes) -> None:
        """Remove `key` for memory, telling WATCH and keyspace notifications, as Redis does."""
        lazy = self.config["lazyfree-lazy-eviction"]
        if lazy:
            self.lazyfree.released(dict.get(db.data, key))
        db.delete(key)
        if self.propagation is not None:
            self.propagation.deleted(db, key, lazy)
        self.evicted_keys += 1
        if self.on_key_modified is not None:
            self.on_key_modified(db, key, None, True)
        if self.notifier.flags:
            self.notifier.notify("e", "evicted", key, db.index)

    def startup_memory(self) -> int:
        """A fixed overhead and the per-db dict headers (as Redis counts its own)."""
        return 900_000 + 300 * len(self.keyspace)

    def baseline_memory(self) -> int:
        """Memory besides the keys: startup_memory() and the clients' (their buffers, as last
        measured: server/clients.py)."""
        return self.startup_memory() + self.clients.memory

    def aof_buffer_memory(self) -> int:
        """The AOF's commands not yet written (INFO mem_aof_buffer)."""
        return sum(map(len, self.aof.pending)) if self.aof is not None else 0

    def memory_not_counted_for_evict(self) -> int:
        """Redis's freeMemoryGetNotCountedMemory: replicas' output buffers and the AOF's."""
        return self.clients.replica_memory + self.aof_buffer_memory()

    def reset_stats(self):
        self.stats.reset()
        self.evicted_keys = 0
        self.lazyfree.reset()
        self.limits.reset_counts()
        self.instantaneous.reset()
        self.keyspace.reset_stats()
        self.children.forks = self.children.latest_fork_usec = 0
        self.evictor.reset_stats()
        if self.replication is not None:  # sync_full, sync_partial_ok, sync_partial_err
            self.replication.full_syncs = self.replication.partial_ok = 0
            self.replication.partial_err = 0
        for spec in all_commands():
            spec.reset_stats()
