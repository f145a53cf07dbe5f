"""Loading a snapshot stores its strings a batch at a time: on the GPU engine (the simulator
here) one engine call per batch instead of a kernel launch per key, with the same contents,
deadlines and memory accounting as storing them one by one."""

import io

from gpu.gpu_engine import GpuEngine
from ops.snapshot import StringBatch, load_snapshot_bytes, write_rdb
from server.keyspace import now_ms
from server.keyspace.containers import Hash
from tests.fakes import make_server


def _hash() -> Hash:
    value = Hash()
    value.set(b"field", b"value")
    return value


def _snapshot(server) -> bytes:
    handle = io.BytesIO()
    write_rdb(server, handle)
    return handle.getvalue()


def _contents(server) -> dict:
    out = {}
    for db in server.keyspace.dbs:
        for key in list(dict.keys(db.data)):
            value = db.data[key]
            out[(db.index, key)] = (value if type(value) is bytes else type(value),
                                    db.expires.get(key))
    return out


def test_strings_load_in_batches_on_the_gpu_engine(monkeypatch):
    monkeypatch.setattr(StringBatch, "LIMIT", 50)  # (the simulator runs kernels slowly)
    server = make_server("--engine", "gpu", "--gpu-arena-size", "8mb")
    deadline = now_ms() + 3_600_000
    count = StringBatch.LIMIT + 10
    db0, db2 = server.keyspace[0], server.keyspace[2]
    db0.set_strings([b"k%d" % i for i in range(count)], [b"v%d" % i for i in range(count)])
    for i in range(0, count, 7):
        db0.set_expire(b"k%d" % i, deadline)
    db0.add(b"hash", _hash())
    db2.set_strings([b"a", b"b"], [b"1", b"x" * 5000])
    expected, memory = _contents(server), [db.memory for db in server.keyspace.dbs]
    data = _snapshot(server)

    calls = []
    real_mset = GpuEngine.mset
    monkeypatch.setattr(GpuEngine, "mset", lambda engine, keys, values, deadline=None: (
        calls.append(len(keys)), real_mset(engine, keys, values, deadline)))
    loaded = make_server("--engine", "gpu", "--gpu-arena-size", "8mb")
    counts = load_snapshot_bytes(loaded, data)
    assert counts["keys_loaded"] == count + 3
    assert sorted(calls) == [2, 10, 50]  # db0 in two batches, db2 in one
    assert _contents(loaded) == expected
    assert [db.memory for db in loaded.keyspace.dbs] == memory


def test_a_merge_replaces_what_is_there_and_a_repeated_key_keeps_its_last_value():
    source = make_server()
    source.keyspace[0].set_strings([b"s", b"t"], [b"from the file", b"2"])
    source.keyspace[0].add(b"h", _hash())
    data = _snapshot(source)
    target = make_server()
    db = target.keyspace[0]
    db.add(b"s", _hash())  # another type under a name the file holds as a string
    db.set_strings([b"h", b"other"], [b"a string where the file has a hash", b"stays"])
    db.set_expire(b"s", now_ms() + 60_000)
    load_snapshot_bytes(target, data)
    assert _contents(target) == {(0, b"s"): (b"from the file", None), (0, b"t"): (b"2", None),
                                 (0, b"h"): (Hash, None), (0, b"other"): (b"stays", None)}
