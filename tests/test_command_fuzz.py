"""Every command with random arguments: Redis-style replies or errors, never an internal error,
and the server keeps serving."""

import asyncio
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import server.commands  # noqa: F401  (registers every command)
from server.command_table import TABLE
from tests.fakes import connect, make_server

# Left out: commands that end the process or the connection, block, or fork (BGSAVE,
# BGREWRITEAOF once a fuzzed CONFIG SET turned the AOF on).
NAMES = sorted(name for name in TABLE if name not in (b"shutdown", b"debug", b"monitor",
                                                        b"quit", b"wait", b"bgsave",
                                                        b"bgrewriteaof"))
ARGS = st.one_of(
    st.sampled_from([b"0", b"1", b"-1", b"k", b"key", b"EX", b"PX", b"NX", b"XX", b"GET",
                     b"KEEPTTL", b"COUNT", b"MATCH", b"TYPE", b"*", b"BYTE", b"BIT", b"i8",
                     b"u8", b"#1", b"OVERFLOW", b"SAT", b"WITHMATCHLEN", b"IDX", b"LEN",
                     b"9223372036854775807", b"-9223372036854775808", b"1.5", b"inf", b"",
                     b"DB", b"REPLACE", b"SAMPLES", b"ID", b"ADDR", b"SKIPME", b"yes"]),
    st.binary(max_size=6))

SERVER = make_server("--dir", tempfile.mkdtemp(prefix="predis-fuzz-"))
SERVER.loop = asyncio.new_event_loop()  # not running: futures can be created, never resolved


@st.composite
def random_commands(draw):
    name = draw(st.sampled_from(NAMES))
    subs = sorted(TABLE[name].subcommands)
    head = [name, draw(st.sampled_from(subs))] if subs else [name]
    return head + draw(st.lists(ARGS, max_size=6))


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(command=random_commands())
def test_random_arguments_never_break_a_command(command):
    conn, transport = connect(SERVER)
    conn.data_received(b"*%d\r\n" % len(command) +
                       b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in command))
    output = transport.output
    assert b"internal error" not in output, (command, output)
    if SERVER.pause.mode is not None:  # CLIENT PAUSE would hold the check below
        SERVER.pause.unpause()
    conn.connection_lost(None)  # leave no MULTI/blocked state behind
    probe, probe_transport = connect(SERVER)
    probe.data_received(b"PING\r\n")
    assert probe_transport.output == b"+PONG\r\n", command
    probe.connection_lost(None)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(commands=st.lists(random_commands(), min_size=5, max_size=30))
def test_access_tables_track_every_key_whatever_commands_run(commands):
    """Every path that creates, renames, moves or deletes keys keeps each database's access
    table in step with its data (a key missing from its table could never be evicted)."""
    conn, _ = connect(SERVER)
    for command in commands:
        conn.data_received(b"*%d\r\n" % len(command) +
                           b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in command))
    if SERVER.pause.mode is not None:
        SERVER.pause.unpause()
    conn.connection_lost(None)
    SERVER.keyspace.fold_all()
    for db in SERVER.keyspace.dbs:
        assert len(db.table) == len(db.data), (db.index, commands)
        for key in db.data:
            assert db.table.slot_of(key) >= 0, (key, commands)
