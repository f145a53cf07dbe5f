"""Redis's lazy-free accounting: which deletions free their value "in the background", and the
INFO counters that report them (lazyfree_pending_objects, lazyfreed_objects).

Predis frees a value when its last reference goes, so nothing is ever pending. What Redis
would hand to its background thread is counted as freed the moment it goes, by Redis's rules
(lazyfree.c):
- an asynchronous key deletion (UNLINK; DEL, eviction, expiry under their lazyfree-lazy-*
  settings) is lazy only for a value whose free effort (its allocations, roughly) passes
  LAZYFREE_THRESHOLD; small values are freed on the spot and not counted;
- an asynchronous flush (FLUSHALL/FLUSHDB ASYNC, or lazyfree-lazy-user-flush) counts every key;
- SCRIPT FLUSH ASYNC and FUNCTION FLUSH ASYNC count the scripts (functions) when there are
  more than LAZYFREE_THRESHOLD of them.
"""

from .keyspace.containers import CONTAINER_BASE, LIMITS

LAZYFREE_THRESHOLD = 64
# Redis's list node size classes (list-max-listpack-size -1 .. -5)
_NODE_BYTES = {-1: 4096, -2: 8192, -3: 16384, -4: 32768, -5: 65536}


def _list_nodes(value) -> int:
    """Quicklist nodes Redis would hold the list in (its free effort is per node)."""
    limit = LIMITS["list-max-listpack-size"]
    if limit > 0:
        return -(-len(value) // limit)
    payload = value.nbytes - CONTAINER_BASE
    return max(1, -(-payload // _NODE_BYTES.get(limit, 65536)))


def _stream_effort(value, node_entries: int) -> int:
    """Radix-tree nodes (listpacks of stream-node-max-entries) plus every group and, as Redis
    estimates it, the first group's pending entries for each group."""
    effort = -(-value.length // max(node_entries, 1))
    if value.groups:
        first = next(iter(value.groups.values()))
        effort += len(value.groups) * (1 + len(first.pel))
    return effort


def free_effort(value, node_entries: int = 100) -> int:
    """Redis's lazyfreeGetFreeEffort for a stored value: 1 for strings and compact encodings."""
    kind = getattr(value, "type_name", None)
    if kind == "list":
        return _list_nodes(value)
    if kind in ("set", "hash"):
        return len(value) if value.encoding() == "hashtable" else 1
    if kind == "zset":
        return len(value) if value.encoding() == "skiplist" else 1
    if kind == "stream":
        return _stream_effort(value, node_entries)
    return 1


def flush_is_async(config, mode) -> bool:
    """FLUSHALL/FLUSHDB/SCRIPT FLUSH/FUNCTION FLUSH: ASYNC or SYNC as given, else
    lazyfree-lazy-user-flush (mode: the argument, lowercased, or None)."""
    return mode == b"async" if mode is not None else bool(config["lazyfree-lazy-user-flush"])


class LazyFree:
    """The counters INFO memory reports."""

    __slots__ = ("freed", "config")

    def __init__(self, config):
        self.config = config
        self.freed = 0

    def released(self, value) -> None:
        """A value deleted asynchronously."""
        if free_effort(value, self.config["stream-node-max-entries"] or 100) > \
                LAZYFREE_THRESHOLD:
            self.freed += 1

    def released_many(self, count: int, always: bool = False) -> None:
        """A flushed database's keys (`always`), or a flushed script or function table."""
        if always or count > LAZYFREE_THRESHOLD:
            self.freed += count

    def reset(self) -> None:
        self.freed = 0
