"""Cursor iteration for SCAN (and, later, HSCAN/SSCAN/ZSCAN).

Redis iterates its hash table with a reverse-binary cursor. A Python dict offers no such
handle, so a scan takes a snapshot of the key list when it starts (cursor 0) and the cursor
encodes (snapshot id, position). This keeps SCAN's guarantees: every element present for the
whole scan is returned, elements may be returned at most once per snapshot, and the cost per call
is proportional to COUNT. Snapshots are bounded in number; a cursor whose snapshot was dropped
continues at the same position over a fresh snapshot (elements may then repeat).
"""

from collections import OrderedDict

MAX_SNAPSHOTS = 256
POSITION_BITS = 32


class Scanner:
    def __init__(self):
        self._snapshots: OrderedDict = OrderedDict()
        self._next_id = 1

    def page(self, collection, cursor: int, count: int):
        """(next cursor, items) from `collection` (any iterable container with len)."""
        snap_id, position = cursor >> POSITION_BITS, cursor & ((1 << POSITION_BITS) - 1)
        if cursor == 0 and len(collection) <= count:
            return 0, list(collection)
        items = self._snapshots.get(snap_id) if snap_id else None
        if items is None:
            items = list(collection)
            snap_id = self._store(items)
        else:
            self._snapshots.move_to_end(snap_id)
        chunk = items[position : position + count]
        position += len(chunk)
        if position >= len(items):
            self._snapshots.pop(snap_id, None)
            return 0, chunk
        return (snap_id << POSITION_BITS) | position, chunk

    def _store(self, items) -> int:
        snap_id = self._next_id
        self._next_id = self._next_id + 1 if self._next_id < (1 << 31) else 1
        self._snapshots[snap_id] = items
        while len(self._snapshots) > MAX_SNAPSHOTS:
            self._snapshots.popitem(last=False)
        return snap_id
