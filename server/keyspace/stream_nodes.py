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

from ops.rdb.listpack import element_size

LISTPACK_MAX = 1 << 30  # STREAM_LISTPACK_MAX_SIZE: the cap on stream-node-max-bytes
SAMEFIELDS = 2  # an entry flag: its field names are the node's master fields
_HEADER = 7  # a listpack's total-bytes and count header (6) and its end byte (1)


def _signed64(n: int) -> int:
    """An ID difference as Redis stores it (int64, wrapping)."""
    return ((n + (1 << 63)) & ((1 << 64) - 1)) - (1 << 63)


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
        return _HEADER + element_size(self.live) + element_size(self.deleted) + self.body


class StreamNodes:
    __slots__ = ("nodes", "starts")

    def __init__(self):
        self.nodes: list = []
        self.starts: list = []  # each node's first ID, for bisect

    def __len__(self):
        return len(self.nodes)

    def append(self, stream_id, fields: list, max_entries: int, max_bytes: int,
               new_node: bool = False) -> None:
        """Place a new entry (fields: name, value, ...) as streamAppendItem does; `new_node`
        starts a node whatever the limits (loading a snapshot's nodes as they were)."""
        tail = self.nodes[-1] if self.nodes else None
        if tail is not None and not new_node:
            limit = max_bytes if 0 < max_bytes <= LISTPACK_MAX else LISTPACK_MAX
            if tail.listpack_bytes() + sum(map(len, fields)) >= limit or (
                    max_entries and tail.live + tail.deleted >= max_entries):
                tail = None
        names = tuple(fields[0::2])
        if tail is None or new_node:
            tail = Node(stream_id, names)
            self.nodes.append(tail)
            self.starts.append(stream_id)
        master = tail.master_id
        entry = [SAMEFIELDS if names == tail.fields else 0,
                 _signed64(stream_id[0] - master[0]), _signed64(stream_id[1] - master[1])]
        if entry[0]:
            entry += fields[1::2]
        else:
            entry += [len(names), *fields]
        tail.body += sum(map(element_size, entry)) + element_size(len(entry))  # + lp-count
        tail.live += 1
        tail.last_id = stream_id

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
