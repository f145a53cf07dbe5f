"""Differential tests: connection commands, auth, HELLO, CLIENT."""

import pytest

from .conftest import as_72
from .rawclient import RawClient
from .servers import start_predis, start_redis


def test_ping_echo(diff23):
    d = diff23
    d.check("PING")
    d.check("PING", "hello")
    d.check("PING", "a", "b")
    d.check("ECHO", "x")
    d.check("ECHO")
    d.check("ping")
    d.check("PiNg")


def test_unknown_command_and_arity_errors(diff):
    diff.check("NOSUCH")
    diff.check("NOSUCH", "a", "b")
    diff.check("NOSUCH", "x" * 200, "y")
    diff.check("NOSUCH", *["arg%d" % i for i in range(40)])
    diff.check("GET")
    diff.check("GET", "a", "b")
    diff.check("CLIENT")
    diff.check("CLIENT", "NOSUCH")
    diff.check("CONFIG", "GET")
    diff.check("OBJECT", "ENCODING")


def test_hello(diff):
    for args in (["HELLO", "4"], ["HELLO", "x"], ["HELLO", "2", "FOO"],
                 ["HELLO", "2", "AUTH", "default"], ["HELLO", "3", "SETNAME", "bad name"]):
        diff.check(*args)
    expected, actual = diff.both("HELLO", "3", "SETNAME", "conn1")
    assert set(actual) == set(expected)
    assert actual[b"proto"] == expected[b"proto"] == 3
    assert actual[b"server"] == b"redis" and actual[b"mode"] == expected[b"mode"]
    diff.check("CLIENT", "GETNAME")
    expected, actual = diff.both("HELLO")
    assert set(actual) == set(expected)
    expected, actual = diff.both("HELLO", "2")
    expected, actual = dict(zip(expected[::2], expected[1::2])), dict(zip(actual[::2], actual[1::2]))
    assert actual[b"proto"] == expected[b"proto"] == 2


def test_client_subcommands(diff23):
    d = diff23
    d.check("CLIENT", "GETNAME")
    d.check("CLIENT", "SETNAME", "worker-1")
    d.check("CLIENT", "GETNAME")
    d.check("CLIENT", "SETNAME", "has space")
    d.check("CLIENT", "SETNAME", "")
    d.check("CLIENT", "GETNAME")
    d.check("CLIENT", "REPLY", "FOO")
    d.check("CLIENT", "NO-EVICT", "on")
    d.check("CLIENT", "NO-EVICT", "maybe")
    d.check("CLIENT", "KILL", "1.2.3.4:5")
    d.check("CLIENT", "KILL", "ID", "999999")
    d.check("CLIENT", "KILL", "ID", "abc")
    d.check("CLIENT", "KILL", "TYPE", "bogus")
    d.check("CLIENT", "KILL", "ID")
    d.check("CLIENT", "KILL", "FOO", "bar")
    d.check("CLIENT", "LIST", "TYPE", "bogus")
    d.check("CLIENT", "LIST", "ID", "abc")
    d.check("CLIENT", "PAUSE", "abc")
    d.check("CLIENT", "PAUSE", "-1")
    d.check("CLIENT", "PAUSE", "10", "SOMETIMES")
    d.check("CLIENT", "UNPAUSE")
    d.check("CLIENT", "GETREDIR")


def test_client_list_fields(diff):
    expected, actual = diff.both("CLIENT", "LIST")
    ref_fields = [item.split(b"=")[0] for item in expected.split(b"\n")[0].split()]
    our_fields = [item.split(b"=")[0] for item in actual.split(b"\n")[0].split()]
    # Redis 7.2 adds lib-name/lib-ver at the end; everything 7.0 has comes first, in order.
    assert our_fields[: len(ref_fields)] == ref_fields
    expected, actual = diff.both("CLIENT", "INFO")
    assert b"cmd=client|info" in actual and b"cmd=client|info" in expected


def test_client_reply_off_skip(servers):
    outputs = []
    for server in servers:
        client = RawClient(server.port)
        client.send_raw(b"CLIENT REPLY SKIP\r\nPING\r\nECHO one\r\nCLIENT REPLY OFF\r\n"
                        b"ECHO two\r\nCLIENT REPLY ON\r\nECHO three\r\n")
        outputs.append([client.read_reply(), client.read_reply(), client.read_reply()])
        client.close()
    assert outputs[1] == outputs[0] == [b"one", b"OK", b"three"]


def test_client_kill_by_id_and_self(servers):
    for server in servers:
        victim = RawClient(server.port)
        victim_id = victim.call("CLIENT", "ID")
        killer = RawClient(server.port)
        assert killer.call("CLIENT", "KILL", "ID", str(victim_id)) == 1
        assert victim.read_all_until_close() == b""
        own = killer.call("CLIENT", "ID")
        assert killer.call("CLIENT", "KILL", "ID", str(own), "SKIPME", "no") == 1
        assert killer.read_all_until_close() == b""


def test_quit_closes_after_reply(servers):
    for server in servers:
        client = RawClient(server.port)
        assert client.call("QUIT") == b"OK"
        assert client.read_all_until_close() == b""


def test_reset(diff23):
    d = diff23
    d.check("SELECT", "3")
    d.check("CLIENT", "SETNAME", "x")
    d.check("RESET")
    d.check("CLIENT", "GETNAME")
    d.check("SET", "k", "v")
    d.check("SELECT", "3")
    d.check("GET", "k")


@pytest.fixture(scope="module")
def auth_servers():
    flags = ["--requirepass", "s3cret"]
    pair = (start_redis(flags), start_predis(flags))
    yield pair
    for server in pair:
        server.stop()


def test_auth_required(auth_servers):
    ref, predis = (RawClient(s.port) for s in auth_servers)
    for args in (["GET", "k"], ["PING"], ["AUTH", "wrong"], ["AUTH", "a", "b", "c"],
                 ["AUTH", "nouser", "s3cret"], ["HELLO", "3"], ["HELLO", "3", "AUTH", "default",
                                                               "bad"],
                 ["CLIENT", "ID"], ["AUTH", "s3cret"], ["GET", "k"], ["AUTH", "default", "s3cret"],
                 ["RESET"], ["GET", "k"]):
        assert predis.call(*args) == as_72(ref.call(*args)), args
    expected = ref.call("HELLO", "3", "AUTH", "default", "s3cret")
    actual = predis.call("HELLO", "3", "AUTH", "default", "s3cret")
    assert actual[b"proto"] == expected[b"proto"] == 3


def test_auth_without_password(diff):
    diff.check("AUTH", "whatever")
    diff.check("AUTH", "default", "whatever")
    diff.check("AUTH", "other", "whatever")
