"""Freed heap pages handed back to the OS (server/heap_trim.py)."""

from server.heap_trim import GAP, INTERVAL_S, HeapTrimmer
from tests.fakes import Clock, connect, make_server

MB = 1 << 20


def test_it_trims_when_rss_drifts_a_gap_above_used_memory_and_not_more_often_than_its_interval():
    calls, clock, rss = [], Clock(), []
    trimmer = HeapTrimmer(trim=calls.append, clock=clock, rss=lambda: rss.pop(0))
    used = 200 * MB
    assert trimmer.due()
    rss[:] = [used + GAP - 1]
    assert trimmer.tick(used) == 0
    assert not trimmer.due() and calls == []
    clock.now += INTERVAL_S
    assert trimmer.due()
    rss[:] = [used + 100 * MB, used + 10 * MB]
    assert trimmer.tick(used) == 90 * MB
    assert calls == [0] and (trimmer.trims, trimmer.released) == (1, 90 * MB)
    # what the trim could not give back (10 MB over used) is the new baseline
    clock.now += INTERVAL_S
    rss[:] = [used + 10 * MB + GAP - 1]
    assert trimmer.tick(used) == 0
    clock.now += INTERVAL_S
    rss[:] = [used + 10 * MB + GAP, used + 5 * MB]
    assert trimmer.tick(used) == GAP + 5 * MB
    assert trimmer.trims == 2


def test_without_malloc_trim_it_never_looks():
    assert not HeapTrimmer(trim=None).due()


def test_a_fold_of_many_new_keys_leaves_pages_a_trim_gives_back():
    """The case that prompted it: 200,000 SETs, their access log folded into the table."""
    server = make_server("--predis-sidecar", "no")
    connection, transport = connect(server)
    for start in range(0, 200_000, 1000):
        connection.data_received(b"".join(
            b"*3\r\n$3\r\nSET\r\n$16\r\n%016d\r\n$16\r\n%016d\r\n" % (i, i)
            for i in range(start, start + 1000)))
        transport.writes.clear()
    server.keyspace.fold_all()
    trimmer = HeapTrimmer()
    assert trimmer.due()
    released = trimmer.tick(server.used_memory() - GAP * 4)  # (whatever the gap, it trims)
    assert released > 4 * MB, released
