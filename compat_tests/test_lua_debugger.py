"""Differential tests of the Lua debugger (SCRIPT DEBUG, redis-cli --ldb): the same sessions
on redis-server and on Predis must print the same thing, leave the same data behind (a forked
session's changes vanish, a synchronous one's stay), and leave the server serving."""

import os
import subprocess
import time

import pytest

from .conftest import flush_and_reset
from .rawclient import Err, RawClient, encode_command
from .servers import STARTERS

STEPPING = """local x = 5
local t = {1, 2.5, {a = "b"}, true}
redis.call('set', KEYS[1], ARGV[1])
redis.debug('hello', x, t, nil)
local v = redis.call('get', KEYS[1])
return v
"""
STEPPING_INPUT = ["step", "print", "p x", "p t", "p KEYS", "p ARGV", "p nosuch", "list",
                  "list 5 1", "b 5", "b 5", "b 9", "b 0", "b 5", "b x", "b", "whole",
                  "e 1 + 1", "e local y = 2", "e (", "e error('boom')", "r incr counter",
                  "r nosuch cmd", "r set", "r", "trace", "maxlen 3", "maxlen 0", "maxlen",
                  "bogus", "help", "c", "s", "s"]

NESTED = """local function inner(a)
  local b = a * 2
  redis.breakpoint()
  return b
end
local function outer(n)
  local m = n + 1
  local r = inner(m)  -- (not a tail call: outer's frame stays for trace and print)
  return r
end
local result = outer(20)
return result
"""
NESTED_INPUT = ["c", "trace", "print", "p m", "p b", "p n", "s", "s", "c"]

REPLIES = """redis.setresp(3)
redis.call('hset', 'h', 'f', 'v')
redis.call('zadd', 'z', '1.5', 'm')
redis.call('sadd', 's', 'one')
local a = redis.call('hgetall', 'h')
local b = redis.call('zscore', 'z', 'm')
local c = redis.call('smembers', 's')
local d = redis.call('get', 'missing')
local e = redis.call('exists', 'h')
local f = redis.pcall('incr', 'h')
redis.setresp(2)
local g = redis.call('hgetall', 'h')
local h = redis.call('lrange', 'nolist', 0, -1)
return {a ~= nil, e}
"""
REPLIES_INPUT = ["s"] * 16 + ["r ping", "r echo 'quoted\\n'", "r client no-touch off"]

ABORTED = """redis.call('set', 'before', '1')
redis.call('set', 'after', '1')
"""
ABORTED_INPUT = ["s", "s", "abort"]


def redis_cli_ldb(port: int, script: str, lines, keys=(), args=(), sync=False) -> str:
    """What `redis-cli --ldb` prints for a session fed `lines`."""
    path = os.path.join("/tmp", f"ldb-{os.getpid()}-{port}.lua")
    with open(path, "w") as handle:
        handle.write(script)
    command = ["redis-cli", "-p", str(port), "--ldb-sync-mode" if sync else "--ldb",
               "--eval", path, *keys, ",", *args]
    try:
        done = subprocess.run(command, input="\n".join(lines) + "\n", capture_output=True,
                              text=True, timeout=30)
    finally:
        os.unlink(path)
    return done.stdout + done.stderr


def both(servers, *args, **kwargs):
    flush_and_reset(servers)
    return [redis_cli_ldb(server.port, *args, **kwargs) for server in servers]


@pytest.mark.parametrize("sync", [False, True], ids=["forked", "sync"])
@pytest.mark.parametrize("script,lines,keys,args", [
    (STEPPING, STEPPING_INPUT, ["mykey"], ["myval"]),
    (NESTED, NESTED_INPUT, [], []),
    (REPLIES, REPLIES_INPUT, [], []),
    (ABORTED, ABORTED_INPUT, [], []),
], ids=["stepping", "nested", "replies", "aborted"])
def test_ldb_sessions_print_what_redis_prints(servers, script, lines, keys, args, sync):
    expected, actual = both(servers, script, lines, keys=keys, args=args, sync=sync)
    assert "* Stopped at " in expected
    assert actual == expected
    # a forked session's changes die with its child; a synchronous one's stay
    counts = [RawClient(server.port).call("EXISTS", "before", "after", "mykey", "counter", "h",
                                          "z", "s") for server in servers]
    assert counts[1] == counts[0]
    assert counts[0] > 0 if sync and script is not NESTED else counts[0] == 0


def test_ldb_changes_stay_after_a_sync_session_and_vanish_after_a_forked_one(servers):
    for sync in (False, True):
        outputs = both(servers, "redis.call('set', 'k', 'v')\nreturn 1\n", ["c"], sync=sync)
        assert outputs[1] == outputs[0]
        for server in servers:
            client = RawClient(server.port)
            assert client.call("EXISTS", "k") == (1 if sync else 0), (server, sync)
            client.close()


def transcript(port: int, steps) -> list:
    """Replies to raw commands on one connection: SCRIPT DEBUG, an EVAL, debugger commands."""
    client = RawClient(port)
    out = []
    try:
        for step in steps:
            client.send_raw(step if isinstance(step, bytes) else encode_command(*step))
            out.append(client.read_reply())
    except ConnectionError:
        out.append("closed")
    finally:
        client.close()
    return out


def same_transcript(servers, steps) -> list:
    flush_and_reset(servers)
    expected, actual = (transcript(server.port, steps) for server in servers)
    assert actual == expected
    return actual


def test_script_debug_errors(servers):
    same_transcript(servers, [("SCRIPT", "DEBUG", "maybe"), ("SCRIPT", "DEBUG", "yes"),
                              ("EVALSHA", "a" * 40, "0"), ("EVALSHA", "abc", "0"),
                              ("SCRIPT", "DEBUG", "no"), ("EVAL", "return 1", "0")])
    # SCRIPT DEBUG behind other commands of the same read is refused
    pipelined = encode_command("PING") + encode_command("SCRIPT", "DEBUG", "sync")
    for server in servers:
        client = RawClient(server.port)
        client.send_raw(pipelined)
        assert client.read_reply() == b"PONG"
        assert client.read_reply() == Err("ERR SCRIPT DEBUG must be called outside a "
                                          "pipeline")
        client.close()


def test_debugger_commands_redis_suite_sends(servers):
    """Redis's unit/scripting "debug protocol parsing" and "lua stack overflow": commands with
    NUL bytes are unknown, 100 arguments to `redis` log an unknown command; a command read as a
    C string ("s\\0x" is "s") steps; the script ends, and the client is disconnected."""
    overflow = b"*101\r\n$5\r\nredis\r\n" + b"$4\r\ntest\r\n" * 100
    transcript_ = same_transcript(servers, [
        ("SCRIPT", "DEBUG", "sync"), ("EVAL", "return 'hello'", "0"),
        ("'hello\0world'",), ("'hello\0'",), ("\0hello",), overflow, ("s\0x",), ("PING",), ("PING",)])
    assert transcript_[2][0].startswith(b"<error> Unknown Redis Lua debugger command")
    assert transcript_[5][1] == b"<error> Unknown Redis command called from script"
    assert transcript_[6:] == [[b"<endsession>"], b"hello", "closed"]
    for server in servers:
        assert RawClient(server.port).call("PING") == b"PONG"


def test_protocol_errors_end_the_script(servers):
    """Inline text or a bad count is a protocol error: the EVAL fails with it."""
    for bad in (b"step\r\n", b"*0\r\n", b"*1\r\n$0\r\n\r\n", b"*1\r\n+x\r\n"):
        transcript_ = same_transcript(servers, [("SCRIPT", "DEBUG", "sync"),
                                                ("EVAL", "return 'hello'", "0"), bad,
                                                ("PING",), ("PING",)])
        assert transcript_[2] == [b"<endsession>"], bad
        assert transcript_[3].startswith("ERR protocol error script: "), bad
        assert transcript_[4] == "closed", bad


def test_a_looping_script_stops_at_the_time_limit(servers):
    loop = "local i = 0\nwhile true do i = i + 1 end\n"
    for server in servers:
        RawClient(server.port).call("CONFIG", "SET", "busy-reply-threshold", "100")
    try:
        transcript_ = same_transcript(servers, [
            ("SCRIPT", "DEBUG", "sync"), ("EVAL", loop, "0"), ("c",), ("abort",), ("PING",)])
        assert transcript_[2][0].endswith(b"timeout reached, infinite loop?")
        assert transcript_[4].startswith("ERR script aborted for user request script: ")
    finally:
        for server in servers:
            RawClient(server.port).call("CONFIG", "SET", "busy-reply-threshold", "5000")


def test_a_sync_session_whose_client_leaves_frees_the_server(servers):
    """The client of a stopped looping script goes away: the script runs on, is stopped at the
    time limit and fails, and the server serves others again."""
    loop = "local i = 0\nwhile true do i = i + 1 end\n"
    for server in servers:
        admin = RawClient(server.port)
        admin.call("CONFIG", "SET", "busy-reply-threshold", "200")
        debugging = RawClient(server.port)
        assert debugging.call("SCRIPT", "DEBUG", "sync") == b"OK"
        assert debugging.call("EVAL", loop, "0")[0] == b"* Stopped at 1, stop reason = step over"
        debugging.close()
        started = time.monotonic()
        assert admin.call("PING") == b"PONG"
        assert time.monotonic() - started < 5
        admin.call("CONFIG", "SET", "busy-reply-threshold", "5000")
        admin.close()


def test_forked_sessions_run_beside_other_clients(servers):
    """While a forked session waits on its client, the server answers everyone else, and the
    child is gone once the session ends."""
    for server in servers:
        debugging = RawClient(server.port)
        assert debugging.call("SCRIPT", "DEBUG", "yes") == b"OK"
        assert debugging.call("EVAL", "redis.call('set', 'x', '1')\nreturn 7", "0")[0] == \
            b"* Stopped at 1, stop reason = step over"
        other = RawClient(server.port)
        assert other.call("SET", "y", "2") == b"OK"
        debugging.send_raw(encode_command("c"))
        assert debugging.read_reply() == [b"<endsession>"]
        assert debugging.read_reply() == 7
        assert debugging.read_all_until_close() == b""
        assert other.call("EXISTS", "x", "y") == 1
        other.close()


@pytest.mark.parametrize("kind", sorted(STARTERS))
def test_a_forked_session_writes_nothing_to_the_append_only_file(kind):
    """The child's writes reach neither its copy's AOF nor anyone else: after the session,
    reloading the AOF brings back the parent's writes only, and a client listening for
    keyspace events hears nothing of the child's."""
    server = STARTERS[kind](("--appendonly", "yes", "--appendfsync", "always",
                             "--notify-keyspace-events", "KEA"))
    try:
        client = RawClient(server.port)
        listener = RawClient(server.port)
        listener.call("SUBSCRIBE", "__keyevent@0__:set")
        assert client.call("SET", "parent", "1") == b"OK"
        output = redis_cli_ldb(server.port, "redis.call('set', 'child', '1')\nreturn 1\n", ["c"])
        assert "(integer) 1" in output
        client.call("PUBLISH", "__keyevent@0__:set", "marker")
        assert listener.read_reply() == [b"message", b"__keyevent@0__:set", b"parent"]
        assert listener.read_reply() == [b"message", b"__keyevent@0__:set", b"marker"]
        assert client.call("SET", "parent2", "1") == b"OK"
        assert client.call("DEBUG", "LOADAOF") == b"OK"
        assert client.call("KEYS", "*") in ([b"parent", b"parent2"], [b"parent2", b"parent"])
    finally:
        server.stop()
