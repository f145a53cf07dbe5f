"""A database whose strings live in a string engine (EngineDict) keeps the same values and the
same memory accounting as one backed by a plain dict. The CPU engine stands in for the GPU
engine here (the GPU engine passes the same engine suite, tests/gpu)."""

import random

from gpu.cpu_engine import CpuEngine
from server.keyspace.containers import Hash
from server.keyspace.database import Database
from server.keyspace.engine_dict import EngineDict
from server.keyspace.keyspace import KeyspaceStats


def twins():
    stats = KeyspaceStats()
    return (Database(0, stats),
            Database(0, stats, new_data=lambda: EngineDict(CpuEngine)))


def test_same_values_and_memory_after_random_writes():
    plain, engine_backed = twins()
    rng = random.Random(5)
    keys = [b"k%d" % i for i in range(40)]
    for _ in range(300):
        key, action = rng.choice(keys), rng.random()
        value = rng.randbytes(rng.choice([0, 5, 40, 600]))
        batch = rng.sample(keys, 5)
        for db in (plain, engine_backed):
            if action < 0.4:
                db.set(key, value)
            elif action < 0.6:
                db.set_strings(batch + batch[:1], [value] * 6)
            elif action < 0.7:
                db.set(key, Hash())  # a non-string value replaces a string and back
            else:
                db.delete(key)
        assert engine_backed.memory == plain.memory
    def comparable(values):  # two Hash objects are never equal: compare their type
        return [value if value is None or type(value) is bytes else type(value)
                for value in values]

    assert comparable(engine_backed.values_of(keys)) == comparable(plain.values_of(keys))
    engine = engine_backed.data.started_engine
    strings = sum(type(v) is bytes for v in plain.values_of(keys))
    assert len(engine) == strings  # other types never reach the engine


def test_only_plain_bytes_go_to_the_engine():
    _, db = twins()
    db.set(b"s", b"value")
    db.set(b"raw", bytearray(b"edited"))
    assert len(db.data.started_engine) == 1
    assert db.data[b"raw"] == bytearray(b"edited") and db.data[b"s"] == b"value"
    assert dict(db.data.items()) == {b"s": b"value", b"raw": bytearray(b"edited")}
    assert db.data.pop(b"s") == b"value" and len(db.data.started_engine) == 0
    db.set(b"s", b"again")
    assert db.delete(b"s") and len(db.data.started_engine) == 0 and b"s" not in db.data


def test_a_forked_child_keeps_its_strings_off_the_gpu():
    """Keyspace.prepare_fork, then its function in the child: every database's strings (GPU
    engine in the simulator here) move to host engines, and databases without strings yet
    make host engines when the child writes one (a forked child must not use CUDA)."""
    from gpu.gpu_engine import GpuEngine
    from server.keyspace.keyspace import Keyspace

    keyspace = Keyspace(3, lambda: EngineDict(lambda: GpuEngine(arena_bytes=1 << 20)))
    keyspace[0].set(b"s", b"value")
    keyspace[0].set(b"h", Hash())
    keyspace[1].set_strings([b"a", b"b"], [b"1", b"2"])
    in_child = keyspace.prepare_fork()
    in_child()
    assert [type(engine) for engine in keyspace.engines()] == [CpuEngine, CpuEngine]
    assert keyspace[0].values_of([b"s"]) == [b"value"]
    assert keyspace[1].values_of([b"a", b"b", b"c"]) == [b"1", b"2", None]
    keyspace[2].set(b"new", b"written in the child")
    assert type(keyspace[2].data.started_engine) is CpuEngine
