"""The SHARDS access sampler: a consistent subset of keys, every access to a sampled key, the
right op and size, a bounded ring that counts what it drops."""

import numpy as np

from ml.sampler import (HASH_MASK, OP_ACCESS, OP_DELETE, OP_INSERT, RECORD, AccessSampler,
                        threshold_of)
from server.keyspace.keytable import KeyTable


def fold(table, data, sampler, db_index=0):
    table.fold(data, {}, 1000, 0, 10, 1, (), sampler, db_index)


def keys_sampled_at(rate, keys):
    threshold = threshold_of(rate)
    return {k for k in keys if (hash(k) & HASH_MASK) < threshold}


def test_sampled_keys_are_a_consistent_subset_at_the_rate():
    keys = [b"key:%d" % i for i in range(50_000)]
    chosen = keys_sampled_at(0.05, keys)
    assert 0.045 < len(chosen) / len(keys) < 0.055
    sampler = AccessSampler(0.05)
    table, data = KeyTable(), {}
    for round_ in range(3):  # every access to a chosen key, none to the others
        data.update((k, b"v") for k in keys)
        table.log.extend(keys)
        fold(table, data, sampler)
    records = sampler.take()
    assert len(records) == 3 * len(chosen)
    assert set(records["hash"].tolist()) == {hash(k) for k in chosen}


def test_ops_sizes_sequence_and_database_are_recorded():
    sampler = AccessSampler(1.0)
    table, data = KeyTable(), {}
    data[b"a"] = b"x" * 100
    table.log.append(b"a")  # created
    table.log.append(b"a")  # read
    fold(table, data, sampler, db_index=3)
    del data[b"a"]
    table.log.append(b"a")  # deleted
    fold(table, data, sampler, db_index=3)
    records = sampler.take()
    assert records["op"].tolist() == [OP_INSERT, OP_ACCESS, OP_DELETE]
    assert records["seq"].tolist() == [0, 1, 2]
    assert records["db"].tolist() == [3, 3, 3]
    assert records["size"][0] > 100 and records["size"][0] == records["size"][1]
    assert records["size"][2] == 0
    assert sampler.seen == 3 and sampler.pending == 0


def test_a_full_ring_keeps_the_newest_records_and_counts_the_dropped():
    sampler = AccessSampler(1.0, capacity=8)
    hashes = np.arange(10, 30, dtype=np.int64)  # 20 accesses, 12 more than the ring holds
    ones = np.ones(20, np.bool_)
    sampler.observe(hashes[:5], ones[:5], ~ones[:5], lambda picked: [1] * len(picked), 0, 0)
    sampler.observe(hashes[5:], ones[5:], ~ones[5:], lambda picked: [1] * len(picked), 0, 0)
    assert sampler.dropped == 12
    records = sampler.take()
    assert records["hash"].tolist() == list(range(22, 30))
    assert records["seq"].tolist() == list(range(12, 20))
    assert sampler.take().size == 0


def test_rate_zero_samples_nothing_and_a_rate_change_applies_at_once():
    sampler = AccessSampler(0.0)
    assert sampler.threshold == 0
    sampler.set_rate(1.0)
    sampler.observe(np.array([5], np.int64), np.array([True]), np.array([True]),
                    lambda picked: [7], 0, 0)
    record = sampler.take()
    assert record.dtype == RECORD and record["size"].tolist() == [7]


def test_folded_accesses_feed_the_reuse_sample_at_the_same_rate():
    sampler = AccessSampler(1.0)
    table, data = KeyTable(), {b"a": b"1", b"b": b"2"}
    table.log.extend([b"a", b"b", b"gone", b"a"])  # "gone" does not exist: not timed
    fold(table, data, sampler)
    events, clock = sampler.take_reuse()
    assert clock == 3 and events.tolist() == [(1, 0), (2, 0), (1, 3), (3, 0)]
    assert sampler.take_reuse()[0].size == 0
    assert sampler.stats()["reuse_open"] == 2 and sampler.stats()["reuse_events"] == 4
    sampler.set_rate(0.0)  # off: the open monitors are dropped, nothing more is followed
    assert sampler.take_reuse()[0].tolist() == [(2, -3), (3, -3)]
    table.log.extend([b"a", b"b"])
    fold(table, data, sampler)
    assert sampler.take_reuse()[0].size == 0
