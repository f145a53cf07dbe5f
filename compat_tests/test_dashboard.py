"""Predis-only: the /dashboard page in headless Chromium against a live server under load. The
charts must draw live data (read back from the data-* attributes the page's script sets on
each chart), the tables must show the running A/B test and the model aliases, and a screenshot
is kept as a test artifact (test-artifacts/dashboard.png) with the charts' lines in it."""

import json
import os
import pathlib
import re
import threading
import urllib.request

import numpy as np
import pytest
import redis
from matplotlib import image

from ml.train import hot_evicting_model

from .browser import dom_after_scripts, screenshot
from .servers import ROOT, free_port, start_predis
from .test_sidecar import CacheAside, ml_info, wait_until

ARTIFACTS = pathlib.Path(os.environ.get("PREDIS_TEST_ARTIFACTS", pathlib.Path(ROOT) / "test-artifacts"))
CHARTS = ("chart-ops", "chart-hit", "chart-latency", "chart-memory", "chart-mrc", "chart-forecast")


def chart_attributes(dom: str) -> dict:
    """{element id: {data attribute: value}} for the elements the script annotated."""
    found = {}
    for match in re.finditer(r'<(?:svg|table|span)\b([^>]*)>', dom):
        attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(1)))
        if "id" in attributes:
            found[attributes["id"]] = attributes
    return found


def table_text(dom: str, table_id: str) -> str:
    body = re.search(rf'<table id="{table_id}"[^>]*>(.*?)</table>', dom, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("dashboard")
    admin = free_port()
    server = start_predis(("--dir", str(tmp_path), "--admin-port", str(admin),
                           "--maxmemory", "1mb", "--maxmemory-policy", "allkeys-learned",
                           "--predis-sample-rate", "1", "--predis-drift-window", "500",
                           # an A/B test that stays undecided for the test's length
                           "--predis-ab-min-effect", "0.0001"),
                          sidecar=True)
    client = redis.Redis(port=server.port, decode_responses=True)
    stop = threading.Event()

    def load():
        app = CacheAside(redis.Redis(port=server.port), seed=3)
        while not stop.is_set():
            app.run("d", 2000)

    worker = threading.Thread(target=load, daemon=True)
    try:
        wait_until(lambda: ml_info(client)["sidecar_status"] == "running", what="the sidecar")
        model = tmp_path / "m.npz"
        hot_evicting_model().save(str(model))
        client.execute_command("PREDIS.MODEL", "LOAD", str(model))
        client.execute_command("PREDIS.AB", "START", 1, "SLICE", 50)
        worker.start()
        wait_until(lambda: ml_info(client)["drift_windows"] > 0, what="drift windows")
        client.execute_command("PREDIS.MRC", "REFRESH")

        def api(path):
            with urllib.request.urlopen(f"http://127.0.0.1:{admin}{path}", timeout=10) as reply:
                return json.loads(reply.read())

        wait_until(lambda: api("/api/mrc"), what="a miss-ratio curve")
        wait_until(lambda: sum(1 for s in api("/api/history")["seconds"] if s["lookups"]) >= 3,
                   what="three seconds of history with lookups")
        yield f"http://127.0.0.1:{admin}/dashboard"
    finally:
        stop.set()
        if worker.is_alive():
            worker.join(30)
        client.close()
        server.stop()


def test_the_dashboard_draws_live_data_in_a_browser(live_server):
    dom = dom_after_scripts(live_server)
    found = chart_attributes(dom)
    assert int(found["updated"]["data-updates"]) >= 1, "the page never finished a refresh"
    points = {chart: int(found[chart]["data-points"]) for chart in CHARTS}
    series = {chart: found[chart]["data-series"].split(",") for chart in CHARTS}
    assert points["chart-ops"] >= 3 and points["chart-hit"] >= 3, points
    assert series["chart-latency"] == ["p50", "p99", "p99.9"]
    assert series["chart-memory"] == ["used_memory", "maxmemory"]
    assert series["chart-mrc"][0] == "lru" and points["chart-mrc"] == 5 * len(series["chart-mrc"])
    assert "forecast" in series["chart-forecast"] and points["chart-forecast"] >= 24
    assert re.search(r'id="server">v7\.2\.\d+ · master · up \d+s', dom)
    assert "challenger 1 slice 50% phase calibrating" in table_text(dom, "ab")
    assert "in use 1 champion 1 challenger 1 versions 1" == table_text(dom, "models")
    assert "drift scores" in table_text(dom, "events")


def test_the_dashboard_screenshot_shows_the_charts(live_server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "dashboard.png"
    path.unlink(missing_ok=True)
    screenshot(live_server, str(path))
    pixels = image.imread(str(path))[..., :3]
    assert pixels.shape[:2] == (1700, 1300)
    # the first series' colour (#2f6fdf) is what the line charts are drawn in
    blue = np.all(np.abs(pixels - np.array([0x2f, 0x6f, 0xdf]) / 255) < 0.08, axis=-1)
    assert blue.sum() > 2000, f"only {blue.sum()} pixels of chart line in the screenshot"


def test_the_dashboard_figures_are_metrics_too(live_server):
    """What the page shows of the ML loop is on /metrics for Prometheus and Grafana."""
    base = live_server.rsplit("/", 1)[0]
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as reply:
        metrics = reply.read().decode()
    assert 'predis_ab_arm_model_version{arm="challenger"} 1.0' in metrics
    assert re.search(r'predis_ab_arm_reads_total\{arm="champion"\} [1-9]', metrics)
    assert re.search(r'predis_mrc_hit_ratio\{memory_factor="4",policy="lru"\} 0\.\d+', metrics)
    assert re.search(r'predis_drift_score\{score="gaps_psi"\} \d', metrics)
    assert "predis_sample_rate 1.0" in metrics
