"""A dataset's load pauses the cycle collector and freezes what it loaded
(server/loading.py): later full collections no longer walk the loaded containers."""

import gc

import pytest

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
