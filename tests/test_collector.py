"""CPython's cycle collector and a big keyspace (server/collector.py): a load pauses it and
freezes what it made, and a long full collection has what is alive frozen at the next cron
tick, so later full collections walk only newer objects."""

import gc

import pytest

from server import collector
from server.loading import LoadingInterrupted, collector_paused, loading
from tests.fakes import make_server


def test_a_load_pauses_collection_then_freezes_what_is_alive():
    server = make_server("--predis-sidecar", "no")
    frozen = gc.get_freeze_count()
    with loading(server, 0):
        assert not gc.isenabled()
        loaded = [[i] for i in range(10_000)]  # containers, as a load makes them
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen + len(loaded)
    walked = {id(obj) for obj in gc.get_objects()}
    assert not any(id(obj) in walked for obj in loaded)


def test_a_load_cut_short_by_shutdown_freezes_nothing():
    frozen = gc.get_freeze_count()
    with pytest.raises(LoadingInterrupted):
        with collector_paused():
            garbage = [[i] for i in range(1000)]  # noqa: F841
            raise LoadingInterrupted("SHUTDOWN")
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_collection_stays_off_when_it_was_off():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_after_a_long_full_collection_the_cron_freezes_what_is_alive(monkeypatch):
    monkeypatch.setattr(collector, "LONG_COLLECTION_S", 0.0)  # every full collection is long
    collector.tick()  # (one left due by earlier collections in this process)
    frozen, freezes = gc.get_freeze_count(), collector.WATCH.freezes
    made = [[i] for i in range(10_000)]
    collector.tick()
    assert gc.get_freeze_count() == frozen  # no full collection yet: nothing to do
    gc.collect()
    assert collector.WATCH.freeze_due
    collector.tick()
    assert collector.WATCH.freezes == freezes + 1 and not collector.WATCH.freeze_due
    assert gc.get_freeze_count() >= frozen + len(made)


def test_short_full_collections_freeze_nothing(monkeypatch):
    monkeypatch.setattr(collector, "LONG_COLLECTION_S", 3600.0)
    collector.WATCH.freeze_due = False
    gc.collect()
    assert not collector.WATCH.freeze_due and collector.WATCH.longest_s > 0


def test_info_memory_shows_the_collector_and_the_heap_trims():
    from tests.fakes import connect

    server = make_server("--predis-sidecar", "no")
    server.heap_trim.trims, server.heap_trim.released = 2, 4096
    conn, transport = connect(server)
    conn.data_received(b"INFO memory\r\n")
    lines = dict(line.split(":", 1) for line in transport.output.decode().split("\r\n")
                 if ":" in line)
    assert (lines["predis_heap_trims"], lines["predis_heap_trimmed_bytes"]) == ("2", "4096")
    assert int(lines["predis_gc_freezes"]) == collector.WATCH.freezes
    assert int(lines["predis_gc_frozen_objects"]) == gc.get_freeze_count()
    assert float(lines["predis_gc_longest_full_ms"]) >= 0
