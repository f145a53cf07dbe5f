"""The sorted list under sorted sets and stream IDs, against a plain sorted Python list."""

import random

from server.keyspace import sortedlist
from server.keyspace.sortedlist import SortedList


def _same(ordered: SortedList, reference: list) -> None:
    assert list(ordered) == reference and len(ordered) == len(reference)
    assert ordered._maxes == [sub[-1] for sub in ordered._lists]  # (its search index)
    assert all(0 < len(sub) <= 2 * sortedlist.LOAD for sub in ordered._lists)
    for probe in random.Random(len(reference)).sample(reference, min(20, len(reference))):
        assert ordered.index(probe) == reference.index(probe)


def test_random_adds_removes_and_appends_keep_the_order(monkeypatch):
    monkeypatch.setattr(sortedlist, "LOAD", 4)  # many sublists, many splits
    rng = random.Random(3)
    ordered, reference = SortedList(), []
    for step in range(3000):
        action = rng.random()
        if action < 0.4:
            item = rng.randrange(10_000)
            if item not in reference:
                ordered.add(item)
                reference.append(item)
                reference.sort()
        elif action < 0.8:  # a new largest item, as a stream's next ID
            item = (reference[-1] if reference else 0) + rng.randrange(1, 5)
            ordered.append(item)
            reference.append(item)
        elif reference:
            item = rng.choice(reference)
            ordered.remove(item)
            reference.remove(item)
        if step % 100 == 0:
            _same(ordered, reference)
    _same(ordered, reference)
