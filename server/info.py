"""INFO: the sections and field names redis-py, redis_exporter and Redis's tests read."""

import os
import platform
import resource
import sys
import time

from .command_table import all_commands, total_calls, total_command_ns
from .commands.migrate import cached_links
from . import collector
from .heap_trim import rss_bytes
from .latency_stats import info_fields as latency_info_fields

DEFAULT_SECTIONS = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                    "modules", "errorstats", "cluster", "keyspace", "engine", "ml", "tenants"]
ALL_SECTIONS = DEFAULT_SECTIONS + ["commandstats", "latencystats"]
FUNCTION_ENTRY = 96  # a registered function in Redis: its record, name and dict entry


def human_bytes(n: int) -> str:
    for unit, size in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n >= size:
            return f"{n / size:.2f}{unit}"
    return f"{n}B"


def _total_system_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 0


def _server(s):
    uptime = int(s.uptime())
    return {
        "redis_version": s.version,
        "redis_git_sha1": "00000000",
        "redis_git_dirty": 0,
        "redis_build_id": "0",
        "redis_mode": "standalone",
        "predis_version": s.predis_version,
        "predis_engine": s.engine,
        "os": f"{platform.system()} {platform.release()} {platform.machine()}",
        "arch_bits": 64 if sys.maxsize > 2**32 else 32,
        "monotonic_clock": "POSIX clock_gettime",
        "multiplexing_api": "epoll",
        "atomicvar_api": "c11-builtin",
        "gcc_version": "0.0.0",
        "process_id": os.getpid(),
        "process_supervised": "no",
        "run_id": s.run_id,
        "tcp_port": s.tcp_port,
        "server_time_usec": int(time.time() * 1_000_000),
        "uptime_in_seconds": uptime,
        "uptime_in_days": uptime // 86400,
        "hz": s.config["hz"],
        "configured_hz": s.config["hz"],
        "lru_clock": int(time.time()) & ((1 << 24) - 1),
        "executable": sys.argv[0] and os.path.abspath(sys.argv[0]),
        "config_file": s.config.config_file or "",
        "io_threads_active": 0,
        **_listeners(s.config),
        **({"shutdown_in_milliseconds": s.shutdown.milliseconds_left()}
           if s.shutdown.initiated else {}),
    }


def _listeners(config) -> dict:
    """Redis 7.2's listener<n> lines, n the connection type's index (0 tcp, 1 unix, 2 tls)."""
    lines = {}
    tcp_binds = "".join(f",bind={bind}" for bind in config["bind"])
    if config["port"]:
        lines["listener0"] = f"name=tcp{tcp_binds},port={config['port']}"
    if config["unixsocket"]:
        lines["listener1"] = f"name=unix,bind={config['unixsocket']}"
    if config["tls-port"]:
        lines["listener2"] = f"name=tls{tcp_binds},port={config['tls-port']}"
    return lines


def _clients(s):
    return {
        # (replicas apart, as Redis counts; a replica's link to its primary counts)
        "connected_clients": len(s.clients) - (len(s.replication.replicas)
                                               if s.replication is not None else 0),
        "cluster_connections": 0,
        "maxclients": s.config["maxclients"],
        "client_recent_max_input_buffer": max(s.clients.input_peaks),
        "client_recent_max_output_buffer": max(s.clients.output_peaks),
        # waiting on keys (or WAIT), and held by CLIENT PAUSE: Redis counts both as blocked
        "blocked_clients": sum(1 for c in s.clients if c.blocked is not None)
        + len({id(client) for _, client, _ in s.pause.held}),
        "tracking_clients": s.tracking.clients,
        "clients_in_timeout_table": sum(1 for c in s.clients if c.blocked is not None
                                        and getattr(c.blocked, "timer", None) is not None),
        "total_blocking_keys": s.blocking.blocked_keys(),
        "total_blocking_keys_on_nokey": s.blocking.keys_on_nokey(),
    }


def _buffer_memory(s) -> dict:
    """The replication backlog, client output buffers (replicas apart, as Redis splits them)
    and the AOF's commands not yet written."""
    backlog = len(s.replication.backlog) if s.replication is not None else 0
    shared = s.replication.buffer_memory() if s.replication is not None else 0
    clients = s.clients  # measured when the memory section starts
    aof = s.aof_buffer_memory()
    return {"mem_replication_backlog": backlog, "mem_total_replication_buffers": shared,
            "mem_clients_slaves": clients.replica_memory,
            "mem_clients_normal": clients.memory - clients.replica_memory, "mem_aof_buffer": aof}


def _scripting_memory(s) -> dict:
    """Lua's figures: EVAL scripts and FUNCTION libraries run in two Lua states, as in Redis."""
    vm_eval, vm_functions = s.lua_memory()
    functions = sum(FUNCTION_ENTRY * len(lib.functions) + len(lib.code) + len(lib.name)
                    for lib in s.libraries.values())
    caches = s.scripts_bytes + functions
    return {"used_memory_lua": vm_eval, "used_memory_vm_eval": vm_eval,
            "used_memory_lua_human": human_bytes(vm_eval),
            "used_memory_scripts_eval": s.scripts_bytes,
            "number_of_cached_scripts": len(s.scripts), "number_of_functions": len(s.functions),
            "number_of_libraries": len(s.libraries), "used_memory_vm_functions": vm_functions,
            "used_memory_vm_total": vm_eval + vm_functions,
            "used_memory_vm_total_human": human_bytes(vm_eval + vm_functions),
            "used_memory_functions": functions, "used_memory_scripts": caches,
            "used_memory_scripts_human": human_bytes(caches)}


def _memory(s):
    s.clients.measure_all()
    used = s.used_memory()
    rss = rss_bytes()
    s.memory_peak = max(getattr(s, "memory_peak", 0), used)
    startup, overhead = s.startup_memory(), s.baseline_memory()
    dataset = max(used - overhead, 0)
    maxmemory = s.config["maxmemory"]
    total = _total_system_memory()
    return {
        "used_memory": used,
        "used_memory_human": human_bytes(used),
        "used_memory_rss": rss,
        "used_memory_rss_human": human_bytes(rss),
        "used_memory_peak": s.memory_peak,
        "used_memory_peak_human": human_bytes(s.memory_peak),
        "used_memory_peak_perc": f"{used * 100 / max(s.memory_peak, 1):.2f}%",
        "used_memory_overhead": overhead,
        "used_memory_startup": startup,
        "used_memory_dataset": dataset,
        "used_memory_dataset_perc": f"{dataset * 100 / max(used, 1):.2f}%",
        "total_system_memory": total,
        "total_system_memory_human": human_bytes(total),
        **_scripting_memory(s),
        "maxmemory": maxmemory,
        "maxmemory_human": human_bytes(maxmemory),
        "maxmemory_policy": s.config["maxmemory-policy"],
        # pymalloc has no separate active/resident figures: allocated is what we account,
        # resident is the process RSS, and the ratios follow from those two.
        "allocator_allocated": used,
        "allocator_active": used,
        "allocator_resident": rss,
        "allocator_frag_ratio": "1.00",
        "allocator_frag_bytes": 0,
        "allocator_rss_ratio": f"{rss / max(used, 1):.2f}",
        "allocator_rss_bytes": rss - used,
        "rss_overhead_ratio": "1.00",
        "rss_overhead_bytes": 0,
        "mem_fragmentation_ratio": f"{rss / max(used, 1):.2f}",
        "mem_fragmentation_bytes": rss - used,
        "mem_not_counted_for_evict": s.memory_not_counted_for_evict(),
        **_buffer_memory(s),
        "mem_cluster_links": 0,
        "mem_allocator": "pymalloc",
        "active_defrag_running": 0,
        "lazyfree_pending_objects": 0,
        "lazyfreed_objects": s.lazyfree.freed,
        **s.heap_trim.info_fields(),
        **collector.info_fields(),
    }


def _persistence(s):
    return {
        "loading": 0 if s.loading is None else 1,
        "async_loading": int(s.async_loading),
        **s.children.info_fields(),
        "rdb_changes_since_last_save": s.keyspace.dirty,
        "rdb_bgsave_in_progress": int(s.persistence.rdb_child_running()),
        "rdb_last_save_time": s.lastsave,
        "rdb_last_bgsave_status": s.persistence.last_status,
        "rdb_last_bgsave_time_sec": s.persistence.last_duration,
        "rdb_current_bgsave_time_sec": (int(time.monotonic() - s.persistence.child_started)
                                        if s.persistence.child_pid else -1),
        "rdb_saves": s.persistence.saves,
        "rdb_last_cow_size": s.children.rdb_last_cow,
        "rdb_last_load_keys_expired": s.persistence.loaded["keys_expired"],
        "rdb_last_load_keys_loaded": s.persistence.loaded["keys_loaded"],
        **_aof_fields(s.aof, s.aof_rewriter(), s.children.aof_last_cow),
        "module_fork_in_progress": 0,
        "module_fork_last_cow_size": 0,
        **({} if s.loading is None else s.loading.info_fields()),
    }


def _aof_fields(aof, rewriter, last_cow: int):
    """INFO persistence's aof_* fields: the rewrite's from `rewriter` (the AOF, or while
    appendonly is off the files BGREWRITEAOF rewrites), the size fields only while AOF is
    on, as Redis adds them."""
    running = rewriter is not None and rewriter.child is not None
    fields = {
        "aof_enabled": int(aof is not None),
        "aof_rewrite_in_progress": int(running),
        "aof_rewrite_scheduled": int(rewriter is not None and rewriter.scheduled),
        "aof_last_rewrite_time_sec": -1, "aof_current_rewrite_time_sec": -1,
        "aof_last_bgrewrite_status": "ok", "aof_rewrites": 0,
        "aof_rewrites_consecutive_failures": 0, "aof_last_write_status": "ok",
        "aof_last_cow_size": last_cow}
    if rewriter is not None:
        fields.update({
            "aof_last_rewrite_time_sec": rewriter.last_rewrite_seconds,
            "aof_current_rewrite_time_sec": (int(time.monotonic() - rewriter.child[3])
                                             if running else -1),
            "aof_last_bgrewrite_status": rewriter.last_rewrite_status,
            "aof_rewrites": rewriter.rewrites,
            "aof_rewrites_consecutive_failures": int(rewriter.last_rewrite_status != "ok"),
            "aof_last_write_status": rewriter.last_write_status})
    if aof is None:
        return fields
    return {
        **fields,
        "aof_current_size": aof.base_size + aof.size,
        "aof_base_size": aof.base_size,
        "aof_pending_rewrite": int(aof.scheduled),
        "aof_buffer_length": 0,
        "aof_pending_bio_fsync": 0,
        "aof_delayed_fsync": 0,
    }


def _stats(s):
    st, ks, traffic, rates = s.stats, s.keyspace.stats, s.limits, s.instantaneous
    cycle = traffic.cycle
    return {
        "total_connections_received": st.connections_received,
        "total_commands_processed": total_calls(),
        "instantaneous_ops_per_sec": rates.get("ops"),
        "total_net_input_bytes": traffic.net_input_bytes + traffic.net_repl_input_bytes,
        "total_net_output_bytes": traffic.net_output_bytes + traffic.net_repl_output_bytes,
        "total_net_repl_input_bytes": traffic.net_repl_input_bytes,
        "total_net_repl_output_bytes": traffic.net_repl_output_bytes,
        "instantaneous_input_kbps": rates.kbps("net_input"),
        "instantaneous_output_kbps": rates.kbps("net_output"),
        "instantaneous_input_repl_kbps": rates.kbps("net_repl_input"),
        "instantaneous_output_repl_kbps": rates.kbps("net_repl_output"),
        "rejected_connections": st.rejected_connections,
        "sync_full": 0 if s.replication is None else s.replication.full_syncs,
        "sync_partial_ok": 0 if s.replication is None else s.replication.partial_ok,
        "sync_partial_err": 0 if s.replication is None else s.replication.partial_err,
        "expired_keys": ks.expired,
        "expired_stale_perc": f"{ks.expired_stale_perc:.2f}",
        "expired_time_cap_reached_count": ks.expire_time_caps,
        "expire_cycle_cpu_milliseconds": ks.expire_cycle_cpu_ms,
        "evicted_keys": s.evicted_keys,
        "evicted_clients": s.clients.evicted,
        **s.evictor.exceeded_fields(),
        "keyspace_hits": s.keyspace.hits,
        "keyspace_misses": s.keyspace.misses,
        "pubsub_channels": len(s.pubsub.channels),
        "pubsub_patterns": len(s.pubsub.patterns),
        "pubsubshard_channels": len(s.pubsub.shard_channels),
        "latest_fork_usec": s.children.latest_fork_usec,
        "total_forks": s.children.forks,
        "migrate_cached_sockets": cached_links(s),
        "slave_expires_tracked_keys": len({key for _, key in s.replica_written.keys}),
        "active_defrag_hits": 0,
        "active_defrag_misses": 0,
        "active_defrag_key_hits": 0,
        "active_defrag_key_misses": 0,
        "total_active_defrag_time": 0,
        "current_active_defrag_time": 0,
        **s.tracking.stats(),
        "unexpected_error_replies": st.unexpected_error_replies,
        "total_error_replies": st.error_replies,
        "dump_payload_sanitizations": 0,
        "total_reads_processed": traffic.reads,
        "total_writes_processed": traffic.writes,
        "io_threaded_reads_processed": 0,
        "io_threaded_writes_processed": 0,
        "reply_buffer_shrinks": s.reply_buffers.shrinks,
        "reply_buffer_expands": s.reply_buffers.expands,
        "eventloop_cycles": cycle.cycles,
        "eventloop_duration_sum": cycle.duration_ns // 1000,
        "eventloop_duration_cmd_sum": total_command_ns() // 1000,
        "instantaneous_eventloop_cycles_per_sec": rates.get("eventloop_cycles"),
        "instantaneous_eventloop_duration_usec": rates.get("eventloop_duration_us"),
        "acl_access_denied_auth": s.acl.denials["auth"],
        "acl_access_denied_cmd": s.acl.denials["command"],
        "acl_access_denied_key": s.acl.denials["key"],
        "acl_access_denied_channel": s.acl.denials["channel"],
    }


def _replication(s):
    link, source = s.master_link, s.replication
    out = {"role": "master" if link is None else "slave"}
    if link is not None:
        out.update({
            "master_host": link.host, "master_port": link.port,
            "master_link_status": "up" if link.link_up else "down",
            "master_last_io_seconds_ago": int(time.time() - link.last_io) if link.link_up else -1,
            "master_sync_in_progress": int(link.state == "sync"),
            "slave_read_repl_offset": link.offset + link.unapplied,
            "slave_repl_offset": link.offset,
            "slave_priority": s.config["replica-priority"],
            "slave_read_only": int(s.config["replica-read-only"]),
            "replica_announced": int(s.config["replica-announced"]),
        })
    replicas = [] if source is None else source.replicas
    out["connected_slaves"] = len(replicas)
    if s.min_replicas_enforced:
        out["min_slaves_good_slaves"] = s.min_replicas.good()
    now = time.time()
    for number, replica in enumerate(replicas):
        ip = replica.client.addr.rsplit(":", 1)[0]
        out[f"slave{number}"] = (f"ip={ip},port={replica.listening_port},state={replica.state},"
                                 f"offset={replica.ack_offset},lag={int(now - replica.last_ack)}")
    out.update({
        "master_failover_state": s.failover.state,
        "master_replid": (link.primary_id if link is not None and link.primary_id != "?"
                          else source.replid if source is not None else s.run_id),
        "master_replid2": source.replid2 if source is not None else "0" * 40,
        "master_repl_offset": link.offset if link is not None else s.acks.offset(),
        "second_repl_offset": source.second_offset if source is not None else -1,
        "repl_backlog_active": int(source is not None and source.active),
        "repl_backlog_size": s.config["repl-backlog-size"],
        "repl_backlog_first_byte_offset": source.backlog_start if source is not None
        and source.active else 0,
        "repl_backlog_histlen": len(source.backlog) if source is not None else 0,
    })
    return out


def _cpu(s):
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "used_cpu_sys": f"{me.ru_stime:.6f}",
        "used_cpu_user": f"{me.ru_utime:.6f}",
        "used_cpu_sys_children": f"{kids.ru_stime:.6f}",
        "used_cpu_user_children": f"{kids.ru_utime:.6f}",
        "used_cpu_sys_main_thread": f"{me.ru_stime:.6f}",
        "used_cpu_user_main_thread": f"{me.ru_utime:.6f}",
    }


def _errorstats(s):
    return {f"errorstat_{code}": f"count={n}" for code, n in sorted(s.stats.errors.items())}


def _keyspace(s):
    out = {}
    for db in s.keyspace.dbs:
        if db.data:
            avg_ttl = db.avg_ttl if db.expires else 0
            out[f"db{db.index}"] = (f"keys={len(db.data)},expires={len(db.expires)},"
                                    f"avg_ttl={avg_ttl}")
    return out


def _engine(s):
    """Predis: where strings live. Device figures sum the GPU engines of every database that
    stored a string (device memory free is the device's, read from the driver)."""
    out = {"engine": s.engine}
    engines = [engine.describe() for engine in s.keyspace.engines()]
    if s.engine == "gpu":
        out["engine_device"] = engines[0]["device"] if engines else "not started"
        for field in ("device_memory_used", "arena_used", "host_spilled_keys", "host_values"):
            out[f"engine_{field}"] = sum(described[field] for described in engines)
        out["engine_device_memory_free"] = max(
            [described["device_memory_free"] for described in engines] or [0])
        out["engine_coalesced_calls"] = s.batcher.calls
        out["engine_coalesced_commands"] = s.batcher.commands
        scorer = s.evictor.scorer  # the learned policy's scoring on the GPU
        out["engine_scoring_calls"] = scorer.calls
        out["engine_scored_rows"] = scorer.rows_scored
    return out


def _commandstats(s):
    out = {}
    from .command_table import all_commands

    for spec in all_commands():
        for item in [spec, *spec.subcommands.values()]:
            if item.calls or item.rejected_calls or item.failed_calls:
                usec = item.nanoseconds // 1000
                per_call = usec / item.calls if item.calls else 0.0
                out[f"cmdstat_{item.fullname}"] = (
                    f"calls={item.calls},usec={usec},usec_per_call={per_call:.2f},"
                    f"rejected_calls={item.rejected_calls},failed_calls={item.failed_calls}")
    return out


_SECTIONS = {
    "server": ("Server", _server), "clients": ("Clients", _clients),
    "memory": ("Memory", _memory), "persistence": ("Persistence", _persistence),
    "stats": ("Stats", _stats), "replication": ("Replication", _replication),
    "cpu": ("CPU", _cpu), "modules": ("Modules", lambda s: {}),
    "errorstats": ("Errorstats", _errorstats), "cluster": ("Cluster",
                                                           lambda s: {"cluster_enabled": 0}),
    "keyspace": ("Keyspace", _keyspace), "commandstats": ("Commandstats", _commandstats),
    "engine": ("Engine", _engine),
    "ml": ("ML", lambda s: s.learning.info()),
    "tenants": ("Tenants", lambda s: s.tenants.info() if s.tenants is not None else {}),
    "latencystats": ("Latencystats", lambda s: latency_info_fields(
        all_commands(), s.config["latency-tracking-info-percentiles"])
        if s.latency_tracking else {}),
}


def section_fields(server, name: str) -> dict:
    """One INFO section as field -> value (the metrics endpoint reads the same numbers)."""
    return _SECTIONS[name][1](server)


def render_info(server, requested: list) -> str:
    wanted = []
    names = [r.lower() for r in requested] or ["default"]
    for name in names:
        if name == "default":
            wanted += DEFAULT_SECTIONS
        elif name in ("all", "everything"):
            wanted += ALL_SECTIONS
        elif name in _SECTIONS:
            wanted.append(name)
    seen = []
    for name in wanted:
        if name not in seen:
            seen.append(name)
    parts = []
    for name in seen:
        title, builder = _SECTIONS[name]
        lines = [f"# {title}"] + [f"{k}:{v}" for k, v in builder(server).items()]
        parts.append("\r\n".join(lines) + "\r\n")
    return "\r\n".join(parts)
