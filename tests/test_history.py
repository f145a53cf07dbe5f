"""ops/history.py: per-second and per-minute samples are rates over their interval, survive a
CONFIG RESETSTAT (counters going down) and carry interval latency percentiles."""

from array import array
from types import SimpleNamespace

import pytest

from ops import history as history_module
from ops.history import History
from server.latency_stats import BUCKETS, bucket
from tests.fakes import Clock


def fake_server():
    keyspace = SimpleNamespace(hits=0, misses=0)
    return SimpleNamespace(keyspace=keyspace, evicted_keys=0, latency_tracking=True,
                           config={"maxmemory": 1 << 20}, clients=[1, 2],
                           used_memory=lambda: 500_000)


def spec(calls=0):
    return SimpleNamespace(calls=calls, subcommands={}, latency=array("Q", bytes(8 * BUCKETS)))


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(history_module.time, "time", fake)
    return fake


def test_samples_are_rates_over_their_second(clock):
    server, get = fake_server(), spec()
    hist = History(server, lambda: [get])
    hist.tick()
    clock.now += 0.5
    hist.tick()  # under a second: nothing yet
    assert not hist.seconds
    clock.now += 0.5
    get.calls += 300
    server.keyspace.hits, server.keyspace.misses = 90, 10
    for _ in range(99):
        get.latency[bucket(2_000)] += 1  # 2 us
    get.latency[bucket(900_000)] += 1  # one 0.9 ms outlier
    hist.tick()
    (sample,) = hist.seconds
    assert sample["ops_per_sec"] == 300.0 and sample["hit_ratio"] == 0.9
    assert sample["lookups"] == 100 and sample["connected_clients"] == 2
    assert sample["used_memory"] == 500_000 and sample["maxmemory"] == 1 << 20
    latency = sample["latency_usec"]
    assert 2.0 <= latency["p50"] < 2.5 and 900 <= latency["p99.9"] < 1100


def test_a_reset_counter_counts_from_zero_and_minutes_add_up(clock):
    server, get = fake_server(), spec(calls=1000)
    hist = History(server, lambda: [get])
    hist.tick()
    for second in range(60):
        clock.now += 1.0
        get.calls = 0 if second == 30 else get.calls + 10  # CONFIG RESETSTAT at second 30
        hist.tick()
    assert hist.seconds[30]["ops_per_sec"] == 0.0 and hist.seconds[31]["ops_per_sec"] == 10.0
    assert all(s["ops_per_sec"] >= 0 for s in hist.seconds)
    (minute,) = hist.minutes
    assert minute["hit_ratio"] is None and minute["lookups"] == 0
    assert minute["ops_per_sec"] == pytest.approx(290 / 60, abs=0.1)  # the calls since the reset
