"""The commands an AOF rewrite without the RDB preamble writes for a key (ops/aof/rewrite.py)."""

from ops.aof.rewrite import key_commands
from server.keyspace.containers import ZSet


def test_zadd_scores_are_written_as_rio_write_bulk_double_writes_them():
    zset = ZSet()
    for member, score in ((b"a", 3.0), (b"b", 1e-05), (b"c", 0.528669), (b"d", 1e17)):
        zset.add(member, score)
    [command] = key_commands(b"z", zset, None)
    assert command[:2] == [b"ZADD", b"z"]
    pairs = dict(zip(command[3::2], command[2::2]))
    # fpconv_dtoa (Redis 7.2), not %.17g: Grisu2's digits, fpconv's layout
    assert pairs == {b"a": b"3", b"b": b"0.00001", b"c": b"0.5286689999999999", b"d": b"1e+17"}
