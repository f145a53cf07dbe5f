"""One suite for both string engines: the CPU engine and the GPU engine (its kernels in numba's
CUDA simulator in CI, on the device when NUMBA_ENABLE_CUDASIM=0)."""

import random

import pytest

from gpu.cpu_engine import CpuEngine
from gpu.engine import now_ms
from gpu.gpu_engine import GpuEngine
from gpu.slab import PAGE

def small_gpu_engine(direct_read_max):
    return GpuEngine(arena_bytes=4 * PAGE, table_slots=16, entries=4,
                     direct_read_max=direct_read_max)


# The GPU engine three ways: its default (small reads direct, large ones through the lookup
# kernel), every read through the kernel, every read direct (host index and memcpy)
ENGINES = {"cpu": CpuEngine, "gpu": lambda: small_gpu_engine(8),
           "gpu-kernel-reads": lambda: small_gpu_engine(0),
           "gpu-direct-reads": lambda: small_gpu_engine(1 << 30)}


@pytest.fixture(params=sorted(ENGINES))
def engine(request):
    return ENGINES[request.param]()


def test_mget_returns_values_and_none_for_missing(engine):
    engine.mset([b"a", b"b", b""], [b"1", b"", b"empty key"])
    assert engine.mget([b"a", b"x", b"b", b"", b"a"]) == [b"1", None, b"", b"empty key", b"1"]
    assert len(engine) == 3


def test_mset_last_write_wins_and_replaces(engine):
    engine.mset([b"k", b"k", b"j"], [b"first", b"second", b"j"])
    assert engine.get(b"k") == b"second"
    engine.mset([b"k"], [b"third, and longer than before"])
    assert engine.mget([b"k", b"j"]) == [b"third, and longer than before", b"j"]
    assert len(engine) == 2


def test_delete_counts_distinct_live_keys(engine):
    engine.mset([b"a", b"b", b"c"], [b"1", b"2", b"3"])
    assert engine.delete([b"a", b"a", b"zz", b"b"]) == 2
    assert engine.mget([b"a", b"b", b"c"]) == [None, None, b"3"]
    assert engine.delete([b"a"]) == 0
    assert len(engine) == 1


def test_exists_counts_repeats(engine):
    engine.mset([b"a"], [b"1"])
    assert engine.exists([b"a", b"a", b"b"]) == 2


def test_set_conditions(engine):
    assert engine.set(b"k", b"v", nx=True)
    assert not engine.set(b"k", b"w", nx=True)
    assert engine.set(b"k", b"w", xx=True)
    assert not engine.set(b"missing", b"w", xx=True)
    assert engine.mget([b"k", b"missing"]) == [b"w", None]


def test_deadlines_expire_reads_and_keep_ttl(engine):
    now = now_ms()
    engine.mset([b"soon", b"later"], [b"1", b"2"], deadline=now + 100_000)
    assert engine.deadlines([b"soon", b"nope"]) == [now + 100_000, None]
    assert engine.set(b"soon", b"3", keep_ttl=True)
    assert engine.deadlines([b"soon"]) == [now + 100_000]
    engine.set(b"later", b"4")  # a plain SET drops the TTL
    assert engine.deadlines([b"later"]) == [None]
    assert engine.set_deadline(b"soon", now - 1)
    assert not engine.set_deadline(b"nope", now)
    assert engine.get(b"soon") is None  # due: reads as absent and is removed
    assert len(engine) == 1
    assert engine.set_deadline(b"later", None)


def test_delete_does_not_count_expired_keys(engine):
    engine.mset([b"k"], [b"v"], deadline=now_ms() - 5)
    assert len(engine) == 1
    assert engine.delete([b"k"]) == 0
    assert len(engine) == 0


def test_expire_due_removes_only_due_keys(engine):
    now = now_ms()
    engine.mset([b"a", b"b"], [b"1", b"2"], deadline=now - 1)
    engine.mset([b"c"], [b"3"], deadline=now + 60_000)
    engine.mset([b"d"], [b"4"])
    assert engine.expire_due(now) == 2
    assert sorted(key for key, _, _ in engine.items()) == [b"c", b"d"]


def test_items_lists_every_record_with_its_deadline(engine):
    engine.mset([b"x", b"y"], [b"1", b"22"], deadline=now_ms() + 10_000)
    engine.mset([b"z"], [b"333"])
    found = {key: (value, deadline is not None) for key, value, deadline in engine.items()}
    assert found == {b"x": (b"1", True), b"y": (b"22", True), b"z": (b"333", False)}


def test_memory_usage_grows_with_the_value(engine):
    engine.mset([b"small", b"big"], [b"x", b"x" * 5000])
    small, big = engine.memory_usage(b"small"), engine.memory_usage(b"big")
    assert 0 < small < big and big >= 5000
    assert engine.memory_usage(b"missing") is None


def test_values_larger_than_an_arena_page(engine):
    huge = bytes(range(256)) * (PAGE // 256 + 3)
    engine.mset([b"huge", b"small"], [huge, b"s"])
    assert engine.mget([b"huge", b"small"]) == [huge, b"s"]
    assert dict((k, v) for k, v, _ in engine.items())[b"huge"] == huge
    assert engine.delete([b"huge"]) == 1
    assert engine.get(b"huge") is None


def test_a_forked_childs_engine_holds_every_string_in_host_memory(engine):
    """A forked child cannot use CUDA: before the fork the engine takes what the child needs
    (the GPU engine: its arena copied to the host); the child's engine serves every string,
    deadlines kept, from host memory."""
    deadline = now_ms() + 60_000
    engine.mset([b"a", b"b"], [b"1", b""], deadline=deadline)
    engine.mset([b"big", b"c"], [b"x" * (PAGE + 1), b"3" * 300])  # big: too large for the arena
    engine.delete([b"c"])
    engine.mset([b"d"], [b"4"])
    child = engine.for_child(engine.prepare_fork())
    assert isinstance(child, CpuEngine)
    expected = {b"a": (b"1", deadline), b"b": (b"", deadline), b"big": (b"x" * (PAGE + 1), None),
                b"d": (b"4", None)}
    assert {key: (value, due) for key, value, due in child.items()} == expected
    assert child.mget([b"a", b"c", b"d"]) == [b"1", None, b"4"]


def test_clear(engine):
    engine.mset([b"a", b"b"], [b"1", b"2"])
    engine.clear()
    assert len(engine) == 0 and engine.mget([b"a"]) == [None]


def test_random_operations_match_a_dict(engine):
    """Many keys (forcing table and entry growth and slot reuse) against a plain dict."""
    rng = random.Random(7)
    model = {}
    keys = [b"key:%d" % i for i in range(300)]
    for _ in range(25):
        batch = rng.sample(keys, 40)
        values = [rng.randbytes(rng.choice([0, 3, 20, 200])) for _ in batch]
        engine.mset(batch, values)
        model.update(zip(batch, values))
        gone = rng.sample(keys, 10)
        assert engine.delete(gone) == sum(key in model for key in gone)
        for key in gone:
            model.pop(key, None)
        probe = rng.sample(keys, 60)
        assert engine.mget(probe) == [model.get(key) for key in probe]
    assert len(engine) == len(model)
    assert {k: v for k, v, _ in engine.items()} == model
