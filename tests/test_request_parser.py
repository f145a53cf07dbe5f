"""The request parser: multibulk via hiredis, inline lines, mixed streams, protocol errors."""

import re
import tracemalloc

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from server.protocol import big_command
from server.protocol.reader import ProtocolError, RequestParser, split_inline


def parse_all(*chunks):
    parser = RequestParser()
    out = []
    for chunk in chunks:
        parser.read(chunk, out)  # what the connection calls
    return out


def test_multibulk_commands_in_one_chunk():
    assert parse_all(b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") == [
        [b"PING"], [b"GET", b"k"]]


def test_multibulk_split_byte_by_byte():
    data = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n"
    assert parse_all(*[data[i:i + 1] for i in range(len(data))]) == [[b"SET", b"k", b"value"]]


def test_inline_commands():
    assert parse_all(b"PING\r\nECHO  hi  there\n") == [[b"PING"], [b"ECHO", b"hi", b"there"]]


def test_inline_after_multibulk_in_same_chunk():
    assert parse_all(b"*1\r\n$4\r\nPING\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n") == [
        [b"PING"], [b"PING"], [b"ECHO", b"hi"]]


def test_redis_cli_pipe_trailer():
    # redis-cli --pipe ends with "\r\n" (an empty inline line) and a multibulk ECHO.
    assert parse_all(b"*1\r\n$4\r\nPING\r\n", b"\r\n*2\r\n$4\r\nECHO\r\n$2\r\nzz\r\n") == [
        [b"PING"], [b"ECHO", b"zz"]]


def test_empty_and_null_multibulk_are_ignored():
    assert parse_all(b"*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n") == [[b"PING"]]


def test_split_inline_quotes_and_escapes():
    assert split_inline(b'SET k "a b\\x41\\n"') == [b"SET", b"k", b"a bA\n"]
    assert split_inline(b"SET k 'it\\'s'") == [b"SET", b"k", b"it's"]
    with pytest.raises(ProtocolError, match="unbalanced quotes"):
        split_inline(b'ECHO "open')
    with pytest.raises(ProtocolError, match="unbalanced quotes"):
        split_inline(b'ECHO "a"b')


@pytest.mark.parametrize("data,message", [
    (b"*abc\r\n", "invalid multibulk length"),
    (b"*1\r\n$x\r\n", "invalid bulk length"),
    (b"*1\r\n$-5\r\n", "invalid bulk length"),
    (b"*2\r\n$3\r\nGET\r\n:1\r\n", "expected '$', got ':'"),
])
def test_protocol_errors_use_redis_wording(data, message):
    with pytest.raises(ProtocolError, match=message.replace("$", r"\$")):
        parse_all(data)


def test_too_big_inline_request():
    with pytest.raises(ProtocolError, match="too big inline request"):
        parse_all(b"A" * (64 * 1024 + 10))


def test_history_is_dropped_at_command_boundaries():
    parser = RequestParser()
    out = []
    for _ in range(100):
        parser.read(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n", out)
        assert parser._history == [] and parser._parsed == []
        parser.read(b"*2\r\n$3\r\nGET\r\n$1\r\nk", out)  # cut: kept until the end comes
        assert parser._history != []
        parser.read(b"\r\n", out)
        assert parser._history == [] and parser._parsed == []
    assert len(out) == 300


def test_history_is_trimmed_when_reads_never_end_on_a_boundary():
    parser = RequestParser()
    out = []
    command = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$100\r\n" + b"v" * 100 + b"\r\n"
    stream = command * 60000  # ~8 MB, fed in chunks that end mid-command
    for start in range(0, len(stream), 4093):
        parser.feed(stream[start:start + 4093])
        parser.parse(out)
    assert len(out) == 60000
    assert parser._history_bytes <= 5 * 1024 * 1024


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=8))
def test_fuzz_parser_only_raises_protocol_errors(chunks):
    parser = RequestParser()
    out = []
    try:
        for chunk in chunks:
            if chunk:
                parser.read(chunk, out)
    except ProtocolError:
        return
    for command in out:
        assert all(type(arg) is bytes for arg in command)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.binary(max_size=20), min_size=1, max_size=5), min_size=1,
                max_size=10), st.integers(min_value=1, max_value=17))
def test_fuzz_any_chunking_gives_the_same_commands(commands, chunk_size):
    stream = b"".join(b"*%d\r\n" % len(c) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in c)
                      for c in commands)
    chunks = [stream[i:i + chunk_size] for i in range(0, len(stream), chunk_size)]
    assert parse_all(*chunks) == commands


def test_oversized_bulk_header_is_refused_before_the_data_arrives():
    parser = RequestParser()
    out = []
    parser.feed(b"*2\r\n$4\r\nECHO\r\n$2000000\r\n" + b"x" * 70000)
    parser.parse(out)
    assert out == []
    with pytest.raises(ProtocolError, match="invalid bulk length"):
        parser.check_partial(max_bulk_len=1024 * 1024)


def test_large_but_allowed_bulk_passes_the_header_check():
    parser = RequestParser()
    out = []
    parser.feed(b"*2\r\n$4\r\nECHO\r\n$100000\r\n" + b"x" * 70000)
    parser.parse(out)
    parser.check_partial(max_bulk_len=1024 * 1024)
    parser.feed(b"x" * 30000 + b"\r\n")
    parser.parse(out)
    assert out == [[b"ECHO", b"x" * 100000]]


def test_an_empty_chunk_changes_nothing():
    """Found by the atheris RESP target: feeding b"" indexed its first byte."""
    assert parse_all(b"", b"PING\r\n", b"", b"*1\r\n$4\r\nPING\r\n") == [[b"PING"], [b"PING"]]


# -- commands with a huge argument count (server/protocol/big_command.py) -------------------
def test_a_huge_count_allocates_nothing_up_front():
    """hiredis would allocate the whole argument list (16 GB for this count) at the header,
    and freeing it later stalled the server for seconds."""
    tracemalloc.start()
    try:
        out = parse_all(b"*2147483647\r\n", b"$1\r\na\r\n$2\r\nbc\r\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out == []
    assert peak < 1024 * 1024


@pytest.fixture
def every_count_is_big(monkeypatch):
    """Route every multibulk command through BigCommand (counts of 1+ digits)."""
    monkeypatch.setattr(big_command, "BIG_COUNT_DIGITS", 1)
    monkeypatch.setattr(big_command, "big_header", big_command.header_pattern(1))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(
    st.lists(st.binary(max_size=20), min_size=1, max_size=5),
    st.sampled_from([b"PING", b"ECHO x", b"", b"*0", b"*-1"])), min_size=1, max_size=10),
    st.integers(min_value=1, max_value=17))
@example([[b"", b""], [b"", b""], b"PING"], 13)  # a read ending inside an equal command
def test_big_command_path_parses_like_hiredis(commands, chunk_size):
    """The same random stream of multibulk and inline commands, chunked anyway, gives the
    same commands whether the counts go through hiredis or through BigCommand."""
    stream = b"".join(
        c + b"\r\n" if isinstance(c, bytes) else
        b"*%d\r\n" % len(c) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in c)
        for c in commands)
    chunks = [stream[i:i + chunk_size] for i in range(0, len(stream), chunk_size)]
    expected = parse_all(*chunks)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(big_command, "BIG_COUNT_DIGITS", 1)
        patch.setattr(big_command, "big_header", big_command.header_pattern(1))
        assert parse_all(*chunks) == expected


@pytest.mark.parametrize("data, message", [
    (b"*3000000000\r\n", "invalid multibulk length"),
    (b"*2\r\n$1\r\na\r\n:1\r\n", "expected '$', got ':'"),
    (b"*2\r\n$01\r\na\r\n", "invalid bulk length"),
    (b"*2\r\n$-1\r\n", "invalid bulk length"),
    (b"*2\r\n$2000\r\n", "invalid bulk length"),
])
def test_big_command_errors_use_redis_wording(every_count_is_big, data, message):
    parser = RequestParser()
    parser.check_partial(max_bulk_len=1024)
    parser.feed(data)
    with pytest.raises(ProtocolError, match=re.escape(message)):
        parser.parse([])


def test_commands_before_a_big_one_in_the_same_read_run_first():
    out = parse_all(b"*1\r\n$4\r\nPING\r\n*20000000\r\n$4\r\nMSET\r\n")
    assert out == [[b"PING"]]


@pytest.mark.parametrize("big", [10, 2000])
def test_a_read_ending_inside_an_equal_command_is_not_a_boundary(big):
    """Commands whose arguments are all alike, the stream cut in two anywhere (among others
    right after the second command's first argument, which ends the way the first command
    does), then an inline command: the parser knows where the multibulk commands end."""
    command = [b"v" * big, b"v" * big]
    encoded = b"*2\r\n" + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in command)
    stream = encoded * 3 + b"PING\r\n"
    tricky = len(encoded) + len(encoded) // 2 + 2  # after the second command's first argument
    assert stream[:tricky].endswith(encoded[len(encoded) // 2 + 2:])
    cuts = range(1, len(stream)) if big < 100 else range(tricky - 3, tricky + 4)
    for cut in cuts:
        assert parse_all(stream[:cut], stream[cut:]) == [command] * 3 + [[b"PING"]], cut


def _outcome(parser, chunks, step):
    out = []
    try:
        for chunk in chunks:
            step(parser, chunk, out)
    except ProtocolError as exc:
        return out, str(exc)
    return out, parser.pending()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(
    st.binary(max_size=30),
    st.sampled_from([b"*1\r\n$4\r\nPING\r\n", b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
                     b"*2\r\n$3\r\nGET", b"\r\n$1\r\nk\r\n", b"PING\r\n", b"*0\r\n", b"*-1\r\n",
                     b"*1\r\n:1\r\n", b"*1\r\n$1\r\nx\r\nX"])), max_size=8))
def test_the_short_path_of_read_answers_as_feed_then_parse(chunks):
    """read() takes a short path for a whole command at a boundary: same commands, same
    errors and the same pending bytes as feeding and parsing step by step."""
    chunks = [chunk for chunk in chunks if chunk]

    def stepwise(parser, chunk, out):
        parser.feed(chunk)
        parser.parse(out)

    assert _outcome(RequestParser(), chunks, RequestParser.read) == \
        _outcome(RequestParser(), chunks, stepwise)
