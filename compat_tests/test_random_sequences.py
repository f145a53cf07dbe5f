"""Hypothesis: random command sequences go to redis-server and Predis; the first reply that
differs is reported with the sequence that produced it."""


from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import as_72, numeric
from .rawclient import RawClient

KEYS = st.sampled_from([b"a", b"b", b"c", b"n", b"\x00k"])
VALUES = st.one_of(st.sampled_from([b"", b"0", b"1", b"-5", b"10.5", b"abc", b"9223372036854775807",
                                    b"x" * 50]), st.binary(max_size=8))
INTS = st.sampled_from([b"0", b"1", b"-1", b"2", b"100", b"-100", b"abc", b"9223372036854775807",
                        b"18446744073709551616", b"1.5"])
# Expiry amounts: never a few milliseconds, which would race between the two servers.
TTLS = st.sampled_from([b"0", b"-1", b"100000", b"abc", b"9223372036854775807", b"1.5"])

COMMANDS = st.one_of(
    st.tuples(st.just(b"SET"), KEYS, VALUES),
    st.tuples(st.just(b"SET"), KEYS, VALUES, st.sampled_from([b"NX", b"XX", b"GET", b"KEEPTTL"])),
    st.tuples(st.just(b"SET"), KEYS, VALUES, st.sampled_from([b"EX", b"PX"]), TTLS),
    st.tuples(st.just(b"GET"), KEYS),
    st.tuples(st.just(b"GETSET"), KEYS, VALUES),
    st.tuples(st.just(b"GETDEL"), KEYS),
    st.tuples(st.just(b"APPEND"), KEYS, VALUES),
    st.tuples(st.just(b"STRLEN"), KEYS),
    st.tuples(st.sampled_from([b"INCR", b"DECR"]), KEYS),
    st.tuples(st.sampled_from([b"INCRBY", b"DECRBY", b"INCRBYFLOAT"]), KEYS, INTS),
    st.tuples(st.just(b"GETRANGE"), KEYS, INTS, INTS),
    st.tuples(st.just(b"SETRANGE"), KEYS, st.sampled_from([b"0", b"3", b"-1", b"x"]), VALUES),
    st.tuples(st.just(b"MSET"), KEYS, VALUES, KEYS, VALUES),
    st.tuples(st.just(b"MGET"), KEYS, KEYS),
    st.tuples(st.just(b"MSETNX"), KEYS, VALUES, KEYS, VALUES),
    st.tuples(st.sampled_from([b"DEL", b"EXISTS", b"TYPE", b"TTL", b"PERSIST", b"TOUCH"]), KEYS),
    st.tuples(st.sampled_from([b"EXPIRE", b"PEXPIRE"]), KEYS, TTLS),
    st.tuples(st.just(b"EXPIRE"), KEYS, TTLS, st.sampled_from([b"NX", b"XX", b"GT", b"LT"])),
    st.tuples(st.just(b"HSET"), KEYS, VALUES, VALUES),
    st.tuples(st.sampled_from([b"HGET", b"HDEL", b"HEXISTS", b"HSTRLEN"]), KEYS, VALUES),
    st.tuples(st.sampled_from([b"HINCRBY", b"HINCRBYFLOAT"]), KEYS, VALUES, INTS),
    st.tuples(st.sampled_from([b"HLEN", b"HGETALL", b"LLEN", b"SCARD", b"ZCARD", b"LPOP",
                               b"RPOP", b"ZPOPMIN"]), KEYS),
    st.tuples(st.sampled_from([b"LPUSH", b"RPUSH", b"SADD", b"SREM", b"SISMEMBER"]), KEYS,
              VALUES),
    st.tuples(st.just(b"LRANGE"), KEYS, INTS, INTS),
    st.tuples(st.just(b"LINDEX"), KEYS, INTS),
    st.tuples(st.sampled_from([b"ZADD", b"ZINCRBY"]), KEYS, INTS, VALUES),
    st.tuples(st.sampled_from([b"ZSCORE", b"ZRANK", b"ZREM"]), KEYS, VALUES),
    st.tuples(st.just(b"ZRANGE"), KEYS, INTS, INTS),
    st.tuples(st.sampled_from([b"SINTER", b"SUNION", b"SDIFF"]), KEYS, KEYS),
    st.tuples(st.sampled_from([b"RENAME", b"RENAMENX", b"COPY"]), KEYS, KEYS),
    st.tuples(st.just(b"SETBIT"), KEYS, st.sampled_from([b"0", b"7", b"100", b"-1"]),
              st.sampled_from([b"0", b"1", b"2"])),
    st.tuples(st.just(b"GETBIT"), KEYS, st.sampled_from([b"0", b"7", b"100"])),
    st.tuples(st.just(b"BITCOUNT"), KEYS),
    st.tuples(st.just(b"BITOP"), st.sampled_from([b"AND", b"OR", b"XOR"]), KEYS, KEYS, KEYS),
    st.tuples(st.just(b"LCS"), KEYS, KEYS),
    # OBJECT ENCODING is left to directed tests: Predis derives a string's encoding from its
    # value, so an integer-looking INCRBYFLOAT result reads 'int' where Redis says 'embstr'.
    st.tuples(st.just(b"DBSIZE")),
    st.tuples(st.just(b"SELECT"), st.sampled_from([b"0", b"1"])),
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(sequence=st.lists(COMMANDS, min_size=1, max_size=25))
def test_random_command_sequences_match(servers, sequence):
    assert first_difference(servers, sequence) is None


# Replies in the order of a set's hash table, which Redis seeds at random in each process
# (SMEMBERS, SINTER, ..., SORT BY nosort of a set): compared as sorted lists.
_SET_ORDER = {b"SMEMBERS", b"SINTER", b"SUNION", b"SDIFF"}


def comparable(command, reply):
    """A reply as the random tests compare it: numbers by value, set orders left out."""
    unordered = command[0] in _SET_ORDER or (
        command[0] in (b"SORT", b"SORT_RO") and b"nosort" in map(bytes.lower, command))
    if unordered and isinstance(reply, list):
        return sorted(numeric(reply), key=repr)
    return numeric(reply)


def first_difference(servers, sequence):
    """Each command to redis-server, then to Predis, from an empty database 0: None if every
    reply matched, else what differed first and the sequence that led there."""
    ref, predis = (RawClient(s.port) for s in servers)
    try:
        for client in (ref, predis):
            client.call("SELECT", "0")
            client.call("FLUSHALL")
        for step, command in enumerate(sequence):
            expected, actual = as_72(ref.call(*command)), predis.call(*command)
            if comparable(command, actual) != comparable(command, expected):
                return (f"first difference at step {step}: {command!r}\n"
                        f"redis={expected!r}\npredis={actual!r}\n"
                        f"sequence={sequence[:step + 1]!r}")
        return None
    finally:
        ref.close()
        predis.close()
