"""The shipped Prometheus rules and Grafana dashboard against a live Predis: every metric they
name is one Predis exports (a renamed metric would silently blank a panel or never fire an
alert), the rules are well formed, and promtool accepts them."""

import json
import os
import re
import shutil
import subprocess
import time
import urllib.request

import pytest
import redis
import yaml

from .servers import ROOT, free_port, start_predis

RULES = os.path.join(ROOT, "ops", "prometheus", "alerts.yml")
DASHBOARD = os.path.join(ROOT, "ops", "grafana", "predis.json")
PROMETHEUS_OWN = {"up"}  # made by Prometheus itself for every scrape
_NOT_METRICS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
                "unless", "offset", "bool", "sum", "avg", "min", "max", "count"}


def metric_names(expr: str) -> set:
    """Metric names in a PromQL expression (label matchers, grouping labels, functions and
    templates left out)."""
    text = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    text = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", text)  # grouping labels
    text = re.sub(r"\$\w+", "", text)  # dashboard variables
    names = set(re.findall(r"(?<![\w.])[a-zA-Z_:][\w:]*(?![\w:])(?!\s*\()", text))
    return names - _NOT_METRICS


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Sample names on /metrics of a GPU-engine primary (numba's simulator without a GPU)
    with its sidecar, and of a replica of it: between them every conditional metric shows."""
    names = set()
    primary_admin, replica_admin = free_port(), free_port()
    primary = start_predis(("--admin-port", str(primary_admin), "--engine", "gpu",
                            "--gpu-arena-size", "16mb"), sidecar=True)
    replica = start_predis(("--admin-port", str(replica_admin)))
    try:
        client = redis.Redis(port=primary.port)
        client.set("k", "v")
        client.get("k")
        redis.Redis(port=replica.port).replicaof("127.0.0.1", primary.port)
        deadline = time.time() + 30  # the primary lists a replica once its sync is done
        while client.info("replication")["connected_slaves"] < 1 and time.time() < deadline:
            time.sleep(0.1)
        for port in (primary_admin, replica_admin):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
                text = r.read().decode()
            names |= {line.split("{")[0].split()[0] for line in text.splitlines()
                      if line and not line.startswith("#")}
    finally:
        replica.stop()
        primary.stop()
    return names


def rules():
    with open(RULES) as handle:
        return [rule for group in yaml.safe_load(handle)["groups"] for rule in group["rules"]]


def test_every_alert_is_complete_and_names_exported_metrics(exported):
    found = rules()
    assert {rule["alert"] for rule in found} >= {
        "PredisHitRatioDrop", "PredisWorkloadDrift", "PredisMemoryNearMax",
        "PredisGPUMemoryExhaustionForecast", "PredisSidecarDown", "PredisReplicationLag",
        "PredisPersistenceFailing"}
    for rule in found:
        assert rule["labels"]["severity"] in ("critical", "warning", "info"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        missing = metric_names(rule["expr"]) - exported - PROMETHEUS_OWN
        assert not missing, (rule["alert"], missing)


def test_every_dashboard_panel_queries_exported_metrics(exported):
    with open(DASHBOARD) as handle:
        dashboard = json.load(handle)
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert len(exprs) >= 10
    for expr in exprs:
        assert not metric_names(expr) - exported, expr
    assert "redis_up" in exported  # the instance variable's label_values(redis_up, instance)


def test_the_metric_name_extraction_itself():
    assert metric_names('sum by (instance) (rate(redis_x_total{a="b"}[1m])) / 1e-9') == \
        {"redis_x_total"}
    assert metric_names("predict_linear(a_b[1h], 4 * 3600) < 0 or c offset 5m") == {"a_b", "c"}


@pytest.mark.skipif(shutil.which("promtool") is None,
                    reason="promtool missing (.ci/run installs Debian's prometheus package)")
def test_promtool_accepts_the_rules():
    result = subprocess.run(["promtool", "check", "rules", RULES], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules())} rules found" in result.stdout
