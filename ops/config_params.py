"""Every Redis 7.2 configuration parameter, as data: name, kind, default, limits, aliases.

Parameters that Predis does not act on (encodings, threads, cluster, TLS before it lands) are
still stored, validated by kind and returned, so tools and test suites that set them keep working.
Kinds: bool, int, mem (accepts 1gb/100mb), enum, flags (several enum words), str, and a few
special forms (save, bind, client-output-buffer-limit, ...). `immutable` parameters can only be set
at start (config file or command line), as in Redis.
"""

from dataclasses import dataclass, field

LLONG_MAX = 2**63 - 1
LONG_MAX = LLONG_MAX
LLONG_MIN = -(2**63)
INT_MAX = 2**31 - 1
INT_MIN = -(2**31)
UINT_MAX = 2**32 - 1
ULLONG_MAX = 2**64 - 1


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    default: str
    low: int = 0
    high: int = LLONG_MAX
    choices: tuple = ()
    aliases: tuple = ()
    immutable: bool = False
    # Predis's own startup settings: CONFIG SET to the value they already have is accepted,
    # so tools that write back what CONFIG GET * returned keep working (Redis's immutable
    # parameters refuse even that, and such tools know to skip them).
    same_value_ok: bool = False
    hidden: bool = False  # Redis's testing knobs: left out of CONFIG GET patterns
    sensitive: bool = False
    extra: dict = field(default_factory=dict)


def _b(name, default, **kw):
    return Param(name, "bool", default, **kw)


def _i(name, default, low, high, **kw):
    return Param(name, "int", default, low, high, **kw)


def _m(name, default, low=0, high=LLONG_MAX, **kw):
    return Param(name, "mem", default, low, high, **kw)


def _e(name, default, choices, **kw):
    return Param(name, "enum", default, choices=tuple(choices.split()), **kw)


def _f(name, default, choices, **kw):
    return Param(name, "flags", default, choices=tuple(choices.split()), **kw)


def _fl(name, default, low, high, **kw):
    return Param(name, "float", default, low, high, **kw)


def _s(name, default="", **kw):
    return Param(name, "str", default, **kw)


_PROTECTED = "no yes local"

PARAMS = [
    # general
    _b("daemonize", "no", immutable=True),
    _s("pidfile", immutable=True),
    _i("port", "6379", 0, 65535),
    _i("tcp-backlog", "511", 0, INT_MAX, immutable=True),
    Param("bind", "bind", "* -::*"),
    _s("bind-source-addr"),
    _s("unixsocket", immutable=True),
    Param("unixsocketperm", "octal", "0", 0, 0o777, immutable=True),
    _i("timeout", "0", 0, INT_MAX),
    _i("tcp-keepalive", "300", 0, INT_MAX),
    _i("socket-mark-id", "0", 0, UINT_MAX, immutable=True),
    _b("protected-mode", "yes"),
    _e("loglevel", "notice", "debug verbose notice warning"),
    _s("logfile", immutable=True),
    _b("syslog-enabled", "no", immutable=True),
    _s("syslog-ident", "redis", immutable=True),
    _e("syslog-facility", "local0",
       "user local0 local1 local2 local3 local4 local5 local6 local7", immutable=True),
    _b("crash-log-enabled", "yes"),
    _b("crash-memcheck-enabled", "yes"),
    _i("databases", "16", 1, INT_MAX, immutable=True),
    _b("always-show-logo", "no", immutable=True),
    _b("set-proc-title", "yes", immutable=True),
    Param("proc-title-template", "proc_title", "{title} {listen-addr} {server-mode}"),
    _s("locale-collate", ""),
    _e("supervised", "no", "upstart systemd auto no", immutable=True),
    _b("disable-thp", "yes", immutable=True),
    _s("ignore-warnings"),
    _e("enable-protected-configs", "no", _PROTECTED, immutable=True),
    _e("enable-debug-command", "no", _PROTECTED, immutable=True),
    _e("enable-module-command", "no", _PROTECTED, immutable=True),
    _i("hz", "10", 0, INT_MAX, extra={"applied_range": (1, 500)}),  # (updateHZ)
    _b("dynamic-hz", "yes"),
    _i("io-threads", "1", 1, 128, immutable=True),
    _b("io-threads-do-reads", "no", immutable=True),
    _e("oom-score-adj", "no", "no yes relative absolute"),
    Param("oom-score-adj-values", "ints3", "0 200 800"),
    _b("jemalloc-bg-thread", "yes"),
    _s("server_cpulist", immutable=True),
    _s("bio_cpulist", immutable=True),
    _s("aof_rewrite_cpulist", immutable=True),
    _s("bgsave_cpulist", immutable=True),
    # snapshotting (RDB) and AOF
    Param("save", "save", "3600 1 300 100 60 10000"),
    _b("stop-writes-on-bgsave-error", "yes"),
    _b("rdbcompression", "yes"),
    _b("rdbchecksum", "yes", immutable=True),
    _e("sanitize-dump-payload", "no", "no yes clients"),
    _s("dbfilename", "dump.rdb", extra={"no_path": True}),
    _b("rdb-del-sync-files", "no"),
    Param("dir", "dir", "./data"),
    _b("rdb-save-incremental-fsync", "yes"),
    _b("appendonly", "no"),
    _s("appendfilename", "appendonly.aof", immutable=True),
    _s("appenddirname", "appendonlydir", immutable=True),
    _e("appendfsync", "everysec", "everysec always no"),
    _b("no-appendfsync-on-rewrite", "no"),
    _i("auto-aof-rewrite-percentage", "100", 0, INT_MAX),
    _m("auto-aof-rewrite-min-size", "67108864"),
    _b("aof-load-truncated", "yes"),
    _b("aof-use-rdb-preamble", "yes"),
    _b("aof-timestamp-enabled", "no"),
    _b("aof-rewrite-incremental-fsync", "yes"),
    _b("aof-disable-auto-gc", "no"),
    # replication
    _s("replicaof", aliases=("slaveof",), extra={"special": "replicaof"}),
    _s("masterauth", sensitive=True),
    _s("masteruser", sensitive=True),
    _b("replica-serve-stale-data", "yes", aliases=("slave-serve-stale-data",)),
    _b("replica-read-only", "yes", aliases=("slave-read-only",)),
    _b("repl-diskless-sync", "yes"),
    _i("repl-diskless-sync-delay", "5", 0, INT_MAX),
    _i("repl-diskless-sync-max-replicas", "0", 0, INT_MAX),
    _e("repl-diskless-load", "disabled", "disabled on-empty-db swapdb"),
    _i("repl-ping-replica-period", "10", 1, INT_MAX, aliases=("repl-ping-slave-period",)),
    _i("repl-timeout", "60", 1, INT_MAX),
    _b("repl-disable-tcp-nodelay", "no"),
    _m("repl-backlog-size", "1048576", 1, extra={"applied_range": (16384, LLONG_MAX)}),
    _i("repl-backlog-ttl", "3600", 0, LONG_MAX),
    _i("replica-priority", "100", 0, INT_MAX, aliases=("slave-priority",)),
    _b("replica-announced", "yes"),
    _i("min-replicas-to-write", "0", 0, INT_MAX, aliases=("min-slaves-to-write",)),
    _i("min-replicas-max-lag", "10", 0, INT_MAX, aliases=("min-slaves-max-lag",)),
    _s("replica-announce-ip", aliases=("slave-announce-ip",)),
    _i("replica-announce-port", "0", 0, 65535, aliases=("slave-announce-port",)),
    _b("replica-ignore-maxmemory", "yes", aliases=("slave-ignore-maxmemory",)),
    _b("replica-lazy-flush", "no", aliases=("slave-lazy-flush",)),
    _b("replica-ignore-disk-write-errors", "no"),
    _e("propagation-error-behavior", "ignore", "ignore panic panic-on-replicas"),
    # security
    _s("requirepass", sensitive=True),
    _s("aclfile", immutable=True),
    _i("acllog-max-len", "128", 0, LONG_MAX),
    _e("acl-pubsub-default", "resetchannels", "allchannels resetchannels"),
    # Predis: tenants (key-restricted ACL users) see only their own key names in KEYS, SCAN and
    # RANDOMKEY (Redis lists every name to anyone allowed to run them)
    _b("acl-tenant-isolation", "no"),
    # Predis: tenants as key prefixes with a memory quota each (0: none), "app1: 64mb app2: 0":
    # per-tenant accounting and metrics; commands that may grow a tenant over its quota get
    # OOM (server/tenants.py)
    _s("predis-tenants"),
    # Predis: what a command over its tenant's quota meets: reject (OOM) or evict (the tenant's
    # own keys, by maxmemory-policy's algorithm; OOM when none can go)
    _e("predis-tenant-quota-policy", "reject", "reject evict"),
    # Predis: with tenants declared, each sidecar retrain also trains a model per tenant with
    # enough sampled requests and gives it to the tenant when it beats the champion there
    _b("predis-tenant-retrain", "yes"),
    # clients and limits
    _i("maxclients", "10000", 1, UINT_MAX),
    _m("client-query-buffer-limit", "1073741824", 1024 * 1024),
    _m("proto-max-bulk-len", "536870912", 1024 * 1024),
    Param("client-output-buffer-limit", "cobl",
          "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
    _i("tracking-table-max-keys", "1000000", 0, LONG_MAX),
    # memory management
    _m("maxmemory", "0", high=ULLONG_MAX),
    _e("maxmemory-policy", "noeviction",
       "volatile-lru volatile-lfu volatile-random volatile-ttl "
       "allkeys-lru allkeys-lfu allkeys-random noeviction "
       "allkeys-learned volatile-learned allkeys-s3fifo"),
    _i("maxmemory-samples", "5", 1, INT_MAX),
    _i("maxmemory-eviction-tenacity", "10", 0, 100),
    _m("maxmemory-clients", "0"),
    # Redis's hidden testing parameters (slow loading / saving on purpose): stored only.
    _i("key-load-delay", "0", INT_MIN, INT_MAX, hidden=True),
    _i("rdb-key-save-delay", "0", INT_MIN, INT_MAX, hidden=True),
    _m("loading-process-events-interval-bytes", "2mb", low=1024, high=2**31 - 1, hidden=True),
    # Redis exits instead of aborting on a panic, and its software watchdog; Predis has neither
    _b("use-exit-on-panic", "no", hidden=True),
    _i("watchdog-period", "0", 0, INT_MAX, hidden=True),
    _i("lfu-log-factor", "10", 0, INT_MAX),
    _i("lfu-decay-time", "1", 0, INT_MAX),
    _b("lazyfree-lazy-eviction", "no"),
    _b("lazyfree-lazy-expire", "no"),
    _b("lazyfree-lazy-server-del", "no"),
    _b("lazyfree-lazy-user-del", "no"),
    _b("lazyfree-lazy-user-flush", "no"),
    _i("active-expire-effort", "1", 1, 10),
    _b("activerehashing", "yes"),
    _b("activedefrag", "no"),
    _m("active-defrag-ignore-bytes", "104857600", 1),
    _i("active-defrag-threshold-lower", "10", 0, 1000),
    _i("active-defrag-threshold-upper", "100", 0, 1000),
    _i("active-defrag-cycle-min", "1", 1, 99),
    _i("active-defrag-cycle-max", "25", 1, 99),
    _i("active-defrag-max-scan-fields", "1000", 1, LONG_MAX),
    # encodings (stored and validated; Predis chooses its own layouts)
    _i("hash-max-listpack-entries", "512", 0, LONG_MAX, aliases=("hash-max-ziplist-entries",)),
    _m("hash-max-listpack-value", "64", aliases=("hash-max-ziplist-value",)),
    _i("list-max-listpack-size", "-2", -2**31, INT_MAX, aliases=("list-max-ziplist-size",)),
    _i("list-compress-depth", "0", 0, INT_MAX),
    _i("set-max-intset-entries", "512", 0, LONG_MAX),
    _i("set-max-listpack-entries", "128", 0, LONG_MAX),
    _i("set-max-listpack-value", "64", 0, LONG_MAX),
    _i("zset-max-listpack-entries", "128", 0, LONG_MAX, aliases=("zset-max-ziplist-entries",)),
    _m("zset-max-listpack-value", "64", aliases=("zset-max-ziplist-value",)),
    _m("hll-sparse-max-bytes", "3000"),
    _m("stream-node-max-bytes", "4096"),
    _i("stream-node-max-entries", "100", 0, LLONG_MAX),
    # scripting, logs, latency
    _i("busy-reply-threshold", "5000", 0, LONG_MAX, aliases=("lua-time-limit",)),
    _i("slowlog-log-slower-than", "10000", -1, LLONG_MAX),
    _i("slowlog-max-len", "128", 0, LONG_MAX),
    _i("latency-monitor-threshold", "0", 0, LLONG_MAX),
    _b("latency-tracking", "yes"),
    Param("latency-tracking-info-percentiles", "percentiles", "50 99 99.9"),
    Param("notify-keyspace-events", "notify", ""),
    # Predis: start from this RDB file (an ElastiCache backup) instead of dir/dbfilename
    _s("import-rdb", immutable=True, same_value_ok=True),
    # Predis: load an RDB that holds module data (RedisJSON, RediSearch ...) by skipping those
    # values, with a warning naming the modules; without it such a file stops the start
    _b("rdb-skip-module-data", "no"),
    # Predis: the admin HTTP port (/metrics, /healthz, /readyz, /api/info); 0 = off. Off
    # loopback it needs admin-token (sent as "Authorization: Bearer <token>")
    _i("admin-port", "9121", 0, 65535, immutable=True, same_value_ok=True),
    # Predis: SO_REUSEPORT on the listening sockets (client and admin ports) opened from now
    # on, so a new Predis run by the same user can bind the same ports: `predis upgrade` hands
    # the port over without a moment where connections are refused. Off by default: with it, a
    # second server started on a busy port shares it instead of failing
    _b("predis-reuseport", "no"),
    _s("admin-bind", "127.0.0.1", immutable=True, same_value_ok=True),
    _s("admin-token", sensitive=True, immutable=True, same_value_ok=True),
    # Predis: where string values live: auto (GPU when CUDA is usable), gpu or cpu; and the
    # GPU engine's value arena per database (values beyond it spill to host memory)
    _e("engine", "auto", "auto gpu cpu", immutable=True, same_value_ok=True),
    _m("gpu-arena-size", "1gb", low=1 << 20, immutable=True, same_value_ok=True),
    # Predis: a coalesced read of at most this many keys skips the GPU engine's lookup
    # kernel (host index plus one memcpy per value; measured crossover ~32 keys)
    _i("gpu-direct-read-keys", "32", 0, INT_MAX, immutable=True, same_value_ok=True),
    # Predis: with the GPU engine, learned-eviction batches of at least this many candidates
    # are scored on the GPU (ml/device_scoring.py), smaller ones by the CPU kernel
    _i("gpu-scoring-min-rows", "8192", 1, INT_MAX),
    # Predis: the learned eviction policy's model (.npz from `predis train`); "" = the model
    # registry's champion (PREDIS.MODEL, under dir/predis-models) or else the shipped model
    _s("learned-model-file"),
    # Predis: the ML sidecar (ml/sidecar/). Keys are sampled by hash (SHARDS) at this rate; the
    # sidecar process (supervised, restarted with back-off) keeps the miss-ratio curve, checks
    # drift per window of sampled accesses, retrains and runs A/B tests of new models
    _fl("predis-sample-rate", "0.01", 0, 1),
    _b("predis-sidecar", "yes", immutable=True, same_value_ok=True),
    _i("predis-drift-window", "2000", 100, INT_MAX),
    _i("predis-drift-patience", "2", 1, 1000),
    _fl("predis-drift-psi-threshold", "0.25", 0, 100),
    _fl("predis-drift-ks-alpha", "0.001", 0, 1),
    _b("predis-retrain-on-drift", "yes"),
    _i("predis-retrain-interval", "0", 0, INT_MAX),
    _fl("predis-retrain-margin", "0.005", 0, 1),
    _b("predis-ab-auto", "yes"),
    _i("predis-ab-slice", "10", 1, 50),
    _fl("predis-ab-min-effect", "0.01", 0.0001, 1),
    # shutdown
    _f("shutdown-on-sigint", "default", "default save nosave now force"),
    _f("shutdown-on-sigterm", "default", "default save nosave now force"),
    _i("shutdown-timeout", "10", 0, INT_MAX),
    # cluster (Predis runs standalone; stored for tooling)
    _b("cluster-enabled", "no", immutable=True),
    _s("cluster-config-file", "nodes.conf", immutable=True),
    _i("cluster-node-timeout", "15000", 0, LLONG_MAX),
    _i("cluster-port", "0", 0, 65535, immutable=True),
    _i("cluster-replica-validity-factor", "10", 0, INT_MAX,
       aliases=("cluster-slave-validity-factor",)),
    _i("cluster-migration-barrier", "1", 0, INT_MAX),
    _b("cluster-allow-replica-migration", "yes"),
    _b("cluster-require-full-coverage", "yes"),
    _b("cluster-replica-no-failover", "no", aliases=("cluster-slave-no-failover",)),
    _b("cluster-allow-reads-when-down", "no"),
    _b("cluster-allow-pubsubshard-when-down", "yes"),
    _m("cluster-link-sendbuf-limit", "0", high=ULLONG_MAX),
    _s("cluster-announce-ip"),
    Param("cluster-announce-hostname", "hostname", ""),
    _s("cluster-announce-human-nodename"),
    _i("cluster-announce-port", "0", 0, 65535),
    _i("cluster-announce-bus-port", "0", 0, 65535),
    _i("cluster-announce-tls-port", "0", 0, 65535),
    _e("cluster-preferred-endpoint-type", "ip", "ip hostname unknown-endpoint"),
    # TLS
    _i("tls-port", "0", 0, 65535),
    _s("tls-cert-file"),
    _s("tls-key-file"),
    _s("tls-key-file-pass", sensitive=True),
    _s("tls-client-cert-file"),
    _s("tls-client-key-file"),
    _s("tls-client-key-file-pass", sensitive=True),
    _s("tls-dh-params-file"),
    _s("tls-ca-cert-file"),
    _s("tls-ca-cert-dir"),
    _e("tls-auth-clients", "yes", "no yes optional"),
    _b("tls-replication", "no"),
    _b("tls-cluster", "no"),
    _s("tls-protocols"),
    _s("tls-ciphers"),
    _s("tls-ciphersuites"),
    _b("tls-prefer-server-ciphers", "no"),
    _b("tls-session-caching", "yes"),
    _i("tls-session-cache-size", "20480", 0, INT_MAX),
    _i("tls-session-cache-timeout", "300", 0, INT_MAX),
]

BY_NAME = {}
for _param in PARAMS:
    BY_NAME[_param.name] = _param
    for _alias in _param.aliases:
        BY_NAME[_alias] = _param
