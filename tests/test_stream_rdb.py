"""Streams read from RDB files: the node boundaries they were saved with, and the counters a
file older than Redis 7 (stream type 15) does not hold, filled in as Redis fills them."""

import struct

from ops.rdb.codec import Reader, encode_length, encode_string
from ops.rdb.listpack import build_listpack
from ops.rdb.objects import read_object
from ops.rdb.streams import STREAM_LISTPACKS
from server.keyspace.serialize import build, describe
from server.keyspace.stream import Stream


def _raw_id(ms: int, seq: int = 0) -> bytes:
    return struct.pack(">QQ", ms, seq)


def _legacy_stream() -> bytes:
    """What Redis 6.2 saves after XADD 1-0 .. 6-0 (field `data`), XDEL 3-0, XGROUP CREATE g1
    and g2 at 0, XREADGROUP GROUP g1 c11 COUNT 4 (1-0, 2-0, 4-0, 5-0), XTRIM MAXLEN = 2: one
    node with 2 live and 4 deleted entries, no entries-added or entries-read counters."""
    elements = [2, 4, 1, b"data", 0]
    for ms, value in enumerate(b"abcdef", start=1):
        deleted = ms <= 4
        entry = [2 | deleted, ms - 1, 0, bytes([value])]  # SAMEFIELDS, maybe DELETED
        elements += entry + [len(entry)]
    body = encode_length(1) + encode_string(_raw_id(1), False)
    body += encode_string(build_listpack(elements), False)
    body += encode_length(2) + encode_length(6) + encode_length(0)  # length, last id
    body += encode_length(2)
    pending = [(1, 0), (2, 0), (4, 0), (5, 0)]
    body += encode_string(b"g1") + encode_length(5) + encode_length(0)
    body += encode_length(len(pending))
    for ms, seq in pending:
        body += _raw_id(ms, seq) + struct.pack("<q", 1000) + encode_length(1)
    body += encode_length(1) + encode_string(b"c11") + struct.pack("<q", 1000)
    body += encode_length(len(pending)) + b"".join(_raw_id(*i) for i in pending)
    body += encode_string(b"g2") + encode_length(0) + encode_length(0)
    body += encode_length(0) + encode_length(0)
    return body


def test_a_legacy_stream_gets_redis_s_counters():
    kind, contents = read_object(STREAM_LISTPACKS, Reader(_legacy_stream()))
    stream = build(kind, contents)
    assert [i for i in stream.ids] == [(5, 0), (6, 0)]
    assert stream.entries_added == 2 and stream.max_deleted == (0, 0)
    assert stream.first_id == (5, 0)
    # g1 read up to the first entry still there: 1 read, 1 left; g2 read none of 2
    assert stream.groups[b"g1"].entries_read == 1
    assert stream.groups[b"g2"].entries_read == 0
    assert sorted(stream.groups[b"g1"].pel) == [(1, 0), (2, 0), (4, 0), (5, 0)]
    # the node kept its deleted entries: with the default 100 entries a node, 94 more fit
    node = stream.nodes.head()
    assert (node.live, node.deleted) == (2, 4)


def test_a_saved_stream_keeps_its_node_boundaries():
    stream = Stream()
    for ms in range(1, 251):
        stream.add((ms, 0), [b"f", b"v"])
    stream.trim(maxlen=140)  # 110 entries go: one node, then 10 inside the next
    kind, contents = describe(stream)
    again = build(kind, contents)
    assert [(n.master_id, n.live) for n in again.nodes.nodes] == \
        [(n.master_id, n.live) for n in stream.nodes.nodes] == [((101, 0), 90), ((201, 0), 50)]
    assert again.trim(maxlen=100, approx=True) == 0  # neither node can go whole
    assert again.trim(maxlen=50, approx=True) == 90


def test_node_sizes_are_the_written_listpack_sizes():
    """The node model sizes an entry without building it (entry_bytes); the listpack writer
    builds it (entry_elements, build_listpack): the two agree, whatever the fields, values and
    IDs (negative and wrapping deltas included)."""
    import random

    from ops.rdb.listpack import element_size
    from ops.rdb.streams import entry_bytes, entry_elements

    rng = random.Random(7)
    values = [b"a", b"bb", b"0", b"-0", b"007", b"123", b"-7", b"9223372036854775808",
              b"-9223372036854775808"]
    for _ in range(3000):
        count = rng.randint(1, 3)
        fields = [rng.choice(values + [b"x" * rng.randint(0, 5000),
                                       str(rng.randint(-10**15, 10**15)).encode()])
                  for _ in range(2 * count)]
        master = tuple(rng.choice([fields[0::2], [b"a"] * count, [b"zz"]]))
        stream_id = (rng.randint(0, 2**64 - 1), rng.randint(0, 2**64 - 1))
        master_id = (rng.randint(0, 2**64 - 1), rng.randint(0, 9))
        elements = entry_elements(stream_id, fields, master_id, master)
        assert entry_bytes(stream_id, fields, master_id, master) == \
            sum(map(element_size, elements))
        assert len(build_listpack(elements)) == 7 + sum(map(element_size, elements))
