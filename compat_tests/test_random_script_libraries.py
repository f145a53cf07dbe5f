"""Hypothesis: the libraries Redis bundles for scripts (cjson, cmsgpack, struct, bit) called
with drawn values, formats and JSON texts, by EVAL on both servers; the same reply bytes,
errors word for word (doubles compare by value: Redis 7.0 writes them with %.17g).

It found, against Predis's earlier copies of those libraries: bit.tohex(x, -2^31) building two
billion digits, bit arguments truncated instead of rounded, cjson's null decoded as nil, JSON
parsed by Python's rules (big integers failing, other error words), cmsgpack failing on 1e300
and on uint64 past 2^63, struct taking '=' and digits after any option, aligning, converting
and checking unlike lua_struct.c, and every library's errors lacking the caller's position or
naming Python internals. `FUZZ_EXAMPLES` sets the number of scripts (300 in CI)."""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .test_random_scripts import Connection, comparable

NUMBERS = ["0", "1", "-1", "3.5", "-2.25", "1e20", "2^53", "2^31", "-2^31", "2^32", "2^63",
           "0.1", "1/3", "255", "256", "65535", "65536", "-129", "-32769", "127", "-128",
           "1e300", "1e-300", "123456789.123", "0/0", "1/0", "'7'", "' 0x10 '"]
STRINGS = ["'x'", "''", "'hello world'", "'\\0a'", "'\"q\"'", "'\\\\'", "'/'", "'\\n\\t'",
           "'\\200\\255'", "string.rep('a', 40)", "string.rep('b', 300)", "'\\1\\31'"]
JSON_PIECES = ['[', ']', '{', '}', ',', ':', '"a"', '"b\\\\"c"', '1', '-2.5', '1e3', '0', '01',
               '+1', '0x1F', 'true', 'false', 'null', 'nul', 'NaN', '-Infinity', 'inf', ' ',
               '"\\\\u00e9"', '"\\\\ud83d\\\\ude00"', '"\\\\ud83d"', '"\\\\x"', '"\\\\/"',
               '"\\\\u12"', '"', 'x', '1.', '-', '.5', '1e', '123456789012345678901234567890',
               '1e400']
STRUCT_OPTIONS = ["b", "B", "h", "H", "i", "I", "l", "L", "i3", "I5", "i16", "f", "d", "<", ">",
                  "!", "!4", "x", "c2", "c0", "s", "z", " ", "=", "T"]
STRUCT_ARGUMENTS = ["1", "-1", "255", "65536", "1.5", "'ab'", "0", "-2^31", "1e30", "2^64",
                    "0/0", "'3'"]
BIT_FUNCTIONS = ["band", "bor", "bxor", "bnot", "lshift", "rshift", "arshift", "rol", "ror",
                 "tobit", "tohex", "bswap"]

leaf = st.one_of(st.sampled_from(NUMBERS), st.sampled_from(STRINGS),
                 st.sampled_from(["true", "false", "nil", "{}", "cjson.null"]))
key = st.one_of(st.sampled_from(["1", "2", "3", "5", "10", "0", "-1", "1.5", "true", "1/0"]),
                st.sampled_from(["'a'", "'b'", "'c'"]))


def _tables(inner):
    return st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda items: "{" + ",".join(items) + "}"),
        st.lists(st.tuples(key, inner), min_size=1, max_size=3).map(
            lambda pairs: "{" + ",".join(f"[{k}]={v}" for k, v in pairs) + "}"))


value = st.recursive(leaf, _tables, max_leaves=6)
json_text = st.lists(st.sampled_from(JSON_PIECES), min_size=1, max_size=7).map("".join)
struct_format = st.lists(st.sampled_from(STRUCT_OPTIONS), min_size=1, max_size=4).map("".join)
arguments = st.lists(st.sampled_from(STRUCT_ARGUMENTS), max_size=4).map(
    lambda items: "".join("," + item for item in items))
data = st.sampled_from(["'abcdefgh'", "'\\0\\1\\2\\3\\4\\5\\6\\7'", "''", "'ab\\0cd'",
                        "string.rep('\\255', 20)", "'3abc'"])

script = st.one_of(
    st.builds("return cjson.encode({})".format, value),
    st.builds("return cjson.encode(cjson.decode({!r}))".format, json_text),
    st.builds("local ok, e = pcall(cjson.decode, {!r}) if ok then return cjson.encode({{e}}) "
              "end return e".format, json_text),
    st.builds("return cjson.decode({!r})".format, json_text),
    st.builds("return cmsgpack.pack({})".format, value),
    st.builds("return {{cmsgpack.unpack(cmsgpack.pack({}, {}))}}".format, value, value),
    st.builds("return {{cmsgpack.{}(cmsgpack.pack({}, {}, {}){})}}".format,
              st.sampled_from(["unpack_one", "unpack_limit"]), value, value, value,
              st.sampled_from(["", ", 1", ", 2", ", 0", ", 1, 1", ", 2, 3", ", -1", ", 1, 99",
                               ", 'x'", ", 0, 0", ", nil, 1"])),
    st.builds("return {{cmsgpack.unpack({})}}".format, data),
    st.builds("return {{struct.pack({!r}{})}}".format, struct_format, arguments),
    st.builds("return {{struct.unpack({!r}, {}{})}}".format, struct_format, data,
              st.sampled_from(["", ", 2", ", 0", ", -1", ", 100", ", 'x'"])),
    st.builds("return struct.size({!r})".format, struct_format),
    st.builds("return bit.{}({})".format, st.sampled_from(BIT_FUNCTIONS), arguments.map(
        lambda text: text[1:])),
)


@pytest.fixture(scope="module")
def connections(pair):
    return [Connection(server.port) for server in pair]


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")), deadline=None,
          suppress_health_check=list(HealthCheck))
@given(source=script)
def test_script_libraries_answer_as_redis_s(connections, source):
    redis_reply, predis_reply = (connection.call("EVAL", source, "0") for connection in connections)
    assert comparable(predis_reply)[0] == comparable(redis_reply)[0], (source, redis_reply,
                                                                        predis_reply)
