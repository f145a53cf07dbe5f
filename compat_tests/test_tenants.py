"""Predis-only: tenants (`predis-tenants`). Their accounting stays exact through every kind of
write (it matches a recount from scratch), a tenant over its quota gets OOM for what would
grow it while reads and deletes go on, one tenant filling its quota evicts nothing of
another's, and the figures are on INFO and /metrics."""

import random
import socket
import time
import urllib.request

import pytest
import redis

from ml.model import DEFAULT_PATH as DEFAULT_MODEL
from ml.train import hot_evicting_model

from .servers import free_port, start_predis

TENANTS = "app1: 300kb app2: 300kb"


def tenant_info(client) -> dict:
    info = client.info("tenants")
    return {fields["prefix"]: fields for fields in info.values()}


@pytest.fixture
def server(tmp_path):
    admin = free_port()
    process = start_predis(("--dir", str(tmp_path), "--predis-tenants", TENANTS,
                            "--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lru",
                            "--admin-port", str(admin)))
    process.admin = admin
    yield process
    process.stop()


def without_rejections(info: dict) -> dict:
    return {prefix: {k: v for k, v in fields.items() if k != "rejected_commands"}
            for prefix, fields in info.items()}


def random_writes(client, rng, steps: int) -> None:
    for step in range(steps):
        tenant = rng.choice(["app1:", "app2:", "other:"])
        key = f"{tenant}{rng.randrange(40)}"
        op = rng.randrange(12)
        try:
            if op == 0:
                client.set(key, "v" * rng.randrange(1, 300))
            elif op == 1:
                client.append(key, "x" * rng.randrange(1, 50))
            elif op == 2:
                client.hset(key + ":h", f"f{rng.randrange(20)}", "y" * rng.randrange(1, 80))
            elif op == 3:
                client.rpush(key + ":l", *["z" * rng.randrange(1, 40)] * rng.randrange(1, 5))
            elif op == 4:
                client.lpop(key + ":l", rng.randrange(1, 4))
            elif op == 5:
                client.expire(key, 1000)
            elif op == 6:
                client.persist(key)
            elif op == 7:
                client.delete(key, key + ":h")
            elif op == 8:  # possibly into another tenant
                client.rename(key, f"{rng.choice(['app1:', 'app2:', 'other:'])}r{step}")
            elif op == 9:
                client.zadd(key + ":z", {f"m{rng.randrange(30)}": rng.random()})
            elif op == 10:
                client.setrange(key, rng.randrange(0, 100), "w" * 10)
            else:
                client.mset({f"{tenant}m{i}": "q" * rng.randrange(1, 30) for i in range(3)})
        except redis.exceptions.OutOfMemoryError:  # the quota
            pass
        except redis.ResponseError as exc:  # wrong types, missing keys
            assert "WRONGTYPE" in str(exc) or "no such key" in str(exc), exc


def test_accounting_matches_a_recount_after_every_kind_of_write(server):
    rng = random.Random(7)
    db0, db1 = redis.Redis(port=server.port), redis.Redis(port=server.port, db=1)
    random_writes(db0, rng, 2000)
    random_writes(db1, rng, 1000)
    incremental = tenant_info(db0)
    assert all(int(incremental[p]["used_memory"]) > 10_000 for p in ("app1:", "app2:"))
    db0.config_set("predis-tenants", TENANTS)  # recounts every key from scratch
    assert without_rejections(tenant_info(db0)) == without_rejections(incremental)
    db1.flushdb()  # takes db 1's keys off the tenants, db 0's stay
    after_flush = tenant_info(db0)
    assert 0 < int(after_flush["app1:"]["keys"]) < int(incremental["app1:"]["keys"])
    db0.config_set("predis-tenants", TENANTS)
    assert without_rejections(tenant_info(db0)) == without_rejections(after_flush)


def test_a_tenant_over_quota_gets_oom_and_evicts_nothing_of_another(server):
    admin = redis.Redis(port=server.port)
    for name in ("app1", "app2"):
        admin.execute_command("ACL", "SETUSER", name, "on", f">{name}-pass", f"~{name}:*",
                              "+@all", "-@dangerous")
    one = redis.Redis(port=server.port, username="app1", password="app1-pass")
    two = redis.Redis(port=server.port, username="app2", password="app2-pass")
    two.mset({f"app2:{i}": "b" * 100 for i in range(500)})
    written = 0
    with pytest.raises(redis.exceptions.OutOfMemoryError) as refused:  # an "OOM ..." error
        while True:
            one.set(f"app1:{written}", "a" * 1000)
            written += 1
    assert str(refused.value).startswith("command not allowed when tenant 'app1:' uses "
                                         "more than its quota (")
    assert str(refused.value).endswith(" > 307200 bytes, predis-tenants).")
    assert 250 < written < 310  # 300 kB of 1 kB values and their keys
    with socket.create_connection(("127.0.0.1", server.port)) as raw:  # the words on the wire
        raw.sendall(b"AUTH app1 app1-pass\r\nSET app1:x y\r\n")
        time.sleep(0.2)
        assert raw.recv(4096).startswith(
            b"+OK\r\n-OOM command not allowed when tenant 'app1:' uses more than its quota (")
    assert one.get("app1:0") == b"a" * 1000  # reads go on
    with pytest.raises(redis.exceptions.OutOfMemoryError, match="tenant 'app1:'"):
        one.append("app1:0", "more")
    with pytest.raises(redis.exceptions.OutOfMemoryError, match="tenant 'app1:'"):
        admin.execute_command("SUNIONSTORE", "app1:set", "other")  # (keys at fixed places)
    with pytest.raises(redis.exceptions.OutOfMemoryError, match="tenant 'app1:'"):
        admin.execute_command("SORT", "other", "STORE", "app1:sorted")  # (a key finder's)
    assert two.set("app2:new", "still fine")  # the other tenant is not affected
    assert two.mget([f"app2:{i}" for i in range(500)]) == [b"b" * 100] * 500
    assert admin.info("stats")["evicted_keys"] == 0
    one.delete(*[f"app1:{i}" for i in range(50)])  # deleting brings it under its quota
    assert one.set("app1:again", "a" * 1000)
    figures = tenant_info(admin)
    assert figures["app1:"]["rejected_commands"] == 5
    assert figures["app1:"]["quota"] == 307200 and figures["app2:"]["keys"] == 501
    with urllib.request.urlopen(f"http://127.0.0.1:{server.admin}/metrics", timeout=10) as r:
        metrics = r.read().decode()
    assert 'predis_tenant_rejected_commands_total{tenant="app1:"} 5.0' in metrics
    assert 'predis_tenant_keys{tenant="app2:"} 501.0' in metrics
    assert 'predis_tenant_memory_quota_bytes{tenant="app2:"} 307200.0' in metrics


def test_a_bad_tenant_declaration_is_refused_as_config_errors_are(server):
    client = redis.Redis(port=server.port)
    for value, reason in (("app1:", "predis-tenants needs pairs of a key prefix and a quota"),
                          ("app1: lots", "invalid quota 'lots' for tenant 'app1:'"),
                          ("a: 1 a: 2", "tenant 'a:' is declared twice")):
        with pytest.raises(redis.ResponseError) as refused:
            client.config_set("predis-tenants", value)
        assert str(refused.value) == ("CONFIG SET failed (possibly related to argument "
                                      f"'predis-tenants') - {reason}")
    assert client.config_get("predis-tenants") == {"predis-tenants": TENANTS}


def test_the_evict_policy_keeps_a_tenant_within_its_quota_from_its_own_keys(tmp_path):
    server = start_predis(("--dir", str(tmp_path), "--predis-tenants", TENANTS,
                           "--predis-tenant-quota-policy", "evict", "--maxmemory", "4mb",
                           "--maxmemory-policy", "allkeys-lru"))
    try:
        client = redis.Redis(port=server.port)
        client.mset({f"app2:{i}": "b" * 100 for i in range(500)})
        for i in range(1000):  # three times app1's quota: no error, its oldest keys go
            client.set(f"app1:{i}", "a" * 1000)
        figures = tenant_info(client)
        assert int(figures["app1:"]["used_memory"]) <= 307200 + 1200
        evicted = int(figures["app1:"]["evicted_keys"])
        assert evicted > 600 and client.info("stats")["evicted_keys"] == evicted
        assert int(figures["app1:"]["rejected_commands"]) == 0
        assert client.mget([f"app2:{i}" for i in range(500)]) == [b"b" * 100] * 500
        held = int(figures["app1:"]["keys"])
        assert 250 < held < 310 and held + evicted == 1000  # a quota's worth stays
    finally:
        server.stop()


@pytest.mark.parametrize("pressure", ["quota", "maxmemory"])
def test_a_tenant_evicts_by_its_own_model(tmp_path, pressure):
    """Two tenants with the same workload (a hot set read again and again, a stream of new
    keys) pushed past their quotas, or together past maxmemory, under a learned policy: the
    one assigned a model that evicts the most requested keys first loses its hot set, the
    other keeps it."""
    options = {"quota": ("--predis-tenants", TENANTS, "--predis-tenant-quota-policy", "evict",
                         "--maxmemory", "8mb", "--maxmemory-policy", "allkeys-learned"),
               "maxmemory": ("--predis-tenants", "app1: 0 app2: 0", "--maxmemory", "2mb",
                             "--maxmemory-policy", "volatile-learned")}[pressure]
    server = start_predis(("--dir", str(tmp_path), *options))
    try:
        client = redis.Redis(port=server.port)
        bad = tmp_path / "hot-evicting.npz"
        hot_evicting_model().save(str(bad))
        client.execute_command("PREDIS.MODEL", "LOAD", str(bad))  # version 1
        client.execute_command("PREDIS.MODEL", "LOAD", DEFAULT_MODEL)  # 2: the champion
        with pytest.raises(redis.ResponseError, match="no tenant 'app3:'"):
            client.execute_command("PREDIS.MODEL", "ASSIGN", "app3:", 1)
        assert client.execute_command("PREDIS.MODEL", "ASSIGN", "app1:", 1) == b"OK"
        hot = {tenant: [f"{tenant}hot{i}" for i in range(20)] for tenant in ("app1:", "app2:")}
        hits = {"app1:": 0, "app2:": 0}
        pipe = client.pipeline(transaction=False)
        for tenant, keys in hot.items():
            for key in keys:
                pipe.set(key, "h" * 500, ex=3600)
        pipe.execute()
        for step in range(1500):
            for tenant, keys in hot.items():
                values = client.mget(keys[step % 4 * 5:step % 4 * 5 + 5])
                hits[tenant] += sum(v is not None for v in values)
                for key, value in zip(keys[step % 4 * 5:step % 4 * 5 + 5], values):
                    if value is None:
                        pipe.set(key, "h" * 500, ex=3600)
                pipe.set(f"{tenant}cold{step}", "c" * 500, ex=3600)
                pipe.execute()
        figures = tenant_info(client)
        assert figures["app1:"]["model"] == 1 and figures["app2:"]["model"] == ""
        assert client.info("stats")["evicted_keys"] > 500
        ratio = {tenant: hits[tenant] / (1500 * 5) for tenant in hits}
        print(f"{pressure}: hot-set hit ratio with its own hot-evicting model "
              f"{ratio['app1:']:.3f}, on the champion {ratio['app2:']:.3f}")
        assert ratio["app2:"] > 0.9 and ratio["app1:"] < ratio["app2:"] - 0.2, ratio
        assert client.execute_command("PREDIS.MODEL", "ASSIGN", "app1:", "NONE") == b"OK"
        assert tenant_info(client)["app1:"]["model"] == ""
    finally:
        server.stop()
