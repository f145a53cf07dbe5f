"""Differential tests: scripts that run past busy-reply-threshold. Other clients get BUSY
(bar the allow_busy commands), SCRIPT KILL / FUNCTION KILL end a script that has not written,
SHUTDOWN NOSAVE ends the server; each scenario runs on redis-server and on Predis and the two
transcripts must be identical."""

import time

import pytest

from .conftest import flush_and_reset
from .rawclient import Err, RawClient, encode_command
from .servers import STARTERS, start_predis, start_redis

SPIN = "local i = 0 while true do i = i + 1 end"
SPIN_AFTER_WRITE = "redis.call('set', 'written', '1') " + SPIN
SPIN_LIBRARY = ("#!lua name=spinlib\nredis.register_function('spin', function(keys, args)\n"
                "  local i = 0\n  while true do i = i + 1 end\nend)")
THRESHOLD_MS = 100


def busy(port: int, *call, pipelined_after=()):
    """Start `call` on a new connection (its reply is read later) and return that connection
    once another client sees the server busy. `pipelined_after` commands go in the same
    write as the script call, so they queue behind it."""
    setup = RawClient(port)
    setup.call("CONFIG", "SET", "busy-reply-threshold", str(THRESHOLD_MS))
    caller = RawClient(port)
    caller.send_raw(encode_command(*call) + b"".join(
        encode_command(*args) for args in pipelined_after))
    deadline = time.time() + 10
    while not str(setup.call("ECHO", "probe")).startswith("BUSY"):
        assert time.time() < deadline, "the script never became busy"
    setup.close()
    return caller


@pytest.fixture
def ports(pair):
    flush_and_reset(pair)
    for server in pair:
        RawClient(server.port).call("FUNCTION", "FLUSH")
    return [server.port for server in pair]


def same_transcript(ports, scenario):
    reference, predis = (scenario(port) for port in ports)
    assert predis == reference
    return predis


def test_everything_but_allow_busy_commands_gets_busy_until_script_kill(ports):
    def scenario(port):
        other = RawClient(port)
        other.call("PING")
        caller = busy(port, "EVAL", SPIN, "0", pipelined_after=[("PING",)])
        newcomer = RawClient(port)  # accepted while the script runs
        seen = [other.call(*args) for args in (
            ("PING",), ("GET", "x"), ("SET", "x", "1"), ("INFO", "server"), ("CLIENT", "ID"),
            ("NOSUCH",), ("GET",),  # unknown command and arity errors come first
            ("MULTI",), ("SET", "x", "1"), ("EXEC",),  # EXEC: EXECABORT, MULTI state ends
            ("EXEC",),
            ("FUNCTION", "KILL"), ("FUNCTION", "STATS"),  # an EVAL cannot be killed that way
            ("SHUTDOWN",),  # only SHUTDOWN NOSAVE is allowed
        )]
        seen.append(newcomer.call("PING"))
        other.send_raw(b"PING\r\nECHO a\r\n")  # pipelined and inline
        seen += [other.read_reply(), other.read_reply()]
        splitter = RawClient(port)
        splitter.send_raw(b"*2\r\n$4\r\nECHO\r\n$5\r\nsp")  # a command split across the kill
        seen.append(other.call("SCRIPT", "KILL"))
        seen += [caller.read_reply(), caller.read_reply()]  # the kill error, then its PING
        splitter.send_raw(b"lit\r\n")
        seen.append(splitter.read_reply())
        seen += [other.call("SCRIPT", "KILL"), other.call("GET", "x")]
        seen += [newcomer.call("SET", "k", "v" * 100_000), len(newcomer.call("GET", "k"))]
        return seen

    seen = same_transcript(ports, scenario)
    assert seen[0] == Err("BUSY Redis is busy running a script. You can only call SCRIPT KILL "
                          "or SHUTDOWN NOSAVE.")
    assert seen[-7].startswith("ERR Script killed by user with SCRIPT KILL... script: ")
    assert seen[-6:] == [b"PONG", b"split", Err("NOTBUSY No scripts in execution right now."),
                         None, b"OK", 100_000]


def test_pcall_in_the_script_cannot_swallow_the_kill(ports):
    script = ("pcall(function() " + SPIN + " end)\n"
              "redis.call('set', 'after', 'kill')\n"
              "return 'survived'")

    def scenario(port):
        caller = busy(port, "EVAL", script, "0")
        other = RawClient(port)
        return [other.call("SCRIPT", "KILL"), caller.read_reply(), other.call("GET", "after")]

    seen = same_transcript(ports, scenario)
    assert seen[1].endswith("on @user_script:2.") and seen[2] is None


def test_a_busy_function_is_reported_and_killed_with_function_kill(ports):
    def scenario(port):
        RawClient(port).call("FUNCTION", "LOAD", SPIN_LIBRARY)
        caller = busy(port, "FCALL", "spin", "1", "k", "arg")
        other = RawClient(port)
        seen = [other.call("PING"), other.call("SCRIPT", "KILL")]
        stats = other.call("FUNCTION", "STATS")
        running = stats[1]
        running[running.index(b"duration_ms") + 1] = "a duration"
        seen += [stats, other.call("FUNCTION", "KILL"), caller.read_reply(), other.call("PING")]
        return seen

    seen = same_transcript(ports, scenario)
    assert seen[0] == Err("BUSY Redis is busy running a script. You can only call FUNCTION KILL "
                          "or SHUTDOWN NOSAVE.")
    assert seen[2][1][:4] == [b"name", b"spin", b"command", [b"FCALL", b"spin", b"1", b"k", b"arg"]]
    assert seen[4] == Err("ERR Script killed by user with SCRIPT KILL... script: spin, "
                          "on @user_function:4.")


def test_clients_wait_for_a_script_under_the_threshold(ports):
    """No BUSY before busy-reply-threshold: the script is atomic, the others wait."""
    def scenario(port):
        setup = RawClient(port)
        setup.call("CONFIG", "SET", "busy-reply-threshold", "60000")
        caller = RawClient(port)
        caller.send_raw(encode_command(
            "EVAL", "local i = 0 while i < 2e7 do i = i + 1 end redis.call('set', 'done', i)",
            "0"))
        time.sleep(0.05)
        other = RawClient(port)
        return [other.call("GET", "done"), caller.read_reply()]

    assert same_transcript(ports, scenario) == [b"20000000", None]


def test_auth_and_hello_are_served_while_busy():
    servers = [start_redis(["--requirepass", "pw"]), start_predis(["--requirepass", "pw"])]
    try:
        def scenario(port):
            setup = RawClient(port)
            setup.call("AUTH", "pw")
            setup.call("CONFIG", "SET", "busy-reply-threshold", str(THRESHOLD_MS))
            setup.send_raw(encode_command("EVAL", SPIN, "0"))
            other = RawClient(port)
            seen = [other.call("PING"), other.call("AUTH", "wrong"), other.call("AUTH", "pw"),
                     other.call("PING"), sorted(other.call("HELLO", "2")[0::2]),
                     other.call("SCRIPT", "KILL"), str(setup.read_reply())[:30]]
            return seen

        seen = same_transcript([s.port for s in servers], scenario)
        assert seen[:3] == [Err("NOAUTH Authentication required."), Err(
            "WRONGPASS invalid username-password pair or user is disabled."), b"OK"]
        assert seen[-2:] == [b"OK", "ERR Script killed by user with"]
    finally:
        for server in servers:
            server.stop()


def test_a_script_that_wrote_can_only_end_with_shutdown_nosave():
    servers = [start_redis(), start_predis()]
    try:
        def scenario(server):
            caller = busy(server.port, "EVAL", SPIN_AFTER_WRITE, "0")
            other = RawClient(server.port)
            seen = [other.call("SCRIPT", "KILL"), other.call("GET", "written"),
                    other.call("SHUTDOWN"), other.call("SHUTDOWN", "SAVE")]
            other.send_raw(encode_command("SHUTDOWN", "NOSAVE"))
            seen += [other.read_all_until_close(), caller.read_all_until_close()]
            server.proc.wait(10)
            return seen + [server.proc.returncode]

        reference, predis = (scenario(server) for server in servers)
        assert predis == reference
        assert predis[0].startswith("UNKILLABLE Sorry the script already executed write")
        assert predis[4:] == [b"", b"", 0]
    finally:
        for server in servers:
            server.stop()


def test_function_load_gives_up_after_500_ms(ports):
    """A library body may run 500 ms, and nothing it registered before is kept."""
    bodies = ["#!lua name=slow\nlocal i = 0 while true do i = i + 1 end",
              "#!lua name=slow\nredis.register_function('f', function() return 1 end)\n"
              "local i = 0 while true do i = i + 1 end"]

    def scenario(port):
        client = RawClient(port)
        return [client.call("FUNCTION", "LOAD", body) for body in bodies] + [
            client.call("FUNCTION", "LIST")]

    assert same_transcript(ports, scenario) == [
        Err("ERR Error registering functions: ERR FUNCTION LOAD timeout")] * 2 + [[]]


def test_a_command_served_while_a_script_is_busy_does_not_serve_blocked_clients(pair):
    """Redis's "Timedout scripts and unblocked command": the script's first push must not
    reach a client blocked on the list while the script runs on; the blocked client gets what
    the list holds once the script is over."""
    flush_and_reset(pair)
    script = ("redis.call('lpush', KEYS[1], 'y') "
              "while not string.find(redis.call('client', 'list'), 'abortscript') do end "
              "redis.call('lpush', KEYS[1], 'z') return 'done'")

    def scenario(port):
        setup = RawClient(port)
        setup.call("DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1")
        waiter = RawClient(port)
        waiter.send_raw(encode_command("BLPOP", "x", "0"))
        deadline = time.time() + 5
        while b"cmd=blpop" not in setup.call("CLIENT", "LIST"):
            assert time.time() < deadline
        caller = busy(port, "EVAL", script, "1", "x")
        other = RawClient(port)
        seen = [other.call("HELLO", "2", "SETNAME", "abortscript")[0:2],
                caller.read_reply(), waiter.read_reply(), other.call("LRANGE", "x", "0", "-1")]
        setup.call("DEBUG", "SET-DISABLE-DENY-SCRIPTS", "0")
        return seen

    seen = same_transcript([server.port for server in pair], scenario)
    assert seen[1:] == [b"done", [b"x", b"z"], [b"y"]]


@pytest.mark.parametrize("kind", sorted(STARTERS))
def test_a_replica_that_leaves_while_a_script_is_busy_is_gone_at_once(kind):
    """A connection closed while a script is busy is freed then and there, as Redis's
    processEventsWhileBlocked frees it: the script sees the replica leave (Redis's
    unit/scripting "not enough good replicas state change during long script")."""
    primary, replica = STARTERS[kind](), STARTERS[kind]()
    try:
        RawClient(replica.port).call("REPLICAOF", "127.0.0.1", str(primary.port))
        admin = RawClient(primary.port)
        deadline = time.time() + 20
        while b"state=online" not in admin.call("INFO", "replication"):
            assert time.time() < deadline, "the replica never came online"
            time.sleep(0.05)
        script = ("while not string.find(redis.call('info', 'replication'), "
                  "'connected_slaves:0') do end return 1")
        caller = busy(primary.port, "EVAL", script, "0")
        RawClient(replica.port).call("REPLICAOF", "NO", "ONE")
        assert caller.read_reply() == 1
    finally:
        primary.stop()
        replica.stop()


def test_a_busy_script_is_logged_in_redis_s_words(pair):
    flush_and_reset(pair)
    for server in pair:
        caller = busy(server.port, "EVAL", SPIN, "0")
        assert RawClient(server.port).call("SCRIPT", "KILL") == b"OK"
        assert caller.read_reply().startswith("ERR Script killed by user with SCRIPT KILL")
        with open(server.log.name, "rb") as log:
            text = log.read()
        assert b"Slow script detected: still in execution after " in text
        assert b"You can try killing the script using the SCRIPT KILL command. Script name " \
            b"is: " in text
