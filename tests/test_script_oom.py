"""Scripts judge their writes by the eviction that ran before them, as Redis's
pre_command_oom_state: refused only when that eviction found nothing more to evict, not when
it stopped at its time budget with memory still over maxmemory (the command then runs)."""

import server.app  # noqa: F401  (the command modules register through the app)
from tests.fakes import connect, make_server

SET_IN_SCRIPT = [b"EVAL", b"return redis.call('SET', KEYS[1], 'v')", b"1", b"k"]


def _send(conn, transport, args: list) -> bytes:
    transport.writes.clear()
    conn.data_received(b"*%d\r\n" % len(args) +
                       b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in args))
    return transport.output


def test_a_script_writes_after_an_eviction_that_ran_out_of_time_not_after_one_that_failed(
        monkeypatch):
    server = make_server("--maxmemory", "1000", "--maxmemory-policy", "allkeys-lru")
    conn, transport = connect(server)
    assert server.used_memory() > 1000  # over the limit throughout
    outcomes = iter([True, False])  # stopped at its time budget; then nothing left to evict
    monkeypatch.setattr(server, "make_room", lambda: next(outcomes))
    assert _send(conn, transport, SET_IN_SCRIPT) == b"+OK\r\n"
    assert _send(conn, transport, SET_IN_SCRIPT).startswith(b"-OOM command not allowed")
