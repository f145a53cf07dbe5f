"""Keyspace: lazy and active expiry, memory accounting, SCAN snapshots, glob patterns."""

import time

from server.glob import glob_match
from server.keyspace import Keyspace, now_ms
from server.keyspace.expiry import ActiveExpiry
from server.keyspace.memory import entry_size
from server.keyspace.scan import Scanner


def test_lazy_expiry_on_read_counts_expired_key():
    ks = Keyspace(2)
    db = ks[0]
    db.set(b"k", b"v")
    db.set_expire(b"k", now_ms() - 1)
    assert db.lookup_read(b"k") is None
    assert ks.stats.expired == 1 and len(db) == 0 and db.misses == 1


def test_active_expiry_removes_unread_expired_keys_and_keeps_live_ones():
    ks = Keyspace(1)
    db = ks[0]
    past = now_ms() - 1
    for i in range(1000):
        db.set(b"dead%d" % i, b"v")
        db.set_expire(b"dead%d" % i, past)
    for i in range(100):
        db.set(b"live%d" % i, b"v")
        db.set_expire(b"live%d" % i, now_ms() + 60000)
    expiry = ActiveExpiry(ks)
    for _ in range(20):
        expiry.run(hz=10)
    assert len(db) == 100
    assert all(key.startswith(b"live") for key in db.data)


def test_active_expiry_respects_time_budget():
    ks = Keyspace(1)
    db = ks[0]
    past = now_ms() - 1
    for i in range(200000):
        db.data[b"k%d" % i] = b"v"
        db.expires[b"k%d" % i] = past
    started = time.perf_counter()
    ActiveExpiry(ks).run(hz=10)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.2  # 25 ms budget plus the one-off snapshot of the TTL keys
    assert 0 < 200000 - len(db.data) < 200000  # made progress, did not do it all at once
    assert ks.stats.expire_time_caps == 1  # (INFO expired_time_cap_reached_count)


def test_an_expiry_cycle_that_finishes_in_time_is_not_counted_as_capped():
    ks = Keyspace(1)
    db = ks[0]
    db.set(b"k", b"v")
    db.set_expire(b"k", now_ms() - 1)
    ActiveExpiry(ks).run(hz=10)
    assert len(db) == 0 and ks.stats.expire_time_caps == 0


def test_memory_accounting_follows_sets_and_deletes():
    ks = Keyspace(1)
    db = ks[0]
    db.set(b"key", b"value")
    assert db.memory == entry_size(b"key", b"value")
    db.set(b"key", b"x" * 1000)
    assert db.memory == entry_size(b"key", b"x" * 1000)
    db.set_expire(b"key", now_ms() + 1000)
    db.delete(b"key")
    assert db.memory == 0


def test_scan_returns_every_stable_key_despite_concurrent_changes():
    data = {b"k%d" % i: b"v" for i in range(1000)}
    scanner = Scanner()
    seen, cursor = set(), 0
    step = 0
    while True:
        cursor, keys = scanner.page(data, cursor, 37)
        seen.update(keys)
        step += 1
        data[b"new%d" % step] = b"v"  # inserts and deletes during the scan
        data.pop(b"k%d" % (999 - step), None)
        if cursor == 0:
            break
    stable = {b"k%d" % i for i in range(1000 - step - 1)}
    assert stable <= seen


def test_glob_patterns_follow_redis_rules():
    assert glob_match(b"h?llo", b"hello")
    assert glob_match(b"h*llo", b"heeeello")
    assert glob_match(b"h[ae]llo", b"hallo") and not glob_match(b"h[ae]llo", b"hillo")
    assert glob_match(b"h[^e]llo", b"hallo") and not glob_match(b"h[^e]llo", b"hello")
    assert glob_match(b"h[b-a]llo", b"hallo")  # reversed range is swapped
    assert glob_match(b"a\\*b", b"a*b") and not glob_match(b"a\\*b", b"axb")
    assert not glob_match(b"h[]llo", b"hllo")
    assert not glob_match(b"*", b"") and glob_match(b"", b"")  # stringmatchlen: empty string
    assert glob_match(b"H*", b"hello", nocase=True)


def test_set_strings_accounts_like_set():
    from server.keyspace import Keyspace

    one, many = Keyspace(1)[0], Keyspace(1)[0]
    pairs = [(b"k%d" % i, b"v" * i) for i in range(0, 700, 7)] + [(b"k0", b"again")]
    for key, value in pairs:
        one.set(key, value)
    many.set_strings([k for k, _ in pairs], [v for _, v in pairs])
    assert many.memory == one.memory and many.data == one.data
    one.set(b"k7", bytearray(b"raw"))  # a raw string (APPEND) being overwritten
    many.set(b"k7", bytearray(b"raw"))
    big = [(b"big%d" % i, b"x" * 5000) for i in range(3)] + [(b"k7", b"plain")]
    for key, value in big:
        one.set(key, value)
    many.set_strings([k for k, _ in big], [v for _, v in big])
    assert many.memory == one.memory and many.data == one.data


def test_active_expiry_estimates_average_ttl():
    ks = Keyspace(1)
    db = ks[0]
    for i in range(100):
        db.set(b"k%d" % i, b"v")
        db.set_expire(b"k%d" % i, now_ms() + 100_000)
    ActiveExpiry(ks).run(hz=10)
    assert 90_000 < db.avg_ttl <= 100_000
    db.clear()
    assert db.avg_ttl == 0
