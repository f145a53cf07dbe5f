"""The key-metadata table and its kernels: records, clocks, growth, S3-FIFO's queues."""

import numpy as np
import pytest
from numba import njit

from ml import s3fifo, tracking
from ml.keymeta import (BYTES, CAPACITY, GHOST, HOOK_HISTORY, HOOK_NONE, HOOK_S3FIFO, MODE_LFU,
                        MODE_LRU, NO_GAP, POLICY, Q_BYTES, Q_COUNT, Q_HEAD, Q_TAIL, TOMBS, USED,
                        VT, gap_code, lfu_bumped, lfu_decayed, new_hist, new_slots, new_state)


def make_table(hook, capacity=64):
    state = new_state()
    state[POLICY] = hook
    return new_slots(capacity), new_hist(capacity if hook != HOOK_NONE else 0), state


def access(table, h, now=1000, mode=MODE_LRU):
    slots, hist, state = table
    return tracking.access(slots, hist, state, h, now, mode, 10, 1)


def test_access_adds_once_then_touches():
    table = make_table(HOOK_NONE)
    slot, added = access(table, 12345, now=100)
    assert added and table[0][slot]["clock"] == 100
    again, added = access(table, 12345, now=160)
    assert again == slot and not added and table[0][slot]["clock"] == 160
    assert table[2][USED] == 1 and table[2][VT] == 2


def test_remove_leaves_a_tombstone_that_is_reused():
    table = make_table(HOOK_NONE)
    slot, _ = access(table, 777)
    tracking.remove(*table, 777)
    assert table[2][USED] == 0 and table[2][TOMBS] == 1
    assert tracking.find_key(table[0], 777) == -1
    again, added = access(table, 777)
    assert added and again == slot and table[2][TOMBS] == 0


def test_marker_hashes_are_kept_apart():
    table = make_table(HOOK_NONE)
    hashes = np.array([0, 1, 5], np.int64)
    slots_out = np.empty(3, np.int64)
    added = np.empty(3, np.bool_)
    tracking.fold(*table, hashes, np.ones(3, np.bool_), np.zeros(3, np.bool_), 0, MODE_LRU, 10,
                  1, slots_out, added)
    assert added.all() and len(set(slots_out)) == 3
    assert tracking.find_key(table[0], 0) >= 0 and tracking.find_key(table[0], 1) >= 0


def test_rebuild_moves_every_record_and_queue_link():
    slots, hist, state = make_table(HOOK_S3FIFO, 4096)
    state[CAPACITY] = 10 ** 9
    rng = np.random.default_rng(1)
    hashes = rng.integers(2, 1 << 62, 2000)
    for h in hashes:
        slot, _ = tracking.access(slots, hist, state, h, 0, MODE_LRU, 10, 1)
        tracking.set_size(hist, state, slot, 10)
    for h in hashes[:500]:
        tracking.remove(slots, hist, state, h)
    bigger_slots, bigger_hist = new_slots(8192), new_hist(8192)
    moved = tracking.rebuild(slots, hist, state, bigger_slots, bigger_hist)
    assert state[TOMBS] == 0 and (moved >= 0).sum() == 1500
    for h in hashes[500:]:
        assert tracking.find_key(bigger_slots, h) >= 0
    for h in hashes[:500]:
        assert tracking.find_key(bigger_slots, h) == -1
    assert_queues_consistent(bigger_slots, bigger_hist, state)


def test_lfu_counter_follows_redis():
    # a new key starts at 5; the first access from 5 always counts (p = 1)
    assert lfu_bumped(5, 10) == 6
    assert lfu_bumped(255, 10) == 255
    # 3 minutes idle with lfu-decay-time 1 takes 3 off; decay time 0 never decays
    clock = (100 << 8) | 20
    assert lfu_decayed(clock, 103 * 60, 1) == 17
    assert lfu_decayed(clock, 103 * 60, 0) == 20
    assert lfu_decayed(clock, 200 * 60, 1) == 0
    np.random.seed(0)
    counter, rises = 10, 0
    for _ in range(2000):
        new = lfu_bumped(counter, 10)
        rises += new != counter
    # p = 1 / ((10 - 5) * 10 + 1) = 1/51
    assert 20 < rises < 60


def test_lfu_mode_clock_packs_minutes_and_counter():
    table = make_table(HOOK_NONE)
    slot, _ = access(table, 99, now=600, mode=MODE_LFU)
    assert table[0][slot]["clock"] == (10 << 8) | 5


def test_history_records_gaps_in_eighth_octaves():
    table = make_table(HOOK_HISTORY)
    slot, _ = access(table, 42)
    assert table[1][slot]["gap1"] == NO_GAP and table[1][slot]["count"] == 1
    for h in range(100, 107):  # seven other accesses
        access(table, h)
    access(table, 42)
    assert table[1][slot]["gap1"] == gap_code(8) == 25  # 8 * log2(9) = 25.4
    assert table[1][slot]["gap2"] == NO_GAP and table[1][slot]["count"] == 2


def walk(hist, state, q):
    seen, slot = [], state[Q_HEAD + q]
    while slot >= 0:
        seen.append(slot)
        slot = hist[slot]["next"]
    return seen


def assert_queues_consistent(slots, hist, state):
    for q in range(3):
        members = walk(hist, state, q)
        assert len(members) == state[Q_COUNT + q]
        assert sum(int(hist[s]["size"]) for s in members) == state[Q_BYTES + q]
        assert (members[-1] if members else -1) == state[Q_TAIL + q]
        for s in members:
            assert hist[s]["queue"] == q + 1
            assert bool(slots[s]["flags"] & GHOST) == (q == s3fifo.GHOSTQ)


def test_s3fifo_queues_stay_consistent_under_random_work():
    slots, hist, state = make_table(HOOK_S3FIFO, 8192)
    capacity = 300
    state[CAPACITY] = capacity
    rng = np.random.default_rng(7)
    cached = 0
    for h in rng.zipf(1.2, 20000) % 3000 + 2:
        slot = tracking.find_key(slots, h)
        if slot >= 0 and not slots[slot]["flags"] & GHOST:
            tracking.access(slots, hist, state, h, 0, MODE_LRU, 10, 1)
            continue
        slot, _ = tracking.access(slots, hist, state, h, 0, MODE_LRU, 10, 1)
        tracking.set_size(hist, state, slot, 1)
        cached += 1
        while cached > capacity:
            assert s3fifo.next_victim(slots, hist, state) >= 0
            cached -= 1
    assert_queues_consistent(slots, hist, state)
    assert state[Q_COUNT + 0] + state[Q_COUNT + 1] == capacity == state[BYTES]
    assert state[Q_BYTES + s3fifo.GHOSTQ] <= s3fifo.GHOST_SHARE * capacity


@pytest.mark.parametrize("hook", [HOOK_HISTORY, HOOK_S3FIFO])
def test_a_key_coming_back_from_ghost_is_added_again(hook):
    slots, hist, state = make_table(hook)
    state[CAPACITY] = 100
    for h in (5, 6):  # a second key: ghosts are only kept beside cached keys
        other, _ = tracking.access(slots, hist, state, h, 0, MODE_LRU, 10, 1)
        tracking.set_size(hist, state, other, 1)
    slot = tracking.find_key(slots, 5)
    if hook == HOOK_S3FIFO:  # both wait in SMALL, 5 is the oldest: it goes, remembered
        assert s3fifo.next_victim(slots, hist, state) == slot
    else:
        tracking.retire(slots, hist, state, slot)
    assert slots[slot]["flags"] & GHOST
    again, added = tracking.access(slots, hist, state, 5, 0, MODE_LRU, 10, 1)
    assert again == slot and added and not slots[slot]["flags"] & GHOST
    if hook == HOOK_HISTORY:
        assert hist[slot]["count"] == 2  # the history went on


@njit
def _seed(seed):
    np.random.seed(seed)  # numba's generator, apart from numpy's


def test_sampling_draws_only_live_keys_and_is_reproducible():
    """sample() tests 'any live key' without a branch: tombstones, ghosts and keys already
    chosen are never drawn, a seed repeats its draws, and a restriction (volatile keys only)
    still goes through the full check."""
    from ml.eviction import CHOSEN, VOLATILE_ONLY, sample
    from ml.keymeta import VOLATILE

    table = make_table(HOOK_HISTORY, capacity=256)
    slots = table[0]
    placed = [access(table, 1000 + i)[0] for i in range(120)]
    for h in range(1000, 1030):
        tracking.remove(*table, h)  # tombstones
    for slot in placed[30:40]:
        slots[slot]["flags"] |= GHOST
    for slot in placed[40:50]:
        slots[slot]["flags"] |= CHOSEN
    for slot in placed[50:60]:
        slots[slot]["flags"] |= VOLATILE
    live = set(placed[50:])
    out, again = np.empty(64, np.int64), np.empty(64, np.int64)
    for seed in range(50):
        _seed(seed)
        found = sample(slots, 0, 16, out)
        _seed(seed)
        assert sample(slots, 0, 16, again) == found == 16
        assert set(out[:found].tolist()) <= live, set(out[:found].tolist()) - live
        assert list(out[:found]) == list(again[:found])
        found = sample(slots, VOLATILE_ONLY, 16, out)  # probes, then a scan: every one of the 10
        assert found >= 10 and set(out[:found].tolist()) <= set(placed[50:60])


def test_features_read_small_and_large_times_alike():
    """key_features takes log2(v + 1) from a table below SMALL_LOG2 and computes it above:
    both give what math.log2 gives."""
    import math

    from ml.features import N_FEATURES, SMALL_LOG2, key_features

    hist = new_hist(4)
    for vt, last, first, count, size in ((5000, 4990, 100, 3, 1000),
                                         (10 ** 6, 10, 5, 255, 1),
                                         (SMALL_LOG2, 1, 0, 1, SMALL_LOG2 - 1)):
        hist[0]["last_vt"], hist[0]["first_vt"] = last, first
        hist[0]["count"], hist[0]["size"] = count, size
        hist[0]["gap1"] = hist[0]["gap2"] = NO_GAP
        out = np.empty(N_FEATURES, np.float32)
        key_features(hist, 0, vt, 3.0, 2.0, out)
        expected = [math.log2(vt - last + 1.0) - 3.0, 0, 0, 0, 0, math.log2(count),
                    math.log2(vt - first + 1.0) - 3.0, math.log2(size + 1.0) - 2.0]
        assert list(out) == list(np.array(expected, np.float32))
