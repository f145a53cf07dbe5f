"""Differential tests: connection commands, auth, HELLO, CLIENT."""

import time

import pytest

from .conftest import as_72
from .rawclient import RawClient
from .servers import start_predis, start_redis


def test_ping_echo(diff23):
    d = diff23
    d.assert_same("PING")
    d.assert_same("PING", "hello")
    d.assert_same("PING", "a", "b")
    d.assert_same("ECHO", "x")
    d.assert_same("ECHO")
    d.assert_same("ping")
    d.assert_same("PiNg")


def test_unknown_command_and_arity_errors(diff):
    diff.assert_same("NOSUCH")
    diff.assert_same("NOSUCH", "a", "b")
    diff.assert_same("NOSUCH", "x" * 200, "y")
    diff.assert_same("NOSUCH", *["arg%d" % i for i in range(40)])
    diff.assert_same("GET")
    diff.assert_same("GET", "a", "b")
    diff.assert_same("CLIENT")
    diff.assert_same("CLIENT", "NOSUCH")
    diff.assert_same("CONFIG", "GET")
    diff.assert_same("OBJECT", "ENCODING")


def test_hello(diff):
    for args in (["HELLO", "4"], ["HELLO", "x"], ["HELLO", "2", "FOO"],
                 ["HELLO", "2", "AUTH", "default"], ["HELLO", "3", "SETNAME", "bad name"],
                 # (the version first, then each option in turn: a bad name before a bad option)
                 ["HELLO", "0", "TIME"], ["HELLO", "3", "SETNAME", "a b", "NOSUCH"],
                 ["HELLO", "2", "AUTH", "default", "wrong", "SETNAME", "a b"]):
        diff.assert_same(*args)
    expected, actual = diff.both("HELLO", "3", "SETNAME", "conn1")
    assert set(actual) == set(expected)
    assert actual[b"proto"] == expected[b"proto"] == 3
    assert actual[b"server"] == b"redis" and actual[b"mode"] == expected[b"mode"]
    diff.assert_same("CLIENT", "GETNAME")
    expected, actual = diff.both("HELLO")
    assert set(actual) == set(expected)
    expected, actual = diff.both("HELLO", "2")
    expected, actual = dict(zip(expected[::2], expected[1::2])), dict(zip(actual[::2], actual[1::2]))
    assert actual[b"proto"] == expected[b"proto"] == 2


def test_client_subcommands(diff23):
    d = diff23
    d.assert_same("CLIENT", "GETNAME")
    d.assert_same("CLIENT", "SETNAME", "worker-1")
    d.assert_same("CLIENT", "GETNAME")
    d.assert_same("CLIENT", "SETNAME", "has space")
    d.assert_same("CLIENT", "SETNAME", "")
    d.assert_same("CLIENT", "GETNAME")
    d.assert_same("CLIENT", "REPLY", "FOO")
    d.assert_same("CLIENT", "NO-EVICT", "on")
    d.assert_same("CLIENT", "NO-EVICT", "maybe")
    d.assert_same("CLIENT", "KILL", "1.2.3.4:5")
    d.assert_same("CLIENT", "KILL", "ID", "999999")
    d.assert_same("CLIENT", "KILL", "ID", "abc")
    d.assert_same("CLIENT", "KILL", "TYPE", "bogus")
    d.assert_same("CLIENT", "KILL", "ID")
    d.assert_same("CLIENT", "KILL", "FOO", "bar")
    d.assert_same("CLIENT", "LIST", "TYPE", "bogus")
    d.assert_same("CLIENT", "LIST", "ID", "abc")
    d.assert_same("CLIENT", "PAUSE", "abc")
    d.assert_same("CLIENT", "PAUSE", "-1")
    d.assert_same("CLIENT", "PAUSE", "10", "SOMETIMES")
    d.assert_same("CLIENT", "UNPAUSE")
    d.assert_same("CLIENT", "GETREDIR")


def test_client_list_fields(diff):
    expected, actual = diff.both("CLIENT", "LIST")
    ref_fields = [item.split(b"=")[0] for item in expected.split(b"\n")[0].split()]
    our_fields = [item.split(b"=")[0] for item in actual.split(b"\n")[0].split()]
    # Redis 7.2 adds lib-name/lib-ver at the end; everything 7.0 has comes first, in order.
    assert our_fields[: len(ref_fields)] == ref_fields
    expected, actual = diff.both("CLIENT", "INFO")
    assert b"cmd=client|info" in actual and b"cmd=client|info" in expected


@pytest.mark.parametrize("commands", [
    [("GET",)], [("NOSUCH", "x")], [("CLIENT", "NOSUCH")], [("CLIENT",)],
    [("MULTI",), ("GET", "a")], [("MULTI",), ("GET",), ("EXEC",)],
    [("SUBSCRIBE", "c"), ("GET", "a")], [("MULTI",), ("SET", "a", "1"), ("EXEC",)]])
def test_client_list_names_a_refused_or_queued_command(servers, commands):
    """CLIENT LIST's cmd= names the command as soon as it is looked up (NULL for none), before
    a check refuses it or MULTI queues it; EXEC's commands leave it at exec."""
    listed = []
    for server in servers:
        probe, observer = RawClient(server.port), RawClient(server.port)
        probe.call("CLIENT", "SETNAME", "probe")
        for args in commands:
            probe.call(*args)
        line = next(line for line in observer.call("CLIENT", "LIST").decode().splitlines()
                    if " name=probe " in line)
        listed.append([field for field in line.split() if field.startswith("cmd=")])
        probe.close()
        observer.close()
    assert listed[1] == listed[0]


def test_client_list_by_id_keeps_the_order_given_and_type_takes_one_argument(servers, diff):
    """CLIENT LIST ID lists each ID given in turn (twice if named twice, unknown or negative
    ones skipped); TYPE with anything after it is a syntax error (Redis's argument count)."""
    names = []
    for server in servers:
        first, second = RawClient(server.port), RawClient(server.port)
        first.call("CLIENT", "SETNAME", "first")
        second.call("CLIENT", "SETNAME", "second")
        ids = [str(client.call("CLIENT", "ID")) for client in (first, second)]
        listed = first.call("CLIENT", "LIST", "ID", ids[1], "-3", ids[0], "0", ids[1])
        names.append([field for line in listed.decode().splitlines()
                      for field in line.split() if field.startswith("name=")])
        first.close()
        second.close()
    assert names[1] == names[0] == ["name=second", "name=first", "name=second"]
    for args in (["CLIENT", "LIST", "TYPE", "normal", "x"], ["CLIENT", "LIST", "TYPE", "nosuch"],
                 ["CLIENT", "LIST", "ID", "abc"], ["CLIENT", "LIST", "TYPE"]):
        diff.assert_same(*args)


def test_client_reply_off_skip(servers):
    outputs = []
    for server in servers:
        client = RawClient(server.port)
        client.send_raw(b"CLIENT REPLY SKIP\r\nPING\r\nECHO one\r\nCLIENT REPLY OFF\r\n"
                        b"ECHO two\r\nCLIENT REPLY ON\r\nECHO three\r\n")
        outputs.append([client.read_reply(), client.read_reply(), client.read_reply()])
        client.close()
    assert outputs[1] == outputs[0] == [b"one", b"OK", b"three"]


def test_a_skipped_reset_sends_no_reply(servers):
    """RESET ends CLIENT REPLY OFF before it answers, but a RESET whose reply CLIENT REPLY SKIP
    dropped stays unanswered (found by a sweep of client-state sequences)."""
    outputs = []
    for server in servers:
        client = RawClient(server.port)
        client.send_raw(b"CLIENT REPLY SKIP\r\nRESET\r\nECHO one\r\nCLIENT REPLY OFF\r\n"
                        b"RESET\r\nECHO two\r\n")
        outputs.append([client.read_reply() for _ in range(3)])
        client.close()
    assert outputs[1] == outputs[0] == [b"one", b"RESET", b"two"]


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


def test_a_killed_client_sees_its_connection_end_at_once(servers):
    """CLIENT KILL closes the other connection before the killer's command ends (Redis frees
    the client there and then): a DEBUG SLEEP after it in the same EXEC does not hold it up."""
    for server in servers:
        victim = RawClient(server.port)
        victim_id = victim.call("CLIENT", "ID")
        killer = RawClient(server.port)
        for command in (["MULTI"], ["CLIENT", "KILL", "ID", str(victim_id)],
                        ["DEBUG", "SLEEP", "1"]):
            killer.call(*command)
        killer.send_raw(b"EXEC\r\n")
        started = time.monotonic()
        assert victim.read_all_until_close() == b""
        assert time.monotonic() - started < 0.5
        assert killer.read_reply() == [1, b"OK"]


def test_quit_closes_after_reply(servers):
    for server in servers:
        client = RawClient(server.port)
        assert client.call("QUIT") == b"OK"
        assert client.read_all_until_close() == b""


def test_reset(diff23):
    d = diff23
    d.assert_same("SELECT", "3")
    d.assert_same("CLIENT", "SETNAME", "x")
    d.assert_same("CLIENT", "TRACKING", "on", "BCAST")
    d.assert_same("RESET")
    d.assert_same("CLIENT", "GETNAME")
    d.assert_same("CLIENT", "TRACKINGINFO")  # tracking is off again
    d.assert_same("SET", "k", "v")
    d.assert_same("SELECT", "3")
    d.assert_same("GET", "k")


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
                 ["CLIENT", "ID"], ["EXEC"], ["MULTI"], ["AUTH", "s3cret"], ["GET", "k"], ["AUTH", "default", "s3cret"],
                 ["RESET"], ["GET", "k"]):
        assert predis.call(*args) == as_72(ref.call(*args)), args
    expected = ref.call("HELLO", "3", "AUTH", "default", "s3cret")
    actual = predis.call("HELLO", "3", "AUTH", "default", "s3cret")
    assert actual[b"proto"] == expected[b"proto"] == 3


def test_auth_without_password(diff):
    diff.assert_same("AUTH", "whatever")
    diff.assert_same("AUTH", "default", "whatever")
    diff.assert_same("AUTH", "other", "whatever")


def test_client_kill_of_an_unknown_user_and_qbuf(diff):
    diff.assert_same("CLIENT", "KILL", "USER", "wrong_user")
    diff.assert_same("CLIENT", "KILL", "USER", "default", "SKIPME", "yes")
    for client in (diff.ref, diff.predis):  # the command being run counts in its own qbuf
        client.send_raw(b"CLIENT INFO\r\n*2\r\n$6\r\nCLIENT\r\n$4\r\nINFO\r\n*1\r\n$4\r\nPING\r\n")
    replies = [[client.read_reply() for _ in range(3)] for client in (diff.ref, diff.predis)]
    qbufs = [[line.split(b"qbuf=")[1].split()[0] for line in pair[:2]] for pair in replies]
    assert qbufs[1] == qbufs[0] == [b"53", b"53"]


def test_clients_held_by_client_pause_count_as_blocked(servers):
    outcomes = []
    for server in servers:
        admin, writer = RawClient(server.port), RawClient(server.port)
        admin.call("CLIENT", "PAUSE", "60000", "WRITE")
        writer.send_raw(b"SET FOO BAR\r\n")
        deadline = time.time() + 5
        while b"blocked_clients:1" not in admin.call("INFO", "clients") and time.time() < deadline:
            time.sleep(0.01)
        blocked = b"blocked_clients:1" in admin.call("INFO", "clients")
        admin.call("CLIENT", "UNPAUSE")
        outcomes.append((blocked, writer.read_reply()))
    assert outcomes[1] == outcomes[0] == (True, b"OK")
