"""RDB building blocks: CRC-64/Jones, LZF, lengths, strings, DUMP framing."""

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ops.rdb.codec import RDBError, Reader, encode_length, encode_string, frame_payload, \
    unframe_payload
from ops.rdb.crc64 import crc64
from ops.rdb.lzf import decompress, compress


def test_crc64_check_value():
    assert crc64(b"123456789") == 0xE9C6D914C4B8D9CA  # Redis's crc64 self-test value


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.builds(lambda b, n: b * n,
                                                    st.binary(min_size=1, max_size=5),
                                                    st.integers(1, 200))))
def test_lzf_roundtrip(data):
    packed = compress(data)
    if packed is not None:
        assert len(packed) < len(data)
        assert decompress(packed, len(data)) == data


def test_lzf_rejects_corrupt_input():
    with pytest.raises(ValueError):
        decompress(b"\xe0\xff\x00", 10)


def test_lzf_long_inputs_use_every_back_reference_length_and_offset():
    """Runs longer than one back reference (264 bytes), repeats further back than its reach
    (8 KiB), literal runs longer than 32 bytes, and a page of random bytes (not shrunk)."""
    import random

    rng = random.Random(3)
    block = rng.randbytes(3000)
    samples = [b"\0" * 100_000, block * 5, rng.randbytes(40) + b"ab" * 700 + rng.randbytes(9000)
               + block[:100] + block[:100], bytes(range(256)) * 64]
    for data in samples:
        packed = compress(data)
        assert packed is not None and len(packed) < len(data)
        assert decompress(packed, len(data)) == data
    assert compress(os.urandom(4096)) is None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.integers(0, 400))
def test_lzf_damaged_input_is_refused_never_overrun(data, announced):
    """Whatever the bytes and the announced length: the exact output, or LZFError."""
    try:
        out = decompress(data, announced)
    except ValueError:
        return
    assert len(out) == announced


@pytest.mark.parametrize("n", [0, 63, 64, 16383, 16384, 2**32 - 1, 2**32])
def test_length_roundtrip(n):
    assert Reader(encode_length(n)).length() == (n, False)


@pytest.mark.parametrize("data", [b"", b"short", b"x" * 100, os.urandom(100)])
def test_string_roundtrip(data):
    assert Reader(encode_string(data)).string() == data


def test_framing_detects_corruption():
    payload = frame_payload(b"\xf5" + encode_string(b"body"))
    assert unframe_payload(payload).startswith(b"\xf5")
    broken = payload[:3] + b"X" + payload[4:]
    with pytest.raises(RDBError):
        unframe_payload(broken)
    with pytest.raises(RDBError):
        unframe_payload(payload[:-10] + b"\xff\x00" + payload[-8:])  # version from the future


def _rdb_with_module_value(module_opcode: int = 7) -> bytes:
    """An RDB holding a module value (RDB_TYPE_MODULE_2 unless told), a module aux field and a
    plain string, as a server with a module loaded writes them."""
    from ops.rdb.codec import encode_length, encode_string
    from ops.rdb.file import MODULE_NAME_CHARS

    module_id = 0
    for char in "ReJSON-RL":
        module_id = module_id << 6 | MODULE_NAME_CHARS.index(char)
    module_id = module_id << 10 | 3
    fields = (encode_length(2) + encode_length(7)        # UINT 7
              + encode_length(5) + encode_string(b"{}")  # STRING
              + encode_length(4) + b"\x00" * 8           # DOUBLE
              + encode_length(0))                        # EOF
    body = b"REDIS0010" + b"\xfe\x00"                    # SELECTDB 0
    body += b"\xf7" + encode_length(module_id) + encode_length(2) + encode_length(1) + fields
    body += bytes([module_opcode]) + encode_string(b"doc") + encode_length(module_id) + fields
    body += b"\x00" + encode_string(b"plain") + encode_string(b"value")
    return body + b"\xff" + b"\x00" * 8                  # EOF, no checksum


def test_module_data_stops_loading_unless_skipping_is_asked_for():
    import pytest

    from ops.rdb.codec import RDBError
    from ops.rdb.file import read_rdb

    data = _rdb_with_module_value()
    with pytest.raises(RDBError, match="module 'ReJSON-RL'.*--rdb-skip-module-data yes"):
        list(read_rdb(data))
    items = list(read_rdb(data, skip_modules=True))
    assert [i for i in items if i[0] == "module"] == [("module", 0, None, "ReJSON-RL"),
                                                      ("module", 0, b"doc", "ReJSON-RL")]
    assert [i[2:4] for i in items if i[0] == "key"] == [(b"plain", "string")]
    with pytest.raises(RDBError, match="cannot load$"):  # the pre-4.0 format cannot be skipped
        list(read_rdb(_rdb_with_module_value(module_opcode=6), skip_modules=True))


def test_import_rdb_with_module_data_needs_the_explicit_flag(tmp_path):
    import pytest

    from ops.rdb.codec import RDBError
    from tests.fakes import make_server

    path = tmp_path / "elasticache-backup.rdb"
    path.write_bytes(_rdb_with_module_value())
    refused = make_server("--dir", str(tmp_path), "--import-rdb", str(path))
    with pytest.raises(RDBError, match="rdb-skip-module-data"):
        refused.load_snapshot_at_start()
    server = make_server("--dir", str(tmp_path), "--import-rdb", str(path),
                         "--rdb-skip-module-data", "yes")
    server.load_snapshot_at_start()
    assert list(server.keyspace[0].data.items()) == [(b"plain", b"value")]


def test_empty_keys_are_skipped_while_loading_and_refused_by_restore(tmp_path):
    """A file holding keys without elements (Redis once wrote such keys, #8453) loads without
    them, each named in the log, as Redis's loader does; RESTORE refuses one."""
    from ops.rdb.codec import encode_length, encode_string
    from server.commands.dump import _read_payload
    from server.errors import CommandError
    from tests.fakes import make_server

    empty_ziplist = b"\x0b\x00\x00\x00\x0a\x00\x00\x00\x00\x00\xff"
    empty_values = [(b"\x02", b"set", encode_length(0)),
                    (b"\x0e", b"list_quicklist", encode_length(1) + encode_string(empty_ziplist)),
                    (b"\x0d", b"hash_ziplist", encode_string(empty_ziplist))]
    body = b"REDIS0009\xfe\x00"
    for kind, key, value in empty_values:
        body += kind + encode_string(key) + value
    body += b"\x00" + encode_string(b"kept") + encode_string(b"value")
    (tmp_path / "dump.rdb").write_bytes(body + b"\xff" + b"\x00" * 8)
    server = make_server("--dir", str(tmp_path))
    logged = []
    server.log.warning = lambda event, **fields: logged.append((event, fields.get("key")))
    server.load_snapshot_at_start()
    assert list(server.keyspace[0].data) == [b"kept"]
    assert logged == [("rdb_empty_key_skipped", "set"), ("rdb_empty_key_skipped", "list_quicklist"),
                      ("rdb_empty_key_skipped", "hash_ziplist"),
                      ("snapshot_loaded_skipping_empty_keys", None)]
    assert server.persistence.loaded["empty_keys_skipped"] == 3
    for kind, _, value in empty_values:
        with pytest.raises(CommandError, match="Bad data format"):
            _read_payload(server, frame_payload(kind + value))
