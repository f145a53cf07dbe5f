"""The deployment files: the Dockerfile, ops/docker-compose.yml with its Prometheus and Grafana
wiring, and the Helm chart. No Docker daemon, registry or cluster is reachable here, so each
file is checked for what would break it: the Predis command lines they hold are parsed by
Predis's own config loader and run against a live server (the admin endpoints the health
checks, probes and scrapes use, with the same token), promtool checks the Prometheus config,
and the chart is rendered (helm template, or its stand-in, see helm_template.py) with each
option and the manifests inspected."""

import os
import pathlib
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
import redis
import yaml

from ops.config import Config

from .helm_template import TemplateError, helm_template
from .servers import ROOT, ServerProcess, free_port

REPO = pathlib.Path(ROOT)
COMPOSE = REPO / "ops" / "docker-compose.yml"
CHART = REPO / "ops" / "helm" / "predis"
SECRETS = {"auth.password": "pw", "auth.adminToken": "tok"}


def dockerfile_stages() -> dict:
    """{stage name: [(instruction, arguments)]}; the unnamed final stage is 'final'."""
    stages, current = {}, None
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        if instruction == "FROM":
            name = rest.split(" AS ")[1] if " AS " in rest else "final"
            current = stages.setdefault(name, [])
        if current is not None:
            current.append((instruction, rest.strip()))
    return stages


def test_the_dockerfile_builds_cpu_or_gpu_images_and_runs_as_a_user():
    stages = dockerfile_stages()
    text = (REPO / "Dockerfile").read_text()
    assert re.search(r"^ARG VARIANT=cpu$", text, re.M)
    assert {"base-cpu", "base-gpu", "build", "final"} <= set(stages)
    assert ("FROM", "base-${VARIANT} AS build") in stages["build"]
    assert ("FROM", "base-${VARIANT}") in stages["final"]
    assert stages["base-gpu"][0][1].startswith("nvidia/cuda:12")
    assert 'PREDIS_EXTRAS="[gpu]"' in dict(stages["base-gpu"])["ENV"]
    gpu_extra = re.search(r"^gpu = \[(.*)\]", (REPO / "pyproject.toml").read_text(), re.M)
    assert "cupy-cuda12x" in gpu_extra.group(1) and "numba-cuda[cu12]" in gpu_extra.group(1)
    for instruction, rest in stages["build"]:
        if instruction == "COPY":
            for source in rest.split()[:-1]:
                assert (REPO / source).exists(), source
    final = dict(stages["final"])
    assert final["USER"] == "predis" and "--uid 10001" in final["RUN"]
    assert final["VOLUME"] == '["/data"]'
    assert "http://127.0.0.1:9121/healthz" in final["HEALTHCHECK"]
    assert "--dir /data" in " ".join(yaml.safe_load(final["CMD"]))


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def with_defaults(value: str) -> str:
    """Compose's ${NAME:-default} with nothing set in the environment."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)


def test_compose_wires_predis_prometheus_and_grafana_together():
    spec = compose()
    services = spec["services"]
    assert set(services) == {"predis", "prometheus", "grafana"}
    build = services["predis"]["build"]
    assert (COMPOSE.parent / build["context"] / "Dockerfile").exists()
    for service in services.values():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), port  # the pilot stays on the host
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (COMPOSE.parent / source).exists(), source
    command = [with_defaults(word) for word in services["predis"]["command"]]
    token = command[command.index("--admin-token") + 1]
    assert with_defaults(spec["configs"]["admin_token"]["content"]) == token
    prometheus = yaml.safe_load((REPO / "ops/prometheus/prometheus.yml").read_text())
    (job,) = prometheus["scrape_configs"]
    assert job["static_configs"][0]["targets"] == ["predis:9121"]
    assert job["authorization"]["credentials_file"] == \
        services["prometheus"]["configs"][0]["target"]
    mounts = dict(v.split(":")[:2] for v in services["prometheus"]["volumes"] if ":" in v)
    assert mounts["./prometheus/alerts.yml"] in prometheus["rule_files"]
    grafana = dict(v.split(":")[:2] for v in services["grafana"]["volumes"])
    provider = yaml.safe_load((REPO / "ops/grafana/provisioning/dashboards/predis.yml")
                              .read_text())["providers"][0]
    assert os.path.dirname(grafana["./grafana/predis.json"]) == provider["options"]["path"]
    (source,) = yaml.safe_load((REPO / "ops/grafana/provisioning/datasources/prometheus.yml")
                               .read_text())["datasources"]
    assert source["type"] == "prometheus" and source["url"] == "http://prometheus:9090"


def test_promtool_accepts_the_pilot_prometheus_config(tmp_path):
    promtool = shutil.which("promtool")
    if promtool is None:
        raise RuntimeError("promtool is not installed (.ci/run installs Debian's prometheus)")
    text = (REPO / "ops/prometheus/prometheus.yml").read_text()
    shutil.copy(REPO / "ops/prometheus/alerts.yml", tmp_path / "alerts.yml")
    (tmp_path / "admin-token").write_text("pilot-token")
    text = text.replace("/etc/prometheus/", f"{tmp_path}/")
    (tmp_path / "prometheus.yml").write_text(text)
    done = subprocess.run([promtool, "check", "config", str(tmp_path / "prometheus.yml")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def fetch(port: int, path: str, token: str = None) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_compose_command_line_starts_a_server_prometheus_can_scrape(tmp_path):
    """The container's command (Dockerfile ENTRYPOINT + compose's command, ports moved to free
    ones and /data to a temp dir) on this machine: what the health check, Prometheus and a
    client do against the container."""
    port, admin = free_port(), free_port()
    command = [with_defaults(word) for word in compose()["services"]["predis"]["command"]]
    command[command.index("/data")] = str(tmp_path)
    command[command.index("0.0.0.0")] = "127.0.0.1"  # the client port, on loopback here
    argv = [sys.executable, "-m", "predis", *command,
            "--port", str(port), "--admin-port", str(admin), "--predis-sidecar", "no"]
    server = ServerProcess(argv, port, str(tmp_path), cwd=ROOT,
                           env=dict(os.environ, PYTHONPATH=ROOT))
    try:
        token = command[command.index("--admin-token") + 1]
        assert fetch(admin, "/healthz") == 200  # the Dockerfile's HEALTHCHECK
        assert fetch(admin, "/metrics") == 401
        assert fetch(admin, "/metrics", token) == 200  # Prometheus's scrape
        client = redis.Redis(port=port, password="pilot-password")
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-learned"}
        assert client.config_get("appendonly") == {"appendonly": "yes"}
    finally:
        server.stop()


def manifests(**assignments) -> dict:
    """{(kind, name): manifest} for the chart with the secrets set and these values."""
    documents = helm_template(CHART, "cache", {**SECRETS, **assignments})
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in documents}


def container(docs: dict) -> dict:
    (spec,) = docs[("StatefulSet", "cache-predis")]["spec"]["template"]["spec"]["containers"]
    return spec


def test_the_chart_needs_credentials():
    with pytest.raises(TemplateError, match="auth.password is required"):
        helm_template(CHART, "cache", {})


def test_the_chart_renders_a_statefulset_with_probes_storage_and_a_budget():
    docs = manifests()
    assert set(docs) == {("StatefulSet", "cache-predis"), ("Service", "cache-predis"),
                         ("Service", "cache-predis-headless"), ("Secret", "cache-predis"),
                         ("PodDisruptionBudget", "cache-predis")}
    statefulset = docs[("StatefulSet", "cache-predis")]
    pod = statefulset["spec"]["template"]["spec"]
    spec = container(docs)
    assert pod["securityContext"]["runAsUser"] == 10001  # the Dockerfile's user
    assert spec["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "admin"}
    assert spec["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "admin"}
    assert {p["name"]: p["containerPort"] for p in spec["ports"]} == {"redis": 6379,
                                                                      "admin": 9121}
    assert spec["resources"] == {"requests": {"cpu": "1", "memory": "2Gi"},
                                 "limits": {"memory": "2Gi"}}
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "8Gi"
    assert spec["volumeMounts"] == [{"name": "data", "mountPath": "/data"}]
    assert docs[("Secret", "cache-predis")]["stringData"] == {"password": "pw",
                                                              "admin-token": "tok"}
    assert docs[("PodDisruptionBudget", "cache-predis")]["spec"]["minAvailable"] == 1
    assert statefulset["spec"]["serviceName"] == "cache-predis-headless"


def test_the_chart_command_line_is_one_predis_accepts():
    for options in ({}, {"gpu.enabled": True, "config.extraArgs": ["--hz", "20"]}):
        args = container(manifests(**options))["args"]
        config = Config()
        config.load_argv([re.sub(r"\$\((\w+)\)", "x", arg) for arg in args])
        assert config["dir"] == "/data" and config["admin-bind"] == "0.0.0.0"
        assert config["maxmemory-policy"] == "allkeys-learned" and config["appendonly"]
        if options:
            assert config["engine"] == "gpu" and config["hz"] == 20


def test_the_chart_gpu_option_requests_a_gpu():
    docs = manifests(**{"gpu.enabled": True, "gpu.count": 2,
                        "nodeSelector": {"accelerator": "h100"}})
    spec = container(docs)
    assert spec["resources"]["limits"] == {"memory": "2Gi", "nvidia.com/gpu": 2}
    pod = docs[("StatefulSet", "cache-predis")]["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"accelerator": "h100"}


def test_the_chart_options_for_monitoring_secrets_and_storage():
    docs = manifests(**{"serviceMonitor.enabled": True, "serviceMonitor.labels":
                        {"release": "prom"}, "auth.existingSecret": "mine",
                        "persistence.enabled": False, "podDisruptionBudget.enabled": False})
    monitor = docs[("ServiceMonitor", "cache-predis")]
    assert monitor["metadata"]["labels"]["release"] == "prom"
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == "admin" and endpoint["path"] == "/metrics"
    assert endpoint["bearerTokenSecret"] == {"name": "mine", "key": "admin-token"}
    assert ("Secret", "cache-predis") not in docs
    assert ("PodDisruptionBudget", "cache-predis") not in docs
    env = {e["name"]: e["valueFrom"]["secretKeyRef"]["name"] for e in container(docs)["env"]}
    assert env == {"PREDIS_PASSWORD": "mine", "PREDIS_ADMIN_TOKEN": "mine"}
    statefulset = docs[("StatefulSet", "cache-predis")]
    assert "volumeClaimTemplates" not in statefulset["spec"]
    assert statefulset["spec"]["template"]["spec"]["volumes"] == [{"name": "data",
                                                                   "emptyDir": {}}]
