"""maxmemory and the eviction policies, OBJECT IDLETIME/FREQ, NO-TOUCH and RESTORE's access
metadata, on a fresh redis-server and Predis pair (these tests change memory settings)."""

import time

import pytest
import redis

from .conftest import Differ, flush_and_reset

REDIS_POLICIES = ["allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru",
                  "volatile-lfu", "volatile-random", "volatile-ttl"]
PREDIS_POLICIES = ["allkeys-learned", "volatile-learned", "allkeys-s3fifo"]


@pytest.fixture
def diff(pair):
    flush_and_reset(pair)
    differ = Differ(pair[0].port, pair[1].port)
    yield differ
    for args in (("maxmemory", "0"), ("maxmemory-policy", "noeviction"),
                 ("notify-keyspace-events", "")):
        differ.both("CONFIG", "SET", *args)
    differ.close()


@pytest.fixture
def clients(pair, diff):
    made = [redis.Redis(port=server.port) for server in pair]
    yield made
    for client in made:
        client.close()


def idle_both(diff, key) -> int:
    """OBJECT IDLETIME on both; clocks tick in whole seconds, so a tick may fall between the
    two calls: the answers agree within one second."""
    expected, actual = diff.both("OBJECT", "IDLETIME", key)
    assert abs(actual - expected) <= 1, (expected, actual)
    return actual


def test_object_idletime_counts_seconds_since_the_last_touch(diff):
    # (not small integers: Redis shares those between keys, and their idle time with them)
    diff.assert_same("SET", "a", "va")
    diff.assert_same("SET", "b", "vb")
    assert idle_both(diff, "a") <= 1
    diff.assert_same("OBJECT", "IDLETIME", "nokey")
    time.sleep(2.5)
    # reads that Redis does not count as accesses
    for args in (("TYPE", "a"), ("EXISTS", "a"), ("TTL", "a"), ("OBJECT", "ENCODING", "a"),
                 ("OBJECT", "IDLETIME", "a")):
        diff.both(*args)
    assert idle_both(diff, "a") >= 2
    diff.assert_same("GET", "a")
    assert idle_both(diff, "a") <= 1
    assert idle_both(diff, "b") >= 2


def test_client_no_touch_reads_leave_idle_time_alone(pair):
    """Redis 7.2's CLIENT NO-TOUCH (the reference server here is 7.0, without it)."""
    client = redis.Redis(port=pair[1].port)
    client.set("b", "vb")
    client.execute_command("CLIENT", "NO-TOUCH", "ON")
    time.sleep(2.1)
    client.get("b")
    assert client.object("idletime", "b") >= 2  # NO-TOUCH: not an access
    client.touch("b")  # ... except TOUCH itself
    assert client.object("idletime", "b") <= 1
    time.sleep(2.1)
    client.eval("return redis.call('get', 'b')", 0)  # a script's reads are not accesses
    assert client.object("idletime", "b") >= 2
    assert client.eval("return redis.call('touch', 'b')", 0) == 1  # its TOUCH is one
    assert client.object("idletime", "b") <= 1
    client.close()


def test_object_freq_follows_the_lfu_counter(diff):
    diff.assert_same("SET", "k", "v")
    diff.assert_same("OBJECT", "FREQ", "k")  # LFU not selected: Redis's error
    diff.assert_same("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
    diff.assert_same("SET", "fresh", "v")
    assert diff.assert_same("OBJECT", "FREQ", "fresh") == 5  # LFU_INIT_VAL
    diff.assert_same("GET", "fresh")
    assert diff.assert_same("OBJECT", "FREQ", "fresh") == 6  # from 5 an access always counts
    diff.assert_same("OBJECT", "IDLETIME", "fresh")  # LFU selected: idle time not tracked
    diff.assert_same("OBJECT", "FREQ", "nokey")


def test_restore_sets_idle_time_or_frequency(diff):
    diff.assert_same("SET", "src", "value")
    # each server restores its own payload (the reference writes RDB 10, Predis RDB 11)
    payloads = [side.call("DUMP", "src") for side in (diff.ref, diff.predis)]

    def restore(*args):
        replies = [side.call("RESTORE", *args[:2], payload, *args[2:])
                   for side, payload in zip((diff.ref, diff.predis), payloads)]
        assert replies[0] == replies[1] == b"OK" or replies[0] == replies[1], replies

    restore("idle", "0", "IDLETIME", "100")
    assert 99 <= idle_both(diff, "idle") <= 101
    diff.assert_same("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
    restore("freq", "0", "FREQ", "42")
    assert diff.assert_same("OBJECT", "FREQ", "freq") == 42


def fill(client, prefix: str, count: int, size: int = 200, ttl: int | None = None):
    pipe = client.pipeline(transaction=False)
    for i in range(count):
        pipe.set(f"{prefix}:{i}", b"x" * size, ex=ttl)
    pipe.execute()


@pytest.mark.parametrize("policy", REDIS_POLICIES + PREDIS_POLICIES)
def test_policy_evicts_to_stay_within_maxmemory(pair, clients, policy):
    redis_client, predis_client = clients
    servers = [redis_client, predis_client] if policy in REDIS_POLICIES else [predis_client]
    volatile = policy.startswith("volatile")
    for client in servers:
        baseline = client.info("memory")["used_memory"]
        limit = baseline + 400_000
        client.config_set("maxmemory-policy", policy)
        client.config_set("maxmemory", limit)
        if volatile:
            fill(client, "keep", 200)  # no TTL: volatile policies must leave these alone
        for round_ in range(10):
            fill(client, f"r{round_}", 500, ttl=3600 if volatile else None)
        info = client.info()
        assert info["evicted_keys"] > 0, policy
        assert info["used_memory"] <= limit * 1.01, policy
        assert 0 < client.dbsize() < 5000 + (200 if volatile else 0)
        if volatile:
            assert all(client.exists(f"keep:{i}") for i in range(200)), policy
        client.config_set("maxmemory", 0)


def test_volatile_policy_without_volatile_keys_answers_oom(diff):
    diff.assert_same("CONFIG", "SET", "maxmemory-policy", "volatile-lru")
    diff.assert_same("SET", "k", "v")
    diff.assert_same("CONFIG", "SET", "maxmemory", "1")
    diff.assert_same("SET", "k2", "v")
    diff.assert_same("GET", "k")  # reads still work
    diff.assert_same("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    diff.assert_same("SET", "k3", "v")  # now something can go: the write succeeds...
    diff.assert_same("DBSIZE")  # ...and every key went, the new one included, on both


def test_the_time_spent_over_maxmemory_is_counted(clients):
    """INFO's current_eviction_exceeded_time runs while memory stays over maxmemory (nothing
    can go under noeviction) and total_eviction_exceeded_time keeps it once memory fits."""
    def times(client):
        stats = client.info("stats")
        return stats["current_eviction_exceeded_time"], stats["total_eviction_exceeded_time"]

    for client in clients:
        client.config_resetstat()
        client.set("k", "v" * 1000)
        assert times(client) == (0, 0)
        client.config_set("maxmemory", 1)
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            client.set("k2", "v")  # (the check before a write starts the spell)
        time.sleep(0.3)
        current, total = times(client)
        assert 250 <= current <= total < 3000, client
        client.config_set("maxmemory", "1gb")
        client.set("k3", "v")  # memory fits again: the spell ends (with maxmemory 0 nothing
        # is checked, and the spell would go on, in Redis too)
        current, total = times(client)
        assert current == 0 and total >= 250, client
        client.config_resetstat()
        assert times(client) == (0, 0)


def test_volatile_ttl_evicts_the_soonest_to_expire_first(clients):
    for client in clients:
        client.config_set("maxmemory-policy", "volatile-ttl")
        fill(client, "long", 300, ttl=100_000)
        fill(client, "short", 300, ttl=1000)
        used = client.info("memory")["used_memory"]
        client.config_set("maxmemory", used - 20_000)
        fill(client, "new", 50, ttl=100_000)
        short_left = sum(client.exists(f"short:{i}") for i in range(300))
        long_left = sum(client.exists(f"long:{i}") for i in range(300))
        # best of 5 samples (Redis's default) now and then picks a long one: far fewer, though
        assert 300 - short_left > 4 * (300 - long_left), (client, short_left, long_left)
        client.config_set("maxmemory", 0)


def test_eviction_is_announced_as_evicted_events(clients):
    for client in clients:
        client.config_set("notify-keyspace-events", "Ee")
        pubsub = client.pubsub()
        pubsub.subscribe("__keyevent@0__:evicted")
        pubsub.get_message(timeout=1)
        client.config_set("maxmemory-policy", "allkeys-random")
        client.config_set("maxmemory", client.info("memory")["used_memory"] + 100_000)
        fill(client, "e", 2000)
        client.config_set("maxmemory", 0)  # no background eviction while counting
        evicted = client.info("stats")["evicted_keys"]
        seen = 0
        while pubsub.get_message(timeout=0.5) is not None:
            seen += 1
        assert evicted > 0 and seen == evicted
        pubsub.close()


def test_lowering_maxmemory_evicts_in_the_background(clients):
    for client in clients:
        client.config_set("maxmemory-policy", "allkeys-lru")
        fill(client, "bg", 3000)
        used = client.info("memory")["used_memory"]
        client.config_set("maxmemory", used - 200_000)
        # no command comes: the cron evicts (a loaded 2-core CI machine gets a generous wait)
        deadline = time.time() + 15
        while client.info("memory")["used_memory"] > used - 200_000 and time.time() < deadline:
            time.sleep(0.05)
        now = client.info("memory")["used_memory"]
        assert now <= used - 200_000, (client.connection_pool.connection_kwargs["port"], used,
                                       now, client.info("stats")["evicted_keys"])
        assert client.info("stats")["evicted_keys"] > 0
        client.config_set("maxmemory", 0)


def test_lru_keeps_what_is_read(clients):
    """The point of LRU: keys read all along survive a flood of new keys (the LRU clock has a
    one-second resolution, so each round starts a new second)."""
    for client in clients:
        client.config_set("maxmemory-policy", "allkeys-lru")
        client.config_set("maxmemory-samples", 10)
        fill(client, "hot", 100)
        client.config_set("maxmemory", client.info("memory")["used_memory"] + 300_000)
        for round_ in range(4):
            time.sleep(1.1)
            pipe = client.pipeline(transaction=False)
            for i in range(100):
                pipe.get(f"hot:{i}")
            pipe.execute()
            fill(client, f"cold{round_}", 500)
        assert client.info("stats")["evicted_keys"] > 500
        hot_left = sum(client.exists(f"hot:{i}") for i in range(100))
        assert hot_left >= 95, (client, hot_left)
        client.config_set("maxmemory", 0)
        client.config_set("maxmemory-samples", 5)


def test_predis_model_load_and_info(pair, tmp_path):
    from ml.model import DEFAULT_PATH, EvictionModel

    client = redis.Redis(port=pair[1].port, decode_responses=True)
    info = client.execute_command("PREDIS.MODEL", "INFO")
    assert info[info.index("path") + 1] == DEFAULT_PATH
    copy = tmp_path / "copy.npz"
    EvictionModel.load(DEFAULT_PATH).save(str(copy))
    assert client.execute_command("PREDIS.MODEL", "LOAD", str(copy)) == "OK"
    info = client.execute_command("PREDIS.MODEL", "INFO")  # registered, then loaded from there
    version = info[info.index("version") + 1]
    assert info[info.index("path") + 1].endswith(f"predis-models/v{int(version):04d}/model.npz")
    with pytest.raises(redis.ResponseError, match="can't load the model"):
        client.execute_command("PREDIS.MODEL", "LOAD", str(tmp_path / "missing.npz"))
    with pytest.raises(redis.ResponseError, match="can't load the model"):
        client.config_set("learned-model-file", str(tmp_path / "missing.npz"))
    client.config_set("learned-model-file", "")  # empty: the registry's champion
    info = client.execute_command("PREDIS.MODEL", "INFO")
    assert info[info.index("version") + 1] == version
    client.close()


def test_scripts_and_transactions_evict_before_they_run(clients):
    """A script's writes are checked against maxmemory without eviction inside it (Redis's
    rule), so the server evicts before EVAL and EXEC, and both succeed under a full cache."""
    for client in clients:
        client.config_set("maxmemory-policy", "allkeys-lru")
        client.config_set("maxmemory", client.info("memory")["used_memory"] + 200_000)
        fill(client, "full", 2000)  # past the limit
        client.config_set("maxmemory", client.info("memory")["used_memory"] - 50_000)
        assert client.eval("return redis.call('SET', KEYS[1], ARGV[1])", 1, "s", "v") == b"OK"
        pipe = client.pipeline(transaction=True)
        pipe.set("t", "v")
        assert pipe.execute() == [True]
        client.config_set("maxmemory", 0)
