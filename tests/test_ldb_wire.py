"""The Lua debugger's wire formats (server/protocol/ldb_wire.py): its forgiving command parser,
its log replies, and replies shown as text, as Redis's LDB writes and reads them."""

import os
import random
import socket
import threading

import pytest

from server.protocol.ldb_wire import (BlockingChannel, ProtocolError, atoi, log_reply,
                                      parse_command, reply_as_text)


def test_parse_command_whole_partial_and_trailing():
    assert parse_command(b"*2\r\n$1\r\np\r\n$1\r\nx\r\n") == ([b"p", b"x"], 18)
    assert parse_command(b"junk*1\r\n$4\r\nstep\r\nmore") == ([b"step"], 18)
    for partial in (b"*2", b"*2\r\n", b"*2\r\n$1\r\np\r\n", b"*2\r\n$1\r\np\r\n$1",
                    b"*1\r\n$4\r\nst"):
        assert parse_command(partial) is None, partial


@pytest.mark.parametrize("bad", [b"step\r\n", b"*0\r\n", b"*-1\r\n", b"*1025\r\n",
                                 b"*1\r\n+x\r\n", b"*1\r\n$0\r\n\r\n", b"*1\r\n$1025\r\n",
                                 b"*1\r\n$1\r\nxy\r\n"])
def test_parse_command_protocol_errors(bad):
    with pytest.raises(ProtocolError):
        parse_command(bad)


def test_parse_command_random_input_only_ever_raises_protocol_error():
    rng = random.Random(7)
    pieces = [b"*", b"$", b"\r\n", b"1", b"2", b"0", b"-", b"x", b"\0", b"1025"]
    for _ in range(20000):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        try:
            parsed = parse_command(data)
        except ProtocolError:
            continue
        if parsed is not None:
            args, used = parsed
            assert 0 < len(args) <= 1024 and used <= len(data)


def test_atoi_reads_as_c_does():
    assert [atoi(t) for t in (b"12", b"  7x", b"-3", b"+4", b"x", b"", b"0012")] == \
        [12, 7, -3, 4, 0, 0, 12]
    # glibc's (int) strtol: a long's range, then the low 32 bits
    assert [atoi(t) for t in (b"4294967297", b"2147483648", b"-2147483649",
                              b"99999999999999999999", b"-99999999999999999999")] == \
        [1, -2147483648, 2147483647, -1, 0]


def test_log_reply_is_an_array_of_status_lines_without_line_breaks():
    assert log_reply(["a\r\nb", "<endsession>"]) == b"*2\r\n+a  b\r\n+<endsession>\r\n"


@pytest.mark.parametrize("data,text", [
    (b":12\r\n", "12"), (b"$3\r\nabc\r\n", '"abc"'), (b"$-1\r\n", "NULL"),
    (b"+OK\r\n", '"+OK"'), (b"-ERR x\r\n", '"-ERR x"'), (b"*-1\r\n", "NULL"),
    (b"*2\r\n$1\r\na\r\n:1\r\n", '["a",1]'), (b"~1\r\n$1\r\na\r\n", '~("a")'),
    (b"%1\r\n$1\r\nk\r\n$1\r\nv\r\n", '{"k" => "v"}'), (b"_\r\n", "(null)"),
    (b"#t\r\n", "#true"), (b"#f\r\n", "#false"), (b",1.5\r\n", "(double) 1.5"),
    (b"$2\r\n\n\x01\r\n", '"\\n\\x01"'), (b"(123\r\n", ""),
])
def test_reply_as_text(data, text):
    assert reply_as_text(data) == text


def test_blocking_channel_reads_writes_and_notices_the_peer_leaving():
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    channel = BlockingChannel(ours.fileno())
    received = bytearray()

    def read_all():
        while len(received) < 3000000:
            received.extend(theirs.recv(65536))

    reader = threading.Thread(target=read_all)
    reader.start()
    channel.write(b"x" * 3000000)  # more than the socket buffer: written as the peer reads
    reader.join(10)
    assert received == b"x" * 3000000
    theirs.sendall(b"hello")
    assert channel.read() == b"hello"
    theirs.close()
    assert channel.read() == b"" and channel.gone
    channel.write(b"dropped")  # no error once the peer has gone
    ours.close()


def test_blocking_channel_write_gives_up_on_a_peer_that_never_reads(monkeypatch):
    from server.protocol import ldb_wire

    monkeypatch.setattr(ldb_wire, "SEND_TIMEOUT", 0.2)
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    BlockingChannel(ours.fileno()).write(os.urandom(8 << 20))  # returns after the timeout
    ours.close()
    theirs.close()
