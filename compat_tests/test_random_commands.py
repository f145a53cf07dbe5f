"""Hypothesis: any command both servers know, in RESP2 or RESP3, with zero to four arguments
drawn from a pool of key names (one per type, and a missing one), numbers, option words and
junk, on the same small dataset: the same reply from redis-server and Predis, errors word for
word. Where the family tests (test_random_families.py) write each command's shapes by hand,
this one reaches the argument parsers of every command, the rarely used ones too. It found
XADD's and XTRIM's options read in a fixed order, the empty scan cursor and score bound (both
read as 0 by Redis 7.2), GEORADIUSBYMEMBER reading its radius before looking for the key and
the member, *MPOP's error for more keys than arguments and RESTORE's order of checks.

Left out: commands that block, change the connection's state or mode, touch the whole server,
answer by chance or by the clock (SCAN order, random members, XADD's '*', idle times) or by
version (DUMP's RDB version, COMMAND's table, MEMORY's estimates, scripts' error texts); their
own tests cover them. `FUZZ_EXAMPLES` sets the number of commands (300 in CI)."""

import os

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from .conftest import as_72
from .rawclient import RawClient
from .servers import start_predis, start_redis
from .test_random_sequences import comparable

LEFT_OUT = {
    "shutdown", "debug", "monitor", "subscribe", "psubscribe", "ssubscribe", "unsubscribe",
    "punsubscribe", "sunsubscribe", "sync", "psync", "replicaof", "slaveof", "failover", "wait",
    "waitaof", "blpop", "brpop", "brpoplpush", "blmove", "blmpop", "bzpopmin", "bzpopmax",
    "bzmpop", "quit", "reset", "hello", "auth", "multi", "exec", "discard", "watch", "unwatch",
    "select", "swapdb", "flushall", "flushdb", "client", "config", "acl", "save", "bgsave",
    "bgrewriteaof", "module", "cluster", "readonly", "readwrite", "migrate", "latency", "slowlog",
    "lolwut", "restore-asking", "asking", "function", "script", "eval", "evalsha", "eval_ro",
    "evalsha_ro", "fcall", "fcall_ro", "xread", "xreadgroup", "keys", "scan", "randomkey", "info",
    "time", "lastsave", "memory", "command", "pfselftest", "pfdebug", "replconf", "role", "spop",
    "srandmember", "hrandfield", "zrandmember", "xautoclaim", "xclaim", "xinfo", "xpending",
    "dump",
}
POOL = st.one_of(
    st.sampled_from([b"s", b"l", b"h", b"z", b"st", b"x", b"nokey", b"0", b"-1", b"1", b"abc",
                     b"*", b"COUNT", b"10", b"WITHSCORES", b"LIMIT", b"1.5", b"", b"(1",
                     b"MAXLEN", b"~", b"+inf", b"-"]),
    st.sampled_from([b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR", b"EX", b"PX", b"KEEPTTL", b"GET",
                     b"REV", b"BYSCORE", b"BYLEX", b"WITHSCORE", b"MATCH", b"TYPE", b"ALPHA",
                     b"DESC", b"STORE", b"BY", b"LEFT", b"RIGHT", b"BEFORE", b"RANK", b"IDLE",
                     b"JUSTID", b"FORCE", b"MKSTREAM", b"BIT", b"BYTE", b"AND", b"SET",
                     b"OVERFLOW", b"SAT", b"u8", b"i8", b"#1", b"REPLACE", b"DB", b"[a", b"(a",
                     b"f", b"a", b"1-1", b"$", b">", b"ENCODING", b"FREQ", b"CHANNELS"]))
DATASET = [("SET", "s", "hello"), ("RPUSH", "l", "a", "b", "c"), ("HSET", "h", "f", "v", "g", "2"),
           ("ZADD", "z", "1", "a", "2", "b"), ("SADD", "st", "a", "b"), ("XADD", "x", "1-1", "f", "v")]


@pytest.fixture(scope="module")
def pair():
    servers = (start_redis(), start_predis())
    clients = [RawClient(server.port) for server in servers]
    resp3 = [RawClient(server.port) for server in servers]
    for client in resp3:
        client.call("HELLO", "3")
    known = [{name.lower() for name in client.call("COMMAND", "LIST")} for client in clients]
    commands = sorted(name.upper() for name in known[0] & known[1]  # (no container|sub names)
                      if name.decode() not in LEFT_OUT and b"|" not in name)
    yield {2: clients, 3: resp3}, commands
    for client in clients + resp3:
        client.close()
    for server in servers:
        server.stop()


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")), deadline=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_any_command_with_drawn_arguments_matches(pair, data):
    by_protocol, commands = pair
    clients = by_protocol[data.draw(st.sampled_from([2, 3]), label="protocol")]
    name = data.draw(st.sampled_from(commands), label="command")
    args = data.draw(st.lists(POOL, max_size=4), label="arguments")
    # ZRANK/ZREVRANK take a third argument (WITHSCORE) since 7.2, the reference is 7.0
    assume(not (name in (b"ZRANK", b"ZREVRANK") and len(args) >= 3))
    assume(not (name == b"XADD" and b"*" in args))  # (an ID made from the clock)
    command = (name, *args)
    replies = []
    for client in clients:
        client.call("FLUSHALL")
        for entry in DATASET:
            client.call(*entry)
        replies.append(client.call(*command))
    assert comparable(command, replies[1]) == comparable(command, as_72(replies[0])), command
