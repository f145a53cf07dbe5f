"""Where Redis cuts a stream into listpack nodes, so that approximate trimming (MAXLEN ~,
MINID ~) removes what Redis removes.

Redis keeps a stream's entries in listpacks under a radix tree keyed by each node's first ID.
A new entry opens a new node once the last one holds stream-node-max-entries entries (live or
deleted) or its listpack bytes plus the entry's field and value bytes reach
stream-node-max-bytes (t_stream.c, streamAppendItem). Trimming with `~` removes whole nodes
only, so how many entries go depends on where those boundaries fall. This module tracks them:
per node its first ID, its master field names, its live and deleted counts, the listpack's
size and its last ID. The entries themselves live in server/keyspace/stream.py.
"""

from bisect import bisect_right

from ops.rdb.listpack import element_size, int_size
from ops.rdb.streams import entry_bytes

LISTPACK_MAX = 1 << 30  # STREAM_LISTPACK_MAX_SIZE: the cap on stream-node-max-bytes
_HEADER = 7  # a listpack's total-bytes and count header (6) and its end byte (1)


class Node:
    __slots__ = ("master_id", "fields", "live", "deleted", "body", "last_id")

    def __init__(self, master_id, fields: tuple):
        self.master_id = master_id
        self.fields = fields  # the master entry's field names
        self.live = 0
        self.deleted = 0
        # listpack bytes but for the header, the end and the two counters (whose encoding
        # grows with them): the master entry's field count, names and terminator, then entries
        self.body = element_size(len(fields)) + sum(map(element_size, fields)) + element_size(0)
        self.last_id = master_id

    def listpack_bytes(self) -> int:
        return _HEADER + int_size(self.live) + int_size(self.deleted) + self.body


class StreamNodes:
    __slots__ = ("nodes", "starts")

    def __init__(self):
        self.nodes: list = []
        self.starts: list = []  # each node's first ID, for bisect

    def __len__(self):
        return len(self.nodes)

    def append(self, stream_id, fields: tuple, max_entries: int, max_bytes: int) -> None:
        """Place a new entry (fields: name, value, ...) as streamAppendItem does."""
        tail = self.nodes[-1] if self.nodes else None
        if tail is not None:
            limit = max_bytes if 0 < max_bytes <= LISTPACK_MAX else LISTPACK_MAX
            live, deleted = tail.live, tail.deleted
            if max_entries and live + deleted >= max_entries:
                tail = None
            else:  # (listpack_bytes, its two counters' usual width inline)
                size = _HEADER + tail.body + (2 if live < 128 else int_size(live)) + (
                    2 if deleted < 128 else int_size(deleted))
                if size + sum(map(len, fields)) >= limit:
                    tail = None
        if tail is None:
            tail = self.open(stream_id, fields[0::2])
        tail.body += entry_bytes(stream_id, fields, tail.master_id, tail.fields)
        tail.live += 1
        tail.last_id = stream_id

    def open(self, master_id, fields: tuple) -> Node:
        """Start a node (a snapshot's nodes are opened as they were, then filled without
        limits)."""
        node = Node(master_id, fields)
        self.nodes.append(node)
        self.starts.append(master_id)
        return node

    def head(self) -> Node:
        return self.nodes[0]

    def drop_head(self) -> None:
        del self.nodes[0]
        del self.starts[0]

    def mark_deleted(self, stream_id, drop_empty: bool) -> None:
        """An entry of the stream was deleted: its node counts it as deleted (its flags are
        rewritten in place, same size), or goes when `drop_empty` and it held no other live
        entry (XDEL; trimming inside a node never empties it)."""
        index = bisect_right(self.starts, stream_id) - 1
        node = self.nodes[index]
        if drop_empty and node.live == 1:
            del self.nodes[index]
            del self.starts[index]
            return
        node.live -= 1
        node.deleted += 1
