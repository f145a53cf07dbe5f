"""Reply encoding for RESP2 and RESP3."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.protocol.writer import bulk_strings, encode
from server.replies import NULL_ARRAY, OK, BulkStrings, ErrorReply, Push, Verbatim


@pytest.mark.parametrize("value,resp2,resp3", [
    (b"abc", b"$3\r\nabc\r\n", b"$3\r\nabc\r\n"),
    (bytearray(b"ab"), b"$2\r\nab\r\n", b"$2\r\nab\r\n"),
    (OK, b"+OK\r\n", b"+OK\r\n"),
    (5, b":5\r\n", b":5\r\n"),
    (-3000, b":-3000\r\n", b":-3000\r\n"),
    (None, b"$-1\r\n", b"_\r\n"),
    (NULL_ARRAY, b"*-1\r\n", b"_\r\n"),
    ([b"a", 1, None], b"*3\r\n$1\r\na\r\n:1\r\n$-1\r\n", b"*3\r\n$1\r\na\r\n:1\r\n_\r\n"),
    ({"k": 1}, b"*2\r\n$1\r\nk\r\n:1\r\n", b"%1\r\n$1\r\nk\r\n:1\r\n"),
    (True, b":1\r\n", b"#t\r\n"),
    (1.5, b"$3\r\n1.5\r\n", b",1.5\r\n"),
    (float("inf"), b"$3\r\ninf\r\n", b",inf\r\n"),
    (Verbatim("hi"), b"$2\r\nhi\r\n", b"=6\r\ntxt:hi\r\n"),
    (Push([b"message", b"c"]), b"*2\r\n$7\r\nmessage\r\n$1\r\nc\r\n",
     b">2\r\n$7\r\nmessage\r\n$1\r\nc\r\n"),
    (ErrorReply("ERR bad\r\nthing"), b"-ERR bad  thing\r\n", b"-ERR bad  thing\r\n"),
    # arrays of plain strings, joined in one go (a string of 1 KB or more takes the slow way)
    ([b"ab", b"", bytearray(b"c")], b"*3\r\n$2\r\nab\r\n$0\r\n\r\n$1\r\nc\r\n",
     b"*3\r\n$2\r\nab\r\n$0\r\n\r\n$1\r\nc\r\n"),
    (BulkStrings([b"x" * 1024, b"y"]), b"*2\r\n$1024\r\n" + b"x" * 1024 + b"\r\n$1\r\ny\r\n",
     b"*2\r\n$1024\r\n" + b"x" * 1024 + b"\r\n$1\r\ny\r\n"),
    (BulkStrings([b"a", b"bc"]), b"*2\r\n$1\r\na\r\n$2\r\nbc\r\n",
     b"*2\r\n$1\r\na\r\n$2\r\nbc\r\n"),
    (BulkStrings(), b"*0\r\n", b"*0\r\n"),
    # items of one length share a header
    (BulkStrings([b"ab", bytearray(b"cd"), b"ef"]), b"*3\r\n$2\r\nab\r\n$2\r\ncd\r\n$2\r\nef\r\n",
     b"*3\r\n$2\r\nab\r\n$2\r\ncd\r\n$2\r\nef\r\n"),
    (BulkStrings([b"z" * 2000] * 2), (b"*2\r\n" + (b"$2000\r\n" + b"z" * 2000 + b"\r\n") * 2),
     (b"*2\r\n" + (b"$2000\r\n" + b"z" * 2000 + b"\r\n") * 2)),
])
def test_encode_shapes(value, resp2, resp3):
    assert encode(value, resp3=False) == resp2
    assert encode(value, resp3=True) == resp3


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=1100) | st.sampled_from([b"", b"abc", b"x" * 1023, b"y" * 1024]),
                min_size=1, max_size=40))
def test_bulk_strings_is_each_item_encoded_in_turn(items):
    assert bulk_strings(items) == b"".join(b"$%d\r\n%b\r\n" % (len(item), item) for item in items)


def test_unknown_type_is_a_bug_not_garbage():
    with pytest.raises(TypeError):
        encode(object())


def test_big_numbers_and_attributes():
    from server.replies import Attributed, BigNumber

    assert encode(BigNumber(b"12345678901234567890"), True) == b"(12345678901234567890\r\n"
    assert encode(BigNumber(b"12345678901234567890")) == b"$20\r\n12345678901234567890\r\n"
    attributed = Attributed({b"ttl": 5}, b"v")
    assert encode(attributed, True) == b"|1\r\n$3\r\nttl\r\n:5\r\n$1\r\nv\r\n"
    assert encode(attributed) == b"$1\r\nv\r\n"  # RESP2: the reply alone
