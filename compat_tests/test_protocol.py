"""Differential tests of the wire protocol itself: raw bytes in, raw bytes out."""

import socket
import time

import pytest

from .rawclient import RawClient
from .servers import start_predis, start_redis


def exchange(port: int, payload: bytes, settle: float = 0.3) -> bytes:
    """Send raw bytes, collect everything the server answers until it goes quiet or closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(payload)
        sock.settimeout(settle)
        data = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except (socket.timeout, TimeoutError):
                break
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    return data


@pytest.mark.parametrize("payload", [
    b"PING\r\n",
    b"PING\n",
    b"ECHO hello\r\n",
    b"SET k \"a b\\x41\\n\"\r\nGET k\r\n",
    b"SET k 'it''s'\r\n",
    b"SET k 'it\\'s'\r\nGET k\r\n",
    b"ECHO \"unbalanced\r\n",
    b"ECHO \"a\"b\r\n",
    b"\r\n\r\nPING\r\n",
    b"   \r\nPING\r\n",
    b"*1\r\n$4\r\nPING\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n",
    b"*0\r\n*1\r\n$4\r\nPING\r\n",
    b"*-1\r\n*1\r\n$4\r\nPING\r\n",
    b"*-10\r\nPING\r\n*-3\r\nECHO x\r\n*-99999999999999999999\r\nPING\r\n",  # counts < 1: skipped
    b"*3000000000\r\n", b"PING\r\n*3000000000\r\n",  # over INT_MAX: refused at once
    b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2000000000\r\n",  # over proto-max-bulk-len: at once
    b"*1\r\n$4\r\nPING\r\n" * 50,
    b"*2\r\n$3\r\nGET\r\n:1\r\n",
    b"*abc\r\n",
    b"*1\r\n$abc\r\n",
    b"*1\r\n$-5\r\n",
    b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nabcde\r\n",
    b"PING\r\n*1\r\n$4\r\nPI",
    b"GET\r\n",
    b"NOSUCHCMD a b\r\n",
    b"POST / HTTP/1.1\r\nHost: example.com\r\n\r\n",
    b"PING\r\nhost: evil\r\nPING\r\n",
    b"*1\r\n$4\r\nPOST\r\n",
])
def test_raw_exchange_matches(servers, payload):
    ref, predis = servers
    expected = exchange(ref.port, payload)
    actual = exchange(predis.port, payload)
    assert actual == expected, (payload, expected, actual)


def test_protocol_error_closes_only_that_client(servers):
    for server in servers:
        bystander = RawClient(server.port)
        bystander.call("SET", "safe", "1")
        answer = exchange(server.port, b"*1\r\n$x\r\n")
        assert answer.startswith(b"-ERR Protocol error")
        assert bystander.call("GET", "safe") == b"1"
        bystander.call("DEL", "safe")
        bystander.close()


def test_pipeline_replies_in_order(servers):
    payload = b"".join(b"*3\r\n$4\r\nINCR\r\n$1\r\nc\r\n" if False else
                       b"*2\r\n$4\r\nINCR\r\n$1\r\nc\r\n" for _ in range(1000))
    answers = []
    for server in servers:
        client = RawClient(server.port)
        client.call("DEL", "c")
        client.send_raw(payload)
        answers.append([client.read_reply() for _ in range(1000)])
        client.call("DEL", "c")
        client.close()
    assert answers[1] == answers[0] == list(range(1, 1001))


def test_command_split_across_packets(servers):
    for server in servers:
        client = RawClient(server.port)
        data = b"*3\r\n$3\r\nSET\r\n$5\r\nsplit\r\n$10\r\n0123456789\r\n*2\r\n$3\r\nGET\r\n$5\r\nsplit\r\n"
        for i in range(len(data)):
            client.send_raw(data[i : i + 1])
            time.sleep(0.0005)
        assert client.read_reply() == b"OK"
        assert client.read_reply() == b"0123456789"
        client.call("DEL", "split")
        client.close()


def test_large_value_roundtrip(servers):
    value = bytes(range(256)) * 40000  # ~10 MB
    for server in servers:
        client = RawClient(server.port)
        assert client.call("SET", "big", value) == b"OK"
        assert client.call("GET", "big") == value
        assert client.call("STRLEN", "big") == len(value)
        client.call("DEL", "big")
        client.close()


def test_query_buffer_limit_disconnects_abuser_only(servers):
    for server in servers:
        admin = RawClient(server.port)
        admin.call("CONFIG", "SET", "client-query-buffer-limit", "1mb")
        abuser = socket.create_connection(("127.0.0.1", server.port), timeout=2)
        abuser.sendall(b"*2\r\n$4\r\nECHO\r\n$100000000\r\n")
        closed = False
        try:
            for _ in range(40):
                abuser.sendall(b"x" * 65536)
        except (BrokenPipeError, ConnectionResetError):
            closed = True
        if not closed:
            abuser.settimeout(2)
            try:
                closed = abuser.recv(100) == b""
            except ConnectionResetError:
                closed = True
        abuser.close()
        assert closed, server.port
        assert admin.call("PING") == b"PONG"
        admin.call("CONFIG", "SET", "client-query-buffer-limit", "1gb")
        admin.close()


def test_bulk_longer_than_proto_max_bulk_len_is_refused(servers):
    replies = []
    for server in servers:
        admin = RawClient(server.port)
        admin.call("CONFIG", "SET", "proto-max-bulk-len", "1mb")
        answer = exchange(server.port, b"*2\r\n$4\r\nECHO\r\n$2000000\r\n" + b"x" * 200000,
                          settle=1.0)
        replies.append(answer)
        assert admin.call("PING") == b"PONG"
        admin.call("CONFIG", "SET", "proto-max-bulk-len", "512mb")
        admin.close()
    assert replies[1] == replies[0] == b"-ERR Protocol error: invalid bulk length\r\n"


def _stream_until_closed(port: int, prefix: bytes, chunk: bytes, limit: int) -> bytes:
    """Send `prefix`, then `chunk` again and again (no newline ever) until the server closes
    the connection or `limit` bytes went out; what it answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(prefix)
        sent = 0
        try:
            while sent < limit:
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        sock.settimeout(2)
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except (socket.timeout, TimeoutError, ConnectionResetError):
            pass
    return data


@pytest.mark.parametrize("prefix, words", [
    (b"*\x00", b"too big mbulk count string"),
    (b"*1\r\n$", b"too big bulk count string"),
])
def test_a_count_line_that_never_ends_is_a_protocol_error(servers, prefix, words):
    """Redis's protocol desync regression test: a header line still without its CR past
    64 KB gets a protocol error and the connection is closed (no unbounded buffering)."""
    replies = [_stream_until_closed(server.port, prefix, b"payload" * 512, 8 << 20)
               for server in servers]
    assert replies[1] == replies[0] == b"-ERR Protocol error: " + words + b"\r\n"


@pytest.fixture(scope="module")
def password_servers():
    servers = (start_redis(("--requirepass", "pw")), start_predis(("--requirepass", "pw")))
    yield servers
    for server in servers:
        server.stop()


@pytest.mark.parametrize("payload", [
    b"*11\r\n" + b"$1\r\na\r\n" * 11,  # more than 10 arguments before AUTH
    b"*11\r\n",  # refused at the header, before the arguments arrive
    b"*2\r\n$4\r\nECHO\r\n$16385\r\n",  # an argument over 16 KB before AUTH
    b"*2\r\n$4\r\nECHO\r\n$16384\r\n" + b"x" * 16384 + b"\r\n",  # 16 KB is allowed
    b"PING\r\n*3\r\n$4\r\nECHO\r\n$1\r\na\r\n$20000\r\n",
    b"*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*12\r\n$4\r\nECHO\r\n" + b"$1\r\na\r\n" * 11,
    b"*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*2\r\n$4\r\nECHO\r\n$20000\r\n",  # AUTH lifts them
    b"*2\r\n$4\r\nAUTH\r\n$2\r\nno\r\n*12\r\n",
    b"*20000000\r\n",
    b"ECHO " + b"a " * 12 + b"\r\n",  # inline commands are not limited
    b"*3000000000\r\n",
])
def test_unauthenticated_limits_match(password_servers, payload):
    """Redis's authRequired() limits: before AUTH a client cannot make the server buffer."""
    ref, predis = password_servers
    expected = exchange(ref.port, payload)
    assert expected  # every case gets an answer
    assert exchange(predis.port, payload) == expected


def _virtual_memory_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1])
    raise AssertionError("no VmSize")


def test_a_huge_count_reserves_no_memory(servers):
    """hiredis allocated the whole argument list at the `*<count>` header (16 GB of zeroed
    memory for this count), and freeing it stalled every client for seconds (found as a
    flaky test). The count is accepted, as Redis does, and the server waits for arguments."""
    _, predis = servers
    before = _virtual_memory_kb(predis.proc.pid)
    waiting = socket.create_connection(("127.0.0.1", predis.port))
    waiting.sendall(b"*2147483647\r\n$3\r\nSET\r\n")
    client = RawClient(predis.port)
    assert client.call("PING") == b"PONG"  # the header has been read by now
    assert _virtual_memory_kb(predis.proc.pid) - before < 1024 * 1024
    waiting.close()
    client.close()


@pytest.mark.parametrize("kind", ["string", "integer", "double", "bignum", "null", "array",
                                  "set", "map", "attrib", "push", "verbatim", "true", "false",
                                  "nosuch"])
@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
def test_debug_protocol_writes_each_type_as_redis(servers, kind, resp3):
    """DEBUG PROTOCOL <type>, byte for byte."""

    def reply(port: int) -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            if resp3:  # (HELLO's own reply differs between the servers: read and dropped)
                sock.sendall(b"HELLO 3\r\n")
                time.sleep(0.1)
                sock.recv(65536)
            sock.sendall(b"DEBUG PROTOCOL %s\r\n" % kind.encode())
            time.sleep(0.1)
            return sock.recv(65536)

    ref, predis = servers
    expected = reply(ref.port)
    assert expected and reply(predis.port) == expected
