"""Coverage-guided fuzzing with atheris (libFuzzer for Python): `make fuzz` runs every target
for FUZZ_SECONDS each; one target: `python -m tests.fuzz.atheris_targets resp -max_total_time=60`.

Each target feeds arbitrary bytes to something that reads what a client or another server
hands us, and treats any exception but that reader's own refusal as a crash (libFuzzer then
stops and writes the input to crash-<sha1>):

    resp      the request parser (hiredis + inline): ProtocolError only
    command   one connection of an in-process server: bytes in, replies out; the server must
              answer a PING from a fresh connection afterwards
    rdb       RDB/DUMP payload loading: RDBError only
    stream    AOF / replication command streams: StreamFormatError only
    config    redis.conf text: ConfigError only

The hypothesis tests (tests/test_request_parser.py, test_command_fuzz.py, test_loader_fuzz.py)
run in `make test`; these run longer, guided by coverage, outside it.
"""

import asyncio
import io
import sys
import tempfile

import atheris

with atheris.instrument_imports(include=["server", "ops"]):  # coverage guides the mutations
    from ops.commandstream import StreamFormatError, parse_commands
    from ops.config import Config, ConfigError
    from ops.rdb.codec import RDBError
    from ops.rdb.file import read_rdb
    from server.protocol.reader import ProtocolError, RequestParser
    from server import app as _app  # noqa: F401  (make_server imports it lazily: instrument it)
    from tests.fakes import connect, make_server


def fuzz_resp(data: bytes) -> None:
    parser = RequestParser()
    half = len(data) // 2
    out = []
    try:
        for chunk in (data[:half], data[half:]):  # split across reads too
            parser.feed(chunk)
            parser.parse(out)
        parser.check_partial(1 << 20)
    except ProtocolError:
        pass
    for command in out:
        assert isinstance(command, list) and all(isinstance(a, (bytes, bytearray))
                                                 for a in command)


_SERVER = None


def _server():
    global _SERVER
    if _SERVER is None:
        _SERVER = make_server("--dir", tempfile.mkdtemp(prefix="predis-atheris-"),
                              "--predis-sidecar", "no")
        _SERVER.loop = asyncio.new_event_loop()  # not running: futures never resolve
    return _SERVER


# commands that end the process, fork, or wait on the loop: not for an in-process server
_SKIP = (b"shutdown", b"debug", b"monitor", b"bgsave", b"bgrewriteaof", b"wait", b"save",
         b"replicaof", b"slaveof", b"failover", b"sync", b"psync")


def fuzz_command(data: bytes) -> None:
    server = _server()
    lowered = data.lower()
    if any(name in lowered for name in _SKIP):
        return
    conn, transport = connect(server)
    conn.data_received(data)
    assert b"internal error" not in transport.output
    if server.pause.mode is not None:
        server.pause.unpause()
    conn.connection_lost(None)
    probe, probe_transport = connect(server)
    probe.data_received(b"PING\r\n")
    assert probe_transport.output == b"+PONG\r\n", data
    probe.connection_lost(None)


def fuzz_rdb(data: bytes) -> None:
    try:
        for item in read_rdb(data):
            assert item[0] in ("aux", "function", "key", "module")
    except RDBError:
        pass


def fuzz_stream(data: bytes) -> None:
    try:
        parse_commands(data)
    except StreamFormatError:
        pass


def fuzz_config(data: bytes) -> None:
    try:
        Config().load_text(data)
    except ConfigError:
        pass


TARGETS = {"resp": fuzz_resp, "command": fuzz_command, "rdb": fuzz_rdb,
           "stream": fuzz_stream, "config": fuzz_config}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: python -m tests.fuzz.atheris_targets {{{','.join(TARGETS)}}} "
                 "[libFuzzer options]")
    target = TARGETS[sys.argv.pop(1)]
    if target is fuzz_rdb:  # start from a real file: the fuzzer mutates its way inward
        _seed_rdb()
    if target is fuzz_command and not any(a.startswith("-dict=") for a in sys.argv):
        sys.argv.append(f"-dict={_command_dictionary()}")
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()


def _command_dictionary() -> str:
    """A libFuzzer dictionary of every command name (and common words), so mutations form
    commands rather than noise."""
    from server.command_table import TABLE

    words = {name.decode() for name in TABLE}
    words |= {sub.decode() for spec in TABLE.values() for sub in spec.subcommands}
    words |= {"EX", "PX", "NX", "XX", "GET", "COUNT", "MATCH", "LIMIT", "WITHSCORES", "BY",
              "STORE", "ALPHA", "-inf", "+inf", "*", "$", "\r\n", "0", "-1", "1.5"}
    handle = tempfile.NamedTemporaryFile("w", suffix=".dict", delete=False)
    for word in sorted(words):  # libFuzzer's format: printable ASCII, the rest as \xNN
        handle.write('"' + "".join(c if c.isprintable() and c not in '"\\' else
                                   f"\\x{ord(c):02X}" for c in word + " ") + '"\n')
    handle.close()
    return handle.name


def _seed_rdb() -> None:
    """Put a valid RDB in the corpus folder given on the command line, if any."""
    folders = [a for a in sys.argv[1:] if not a.startswith("-")]
    if not folders:
        return
    from ops.snapshot import write_rdb

    server = _server()
    conn, _ = connect(server)
    conn.data_received(b"SET s hello\r\nRPUSH l a b 1\r\nHSET h f v\r\nZADD z 1.5 m\r\n"
                       b"SADD set 1 2 x\r\nXADD st 1-1 f v\r\n")
    handle = io.BytesIO()
    write_rdb(server, handle)
    with open(f"{folders[0]}/seed.rdb", "wb") as seed:
        seed.write(handle.getvalue())


if __name__ == "__main__":
    main()
