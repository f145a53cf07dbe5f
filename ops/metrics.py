"""Prometheus metrics, read from the server at scrape time (nothing on the request path).

Names follow redis_exporter's where the meaning is the same (`redis_keyspace_hits_total`,
`redis_commands_total{cmd}` ...), so existing Grafana dashboards work; Predis's own metrics
(engine, model, replication link) start with `predis_`. Values come from the INFO sections,
so a metric and its INFO field never disagree.
"""

import time

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from server.info import section_fields
from server.latency_stats import percentiles

# (metric, kind, INFO section, INFO field, help)
_FROM_INFO = [
    ("redis_uptime_in_seconds", "gauge", "server", "uptime_in_seconds", "Seconds since start"),
    ("redis_connected_clients", "gauge", "clients", "connected_clients", "Connected clients"),
    ("redis_blocked_clients", "gauge", "clients", "blocked_clients", "Clients in blocking calls"),
    ("redis_memory_used_bytes", "gauge", "memory", "used_memory", "Memory used (estimate)"),
    ("redis_memory_used_rss_bytes", "gauge", "memory", "used_memory_rss", "Resident set size"),
    ("redis_memory_max_bytes", "gauge", "memory", "maxmemory", "maxmemory (0: no limit)"),
    ("redis_commands_processed_total", "counter", "stats", "total_commands_processed",
     "Commands processed"),
    ("redis_connections_received_total", "counter", "stats", "total_connections_received",
     "Connections accepted"),
    ("redis_net_input_bytes_total", "counter", "stats", "total_net_input_bytes", "Bytes read"),
    ("redis_net_output_bytes_total", "counter", "stats", "total_net_output_bytes",
     "Bytes written"),
    ("redis_keyspace_hits_total", "counter", "stats", "keyspace_hits", "Successful lookups"),
    ("redis_keyspace_misses_total", "counter", "stats", "keyspace_misses", "Failed lookups"),
    ("redis_expired_keys_total", "counter", "stats", "expired_keys", "Keys expired"),
    ("redis_evicted_keys_total", "counter", "stats", "evicted_keys", "Keys evicted"),
    ("redis_rdb_changes_since_last_save", "gauge", "persistence",
     "rdb_changes_since_last_save", "Changes since the last snapshot"),
    ("redis_rdb_bgsave_in_progress", "gauge", "persistence", "rdb_bgsave_in_progress",
     "A snapshot child is running"),
    ("redis_aof_enabled", "gauge", "persistence", "aof_enabled", "appendonly is on"),
    ("redis_aof_rewrite_in_progress", "gauge", "persistence", "aof_rewrite_in_progress",
     "An AOF rewrite child is running"),
    ("redis_connected_slaves", "gauge", "replication", "connected_slaves", "Connected replicas"),
    ("redis_master_repl_offset", "gauge", "replication", "master_repl_offset",
     "Replication offset"),
    # replicas only (the field is absent on a primary, so no sample there)
    ("redis_master_last_io_seconds_ago", "gauge", "replication", "master_last_io_seconds_ago",
     "Seconds since the primary last sent anything (-1: link down)"),
    ("redis_slave_repl_offset", "gauge", "replication", "slave_repl_offset",
     "Replication offset this replica has processed"),
]


class ServerCollector:
    def __init__(self, server):
        self.server = server

    def collect(self):
        server = self.server
        sections = {}

        def field(section, name):
            if section not in sections:
                sections[section] = section_fields(server, section)
            return sections[section].get(name)

        yield GaugeMetricFamily("redis_up", "The server answers", value=1)
        for metric, kind, section, name, text in _FROM_INFO:
            value = field(section, name)
            if isinstance(value, (int, float)):
                family = CounterMetricFamily if kind == "counter" else GaugeMetricFamily
                yield family(metric.removesuffix("_total") if kind == "counter" else metric,
                             text, value=value)
        yield from self._keyspace(server)
        yield from self._commands()
        yield from self._predis(server, field)

    def _keyspace(self, server):
        keys = GaugeMetricFamily("redis_db_keys", "Keys per database", labels=["db"])
        expiring = GaugeMetricFamily("redis_db_keys_expiring", "Keys with a TTL per database",
                                     labels=["db"])
        for db in server.keyspace.dbs:
            if db.data:
                keys.add_metric([f"db{db.index}"], len(db.data))
                expiring.add_metric([f"db{db.index}"], len(db.expires))
        yield keys
        yield expiring

    def _commands(self):
        from server.command_table import all_commands

        calls = CounterMetricFamily("redis_commands", "Calls per command", labels=["cmd"])
        seconds = CounterMetricFamily("redis_commands_duration_seconds",
                                      "Time spent per command", labels=["cmd"])
        latency = GaugeMetricFamily("redis_latency_percentiles_usec",
                                    "Command latency percentiles (latency-tracking)",
                                    labels=["cmd", "quantile"])
        wanted = self.server.config["latency-tracking-info-percentiles"]
        for spec in all_commands():
            for item in [spec, *spec.subcommands.values()]:
                if item.calls:
                    calls.add_metric([item.fullname], item.calls)
                    seconds.add_metric([item.fullname], item.nanoseconds / 1e9)
                if self.server.latency_tracking and any(item.latency):
                    for quantile, value in zip(wanted, percentiles(item.latency, wanted)):
                        latency.add_metric([item.fullname, f"{quantile:g}"], value / 1000)
        yield calls
        yield seconds
        yield latency

    def _ml(self, field):
        """The ML loop, from INFO's ml section (server/learning.py)."""
        up = GaugeMetricFamily("predis_sidecar_up", "The ML sidecar process is running",
                               value=int(field("ml", "sidecar_status") == "running"))
        yield up
        for name, kind, text in (
                ("sidecar_restarts", "counter", "Sidecar restarts"),
                ("sidecar_dropped_batches", "counter", "Sample batches the sidecar missed"),
                ("sampled_accesses", "counter", "Accesses taken by the sampler"),
                ("drift_windows", "counter", "Windows checked for drift"),
                ("drift_detections", "counter", "Drifts declared"),
                ("drift_streak", "gauge", "Windows over threshold in a row"),
                ("retrains", "counter", "Retrains finished"),
                ("retrains_accepted", "counter", "Retrained models that passed validation"),
                ("model_swaps", "counter", "Champion model swaps"),
                ("model_max_swap_ms", "gauge", "Longest model swap (ms)"),
                ("ab_running", "gauge", "An A/B test is running")):
            family = CounterMetricFamily if kind == "counter" else GaugeMetricFamily
            yield family(f"predis_{name}", text, value=field("ml", name))
        yield GaugeMetricFamily("predis_sample_rate", "SHARDS sampling rate (predis-sample-rate)",
                                value=field("ml", "sample_rate"))

    @staticmethod
    def _replicas(server):
        """On a primary, each replica's acknowledged offset and the seconds since its last
        ACK, under redis_exporter's names and labels."""
        labels = ["slave_ip", "slave_port", "slave_state"]
        offset = GaugeMetricFamily("redis_connected_slave_offset_bytes",
                                   "Replication offset each replica acknowledged", labels=labels)
        lag = GaugeMetricFamily("redis_connected_slave_lag_seconds",
                                "Seconds since each replica's last acknowledgement",
                                labels=labels)
        source = server.replication
        now = time.time()
        for replica in (source.replicas if source is not None else ()):
            names = [replica.client.addr.rsplit(":", 1)[0], str(replica.listening_port),
                     "online"]
            offset.add_metric(names, replica.ack_offset)
            lag.add_metric(names, int(now - replica.last_ack))
        yield offset
        yield lag

    @staticmethod
    def _tenants(server):
        """Per-tenant figures (predis-tenants), labelled by the tenant's key prefix."""
        families = {
            "used": GaugeMetricFamily("predis_tenant_memory_used_bytes",
                                      "Estimated bytes of the tenant's keys", labels=["tenant"]),
            "keys": GaugeMetricFamily("predis_tenant_keys", "Keys of the tenant",
                                      labels=["tenant"]),
            "quota": GaugeMetricFamily("predis_tenant_memory_quota_bytes",
                                       "The tenant's quota (0: none)", labels=["tenant"]),
            "rejected": CounterMetricFamily("predis_tenant_rejected_commands",
                                            "Commands refused for the tenant's quota",
                                            labels=["tenant"]),
        }
        for tenant in (server.tenants.tenants if server.tenants is not None else ()):
            for field, family in families.items():
                family.add_metric([tenant.name], getattr(tenant, field))
        yield from families.values()

    def _ml_detail(self, server):
        """Per-arm A/B figures, the latest drift scores and the miss-ratio curve's points."""
        learning = server.learning
        arms = GaugeMetricFamily("predis_ab_arm_model_version",
                                 "Model version each A/B arm evicts with", labels=["arm"])
        hit_ratio = GaugeMetricFamily("predis_ab_arm_hit_ratio", "Hit ratio of each A/B arm",
                                      labels=["arm"])
        reads = CounterMetricFamily("predis_ab_arm_reads", "Reads of each A/B arm's keys",
                                    labels=["arm"])
        if learning.ab is not None:
            status = learning.ab.status()
            for arm, version in (("champion", server.model_version or 0),
                                 ("challenger", status["challenger"])):
                arms.add_metric([arm], version)
                hit_ratio.add_metric([arm], status[f"{arm}_hit_ratio"] or 0)
                reads.add_metric([arm], status[f"{arm}_reads"])
        yield from (arms, hit_ratio, reads)
        scores = GaugeMetricFamily("predis_drift_score", "Latest window's drift statistics "
                                   "(KS p-values and PSI per feature)", labels=["score"])
        for name, value in sorted((learning.sidecar.get("drift_scores") or {}).items()):
            if isinstance(value, (int, float)):
                scores.add_metric([name], value)
        yield scores
        curve = GaugeMetricFamily("predis_mrc_hit_ratio", "Predicted hit ratio at a multiple "
                                  "of the current cache size, per policy (miss-ratio curve)",
                                  labels=["policy", "memory_factor"])
        mrc = learning.sidecar.get("mrc")
        if mrc:
            for policy, misses in mrc.items():
                if isinstance(misses, list) and policy not in ("sizes", "factors"):
                    for factor, miss in zip(mrc["factors"], misses):
                        curve.add_metric([policy, f"{factor:g}"], 1 - miss)
        yield curve

    def _predis(self, server, field):
        engine = section_fields(server, "engine")
        info = GaugeMetricFamily("predis_engine_info", "The string engine in use",
                                 labels=["engine", "device"])
        info.add_metric([engine["engine"], str(engine.get("engine_device", "cpu"))], 1)
        yield info
        for name in ("device_memory_used", "device_memory_free", "arena_used"):
            if f"engine_{name}" in engine:
                yield GaugeMetricFamily(f"predis_engine_{name}_bytes", f"GPU engine {name}",
                                        value=engine[f"engine_{name}"])
        version = server.model_version
        yield GaugeMetricFamily("predis_model_version",
                                "Model registry version in use (0: a file or the shipped model)",
                                value=version or 0)
        yield from self._ml(field)
        yield from self._ml_detail(server)
        yield from self._tenants(server)
        yield from self._replicas(server)
        link = server.master_link
        if link is not None:
            yield GaugeMetricFamily("predis_master_link_up", "The link to the primary is up",
                                    value=int(link.link_up))
        for name, text in (("rdb_last_bgsave_status", "The last snapshot succeeded"),
                           ("aof_last_write_status", "The last AOF write succeeded")):
            yield GaugeMetricFamily(f"redis_{name}", text,
                                    value=int(field("persistence", name) == "ok"))
