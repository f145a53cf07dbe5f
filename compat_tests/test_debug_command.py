"""Differential tests of the DEBUG subcommands Redis's own test suite drives (its needs:debug
tests): RELOAD's options, REPLYBUFFER and the reply buffer it steers (CLIENT LIST's rbs/rbp),
QUICKLIST-PACKED-THRESHOLD and SET-DISABLE-DENY-SCRIPTS. Module servers of their own: these
change server-wide settings."""

import time

import pytest

from .rawclient import Err, RawClient

LIBRARY = "#!lua name=lib{n}\nredis.register_function('f{n}', function() return 'hello' end)"


def _reload_error(reply):
    """Redis 7.0 ends the message there, 7.2 (and Predis) adds ', check server logs.'"""
    assert isinstance(reply, Err) and str(reply).startswith(
        "ERR Error trying to load the RDB dump"), reply
    return "load error"


def test_debug_reload_options(pair):
    outcomes = []
    for server in pair:
        client = RawClient(server.port)
        client.call("FLUSHALL")
        client.call("FUNCTION", "FLUSH")
        steps = [client.call("FUNCTION", "LOAD", LIBRARY.format(n=1)),
                 client.call("SET", "k", "v"),
                 client.call("DEBUG", "RELOAD"),
                 client.call("DEBUG", "RELOAD", "NOSAVE", "BOGUS"),
                 # the library is there already: loading it again fails (before the keys)
                 _reload_error(client.call("DEBUG", "RELOAD", "NOFLUSH")),
                 client.call("DEBUG", "RELOAD", "NOFLUSH", "MERGE"),
                 client.call("FUNCTION", "LOAD", LIBRARY.format(n=2)),
                 client.call("SET", "later", "x"),
                 # the file has lib1 only: lib2 and 'later' stay, merged with what it holds
                 client.call("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"),
                 client.call("FCALL", "f1", "0"), client.call("FCALL", "f2", "0"),
                 client.call("GET", "k"), client.call("GET", "later"),
                 client.call("DEBUG", "RELOAD", "NOSAVE"),  # flushed, then the file alone
                 client.call("GET", "later"), client.call("FCALL", "f2", "0")]
        client.call("FUNCTION", "FLUSH")
        client.close()
        outcomes.append(steps)
    assert outcomes[1] == outcomes[0]


def test_debug_reload_noflush_over_a_key_fails_and_serves_on(pair):
    """A key in the file that is in memory too: Redis stops the server (a panic); Predis
    answers the load error and keeps serving, not stuck in LOADING."""
    client = RawClient(pair[1].port)
    client.call("FLUSHALL")
    client.call("SET", "k", "v")
    assert client.call("DEBUG", "RELOAD") == b"OK"
    _reload_error(client.call("DEBUG", "RELOAD", "NOFLUSH"))
    assert client.call("GET", "k") == b"v"
    assert client.call("SET", "k2", "v2") == b"OK"
    assert client.call("DEBUG", "RELOAD", "NOFLUSH", "MERGE") == b"OK"
    assert client.call("GET", "k2") == b"v2"
    client.close()


def _reply_buffer(client, name: str) -> tuple:
    line = next(line for line in client.call("CLIENT", "LIST").decode().splitlines()
                if f"name={name} " in line)
    fields = dict(part.split("=", 1) for part in line.split())
    return int(fields["rbs"]), int(fields["rbp"])


def _within(seconds: float, condition) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_reply_buffer_shrinks_when_idle_and_grows_for_big_replies(pair):
    """Redis's replybufsize test: an idle client's buffer shrinks to 1 KB; one that reads a
    32 KB value again and again grows back to 16 KB, a doubling per client cron turn."""
    outcomes = []
    for server in pair:
        admin, watched = RawClient(server.port), RawClient(server.port)
        admin.call("SET", "bigval", "x" * 32768)
        steps = [admin.call("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "100"),
                 watched.call("CLIENT", "SETNAME", "test_client")]
        steps.append(_within(3, lambda: 1024 <= _reply_buffer(admin, "test_client")[0] < 2046))
        steps.append(admin.call("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "never"))

        def grown():
            watched.call("GET", "bigval")
            return 16384 <= _reply_buffer(admin, "test_client")[0] < 32768

        steps.append(_within(5, grown))
        stats = admin.call("INFO", "stats").decode()
        steps.append(all(f"reply_buffer_{kind}:0\r" not in stats
                         for kind in ("shrinks", "expands")))
        steps += [admin.call("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "reset"),
                  admin.call("DEBUG", "REPLYBUFFER", "RESIZING", "0"),
                  admin.call("DEBUG", "REPLYBUFFER", "RESIZING", "1"),
                  admin.call("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "soon"),
                  admin.call("DEBUG", "REPLYBUFFER", "SIZE", "1")]
        admin.close()
        watched.close()
        outcomes.append(steps)
    assert outcomes[0][2] is True and outcomes[0][4] is True  # (the reference does it)
    assert outcomes[1] == outcomes[0]


def test_quicklist_packed_threshold(pair):
    outcomes = []
    for server in pair:
        client = RawClient(server.port)
        outcomes.append([client.call("DEBUG", "QUICKLIST-PACKED-THRESHOLD", value)
                         for value in ("1b", "1k", "5gb", "abc", "-1", "4gb", "0")])
        client.close()
    assert outcomes[1] == outcomes[0]


def test_set_disable_deny_scripts(pair):
    outcomes = []
    script = "return type(redis.call('client', 'list'))"
    for server in pair:
        client = RawClient(server.port)
        outcomes.append([client.call("EVAL", script, "0"),
                         client.call("DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1"),
                         client.call("EVAL", script, "0"),
                         client.call("DEBUG", "SET-DISABLE-DENY-SCRIPTS", "0"),
                         client.call("EVAL", script, "0")])
        client.close()
    assert outcomes[1] == outcomes[0]


def _command(*args) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(
        b"$%d\r\n%b\r\n" % (len(arg), arg) for arg in (a.encode() for a in args))


SCRIPTS = [f"redis.setresp({lua});return redis.call('debug', 'protocol', '{kind}')"
           for lua in (2, 3)
           for kind in ("map", "set", "double", "bignum", "null", "verbatim", "true", "false",
                        "attrib", "array", "integer")] + [
    "return {big_number='123\\r\\n123'}", "return {double=3.5}", "return {double='x'}",
    "return {verbatim_string={format='abcd', string='text'}}",
    "return {verbatim_string={format='t', string='text'}}",
    "return {map={a=1, [2]=true}}", "return {set={x=true}}",
    "redis.setresp(3); return {true, false, {map={}}}", "return {true, false}",
    "redis.setresp(3); local t = redis.call('debug', 'protocol', 'map'); return t['map'][1]",
    "redis.setresp(3); return type(redis.call('debug', 'protocol', 'bignum'))"]


def test_scripts_convert_resp3_replies_and_typed_tables_as_redis(pair):
    """Redis's Lua <-> RESP3 conversions (its "protocol parsing" tests): replies of every
    type seen by a RESP2 or RESP3 script, and typed tables ({double=...}, {big_number=...},
    {verbatim_string=...}, {map=...}, {set=...}) returned to RESP2 and RESP3 clients, byte for
    byte (the set tables hold one member, or Lua's iteration order decides)."""
    import socket

    def replies(port: int, protocol: str) -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(_command("DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1") +
                         _command("HELLO", protocol))
            time.sleep(0.2)
            sock.recv(65536)  # (HELLO's reply names the server: it differs)
            sock.sendall(b"".join(_command("EVAL", script, "0") for script in SCRIPTS) +
                         _command("DEBUG", "SET-DISABLE-DENY-SCRIPTS", "0"))
            sock.settimeout(0.5)
            data = b""
            while not data.endswith(b"+OK\r\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
            return data

    for protocol in ("2", "3"):
        expected = replies(pair[0].port, protocol)
        assert expected.count(b"\r\n") > len(SCRIPTS)
        assert replies(pair[1].port, protocol) == expected, protocol


def test_debug_error_answers_with_the_given_error(diff):
    diff.assert_same("DEBUG", "ERROR", "FOO bar\r\nbaz")
    diff.assert_same("DEBUG", "ERROR", "plain")
    diff.assert_same("INFO", "errorstats")
    for stats in diff.both("INFO", "commandstats"):  # (times differ; the counts must not)
        assert b"cmdstat_debug:calls=2," in stats and b"failed_calls=1" not in stats


def test_debug_panic_ends_the_server_with_redis_s_report(server):
    """With use-exit-on-panic, exit(1) after the bug report's Guru Meditation line."""
    client = RawClient(server.port)
    client.call("CONFIG", "SET", "use-exit-on-panic", "yes")
    client.send_raw(b"DEBUG PANIC\r\n")
    assert server.proc.wait(10) == 1
    with open(server.log.name, "rb") as log:
        assert b"Guru Meditation: DEBUG PANIC called at Unix time " in log.read()


@pytest.mark.parametrize("argument", ["abc", "-1", "0.01x", " 0", "nan"])
def test_debug_sleep_reads_its_time_as_strtod(diff, argument):
    """A time that is no number sleeps 0 seconds, a negative one too, '0.01x' 10 ms."""
    diff.assert_same("DEBUG", "SLEEP", argument)
    diff.assert_same("PING")


def test_debug_switches_read_atoi_and_wrong_arguments_name_the_subcommand(diff):
    """The switches read their argument with atoi (junk is 0, no error); an unknown
    subcommand or a known one with the wrong count is addReplySubcommandSyntaxError's
    (found by a sweep of DEBUG's subcommands with drawn arguments)."""
    for args in (["DEBUG", "SET-ACTIVE-EXPIRE", "abc"], ["DEBUG", "SET-ACTIVE-EXPIRE", "1x"],
                 ["DEBUG", "PAUSE-CRON", "h"], ["DEBUG", "PAUSE-CRON", "0"],
                 ["DEBUG", "NOSUCH", "1"], ["DEBUG", "SLEEP"], ["DEBUG", "OBJECT"],
                 ["DEBUG", "HELP", "x"], ["DEBUG", "PROTOCOL"], ["DEBUG", "DIGEST", "x"]):
        diff.assert_same(*args)
