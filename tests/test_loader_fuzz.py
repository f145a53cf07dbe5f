"""Fuzzing the loaders that read what a user or another server hands us: RDB files (a
snapshot, an ElastiCache backup, a primary's full resync), AOF/replication command streams and
configuration text. Damaged input must end in the loader's own error, never another exception."""

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ops.commandstream import StreamFormatError, parse_commands
from ops.config import Config, ConfigError
from ops.rdb.codec import RDBError
from ops.rdb.file import read_rdb
from ops.snapshot import write_rdb
from tests.fakes import make_server

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))


def _sample_rdb() -> bytes:
    server = make_server()
    db = server.keyspace[0]
    for command in ([b"SET", b"s", b"hello" * 30], [b"RPUSH", b"l", b"a", b"b", b"1"],
                    [b"HSET", b"h", b"f", b"v"], [b"ZADD", b"z", b"1.5", b"m"],
                    [b"SADD", b"set", b"1", b"2", b"x"], [b"XADD", b"st", b"1-1", b"f", b"v"]):
        from server.client import Client
        from server.dispatch import dispatch

        dispatch(Client(server, None, 0), command)
    assert len(db) == 6
    handle = io.BytesIO()
    write_rdb(server, handle)
    return handle.getvalue()


SAMPLE = _sample_rdb()
ITEM_KINDS = {"aux", "function", "key", "module"}


def _items_or_rdb_error(data: bytes) -> list:
    """What the loader yields for `data`, or [] when it refuses it with RDBError; any other
    exception fails the test."""
    try:
        items = list(read_rdb(data))
    except RDBError:
        return []
    assert all(item[0] in ITEM_KINDS for item in items)
    return items


@FUZZ
@given(position=st.integers(0, len(SAMPLE) - 1), value=st.integers(0, 255),
       cut=st.integers(1, len(SAMPLE)))
def test_damaged_rdb_files_raise_rdb_errors_only(position, value, cut):
    damaged = bytearray(SAMPLE[:cut])
    if position < len(damaged):
        damaged[position] = value
    items = _items_or_rdb_error(bytes(damaged))
    if bytes(damaged) == SAMPLE:  # an unchanged file still loads every key
        assert sum(item[0] == "key" for item in items) == 6


@FUZZ
@given(data=st.binary(max_size=200))
def test_random_bytes_are_not_an_rdb(data):
    assert len(_items_or_rdb_error(b"REDIS0011" + data)) <= len(data)


@FUZZ
@given(data=st.one_of(st.binary(max_size=120),
                      st.lists(st.sampled_from([b"*2\r\n", b"$3\r\n", b"SET\r\n", b"*", b"$",
                                                b"-1\r\n", b"#TS:1\r\n", b"\r\n", b"x"]),
                               max_size=12).map(b"".join)))
def test_command_streams_parse_or_say_they_are_malformed(data):
    try:
        commands, done = parse_commands(data)
    except StreamFormatError:
        return
    assert 0 <= done <= len(data)
    assert all(isinstance(arg, bytes) for args, _ in commands for arg in args)


@FUZZ
@given(text=st.lists(st.one_of(
    st.sampled_from([b"maxmemory 1gb", b"maxmemory lots", b"save 60 1", b"save", b"port 70000",
                     b"bind 127.0.0.1", b'dir "unterminated', b"user bob on >p", b"include",
                     b"appendfsync sometimes", b"maxmemory-policy allkeys-learned",
                     b"rename-command GET", b"notify-keyspace-events KEA", b"# comment"]),
    st.binary(max_size=40)), max_size=8).map(b"\n".join))
def test_configuration_text_loads_or_raises_config_errors(text):
    config = Config()
    try:
        config.load_text(text)
    except ConfigError:
        return
    assert 0 <= config["port"] <= 65535 and config["maxmemory"] >= 0


def test_include_lines_found_by_atheris_end_in_config_errors(tmp_path):
    """atheris' config target: `include` of a name with a NUL raised ValueError; a file that
    includes itself recursed without end."""
    import pytest

    with pytest.raises(ConfigError, match="can't open the included file"):
        Config().load_text(b" include \x00#")
    looping = tmp_path / "loop.conf"
    looping.write_text(f"include {looping}\n")
    with pytest.raises(ConfigError, match="includes nested more than 32 deep"):
        Config().load_file(str(looping))
