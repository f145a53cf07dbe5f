"""Hypothesis: scripts returning drawn Lua values (numbers, strings, booleans, nil, arrays with
holes, {ok=}, {err=}, {double=}, {map=}, {set=}, {big_number=}, {verbatim_string=} tables,
nested, with fields of the wrong type, redis.error_reply / status_reply with odd arguments,
and what redis.call / redis.pcall return for replies of every shape), each by EVAL in RESP2 or
RESP3, some after redis.setresp(2 or 3): the same reply bytes from redis-server and Predis.

Found: a number out of the long long range (1e20, 1/0, 0/0) is C's (long long) cast, LLONG_MIN,
where Predis failed or answered the exact number; {err=} and {ok=} count only with a string
(a number, a table or true makes the table an array, empty here); their text stops at a NUL;
error_reply's text as luaPushErrorBuff makes it (trimmed of CR/LF); error_reply and
status_reply without one string argument return an error table (Predis raised); a map whose
keys are tables, or equal once converted, is written pair by pair.

Redis 7.0 (the reference) writes doubles with %.17g where 7.2 uses fpconv; both read as the
same double, so doubles compare by value here (tests/test_doubles.py checks the text).
`FUZZ_EXAMPLES` sets the number of scripts (300 in CI)."""

import os
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .rawclient import encode_command

DATASET = [("SET", "s", "hello"), ("RPUSH", "l", "a", "b", "c"), ("HSET", "h", "f", "v", "g", "2"),
           ("ZADD", "z", "1.5", "a", "2", "b"), ("SADD", "st", "a"), ("XADD", "x", "1-1", "f", "v")]
NUMBERS = ["0", "1", "-1", "3.7", "-2.5", "1e20", "2^53", "2^63", "-2^63", "0/0", "1/0", "-1/0",
           "0.1", "123456789012", "1e-5", "-0.0"]
STRINGS = ["'x'", "''", "'OK'", "'-ERR x'", "'hello world'", "'1'", "'\\0a'", "'err'", "'a\\r\\nb'",
           "'x\\r\\n'", "' x'", "'-'", "'-A B C'", "'\\r\\nx'"]
CALLS = [
    "redis.call('GET','s')", "redis.call('GET','nokey')", "redis.call('HGETALL','h')",
    "redis.call('LRANGE','l',0,-1)", "redis.call('SMEMBERS','st')", "redis.call('ZSCORE','z','a')",
    "redis.call('ZRANGE','z',0,-1,'WITHSCORES')", "redis.call('EXISTS','s')",
    "redis.call('PING')", "redis.call('SET','t','v')", "redis.pcall('INCR','s')",
    "redis.pcall('GET','h')", "redis.call('TYPE','l')", "redis.call('HGET','h','nofield')",
    "redis.call('XRANGE','x','-','+')", "redis.call('ZRANK','z','nomember')",
    "redis.call('INCRBYFLOAT','f','1.5')", "redis.pcall('NOSUCH')", "redis.call('HELLO')",
    "redis.call('SMISMEMBER','st','a','q')", "redis.call('ZMSCORE','z','a','q')",
    "redis.call('LPOS','l','b')", "redis.pcall('LPOP','nokey')",
    "redis.call('ZINCRBY','z','1.5','a')", "redis.call('LMPOP',1,'nokey','LEFT')",
    "redis.call('ZRANGE','z',0,-1,'BYSCORE','REV')", "redis.call('PFCOUNT','nokey')",
    "redis.call('LCS','s','t','IDX')", "redis.pcall('EVAL','return 1',0)",
    # numbers as arguments: those %.17g (7.0) and fpconv (7.2) write alike
    "redis.call('ECHO', 0.5)", "redis.call('ECHO', -2.5)", "redis.call('ECHO', 2^53)",
    "redis.call('ECHO', 123456.5)", "redis.call('ECHO', 1/0)",
]
SPECIAL = ["{1,nil,3}", "{nil,2}", "{a=1,2}", "{[1.5]=2}", "{['1']=3}", "{{}}", "{map={}}",
           "{set={}}", "{verbatim_string='x'}", "{ok='a',err='b'}", "{err='x',ok='b'}",
           "redis.error_reply(1)", "redis.status_reply(1)", "redis.status_reply('a','b')",
           "redis.error_reply()"]

number = st.sampled_from(NUMBERS)
string = st.sampled_from(STRINGS)
leaf = st.one_of(number, string, st.sampled_from(["true", "false", "nil"]),
                 st.sampled_from(CALLS), st.sampled_from(SPECIAL),
                 st.builds("redis.error_reply({})".format, string),
                 st.builds("redis.status_reply({})".format, string))


# map and set keys: Lua iterates tables as keys in the order of their addresses, which differ
# from one process to the next, so keys are numbers, strings and booleans
key = st.one_of(number, string, st.sampled_from(["true", "false"]))


def _tables(inner):
    field = st.one_of(number, string, inner, st.sampled_from(["{}", "true"]))
    return st.one_of(
        st.lists(inner, max_size=4).map(lambda items: "{" + ",".join(items) + "}"),
        st.builds("{{ok={}}}".format, field),
        st.builds("{{err={}}}".format, field),
        st.builds("{{double={}}}".format, st.one_of(number, string)),
        st.builds("{{big_number={}}}".format, st.one_of(string, number)),
        st.builds("{{verbatim_string={{format={},string={}}}}}".format,
                  st.sampled_from(["'txt'", "'\\0ab'", "'abcdef'", "'a'", "1"]), string),
        st.lists(st.tuples(key, inner), max_size=3).map(
            lambda pairs: "{map={" + ",".join(f"[{k}]={v}" for k, v in pairs) + "}}"),
        st.lists(st.tuples(key, st.sampled_from(["true", "1", "false"])), max_size=3).map(
            lambda pairs: "{set={" + ",".join(f"[{k}]={v}" for k, v in pairs) + "}}"))


value = st.recursive(leaf, _tables, max_leaves=8)


class Connection:
    """A socket that returns each reply's raw bytes."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)

    def call(self, *args) -> bytes:
        self.sock.sendall(encode_command(*args))
        data = b""
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
            end = _frame_end(data, 0)
            if end == len(data):
                return data


def _frame_end(data: bytes, position: int):
    """The index after the RESP frame at `position`, None while incomplete."""
    line_end = data.find(b"\r\n", position)
    if line_end < 0:
        return None
    kind, head, after = data[position:position + 1], data[position + 1:line_end], line_end + 2
    if kind in b"+-:,_#(":
        return after
    count = int(head)
    if kind in b"$=!":
        return after if count < 0 else (after + count + 2 if len(data) >= after + count + 2
                                         else None)
    for _ in range(max(count, 0) * (2 if kind in b"%|" else 1)):
        after = _frame_end(data, after)
        if after is None:
            return None
    return after


def comparable(data: bytes, position: int = 0):
    """The reply as a tree of (type byte, contents) with doubles (a RESP3 double, or a bulk
    string that reads as one) as floats, and NaN's sign dropped: Redis 7.0's %.17g and 7.2's
    fpconv differ only in how they write the same double."""
    line_end = data.find(b"\r\n", position)
    kind, head, after = data[position:position + 1], data[position + 1:line_end], line_end + 2
    if kind == b",":
        return ("double", _as_float(head)), after
    if kind in (b"+", b"-", b":", b"_", b"#", b"("):
        return (kind, head), after
    count = int(head)
    if kind in (b"$", b"=", b"!"):
        if count < 0:
            return (kind, None), after
        body = data[after:after + count]
        number = _as_float(body)
        return ((kind, body) if number is None else ("double", number)), after + count + 2
    items = []
    for _ in range(max(count, 0) * (2 if kind in (b"%", b"|") else 1)):
        item, after = comparable(data, after)
        items.append(item)
    return (kind, tuple(items)), after


def _as_float(text: bytes):
    if text.lstrip(b"-") == b"nan":
        return "nan"
    try:
        return float(text)
    except ValueError:
        return None


@pytest.fixture(scope="module")
def by_protocol(pair):
    """Raw connections to both servers, in RESP2 and in RESP3, on the loaded dataset."""
    connections = {2: [Connection(s.port) for s in pair], 3: [Connection(s.port) for s in pair]}
    for connection in connections[3]:
        connection.call("HELLO", "3")
    for connection in connections[2]:
        for entry in DATASET:
            connection.call(*entry)
    return connections


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")), deadline=None,
          suppress_health_check=list(HealthCheck))
@given(protocol=st.sampled_from([2, 3]), resp=st.sampled_from([None, 2, 3]), returned=value)
def test_a_scripts_return_value_converts_as_redis_converts_it(by_protocol, protocol, resp,
                                                              returned):
    script = ("" if resp is None else f"redis.setresp({resp}); ") + "return " + returned
    redis_reply, predis_reply = (c.call("EVAL", script, "0") for c in by_protocol[protocol])
    assert comparable(predis_reply)[0] == comparable(redis_reply)[0], (script, redis_reply,
                                                                        predis_reply)
