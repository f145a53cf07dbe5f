"""Predis-only: the ML sidecar against a live server. The loop end to end without an operator
(a shift is detected, a retrain beats a bad champion, an A/B test promotes it), supervision
(a killed sidecar is restarted, the server serves meanwhile), every admin command from
redis-cli, the /api views, and the errors operators can run into."""

import json
import os
import signal
import subprocess
import time
import urllib.request

import numpy as np
import pytest
import redis

from ml.train import hot_evicting_model

from .servers import free_port, sidecar_settled_ticks, start_predis

LOOP_FLAGS = ("--predis-sample-rate", "1", "--predis-drift-window", "500",
              "--maxmemory-policy", "allkeys-learned", "--predis-ab-slice", "20",
              "--predis-ab-min-effect", "0.05")


def fields(reply) -> dict:
    return dict(zip(reply[::2], reply[1::2]))


def ml_info(client) -> dict:
    return fields(client.execute_command("PREDIS.INFO"))


def wait_until(predicate, timeout=90.0, step=0.2, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


class CacheAside:
    """Zipf(1.2) reads over a key family; a miss is filled with SET, as an app would."""

    def __init__(self, client, seed=0, universe=5000):
        self.client = client
        self.rng = np.random.default_rng(seed)
        self.universe = universe
        self.hits = self.reads = 0

    def run(self, family: str, requests: int, batch: int = 200) -> float:
        """Hit ratio over these requests."""
        hits = 0
        for _ in range(requests // batch):
            ranks = np.minimum(self.rng.zipf(1.2, batch), self.universe)
            keys = [f"{family}:{r}" for r in ranks]
            values = self.client.mget(keys)
            missed = {k: b"v" * 200 for k, v in zip(keys, values) if v is None}
            if missed:
                self.client.mset(missed)
            hits += batch - len(missed)
        return hits / (requests // batch * batch)


@pytest.fixture
def loop_server(tmp_path):
    server = start_predis(("--dir", str(tmp_path), *LOOP_FLAGS), sidecar=True)
    client = redis.Redis(port=server.port, decode_responses=True)
    wait_until(lambda: ml_info(client)["sidecar_status"] == "running", what="the sidecar")
    yield server, client
    client.close()
    server.stop()


def test_the_loop_runs_unattended_from_shift_to_promotion(loop_server, tmp_path):
    server, client = loop_server
    bad = tmp_path / "hot-evicting.npz"
    hot_evicting_model().save(str(bad))
    assert client.execute_command("PREDIS.MODEL", "LOAD", str(bad)) == "OK"  # version 1
    client.config_set("maxmemory", client.info("memory")["used_memory"] + 400_000)
    app = CacheAside(redis.Redis(port=server.port))
    app.run("a", 12_000)
    shift_tick = sidecar_settled_ticks(server.port, pause=1.5)
    bad_phase = app.run("b", 12_000)  # the hot set moves to other keys

    def decided():  # paced: the sidecar must keep up with every access sampled at rate 1
        app.run("b", 1000)
        return fields(client.execute_command("PREDIS.AB", "STATUS"))["finished"]

    finished = wait_until(decided, timeout=180, step=0.2, what="an A/B decision")
    drift = fields(client.execute_command("PREDIS.DRIFT"))
    after_shift = [t for t in drift["detection_ticks"] if t > shift_tick]
    assert after_shift, ("the shift was not detected", drift["detection_ticks"], shift_tick)
    print(f"detection delay: {after_shift[0] - shift_tick} sampled requests "
          f"(window {drift['window_size']}, patience {drift['patience']})")
    history = [fields(h) for h in client.execute_command("PREDIS.RETRAIN", "HISTORY")]
    accepted = [h for h in history if h["accepted"] == 1]
    assert accepted and accepted[0]["version"] == 2, history
    result = fields(finished[0])
    assert result["outcome"] == "promote" and result["challenger"] == 2, result
    assert float(result["effect"]) > 0  # the challenger's arm gained against the A/A phase
    info = ml_info(client)
    assert info["model_version"] == 2 and info["model_swaps"] == 2
    assert fields(client.execute_command("PREDIS.MODEL", "INFO"))["version"] == "2"
    status = fields(client.execute_command("PREDIS.AB", "STATUS"))
    if status["running"]:  # the loop goes on: a later retrain may already test its own model
        assert int(fields(status["test"])["challenger"]) > 2
    events = [fields(e)["event"] for e in info["recent_events"]]
    ended = len(events) - 1 - events[::-1].index("ab_finished")
    assert events[ended - 1] == "champion_changed", events  # the promotion, then the end
    print(f"retrain: holdout miss ratio {accepted[0]['candidate_miss_ratio']} against the "
          f"champion's {accepted[0]['champion_miss_ratio']}")
    print(f"A/B: champion hit ratio {result['champion_hit_ratio']}, challenger "
          f"{result['challenger_hit_ratio']} (calibration "
          f"{result['calibration_champion_hit_ratio']} / "
          f"{result['calibration_challenger_hit_ratio']}; effect {result['effect']}, "
          f"z {result['z']}; epochs {result['calibration_epochs']} + {result['test_epochs']}, "
          f"settled {result['calibration_settled']}/{result['test_settled']}); whole cache "
          f"before the "
          f"promotion {bad_phase:.3f}, after {app.run('b', 6000):.3f}")


def test_a_killed_sidecar_is_restarted_and_the_server_serves_meanwhile(loop_server):
    server, client = loop_server
    pid = ml_info(client)["sidecar_pid"]
    client.set("k", "v")
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: ml_info(client)["sidecar_status"] == "restarting", what="restarting")
    assert client.get("k") == "v"
    assert client.info("ml")["sidecar_status"] == "restarting"
    with pytest.raises(redis.ResponseError, match="the ML sidecar is not running"):
        client.execute_command("PREDIS.RETRAIN")
    info = wait_until(lambda: (lambda i: i if i["sidecar_status"] == "running" else None)(
        ml_info(client)), what="the restart")
    assert info["sidecar_restarts"] == 1 and info["sidecar_pid"] != pid
    CacheAside(client).run("a", 2000)  # the new sidecar takes batches again (its clock of
    #                                      sampled requests starts at 0)
    wait_until(lambda: fields(client.execute_command("PREDIS.DRIFT"))["ticks"] > 0,
               what="batches")


def redis_cli(port, *args) -> str:
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True,
                          text=True, timeout=30, check=True).stdout


def test_every_admin_command_works_from_redis_cli(loop_server):
    server, client = loop_server
    port = server.port
    CacheAside(client).run("a", 8000)
    sidecar_settled_ticks(port, pause=1.5)
    assert client.execute_command("PREDIS.MRC", "REFRESH") == "OK"
    keys = client.dbsize()
    mrc = wait_until(lambda: (lambda m: m if m and m["live_keys"] == keys else None)(
        _mrc_or_none(client)), what="a curve at the live size")
    assert fields(client.execute_command("PREDIS.DRIFT"))["windows"] > 0
    first_row = fields(mrc["curve"][0])
    assert set(first_row) == {"memory_factor", "keys", "lru_hit_ratio",
                              "allkeys-lfu_hit_ratio", "allkeys-s3fifo_hit_ratio",
                              "volatile-learned_hit_ratio"}
    assert "sidecar_status\nrunning" in redis_cli(port, "PREDIS.INFO")
    assert "rate\n1.0" in redis_cli(port, "PREDIS.SAMPLE")
    assert "psi_threshold\n0.25" in redis_cli(port, "PREDIS.DRIFT")
    assert "memory_factor" in redis_cli(port, "PREDIS.MRC")
    assert redis_cli(port, "PREDIS.RETRAIN").strip() == "OK"
    assert "running\n0" in redis_cli(port, "PREDIS.AB", "STATUS")
    assert redis_cli(port, "PREDIS.SAMPLE", "RATE", "0.5").strip() == "OK"
    assert client.config_get("predis-sample-rate") == {"predis-sample-rate": "0.5"}
    wait_until(lambda: client.execute_command("PREDIS.RETRAIN", "HISTORY"), what="a retrain")
    assert "reason\nPREDIS.RETRAIN" in redis_cli(port, "PREDIS.RETRAIN", "HISTORY")
    for name in ("predis.info", "predis.sample", "predis.drift", "predis.mrc", "predis.retrain",
                 "predis.ab", "predis.model"):
        docs = redis_cli(port, "COMMAND", "DOCS", name)
        assert docs.startswith(name) and "summary\n" in docs, docs
    help_text = redis_cli(port, "COMMAND", "DOCS", "predis.ab")
    assert "A/B test" in help_text and "predis.ab|start" in help_text


def test_the_lru_curve_matches_a_replay_of_the_requests(tmp_path):
    """PREDIS.MRC's LRU hit ratios from a 20% reuse-time sample of a live server's accesses,
    against an exact LRU replay of the same requests (hits counted over the reads, every key
    written first)."""
    from ml.sidecar.mrc import _stack_distances

    server = start_predis(("--dir", str(tmp_path), "--predis-sample-rate", "0.2"), sidecar=True)
    client = redis.Redis(port=server.port)
    try:
        keys = [b"key:%d" % i for i in range(2000)]
        client.mset({key: b"v" for key in keys})
        reads = np.random.default_rng(7).zipf(1.1, 40_000) % len(keys)
        for start in range(0, len(reads), 500):
            client.mget([keys[i] for i in reads[start:start + 500]])
        mrc = _refreshed_curve(client, reuse_samples=8000)  # (of about 0.2 x 42,000)
        assert mrc[b"lru_estimate"] == b"aet"
        stream = np.concatenate([np.arange(len(keys)), reads]).astype(np.int64) + 1
        distances = _stack_distances(stream, 1 << 24)[len(keys):]
        for row in map(fields, mrc[b"curve"]):
            exact = np.mean(distances < row[b"keys"])
            assert abs(float(row[b"lru_hit_ratio"]) - exact) < 0.03, (row, exact)
    finally:
        client.close()
        server.stop()


def test_the_lru_curve_under_eviction_predicts_bigger_caches(tmp_path):
    """With maxmemory evicting most of the keys, PREDIS.MRC's LRU hit ratios at 0.5x-4x the
    live key count against an exact LRU replay of the requests as the server sees them (each
    batch's hits, then its fills): the reuse sample follows a key through its eviction and
    back, so what a bigger cache would have kept counts as a hit."""
    from ml.sidecar.mrc import _stack_distances

    server = start_predis(("--dir", str(tmp_path), "--predis-sample-rate", "0.2",
                           "--maxmemory-policy", "allkeys-lru"), sidecar=True)
    client = redis.Redis(port=server.port)
    try:
        client.config_set("maxmemory", client.info("memory")["used_memory"] + 300_000)
        rng, reads = np.random.default_rng(3), []
        for _ in range(150):
            ranks = rng.zipf(1.05, 400) % 20_000
            keys = [b"k:%d" % r for r in ranks]
            values = client.mget(keys)
            missed = {k: b"v" * 100 for k, v in zip(keys, values) if v is None}
            client.mset(missed)
            reads += [k for k, v in zip(keys, values) if v is not None] + list(missed)
        assert client.info("stats")["evicted_keys"] > 20_000
        mrc = _refreshed_curve(client, reuse_samples=11_000)  # (of about 0.2 x 58,000)
        distances = _stack_distances(np.array([int(k[2:]) for k in reads], np.int64) + 1,
                                     1 << 24)
        for row in map(fields, mrc[b"curve"][1:]):
            exact = np.mean((distances >= 0) & (distances < row[b"keys"]))
            assert abs(float(row[b"lru_hit_ratio"]) - exact) < 0.03, (row, exact)
    finally:
        client.close()
        server.stop()


def _refreshed_curve(client, reuse_samples: int) -> dict:
    """PREDIS.MRC once the sidecar computed it from at least `reuse_samples` followed
    accesses (asking it to recompute until then: the last batches may still be on their way)."""
    def ready():
        assert client.execute_command("PREDIS.MRC", "REFRESH") == b"OK"
        mrc = _mrc_or_none(client)
        return mrc if mrc and mrc[b"reuse_samples"] >= reuse_samples else None
    return wait_until(ready, step=0.5, what=f"a curve from {reuse_samples} followed accesses")


def _mrc_or_none(client):
    try:
        return fields(client.execute_command("PREDIS.MRC"))
    except redis.ResponseError:
        return None


def test_admin_errors_are_clear(tmp_path):
    server = start_predis(("--dir", str(tmp_path)))  # no sidecar
    client = redis.Redis(port=server.port, decode_responses=True)
    try:
        assert ml_info(client)["sidecar_status"] == "disabled"
        for command in (("PREDIS.RETRAIN",), ("PREDIS.MRC", "REFRESH")):
            with pytest.raises(redis.ResponseError, match="the ML sidecar is not running"):
                client.execute_command(*command)
        with pytest.raises(redis.ResponseError, match="no miss-ratio curve yet"):
            client.execute_command("PREDIS.MRC")
        with pytest.raises(redis.ResponseError, match="no A/B test is running"):
            client.execute_command("PREDIS.AB", "STOP")
        with pytest.raises(redis.ResponseError, match="no challenger"):
            client.execute_command("PREDIS.AB", "START")
        with pytest.raises(redis.ResponseError, match="need maxmemory"):
            client.execute_command("PREDIS.AB", "START", 1)
        client.config_set("maxmemory", "100mb")
        with pytest.raises(redis.ResponseError, match="need a learned maxmemory-policy"):
            client.execute_command("PREDIS.AB", "START", 1)
        client.config_set("maxmemory-policy", "allkeys-learned")
        with pytest.raises(redis.ResponseError, match="can't use model version 1"):
            client.execute_command("PREDIS.AB", "START", 1)
        with pytest.raises(redis.ResponseError, match="SLICE must be between 1 and 50"):
            client.execute_command("PREDIS.AB", "START", 1, "SLICE", 90)
        with pytest.raises(redis.ResponseError, match="PREDIS.SAMPLE RATE - argument must be "
                                                      "between 0 and 1"):
            client.execute_command("PREDIS.SAMPLE", "RATE", "2")
        with pytest.raises(redis.ResponseError, match="syntax error"):
            client.execute_command("PREDIS.MRC", "NOW")
        with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
            client.execute_command("PREDIS.DRIFT", "X")
        assert fields(client.execute_command("PREDIS.SAMPLE"))["active"] == 0
    finally:
        client.close()
        server.stop()


def test_an_ab_test_started_and_stopped_by_hand(tmp_path):
    server = start_predis(("--dir", str(tmp_path), "--maxmemory", "100mb",
                           "--maxmemory-policy", "volatile-learned"))
    client = redis.Redis(port=server.port, decode_responses=True)
    try:
        model = tmp_path / "m.npz"
        hot_evicting_model().save(str(model))
        client.execute_command("PREDIS.MODEL", "LOAD", str(model))
        assert client.execute_command("PREDIS.AB", "START", 1, "SLICE", 50) == "OK"
        with pytest.raises(redis.ResponseError, match="an A/B test of version 1 is running"):
            client.execute_command("PREDIS.AB", "START", 1)
        client.set("present", "v")
        for i in range(400):
            client.get("present" if i % 2 else f"absent:{i}")
        test = fields(fields(client.execute_command("PREDIS.AB", "STATUS"))["test"])
        assert test["challenger"] == 1 and test["slice_percent"] == 50
        assert test["champion_reads"] + test["challenger_reads"] == 400
        assert fields(client.execute_command("PREDIS.MODEL", "LIST")[0])["aliases"] == \
            "champion challenger"
        assert client.execute_command("PREDIS.AB", "STOP") == "OK"
        status = fields(client.execute_command("PREDIS.AB", "STATUS"))
        assert status["running"] == 0 and fields(status["finished"][0])["outcome"] == "rollback"
        assert fields(client.execute_command("PREDIS.MODEL", "LIST")[0])["aliases"] == \
            "champion"
    finally:
        client.close()
        server.stop()


def test_the_ml_state_is_served_as_json_on_the_admin_port(tmp_path):
    admin = free_port()
    server = start_predis(("--dir", str(tmp_path), "--admin-port", str(admin),
                           "--predis-sample-rate", "1", "--predis-drift-window", "500"),
                          sidecar=True)
    client = redis.Redis(port=server.port, decode_responses=True)
    try:
        wait_until(lambda: ml_info(client)["sidecar_status"] == "running", what="the sidecar")
        CacheAside(client).run("a", 6000)
        wait_until(lambda: ml_info(client)["drift_windows"] > 0, what="drift windows")

        def get(path):
            with urllib.request.urlopen(f"http://127.0.0.1:{admin}{path}", timeout=10) as r:
                return json.loads(r.read())

        assert get("/api/ml")["sidecar_status"] == "running"
        assert get("/api/drift")["windows"] >= 1
        assert get("/api/models") == {"in_use": None, "aliases": {"champion": None,
                                                                  "challenger": None},
                                      "versions": [], "audit": []}
        assert get("/api/ab") == {"running": None, "finished": []}
        assert get("/api/retrains") == []
        mrc = wait_until(lambda: get("/api/mrc"), what="a curve")
        assert mrc["factors"] == [0.25, 0.5, 1.0, 2.0, 4.0]
        with urllib.request.urlopen(f"http://127.0.0.1:{admin}/metrics", timeout=10) as r:
            metrics = r.read().decode()
        assert "predis_sidecar_up 1.0" in metrics and "predis_drift_windows_total" in metrics
    finally:
        client.close()
        server.stop()


def test_a_tenant_with_enough_traffic_gets_a_model_of_its_own(tmp_path):
    """With tenants declared, PREDIS.RETRAIN also trains per namespace: the busy tenant gets a
    model that beats the (hot-evicting) champion on its keys; the quiet one, with too few
    sampled requests, stays on the global model."""
    server = start_predis(("--dir", str(tmp_path), "--predis-sample-rate", "1",
                           "--predis-tenants", "busy: 0 quiet: 0", "--predis-ab-auto", "no",
                           "--maxmemory-policy", "allkeys-learned",
                           "--predis-retrain-on-drift", "no"), sidecar=True)
    client = redis.Redis(port=server.port, decode_responses=True)
    try:
        wait_until(lambda: ml_info(client)["sidecar_status"] == "running", what="the sidecar")
        bad = tmp_path / "hot-evicting.npz"
        hot_evicting_model().save(str(bad))
        client.execute_command("PREDIS.MODEL", "LOAD", str(bad))  # the champion, version 1
        # small enough that the busy tenant's ~700 keys do not all fit: where nothing is
        # evicted, the miniature replays cannot tell a model from another
        client.config_set("maxmemory", client.info("memory")["used_memory"] + 150_000)
        CacheAside(redis.Redis(port=server.port)).run("busy", 12_000)
        CacheAside(redis.Redis(port=server.port), seed=1).run("quiet", 400)
        sidecar_settled_ticks(server.port, pause=1.5)
        assert client.execute_command("PREDIS.RETRAIN") == "OK"

        def assigned():
            figures = {f["prefix"]: f for f in client.info("tenants").values()}
            return figures if figures["busy:"]["model"] != "" else None

        figures = wait_until(assigned, timeout=180, what="a model for the busy tenant")
        assert figures["quiet:"]["model"] == ""
        history = [fields(h) for h in client.execute_command("PREDIS.RETRAIN", "HISTORY")]
        busy = [h for h in history if h.get("namespace") == 1]
        assert busy and busy[0]["accepted"] == 1
        assert busy[0]["version"] == figures["busy:"]["model"]
        events = [fields(e)["event"] for e in ml_info(client)["recent_events"]]
        assert "tenant_model_assigned" in events
    finally:
        client.close()
        server.stop()
