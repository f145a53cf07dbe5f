"""Reuse-time sampling (ml/reuse.py): every sampled access followed to its key's next access,
on a clock of accesses to keys that exist; a full table drops its older half."""

import numpy as np

from ml.reuse import CAPACITY, EVENT, ReuseSampler, trace_events


def events_of(sampler, hashes, present=None, db_index=0):
    hashes = np.asarray(hashes, np.int64)
    present = np.ones(len(hashes), np.bool_) if present is None else np.asarray(present)
    return [tuple(e) for e in sampler.follow(hashes, present, db_index).tolist()]


def test_every_access_at_rate_one_starts_a_monitor_its_keys_next_access_ends():
    sampler = ReuseSampler(1.0)
    # a b a c b a: clock 1..6
    assert events_of(sampler, [11, 12, 11, 13, 12, 11]) == [
        (1, 0), (2, 0), (1, 3), (3, 0), (4, 0), (2, 5), (5, 0), (3, 6), (6, 0)]
    assert sampler.clock == 6 and sampler.open == 3  # a, b and c still open


def test_accesses_to_absent_keys_are_not_timed_and_databases_are_apart():
    sampler = ReuseSampler(1.0)
    events = events_of(sampler, [7, 8, 7], present=[True, False, True])
    assert events == [(1, 0), (1, 2), (2, 0)]
    events = events_of(sampler, [7], db_index=1)  # another database's key 7
    assert events == [(3, 0)]
    assert events_of(sampler, [7], db_index=0) == [(2, 4), (4, 0)]


def test_reuse_times_match_a_direct_count_on_a_colliding_table():
    """Small table, many keys sharing probe runs: removals must keep every open monitor
    findable (the reuse times equal those counted directly)."""
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 40, 5000) * 64  # 40 keys, all in the same few home slots
    sampler = ReuseSampler(1.0, capacity=128)
    events = sampler.follow(ids, np.ones(ids.size, np.bool_))
    ended = events[events["end"] > 0]
    last, expected = {}, []
    for clock, key in enumerate(ids.tolist(), 1):
        if key in last:
            expected.append((last[key], clock))
        last[key] = clock
    assert sorted(map(tuple, ended.tolist())) == sorted(expected)


def test_a_full_table_drops_its_older_half_as_censored():
    sampler = ReuseSampler(1.0, capacity=16)  # room for 12 open monitors
    events = sampler.follow(np.arange(1, 14, dtype=np.int64), np.ones(13, np.bool_))
    dropped = events[events["end"] < 0]
    # at the 13th access, 12 are open, started at 1..12: the older half of the time since
    # the oldest (1 + 12 // 2: started at 7 or before) goes
    assert dropped["start"].tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert set(dropped["end"].tolist()) == {-13}
    assert sampler.open == 6
    later = sampler.follow(np.array([3, 9], np.int64), np.ones(2, np.bool_))
    assert later[later["end"] > 0].tolist() == [(9, 15)]  # key 3 was dropped: starts anew


def test_the_sample_is_a_seeded_random_share_of_the_accesses():
    ids = np.random.default_rng(0).integers(0, 1000, 200_000)
    events, clock = trace_events(ids, 0.01, seed=1)
    starts = events[events["end"] == 0]
    assert clock == 200_000 and 1800 < len(starts) < 2200
    again, _ = trace_events(ids, 0.01, seed=1)
    other, _ = trace_events(ids, 0.01, seed=2)
    assert np.array_equal(events, again) and not np.array_equal(events, other)
    assert events.dtype == EVENT and CAPACITY == 1 << 16


def test_switching_sampling_off_drops_the_open_monitors():
    sampler = ReuseSampler(1.0)
    events_of(sampler, [1, 2])
    assert sampler.set_rate(0.0).tolist() == [(1, -2), (2, -2)]  # dropped at the clock's 2
    assert sampler.open == 0 and events_of(sampler, [1, 2]) == []
    sampler.set_rate(1.0)
    assert events_of(sampler, [1]) == [(3, 0)]  # a new start, not the end of the old one
