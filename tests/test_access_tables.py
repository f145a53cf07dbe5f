"""Per-key access tables stay in step with the data through every command that creates, moves or
removes keys; the server's memory figure counts them."""

import tempfile
import time

import pytest

from tests.fakes import connect, make_server

SCRIPT = [
    "SET a 1", "SET b 2", "MSET c 3 d 4", "RENAME a a2", "RENAMENX b b2", "COPY c c2",
    "MOVE d 1", "SELECT 1", "SET x 1", "SELECT 0", "SWAPDB 0 1", "SWAPDB 0 1",
    "LPUSH l 1 2", "LMOVE l l2 LEFT RIGHT", "RPOPLPUSH l2 l3", "SADD s1 a", "SMOVE s1 s2 a",
    "ZADD z 1 a", "ZUNIONSTORE z2 1 z", "SORT l3 STORE l4", "SUNIONSTORE s3 s2",
    "HSET h f v", "HDEL h f", "XADD st * f v", "PFADD hll a", "SETEX e 100 v",
    "PEXPIRE c2 1", "GETDEL b2", "SET n 5", "INCR n", "APPEND n 5", "SETRANGE r 5 x",
    "SETBIT bits 7 1", "BITOP OR bo bits bits", "DEL l4", "UNLINK z2", "GEOADD g 1 1 m",
    "DEBUG RELOAD", "FLUSHDB", "SET again 1",
]


def run(conn, transport, line: str) -> bytes:
    words = line.split()
    transport.writes.clear()
    conn.data_received(b"*%d\r\n" % len(words) +
                       b"".join(b"$%d\r\n%b\r\n" % (len(w), w.encode()) for w in words))
    return transport.output


@pytest.mark.parametrize("policy", ["noeviction", "allkeys-lfu", "allkeys-learned",
                                    "allkeys-s3fifo"])
def test_tables_follow_every_key_changing_command(policy):
    server = make_server("--dir", tempfile.mkdtemp(), "--maxmemory-policy", policy)
    conn, transport = connect(server)
    keyspace = server.keyspace
    for index, line in enumerate(SCRIPT):
        assert b"internal error" not in run(conn, transport, line), line
        if index % 5 == 4 or line == "FLUSHDB":
            time.sleep(0.002)  # let PEXPIRE 1 come due now and then
            keyspace.fold_all()
            for db in keyspace.dbs:
                assert len(db.table) == len(db.data), (line, db.index)
    assert keyspace.repair_tables() == []


def test_used_memory_counts_the_tables():
    server = make_server("--dir", tempfile.mkdtemp())
    before = server.used_memory()
    db = server.keyspace[0]
    for i in range(5000):
        db.set(b"key:%d" % i, b"v" * 10)
    server.keyspace.fold_all()
    table = db.table.nbytes
    assert table >= 5000 * (13 + 8)  # a record and a key reference each, at least
    assert server.used_memory() - before == db.memory + table - 16 * 13 - 16 * 8


def test_switching_to_a_learned_policy_keeps_every_key():
    server = make_server("--dir", tempfile.mkdtemp())
    db = server.keyspace[0]
    for i in range(1000):
        db.set(b"k%d" % i, b"v")
    conn, transport = connect(server)
    for policy in ("allkeys-learned", "allkeys-s3fifo", "allkeys-lru"):
        assert run(conn, transport, f"CONFIG SET maxmemory-policy {policy}") == b"+OK\r\n"
        server.keyspace.fold_all()
        assert len(db.table) == 1000 and all(db.table.slot_of(b"k%d" % i) >= 0
                                              for i in range(1000))


def test_learned_evictions_keep_ghost_history_whichever_expert_evicts():
    """Under allkeys-learned the model's victims become S3-FIFO ghosts (so a returning key keeps
    its history); their budget is the cache's bytes, known from the first eviction on."""
    from unittest.mock import patch

    from ml.eviction import LEARNED
    from ml.keymeta import Q_COUNT
    from ml.s3fifo import GHOSTQ
    from server.keyspace.keytable import KeyTable

    server = make_server("--dir", tempfile.mkdtemp(), "--maxmemory-policy", "allkeys-learned",
                         "--maxmemory", "3mb")
    conn, transport = connect(server)
    with patch.object(KeyTable, "arbitrate", lambda self, held_bytes: LEARNED):  # the model evicts
        for i in range(20_000):
            run(conn, transport, f"SET key:{i} {'v' * 50}")
    table = server.keyspace[0].table
    assert server.evicted_keys > 0
    assert table.state[Q_COUNT + GHOSTQ] > 0


def test_allkeys_learned_shadows_stay_within_their_share_of_used_memory():
    """Under eviction pressure with small values the arbiter's shadows are sampled so that
    they cost at most SHADOW_MEMORY_SHARE of the keys' bytes; used_memory counts them."""
    from ml import arbiter

    server = make_server("--dir", tempfile.mkdtemp(), "--maxmemory-policy", "allkeys-learned",
                         "--maxmemory", "2mb")
    conn, transport = connect(server)
    for i in range(20_000):
        run(conn, transport, f"SET key:{i} {'v' * 50}")
    db = server.keyspace[0]
    table = db.table
    assert server.evicted_keys > 0 and table.arbiter is not None
    shadows = sum(a.nbytes for a in table.arbiter)
    assert shadows <= arbiter.SHADOW_MEMORY_SHARE * db.memory * 2  # the keys held may halve
    assert table.arbiter[9][arbiter.SHIFT] > 0
    assert table.nbytes >= shadows + table.slots.nbytes


def test_a_long_log_of_hot_keys_does_not_grow_the_table_and_an_emptied_table_shrinks():
    """Between two folds a busy server logs the same hot keys thousands of times: the table
    (counted in used_memory) must be sized by the keys, not the log, or a tight maxmemory
    evicts every key and still reports OOM. After most keys go it gives the room back."""
    from server.keyspace.keytable import KeyTable

    table, data = KeyTable(), {}
    for i in range(100):
        data[b"hot:%d" % i] = b"v"
    for round_ in range(3):
        table.log.extend([b"hot:%d" % (i % 100) for i in range(100_000)])
        table.fold(data, {}, 1000, 0, 10, 1)
    assert len(table) == 100 and len(table.slots) < 1024
    for i in range(50_000):
        data[b"cold:%d" % i] = b"v"
    table.log.extend(data)
    table.fold(data, {}, 1000, 0, 10, 1)
    big = len(table.slots)
    assert big > 50_000
    for i in range(50_000):
        del data[b"cold:%d" % i]
    table.log.extend(b"cold:%d" % i for i in range(50_000))
    table.fold(data, {}, 1000, 0, 10, 1)
    table.log.append(b"hot:1")
    table.fold(data, {}, 1000, 0, 10, 1)
    assert len(table) == 100 and len(table.slots) < big // 10
    assert all(table.slot_of(b"hot:%d" % i) >= 0 for i in range(100))


def test_the_shadows_see_exactly_the_sampled_accesses():
    """KeyTable.fold hands every logged access to the arbiter, which feeds its shadows the
    sampled ones; the expert it chose is asked again only when the shadows saw something."""
    import numpy as np

    from ml import arbiter
    from ml.keymeta import HOOK_S3FIFO
    from ml.sim.simulate import model_arrays
    from server.keyspace.keytable import KeyTable

    weights = model_arrays(None)
    table = KeyTable(HOOK_S3FIFO)
    table.arbiter = arbiter.new_arbiter(10_000, 0)  # sampled: 1 key in 8
    assert int(table.arbiter[9][arbiter.SHIFT]) == 3
    keys = [b"key:%d" % i for i in range(400)]
    data = dict.fromkeys(keys, b"v")
    sampled = [k for k in keys if arbiter.sampled(hash(k), 3)]
    unsampled = [k for k in keys if k not in sampled]
    assert sampled and unsampled
    stats = table.arbiter[9]
    for log in (unsampled[:3], unsampled[:50], sampled[:1], sampled[:20]):
        before = stats.copy()
        table.expert = arbiter.expert(table.arbiter)
        table.log.extend(log)
        table.fold(data, {}, 1000, 0, 10, 1, weights)
        moved = not np.array_equal(before, stats)
        assert moved == (log[0] in sampled), len(log)
        assert (table.expert is None) == moved


@pytest.mark.parametrize("policy", ["noeviction", "allkeys-learned", "allkeys-s3fifo"])
def test_a_deleted_key_object_is_let_go_at_the_next_fold_and_a_rebuild_keeps_the_rest(policy):
    """The access table's key objects: those of deleted keys go at the fold that drops their
    records (not when the slot is reused), and growing the table moves every live one."""
    server = make_server("--maxmemory-policy", policy)
    conn, transport = connect(server)
    db = server.keyspace[0]
    for i in range(300):
        run(conn, transport, f"SET k{i} v")
    server.keyspace.fold_all()
    run(conn, transport, "DEL " + " ".join(f"k{i}" for i in range(0, 300, 3)))
    run(conn, transport, "GET k1")  # a fold of accesses after the removals
    server.keyspace.fold_all()
    held = {key for key in db.table.keys if key is not None}
    assert held == set(db.data)
    for i in range(300, 3000):  # several growths of the table
        run(conn, transport, f"SET k{i} v")
        if i % 500 == 0:
            server.keyspace.fold_all()
    server.keyspace.fold_all()
    slots = {db.table.slot_of(key) for key in db.data}
    assert -1 not in slots and [db.table.keys[slot] for slot in sorted(slots)] == \
        [key for key in db.table.keys if key is not None]
    assert {key for key in db.table.keys if key is not None} == set(db.data)


@pytest.mark.parametrize("hook_name", ["HOOK_NONE", "HOOK_S3FIFO"])
def test_a_large_table_grows_over_cron_ticks_into_the_table_a_growth_at_once_makes(
        monkeypatch, hook_name):
    """The cron grows a large table a slice of records per tick while the log waits; the end
    is the very table one rebuild makes (records, history, queue links, keys, counters)."""
    import numpy as np

    from ml import keymeta
    from server.keyspace import keytable

    monkeypatch.setattr(keytable, "GROWTH_STEP", 64)  # (tables over 128 slots grow gradually)
    hook = getattr(keymeta, hook_name)
    gradual, at_once, data = keytable.KeyTable(hook), keytable.KeyTable(hook), {}
    ticks_deferred = 0
    for batch in range(12):
        keys = [b"key:%d" % i for i in range(batch * 150, (batch + 1) * 150)]
        data.update(dict.fromkeys(keys, b"v"))
        for table in (gradual, at_once):
            table.log.extend(keys + keys[:20])  # new keys, then hot ones again
        at_once.fold(data, {}, 1000 + batch, 0, 10, 1)
        gradual.tend(data, {}, 1000 + batch, 0, 10, 1)
        while gradual.growing:
            ticks_deferred += 1
            assert gradual.log  # nothing folded while the records are copied
            assert gradual.nbytes > gradual.slots.nbytes + gradual.keys.nbytes + \
                gradual.growth.slots.nbytes  # both generations count in used_memory
            gradual.tend(data, {}, 1000 + batch, 0, 10, 1)
        if gradual.log:  # (folded from the tick after the copy's last)
            gradual.tend(data, {}, 1000 + batch, 0, 10, 1)
    assert ticks_deferred >= 5
    assert len(gradual) == len(at_once) == len(data)
    assert np.array_equal(gradual.slots, at_once.slots)
    assert np.array_equal(gradual.hist, at_once.hist)
    assert np.array_equal(gradual.state, at_once.state)
    assert list(gradual.keys) == list(at_once.keys)
    assert gradual.nbytes == at_once.nbytes


def test_a_fold_outside_the_cron_finishes_a_growth_and_no_repair_happens_meanwhile(
        monkeypatch):
    """Eviction, OBJECT and the rest fold before they read the table: a growth under way is
    finished then. The cron's table check leaves a growing table alone (its log waits)."""
    from server.keyspace import keytable

    monkeypatch.setattr(keytable, "GROWTH_STEP", 64)
    started = time.monotonic()
    server = make_server("--maxmemory-policy", "allkeys-lru")
    conn, transport = connect(server)
    db = server.keyspace[0]
    grew = False
    for i in range(40):
        conn.data_received(b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\n%b\r\n$1\r\nv\r\n" % (
            len(b"k%d" % j), b"k%d" % j) for j in range(i * 50, (i + 1) * 50)))
        server._tend_access_tables()
        grew = grew or db.table.growing
        assert server.keyspace.repair_tables() == []
    assert grew
    while not db.table.growing:  # a growth under way, then a command that folds
        conn.data_received(b"*3\r\n$3\r\nSET\r\n$%d\r\n%b\r\n$1\r\nv\r\n" % (
            len(b"n%d" % i), b"n%d" % i))
        i += 1
        server._tend_access_tables()
    # k1 was written during this test (idle time in whole seconds: a slow machine crosses one)
    idle = run(conn, transport, "OBJECT IDLETIME k1")
    assert idle[:1] == b":" and int(idle[1:]) <= time.monotonic() - started + 1
    assert not db.table.growing and not db.table.log
    assert len(db.table) == len(db.data)
    assert {key for key in db.table.keys if key is not None} == set(db.data)


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-s3fifo"])
def test_the_cron_folding_a_long_log_in_parts_ends_where_one_fold_ends(monkeypatch, policy):
    """The cron folds a long log a part at a time; removals and re-creations that straddle
    a part's end leave the same records as one fold of the whole log."""
    import random

    import numpy as np

    from server.keyspace import keytable

    monkeypatch.setattr(keytable, "FOLD_PART", 7)
    rng = random.Random(5)
    lines = []
    for _ in range(400):
        key = f"k{rng.randrange(40)}"
        lines.append(rng.choice([f"SET {key} v", f"GET {key}", f"DEL {key}", f"LPUSH {key}x a",
                                 f"UNLINK {key}x", f"INCR {key}n"]))
    servers = [make_server("--maxmemory-policy", policy) for _ in range(2)]
    for server in servers:
        conn, transport = connect(server)
        for line in lines:
            run(conn, transport, line)
    whole, parts = servers[0].keyspace[0], servers[1].keyspace[0]
    servers[0].keyspace.fold_all()
    ticks = 0
    while parts.table.log:
        servers[1].keyspace.tend_tables()
        ticks += 1
    assert ticks > 5 and not parts.table.removed
    assert records(parts.table) == records(whole.table)
    assert len(parts.table) == len(parts.data) == len(whole.data)


def records(table) -> tuple:
    """A table's records by key (flags; S3-FIFO's queue, frequency and size), and its queues
    in order: what a fold decides, apart from where the records sit."""
    from ml.keymeta import Q_HEAD

    by_key = {}
    for slot, key in enumerate(table.keys):
        if key is not None:
            row = (int(table.slots[slot]["flags"]),)
            if len(table.hist):
                rec = table.hist[slot]
                row += (int(rec["queue"]), int(rec["freq"]), int(rec["size"]))
            by_key[key] = row
    queues = []
    if len(table.hist):
        for q in range(3):
            order, slot = [], int(table.state[Q_HEAD + q])
            while slot >= 0:
                order.append(table.keys[slot])
                slot = int(table.hist[slot]["next"])
            queues.append(order)
    return by_key, queues
