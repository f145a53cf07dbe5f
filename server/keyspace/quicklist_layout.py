"""Where Redis 7.2 cuts a list into quicklist nodes, for DEBUG OBJECT's `ql_*` fields.

Redis prints of a quicklist its node count, the average entries a node, the fill setting
(list-max-listpack-size), whether nodes are compressed (list-compress-depth) and the nodes'
listpack bytes before compression. Predis keeps a list's elements in one deque, so the layout
is worked out when asked: the nodes its elements fill when pushed to the tail one by one, as
quicklistPushTail places them (quicklist.c: _quicklistNodeAllowInsert, isLargeElement). A
list built by pushes at one end, by SORT ... STORE or by a reload has that layout; in Redis
one edited in the middle (LINSERT, LREM, LSET) may have more, smaller nodes.
"""

from ops.rdb.listpack import element_size

LISTPACK_EMPTY = 7  # a listpack's header (total bytes, count) and its end byte
SIZE_ESTIMATE_OVERHEAD = 8  # what quicklist adds to an element's length to judge a node's room
SIZE_SAFETY_LIMIT = 8192  # the bytes a node may take under a positive (count) fill
OPTIMIZATION_LEVEL = (4096, 8192, 16384, 32768, 65536)  # fill -1 .. -5: bytes a node


def _fits(fill: int):
    """fn(new_size, new_count): whether a node may grow to that (quicklistNodeExceedsLimit)."""
    if fill < 0:
        size_limit = OPTIMIZATION_LEVEL[min(-fill - 1, len(OPTIMIZATION_LEVEL) - 1)]
        return lambda size, count: size <= size_limit
    count_limit = max(fill, 1)
    return lambda size, count: size <= SIZE_SAFETY_LIMIT and count <= count_limit


def layout(items, fill: int, packed_threshold: int) -> tuple:
    """(nodes, bytes): the quicklist nodes `items` fill pushed in order, and their listpack
    bytes (an element of `packed_threshold` bytes or more takes a plain node, its own
    length)."""
    fits = _fits(fill)
    nodes = total = 0
    tail_size = tail_count = 0  # the last packed node's (0 bytes: none, or a plain one last)
    for item in items:
        length = len(item)
        if length >= packed_threshold:
            nodes += 1
            total += tail_size + length
            tail_size = 0
        elif tail_size and fits(tail_size + length + SIZE_ESTIMATE_OVERHEAD, tail_count + 1):
            tail_size += element_size(item)
            tail_count += 1
        else:
            nodes += 1
            total += tail_size
            tail_size, tail_count = LISTPACK_EMPTY + element_size(item), 1
    return nodes, total + tail_size


def debug_fields(items, fill: int, compress_depth: int, packed_threshold: int) -> str:
    """DEBUG OBJECT's quicklist fields, as debug.c prints them."""
    nodes, size = layout(items, fill, packed_threshold)
    average = len(items) / nodes if nodes else float("nan")
    return (f" ql_nodes:{nodes} ql_avg_node:{average:.2f} ql_listpack_max:{fill}"
            f" ql_compressed:{int(compress_depth != 0)} ql_uncompressed_size:{size}")
