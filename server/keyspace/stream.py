"""The stream value: entries by ID, consumer groups with their pending entries lists."""

import time

from .memory import string_size
from .sortedlist import SortedList
from .stream_nodes import StreamNodes

MAX_ID = (2**64 - 1, 2**64 - 1)
ENTRY_OVERHEAD = 48 + 56 + 8 + 64  # dict slot, id tuple, sorted-list pointer, fields tuple


def now_ms() -> int:
    return int(time.time() * 1000)


def format_id(stream_id) -> bytes:
    return b"%d-%d" % stream_id


class Consumer:
    __slots__ = ("name", "seen_time", "active_time", "pending", "unannounced")

    def __init__(self, name: bytes):
        self.name = name
        self.seen_time = now_ms()
        self.active_time = -1
        self.pending: dict = {}  # id -> None, in delivery order
        # made by an XREADGROUP NOACK, whose propagation (server/effects.py) must create it
        # on replicas with XGROUP CREATECONSUMER (no XCLAIM does)
        self.unannounced = False


class PendingEntry:
    __slots__ = ("consumer", "delivery_time", "delivery_count")

    def __init__(self, consumer: Consumer, delivery_time: int, delivery_count: int = 1):
        self.consumer = consumer
        self.delivery_time = delivery_time
        self.delivery_count = delivery_count


class Group:
    __slots__ = ("name", "last_id", "entries_read", "pel", "consumers")

    def __init__(self, name: bytes, last_id, entries_read):
        self.name = name
        self.last_id = last_id
        self.entries_read = entries_read  # -1 when unknown ("lag" cannot be computed)
        self.pel: dict = {}  # id -> PendingEntry
        self.consumers: dict = {}  # name -> Consumer

    def consumer(self, name: bytes, create: bool = True):
        found = self.consumers.get(name)
        if found is None and create:
            found = self.consumers[name] = Consumer(name)
        return found

    def pel_ids(self):
        return sorted(self.pel)

    def forget(self, stream_id) -> None:
        """Drop a pending entry whose message was deleted from the stream."""
        entry = self.pel.pop(stream_id)
        entry.consumer.pending.pop(stream_id, None)

    def hand_over(self, stream_id, consumer: "Consumer", delivery_time: int) -> "PendingEntry":
        """Move a pending entry to `consumer` (XCLAIM, XAUTOCLAIM)."""
        entry = self.pel[stream_id]
        entry.consumer.pending.pop(stream_id, None)
        entry.consumer = consumer
        consumer.pending[stream_id] = None
        entry.delivery_time = delivery_time
        return entry


class Stream:
    type_name = "stream"
    __slots__ = ("ids", "entries", "last_id", "max_deleted", "entries_added", "first_id",
                 "groups", "nbytes", "nodes")

    def __init__(self):
        self.ids = SortedList()
        self.entries: dict = {}  # id -> [field, value, ...]
        self.last_id = (0, 0)
        self.max_deleted = (0, 0)
        self.entries_added = 0
        self.first_id = (0, 0)  # recorded-first-entry-id
        self.groups: dict = {}
        self.nbytes = 256
        self.nodes = StreamNodes()  # where Redis's listpack nodes would split the entries

    @property
    def length(self) -> int:
        return len(self.entries)

    def add(self, stream_id, fields: list, node_limits=(100, 4096)) -> None:
        """Append an entry; node_limits: (stream-node-max-entries, stream-node-max-bytes)."""
        # a tuple of bytes: the cycle collector stops tracking it at its first pass, where a
        # list would be walked by every full collection for as long as the entry lives
        fields = tuple(fields)
        self.nodes.append(stream_id, fields, *node_limits)
        if stream_id > self.last_id:  # (XADD's IDs grow; a replayed history may not)
            self.ids.append(stream_id)
        else:
            self.ids.add(stream_id)
        entries = self.entries
        entries[stream_id] = fields
        self.last_id = stream_id
        self.entries_added += 1
        if len(entries) == 1:
            self.first_id = stream_id
        self.nbytes += ENTRY_OVERHEAD + sum(map(string_size, fields))

    def delete(self, stream_id, drop_empty_node: bool = True) -> bool:
        """XDEL's deletion: a node left with no live entry goes (trimming keeps it)."""
        if stream_id not in self.entries:
            return False
        self._forget(stream_id)
        self.nodes.mark_deleted(stream_id, drop_empty_node)
        self.first_id = self.ids[0] if len(self.ids) else (0, 0)
        return True

    def trim(self, maxlen=None, minid=None, approx=False, limit=0) -> int:
        """Remove the oldest entries down to `maxlen` entries, or those before `minid`, as
        t_stream.c's streamTrim: whole nodes while a whole node can go (and, with a `limit`,
        while the entries removed stay within it); then, unless `approx`, single entries of
        the first node. Returns how many went."""
        nodes = self.nodes
        removed = 0
        while len(nodes):
            if maxlen is not None and self.length <= maxlen:
                break
            head = nodes.head()
            entries = head.live
            if limit and removed + entries > limit:
                break
            if maxlen is not None:
                whole = self.length - entries >= maxlen
            else:
                whole = head.last_id < minid
            if whole:
                for stream_id in self.ids.islice(0, entries):
                    self._forget(stream_id)
                nodes.drop_head()
                removed += entries
                continue
            if approx:
                break
            while self.length and (self.length > maxlen if maxlen is not None
                                   else self.ids[0] < minid):
                self.delete(self.ids[0], drop_empty_node=False)
                removed += 1
            break
        self.first_id = self.ids[0] if len(self.ids) else (0, 0)
        return removed

    def _forget(self, stream_id) -> None:
        """Drop an entry whose node goes with it."""
        fields = self.entries.pop(stream_id)
        self.ids.remove(stream_id)
        self.nbytes -= ENTRY_OVERHEAD + sum(string_size(f) for f in fields)

    def estimate_entries_read(self, stream_id) -> int:
        """How many entries a group whose last ID is `stream_id` has read, where that can be
        known (Redis's streamEstimateDistanceFromFirstEverEntry); -1 where it cannot."""
        if not self.entries_added:
            return 0
        if not self.length and stream_id <= self.last_id:
            return self.entries_added
        if stream_id == self.last_id:
            return self.entries_added
        if stream_id > self.last_id:
            return -1
        if self.max_deleted == (0, 0) or self.max_deleted < self.first_id:
            if stream_id < self.first_id:
                return self.entries_added - self.length
            if stream_id == self.first_id:
                return self.entries_added - self.length + 1
        return -1

    def range(self, start, end, count=None, reverse=False) -> list:
        """[(id, fields)] with start <= id <= end, oldest first (newest first if reverse)."""
        ids = self.ids
        lo = ids.bisect_left(start)
        hi = ids.bisect_right(end)
        if lo >= hi:
            return []
        if count is not None:
            if reverse:
                lo = max(lo, hi - count)
            else:
                hi = min(hi, lo + count)
        chosen = ids.islice(lo, hi, reverse)
        return [(i, self.entries[i]) for i in chosen]

    def after(self, stream_id, count=None) -> list:
        """Entries with an ID strictly greater than stream_id."""
        if stream_id >= MAX_ID:
            return []
        return self.range(_next(stream_id), MAX_ID, count)

    def encoding(self) -> str:
        return "stream"

    def memory_usage(self) -> int:
        return self.nbytes

    def copy(self):
        import copy

        return copy.deepcopy(self)


def _next(stream_id):
    ms, seq = stream_id
    if seq < 2**64 - 1:
        return (ms, seq + 1)
    return (ms + 1, 0)


def previous_id(stream_id):
    ms, seq = stream_id
    if seq > 0:
        return (ms, seq - 1)
    return (ms - 1, 2**64 - 1)


next_id = _next
