"""CPython's cycle collector and a keyspace of millions of containers.

Every hash, set, sorted set, list and stream value is an object the cycle collector tracks,
and each full collection walks all of them: about 0.2-0.3 s per million containers on the
2-core VM, the whole server stalled, each time the tracked objects have grown by a quarter.
Redis has no such pauses. Two things keep them short:

- A load (RDB, AOF, a replica's full sync) runs with the collector paused and ends with one
  collection and gc.freeze(): what is alive then goes to the permanent generation, which
  collections leave alone (`paused_for_load`).
- After a full collection that took LONG_COLLECTION_S or more, the cron freezes what is alive
  the same way (`tick`), so the next one walks only what was made since.

Frozen objects are still freed by reference counting as usual; only a frozen object that later
becomes part of a garbage cycle is never freed. The data holds no cycles, and a disconnected
client holds none either (Client.on_disconnect), so what could be lost that way is what was
in flight at a freeze and later dropped in a cycle: a little, a few times per quarter growth.
"""

import gc
import time
from contextlib import contextmanager

LONG_COLLECTION_S = 0.02


class _Watch:
    """Times full collections (a gc callback); `freeze_due` after a long one."""

    def __init__(self):
        self._started = 0.0
        self.freeze_due = False
        self.full_collections = 0
        self.longest_s = 0.0
        self.freezes = 0

    def observe(self, phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
            return
        took = time.perf_counter() - self._started
        self.full_collections += 1
        self.longest_s = max(self.longest_s, took)
        if took >= LONG_COLLECTION_S:
            self.freeze_due = True


WATCH = _Watch()
gc.callbacks.append(WATCH.observe)  # (one per process: the collector is the process's)


def _freeze() -> None:
    gc.freeze()
    WATCH.freezes += 1


def tick() -> None:
    """From the cron: freeze what is alive if the last full collection was a long one."""
    if WATCH.freeze_due:
        WATCH.freeze_due = False
        _freeze()


def info_fields() -> dict:
    """INFO memory's lines for the collector (Predis's own names)."""
    return {"predis_gc_full_collections": WATCH.full_collections,
            "predis_gc_longest_full_ms": round(WATCH.longest_s * 1000, 1),
            "predis_gc_freezes": WATCH.freezes, "predis_gc_frozen_objects": gc.get_freeze_count()}


@contextmanager
def paused_for_load(interrupted_by=()):
    """No cycle collection while a dataset loads; then one collection, and what is alive is
    frozen. Not after a load cut short by one of `interrupted_by` (SHUTDOWN)."""
    collecting = gc.isenabled()
    gc.disable()
    settle = True
    try:
        yield
    except interrupted_by:
        settle = False
        raise
    finally:
        if collecting:
            gc.enable()
        if settle:
            gc.collect()
            _freeze()
