"""Hypothesis: random interleavings of three clients go to redis-server and Predis alike. Two
workers write, WATCH, MULTI/EXEC, PUBLISH, switch keyspace notifications on and off and turn
CLIENT TRACKING on with its invalidations redirected to the third client, a subscriber
(SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their opposites, RESP2 or RESP3). After every step the
subscriber's input is read up to the reply of a PING sent behind it, so what a step delivered
to it (messages, keyspace events, invalidations) is compared with the step's own reply.

`FUZZ_EXAMPLES` sets the number of sequences (150 in CI; thousands for a long run).
"""

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import as_72, numeric
from .rawclient import RawClient, encode_command

KEYS = st.sampled_from([b"a", b"b", b"ab", b"n"])
VALUES = st.sampled_from([b"", b"1", b"x", b"hello"])
CHANNELS = st.sampled_from([b"ch", b"ch2", b"news.1", b"__redis__:invalidate",
                            b"__keyspace@0__:a", b"__keyevent@0__:set"])
PATTERNS = st.sampled_from([b"ch*", b"news.*", b"__key*__:*", b"__keyevent@0__:*",
                            b"__keyspace@1__:*", b"*", b"[a-c]h", b"ch?"])
NOTIFY_FLAGS = st.sampled_from([b"", b"KEA", b"KEA", b"AE", b"Kg$", b"El", b"AK", b"Ex", b"Kd", b"Eh",
                                b"KEm", b"Ks", b"Eg", b"E$lshzxetd", b"Kn", b"KEAn", b"El", b"Ez",
                                b"xyz"])
SUBSCRIBER_ID = b"<subscriber>"  # replaced by the subscriber's CLIENT ID on each server

WORKER = st.one_of(
    st.tuples(st.just(b"SET"), KEYS, VALUES),
    st.tuples(st.sampled_from([b"GET", b"INCR", b"DEL", b"PERSIST", b"TYPE", b"LPOP"]), KEYS),
    st.tuples(st.sampled_from([b"LPUSH", b"SADD", b"APPEND"]), KEYS, VALUES),
    st.tuples(st.just(b"HSET"), KEYS, VALUES, VALUES),
    st.tuples(st.just(b"EXPIRE"), KEYS, st.sampled_from([b"100", b"0", b"-1"])),
    st.tuples(st.sampled_from([b"RENAME", b"COPY"]), KEYS, KEYS),
    st.tuples(st.just(b"SMOVE"), KEYS, KEYS, VALUES),
    st.tuples(st.just(b"MOVE"), KEYS, st.just(b"1")),
    st.tuples(st.just(b"MSET"), KEYS, VALUES, KEYS, VALUES),
    st.tuples(st.sampled_from([b"MGET", b"UNLINK", b"RENAMENX", b"EXISTS"]), KEYS, KEYS),
    st.tuples(st.sampled_from([b"STRLEN", b"GETDEL", b"SPOP", b"ZPOPMIN", b"SCARD", b"HGETALL",
                               b"PFCOUNT", b"DECR", b"XLEN", b"TTL"]), KEYS),
    st.tuples(st.sampled_from([b"GETSET", b"SETNX", b"SREM", b"SISMEMBER", b"RPUSH", b"PFADD",
                               b"HDEL", b"HGET", b"ZREM", b"ZSCORE"]), KEYS, VALUES),
    st.tuples(st.sampled_from([b"INCRBYFLOAT", b"DECRBY", b"INCRBY"]), KEYS,
              st.sampled_from([b"1", b"1.5", b"-2"])),
    st.tuples(st.sampled_from([b"SETRANGE", b"LSET", b"SETEX"]), KEYS,
              st.sampled_from([b"0", b"1", b"100"]), VALUES),
    st.tuples(st.just(b"GETEX"), KEYS, st.sampled_from([b"PERSIST", b"EX"]), st.just(b"100")),
    st.tuples(st.sampled_from([b"ZADD", b"ZINCRBY"]), KEYS, st.sampled_from([b"1", b"2"]),
              VALUES),
    st.tuples(st.just(b"HINCRBY"), KEYS, VALUES, st.just(b"1")),
    st.tuples(st.just(b"LMOVE"), KEYS, KEYS, st.sampled_from([b"LEFT", b"RIGHT"]),
              st.sampled_from([b"LEFT", b"RIGHT"])),
    st.tuples(st.sampled_from([b"LTRIM", b"LRANGE"]), KEYS, st.just(b"0"),
              st.sampled_from([b"0", b"-1"])),
    st.tuples(st.just(b"LINSERT"), KEYS, st.just(b"BEFORE"), VALUES, VALUES),
    st.tuples(st.just(b"LREM"), KEYS, st.just(b"0"), VALUES),
    st.tuples(st.sampled_from([b"SINTERSTORE", b"SUNIONSTORE", b"SDIFFSTORE"]), KEYS, KEYS,
              KEYS),
    st.tuples(st.sampled_from([b"ZUNIONSTORE", b"ZINTERSTORE"]), KEYS, st.just(b"2"), KEYS,
              KEYS),
    st.tuples(st.just(b"SETBIT"), KEYS, st.just(b"3"), st.sampled_from([b"0", b"1"])),
    st.tuples(st.just(b"BITOP"), st.sampled_from([b"OR", b"NOT"]), KEYS, KEYS),
    st.tuples(st.just(b"XADD"), KEYS, st.sampled_from([b"1-1", b"2-0", b"5-5"]), st.just(b"f"),
              VALUES),
    st.tuples(st.just(b"XDEL"), KEYS, st.sampled_from([b"1-1", b"2-0"])),
    st.tuples(st.just(b"XTRIM"), KEYS, st.just(b"MAXLEN"), st.sampled_from([b"0", b"1"])),
    st.tuples(st.just(b"XGROUP"), st.just(b"CREATE"), KEYS, st.just(b"g"), st.just(b"$"),
              st.just(b"MKSTREAM")),
    st.tuples(st.just(b"SORT"), KEYS, st.just(b"STORE"), KEYS),
    st.tuples(st.just(b"GEOADD"), KEYS, st.just(b"13.361389"), st.just(b"38.115556"), VALUES),
    st.tuples(st.just(b"GEORADIUS"), KEYS, st.just(b"15"), st.just(b"37"), st.just(b"200"),
              st.just(b"km"), st.sampled_from([b"STORE", b"STOREDIST"]), KEYS),
    st.tuples(st.just(b"GEOSEARCHSTORE"), KEYS, KEYS, st.just(b"FROMLONLAT"), st.just(b"15"),
              st.just(b"37"), st.just(b"BYRADIUS"), st.just(b"200"), st.just(b"km")),
    st.tuples(st.sampled_from([b"ZRANGESTORE"]), KEYS, KEYS, st.just(b"0"), st.just(b"-1")),
    st.tuples(st.sampled_from([b"EXPIRE", b"PEXPIRE"]), KEYS, st.just(b"100000"),
              st.sampled_from([b"NX", b"XX", b"GT", b"LT"])),
    st.tuples(st.just(b"FLUSHALL")),
    st.tuples(st.just(b"WATCH"), KEYS),
    st.tuples(st.just(b"WATCH"), KEYS, KEYS),
    st.tuples(st.sampled_from([b"UNWATCH", b"MULTI", b"EXEC", b"DISCARD", b"FLUSHDB"])),
    st.tuples(st.just(b"SELECT"), st.sampled_from([b"0", b"1"])),
    st.tuples(st.just(b"SWAPDB"), st.just(b"0"), st.just(b"1")),
    st.tuples(st.sampled_from([b"PUBLISH", b"SPUBLISH"]), CHANNELS, VALUES),
    st.tuples(st.just(b"PUBSUB"), st.sampled_from([b"CHANNELS", b"SHARDCHANNELS"])),
    st.tuples(st.just(b"PUBSUB"), st.sampled_from([b"CHANNELS", b"SHARDCHANNELS"]), PATTERNS),
    st.tuples(st.just(b"PUBSUB"), st.sampled_from([b"NUMSUB", b"SHARDNUMSUB"]), CHANNELS,
              CHANNELS),
    st.tuples(st.just(b"PUBSUB"), st.just(b"NUMPAT")),
    st.tuples(st.just(b"CONFIG"), st.just(b"SET"), st.just(b"notify-keyspace-events"),
              NOTIFY_FLAGS),
    st.tuples(st.just(b"CLIENT"), st.just(b"TRACKING"), st.just(b"ON"), st.just(b"REDIRECT"),
              st.just(SUBSCRIBER_ID)),
    st.tuples(st.just(b"CLIENT"), st.just(b"TRACKING"), st.just(b"ON"), st.just(b"REDIRECT"),
              st.just(SUBSCRIBER_ID), st.just(b"BCAST"), st.just(b"PREFIX"),
              st.sampled_from([b"a", b"n", b""])),
    st.tuples(st.just(b"CLIENT"), st.just(b"TRACKING"), st.just(b"ON"), st.just(b"REDIRECT"),
              st.just(SUBSCRIBER_ID), st.sampled_from([b"OPTIN", b"OPTOUT", b"NOLOOP"])),
    st.tuples(st.just(b"CLIENT"), st.just(b"CACHING"), st.sampled_from([b"YES", b"NO"])),
    st.tuples(st.just(b"CLIENT"), st.just(b"TRACKING"), st.just(b"OFF")),
)
SUBSCRIBER = st.one_of(
    st.tuples(st.sampled_from([b"SUBSCRIBE", b"SSUBSCRIBE"]), CHANNELS),
    st.tuples(st.sampled_from([b"SUBSCRIBE", b"SSUBSCRIBE"]), CHANNELS, CHANNELS),
    st.tuples(st.sampled_from([b"UNSUBSCRIBE", b"SUNSUBSCRIBE"])),
    st.tuples(st.sampled_from([b"UNSUBSCRIBE", b"SUNSUBSCRIBE"]), CHANNELS),
    st.tuples(st.just(b"PSUBSCRIBE"), PATTERNS),
    st.tuples(st.just(b"PSUBSCRIBE"), PATTERNS, PATTERNS),
    st.tuples(st.just(b"PUNSUBSCRIBE")),
    st.tuples(st.just(b"PUNSUBSCRIBE"), PATTERNS),
    st.tuples(st.just(b"PING")),
    st.tuples(st.just(b"PING"), VALUES),
    st.tuples(st.sampled_from([b"GET", b"TYPE"]), KEYS),  # refused while subscribed in RESP2
    st.tuples(st.just(b"SET"), KEYS, VALUES),
)
# (client 0 or 1, a worker's command) or (2, a subscriber's command)
STEPS = st.one_of(st.tuples(st.sampled_from([0, 1]), WORKER), st.tuples(st.just(2), SUBSCRIBER))

# the subscriber's protocol, notify-keyspace-events and the patterns the subscriber starts with
START = st.tuples(st.sampled_from([2, 3]), NOTIFY_FLAGS,
                  st.lists(PATTERNS, max_size=2, unique=True))


class Session:
    """One server's three clients for one sequence."""

    def __init__(self, port: int, start):
        """`start`: the subscriber's protocol (2 or 3), the notify-keyspace-events flags and
        the patterns the subscriber starts with."""
        protocol, flags, patterns = start
        self.port = port
        self.clients = [RawClient(port) for _ in range(3)]
        first = self.clients[0]
        first.call("FLUSHALL")
        first.call("CONFIG", "SET", "notify-keyspace-events", flags)
        subscriber = self.clients[2]
        if protocol == 3:
            subscriber.call("HELLO", "3")
        self.subscriber_id = b"%d" % subscriber.call("CLIENT", "ID")
        self.drains = 0
        if patterns:
            self.drain((b"PSUBSCRIBE", *patterns))

    def step(self, client_index: int, command: tuple) -> tuple:
        """The step's reply (the subscriber's replies and messages up to a PING's, for a
        subscriber's step), then what the subscriber received because of it."""
        command = tuple(self.subscriber_id if arg == SUBSCRIBER_ID else arg for arg in command)
        if client_index == 2:
            return self.drain(command), []
        return self.clients[client_index].call(*command), self.drain()

    def drain(self, command=None) -> list:
        """What the subscriber read before the reply of a PING sent now (after `command`)."""
        self.drains += 1
        token = b"drain-%d" % self.drains
        subscriber = self.clients[2]
        subscriber.send_raw((encode_command(*command) if command else b"")
                            + encode_command(b"PING", token))
        received = []
        while True:
            reply = subscriber.read_reply()
            if reply == token or reply == [b"pong", token]:
                return received
            received.append(reply)

    def close(self) -> None:
        for client in self.clients:
            client.close()
        admin = RawClient(self.port)  # (a worker may have been left inside MULTI)
        admin.call("CONFIG", "SET", "notify-keyspace-events", "")  # as the other tests expect
        admin.close()


# Replies in the order of a hash table, which Redis seeds at random in each process: PUBSUB
# CHANNELS lists, an UNSUBSCRIBE without channels unsubscribes from them in that order, and a
# message matching several patterns goes out once per pattern in that order.
_LISTINGS = {b"CHANNELS", b"SHARDCHANNELS"}
_UNSUBSCRIBE_ALL = {(b"UNSUBSCRIBE",), (b"PUNSUBSCRIBE",), (b"SUNSUBSCRIBE",)}
_SUBSCRIPTIONS = {b"SUBSCRIBE", b"SSUBSCRIBE", b"PSUBSCRIBE", b"UNSUBSCRIBE", b"SUNSUBSCRIBE",
                  b"PUNSUBSCRIBE"}
_MESSAGES = {b"message", b"pmessage", b"smessage"}


def comparable(client_index, command, outcome):
    """A step's outcome as compared: numbers by value, hash-table orders left out (for an
    UNSUBSCRIBE of everything, the channels as a set beside the counts in order). The events
    a subscriber's own write sends it are compared apart from the write's reply: Redis 7.0
    (the reference) writes them before the reply, 7.2 (Predis) right after it."""
    reply, deliveries = outcome
    if command[0] == b"PUBSUB" and command[1] in _LISTINGS and isinstance(reply, list):
        reply = sorted(reply)
    elif command in _UNSUBSCRIBE_ALL:
        kind = command[0].lower()
        ours = [item for item in reply if isinstance(item, list) and item[:1] == [kind]]
        rest = [item for item in reply if item not in ours]
        reply = [sorted(repr(item[1]) for item in ours), [item[2] for item in ours], rest]
    elif client_index == 2 and command[0] not in _SUBSCRIPTIONS:
        messages = [item for item in reply if isinstance(item, list) and item[:1]
                    and item[0] in _MESSAGES]
        reply = [[item for item in reply if item not in messages],
                 _patterns_unordered(messages)]
    return _plain(reply), _plain(_patterns_unordered(deliveries))


def _plain(reply):
    if isinstance(reply, list):
        return [_plain(item) for item in reply]
    return numeric(as_72(reply))


def _patterns_unordered(messages: list) -> list:
    """Each run of pmessages of one message (one per pattern it matched) sorted by pattern."""
    out, run = [], []
    for message in messages + [None]:
        if run and not (isinstance(message, list) and message[:1] == [b"pmessage"]
                        and message[2:] == run[0][2:]):
            out += sorted(run)
            run = []
        if isinstance(message, list) and message[:1] == [b"pmessage"]:
            run.append(message)
        elif message is not None:
            out.append(message)
    return out


def first_difference(servers, start, steps):
    """The first step whose reply or deliveries differ between the servers, or None."""
    sessions = [Session(server.port, start) for server in servers]
    try:
        for number, (client_index, command) in enumerate(steps):
            expected, actual = (session.step(client_index, command) for session in sessions)
            if comparable(client_index, command, actual) != \
                    comparable(client_index, command, expected):
                return (f"first difference at step {number}: client {client_index} {command!r}"
                        f"\nredis={expected!r}\npredis={actual!r}\nstart={start!r}"
                        f"\nsteps={steps[:number + 1]!r}")
        return None
    finally:
        for session in sessions:
            session.close()


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")), deadline=None,
          suppress_health_check=list(HealthCheck))
@given(start=START, steps=st.lists(STEPS, min_size=1, max_size=30))
def test_random_interleavings_of_three_clients_match(servers, start, steps):
    assert first_difference(servers, start, steps) is None
