"""The admin HTTP port: /metrics in Prometheus format with redis_exporter's names and the same
numbers as INFO, /healthz, /readyz, /api/info, and the token when it leaves loopback."""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from .servers import ROOT, free_port, start_predis


def fetch(port, path, token=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def samples(text: bytes) -> dict:
    found = {}
    for family in text_string_to_metric_families(text.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_health_and_info():
    port = free_port()
    server = start_predis(("--admin-port", str(port)))
    try:
        client = redis.Redis(port=server.port)
        client.set("a", "1")
        client.get("a")
        client.get("missing")
        client.set("b", "2", ex=100)
        status, body = fetch(port, "/metrics")
        assert status == 200
        metrics = samples(body)
        info = client.info()
        assert metrics[("redis_up", ())] == 1
        assert metrics[("redis_keyspace_hits_total", ())] == info["keyspace_hits"] == 1
        assert metrics[("redis_keyspace_misses_total", ())] == info["keyspace_misses"] == 1
        assert metrics[("redis_db_keys", (("db", "db0"),))] == 2
        assert metrics[("redis_db_keys_expiring", (("db", "db0"),))] == 1
        assert metrics[("redis_commands_total", (("cmd", "set"),))] == 2
        assert metrics[("redis_connected_clients", ())] >= 1
        assert metrics[("predis_engine_info", (("device", "cpu"), ("engine", "cpu")))] == 1
        assert fetch(port, "/healthz") == (200, b"ok\n")
        assert fetch(port, "/readyz") == (200, b"ready\n")
        status, body = fetch(port, "/api/info")
        assert json.loads(body)["keyspace"]["db0"].startswith("keys=2,")
        with pytest.raises(urllib.error.HTTPError, match="404"):
            fetch(port, "/nothing")
    finally:
        server.stop()


def test_the_token_guards_the_port_and_is_required_off_loopback():
    port = free_port()
    server = start_predis(("--admin-port", str(port), "--admin-token", "s3cr3t"))
    try:
        with pytest.raises(urllib.error.HTTPError, match="401"):
            fetch(port, "/metrics")
        with pytest.raises(urllib.error.HTTPError, match="401"):
            fetch(port, "/metrics", token="wrong")
        assert fetch(port, "/metrics", token="s3cr3t")[0] == 200
        for path in ("/api/info", "/api/history", "/api/ml"):
            with pytest.raises(urllib.error.HTTPError, match="401"):
                fetch(port, path)
        # probes and health checks carry no secret; neither do the dashboard's static files
        assert fetch(port, "/healthz") == (200, b"ok\n")
        assert fetch(port, "/readyz") == (200, b"ready\n")
        assert fetch(port, "/dashboard")[0] == 200
    finally:
        server.stop()
    run = subprocess.run([sys.executable, "-m", "predis", "--port", str(free_port()),
                          "--admin-port", str(free_port()), "--admin-bind", "0.0.0.0"],
                         cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 1 and "set admin-token" in run.stderr
