"""What only the GPU engine has: fingerprint collisions, host spill when the device is full,
the output buffer's regrowth, table growth."""

import numpy as np

from gpu import batch, gpu_engine, kernels
from gpu.gpu_engine import GpuEngine
from gpu.slab import PAGE


def small_engine(**sizes):
    """A tiny engine whose reads all go through the lookup kernel (what these tests are about)."""
    return GpuEngine(**{"arena_bytes": 2 * PAGE, "table_slots": 16, "entries": 4,
                        "direct_read_max": 0, **sizes})


def test_fingerprint_collisions_compare_full_keys(monkeypatch):
    """Every key gets the same fingerprint: lookups must still find the right value."""
    monkeypatch.setattr(batch, "fingerprints",
                        lambda keys: np.full(len(keys), 12345, np.int64))
    monkeypatch.setattr("gpu.gpu_engine.fingerprints", batch.fingerprints)
    engine = small_engine()
    keys = [b"k%d" % i for i in range(20)]
    engine.mset(keys, [b"v%d" % i for i in range(20)])
    assert engine.mget(keys[::-1]) == [b"v%d" % i for i in range(20)][::-1]
    assert engine.delete(keys[:5]) == 5
    assert engine.mget(keys[:6]) == [None] * 5 + [b"v5"]
    engine.mset([b"k0"], [b"back"])  # reuses a tombstone in the same chain
    assert engine.mget([b"k0", b"k6"]) == [b"back", b"v6"]


def test_full_arena_spills_to_host_without_losing_writes():
    engine = small_engine()  # two pages: two size classes at most
    values = {b"a%d" % i: b"x" * 100 for i in range(50)}
    values.update({b"b%d" % i: b"y" * 3000 for i in range(50)})
    values.update({b"c%d" % i: b"z" * 20000 for i in range(10)})  # a third class: no page left
    engine.mset(list(values), list(values.values()))
    assert engine.describe()["host_spilled_keys"] == 10
    assert engine.mget(list(values)) == list(values.values())
    engine.mset([b"c0"], [b"w" * 100])  # fits a page in use: back to the device
    assert engine.describe()["host_spilled_keys"] == 9
    assert engine.get(b"c0") == b"w" * 100
    assert len(engine) == 110


def test_a_forked_childs_engine_takes_spilled_keys_too_and_leaves_the_parents_alone():
    engine = small_engine()
    values = {b"a%d" % i: b"x" * 100 for i in range(50)}
    values.update({b"b%d" % i: b"y" * 3000 for i in range(50)})
    values.update({b"c%d" % i: b"z" * 20000 for i in range(10)})  # spilled: no page left
    engine.mset(list(values), list(values.values()))
    assert engine.describe()["host_spilled_keys"] == 10
    child = engine.for_child(engine.prepare_fork())
    assert dict((key, value) for key, value, _ in child.items()) == values
    child.mset([b"a0"], [b"the child's"])
    child.delete([b"c0"])
    assert engine.mget([b"a0", b"c0"]) == [values[b"a0"], values[b"c0"]]


def test_reply_larger_than_the_output_buffer_is_fetched_again():
    engine = small_engine(arena_bytes=8 * PAGE)
    keys = [b"k%d" % i for i in range(6)]
    values = [bytes([i]) * 300_000 for i in range(6)]  # 1.8 MB of replies, buffer is 1 MiB
    engine.mset(keys, values)
    assert engine.mget(keys) == values


def test_table_grows_and_keeps_every_key():
    engine = small_engine()
    keys = [b"%d" % i for i in range(500)]
    engine.mset(keys, keys)
    assert engine.t_fp.size >= 500 / 0.75
    assert engine.mget(keys) == keys


def test_fingerprint_kernels_find_what_they_inserted():
    fps = batch.fingerprints([b"%d" % i for i in range(200)])
    table = kernels.cuda.to_device(np.zeros(512, np.int64))
    placed = kernels.cuda.device_array(200, np.int64)
    kernels.insert_fingerprints[2, kernels.THREADS](table, kernels.cuda.to_device(fps), placed)
    found = kernels.cuda.device_array(210, np.int64)
    probes = np.concatenate([fps, batch.fingerprints([b"no%d" % i for i in range(10)])])
    kernels.probe_fingerprints[2, kernels.THREADS](table, kernels.cuda.to_device(probes), found)
    assert (found.copy_to_host()[:200] == placed.copy_to_host()).all()
    assert (found.copy_to_host()[200:] == -1).all()


def test_device_out_of_memory_while_growing_spills_the_batch(monkeypatch):
    """A failed device allocation (table or entry growth) must not lose or corrupt anything:
    the batch goes to host memory and every earlier key stays readable."""
    engine = small_engine()
    first = [b"a%d" % i for i in range(8)]
    engine.mset(first, first)
    real = gpu_engine.cuda.device_array

    def full(*args, **kwargs):
        raise MemoryError("device full")

    monkeypatch.setattr(gpu_engine.cuda, "device_array", full)
    monkeypatch.setattr(gpu_engine.cuda, "to_device", full)
    more = [b"b%d" % i for i in range(40)]  # needs a bigger table and more entries
    engine.mset(more, more)
    monkeypatch.setattr(gpu_engine.cuda, "device_array", real)
    assert engine.describe()["host_spilled_keys"] == 40
    assert engine.mget(first + more) == first + more
    assert len(engine) == 48


def test_small_reads_launch_no_kernel_and_large_ones_do(monkeypatch):
    engine = small_engine(direct_read_max=4)
    keys = [b"k%d" % i for i in range(10)]
    engine.mset(keys, [b"v%d" % i for i in range(10)])
    launched = []
    real_launch = gpu_engine.launch
    monkeypatch.setattr(gpu_engine, "launch",
                        lambda kernel, count: launched.append(count) or real_launch(kernel, count))
    assert engine.mget(keys[:4]) == [b"v0", b"v1", b"v2", b"v3"]
    assert engine.mget([b"k9", b"nope"]) == [b"v9", None]
    assert launched == []
    assert engine.mget(keys) == [b"v%d" % i for i in range(10)]
    assert launched == [10]


def test_host_index_follows_every_change():
    """The index the direct reads use must name exactly the keys the device table holds, with
    their current entries, after replacements, deletes, spills and expiry."""
    engine = small_engine()  # two arena pages: the third size class spills
    keys = [b"k%d" % i for i in range(30)]
    engine.mset(keys, [b"a" * 10] * 30)
    engine.mset(keys[:10], [b"b" * 3000] * 10)  # replaced: new entries, another class
    engine.mset(keys[10:15], [b"c" * 30000] * 5)  # a third class: spilled to the host
    engine.delete(keys[20:25])
    engine.mset(keys[25:], [b"d"] * 5, deadline=1)  # already due
    assert engine.mget(keys[25:]) == [None] * 5  # expired by the read
    on_device = keys[:10] + keys[15:20]
    assert sorted(engine.index) == sorted(on_device)
    entries, _, _ = engine._lookup(on_device)
    assert [engine.index[key] for key in on_device] == entries.tolist()
    through_kernel = engine.mget(keys)
    engine.direct_read_max = 1 << 30
    assert engine.mget(keys) == through_kernel
    assert through_kernel[:20] == [b"b" * 3000] * 10 + [b"c" * 30000] * 5 + [b"a" * 10] * 5
