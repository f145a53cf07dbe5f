"""Replaying the append-only file at start: the base (an RDB snapshot, or commands), then each
incremental file, through the dispatcher as a client that is never answered.

A file that ends in the middle of a command (a crash during a write) is cut back to its last
complete command when `aof-load-truncated` is yes (Redis's default), with a warning; anything
else that is not a command stops the start with a clear message, and no file is changed.
"""

import os
import time

from ops.commandstream import StreamFormatError, parse_commands
from server.command_table import LOOKUP
from ops.snapshot import load_rdb_preamble, load_snapshot
from server.client import Client
from server.dispatch import dispatch
from server.loading import loading
from server.replies import ErrorReply

# Clients are served once per this many commands, as Redis does when it loads an AOF.
COMMANDS_PER_STEP = 1024


def replay(server, path: str, truncated_ok: bool, state, counts: dict) -> int:
    """Run the commands of one file; returns how many ran. `state`: server.loading.Loading.
    A file that starts with an RDB (the preamble of Redis 4-6's single-file AOF) loads that
    first, adding its keys to `counts`.

    As Redis's loadSingleAppendOnlyFile: a file that ends inside a command, or inside a
    MULTI that has no EXEC (its commands are not run), ends unexpectedly; with
    `truncated_ok` it is cut back to where that began (so what is appended next is whole),
    else loading stops with Redis's error."""
    name = os.path.basename(path)
    with open(path, "rb") as handle:
        data = handle.read()
    start = 0
    if data.startswith(b"REDIS"):
        loaded, start = load_rdb_preamble(server, data, state.read)
        for field in counts:
            counts[field] += loaded[field]
    parsed, done = parse_commands(data[start:] if start else data, name)
    parsed = [(args, start + offset) for args, offset in parsed] if start else parsed
    done += start
    if done < len(data) and not truncated_ok:
        raise StreamFormatError(_unexpected_end(name))
    loader = Client(server, None, 0)
    loader.authenticated = True
    failures = 0
    multi_start = previous_end = 0
    for count, (args, offset) in enumerate(parsed):
        if count % COMMANDS_PER_STEP == 0:
            state.serve()
        if LOOKUP.get(args[0]) is None and LOOKUP.get(args[0].lower()) is None:
            command = args[0].decode(errors="replace")  # (Redis stops the load: no later
            server.log.warning("aof_unknown_command", command=command, file=name)  # command
            raise StreamFormatError(f"Unknown command '{command}' reading the append only "
                                    f"file {name}")  # could be trusted to mean the same)
        in_multi = loader.multi is not None
        reply = dispatch(loader, args)
        if not in_multi and loader.multi is not None:
            multi_start = previous_end
        previous_end = offset
        state.read(offset, serve=False)
        if type(reply) is ErrorReply:
            failures += 1
            if failures <= 5:
                server.log.warning("aof_command_failed", file=name, command=args[0][:64],
                                   error=str(reply))
    valid_up_to = done
    if loader.multi is not None:  # Redis reverts it as a short read
        server.log.warning("aof_incomplete_transaction_reverted", file=name)
        if not truncated_ok:
            raise StreamFormatError(_unexpected_end(name))
        valid_up_to = multi_start
    if valid_up_to < len(data):
        server.log.warning("aof_truncated", file=name, offset=valid_up_to,
                           bytes_dropped=len(data) - valid_up_to)
        with open(path, "r+b") as handle:
            handle.truncate(valid_up_to)
    state.input_done(done)
    return len(parsed)


def _unexpected_end(name: str) -> str:
    return (f"Unexpected end of file reading the append only file {name}. You can: 1) Make a "
            "backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) "
            "Alternatively you can set the 'aof-load-truncated' configuration option to yes "
            "and restart the server.")


def load_files(server, directory: str, manifest, truncated_ok: bool) -> dict:
    """Load the base and every incremental file named by the manifest, serving clients
    meanwhile (server/loading.py)."""
    commands = 0
    counts = {"keys_loaded": 0, "keys_expired": 0}
    names = ([manifest.base[0]] if manifest.base is not None else []) + \
        [name for name, _ in manifest.incrs]
    for name in names:
        if not os.path.exists(os.path.join(directory, name)):
            raise StreamFormatError(f"Unable to obtain the AOF file {name} length. stat: No "
                                    "such file or directory")
    total = sum(os.path.getsize(os.path.join(directory, name)) for name in names)
    with loading(server, total) as state:
        if manifest.base is not None:
            path = os.path.join(directory, manifest.base[0])
            if path.endswith(".rdb"):
                counts = load_snapshot(server, path)
            else:
                commands += replay(server, path, False, state, counts)
        last = len(manifest.incrs) - 1
        for index, (name, _) in enumerate(manifest.incrs):
            commands += replay(server, os.path.join(directory, name),
                               truncated_ok and index == last, state, counts)
    return {**counts, "aof_commands": commands}


def load_aof(server, aof) -> None:
    """Replay the AOF into the empty server (maxmemory, the GPU batcher and propagation off
    while it runs, as Redis loads without evicting): at start and for DEBUG LOADAOF."""
    started = time.monotonic()
    maxmemory, batcher = server.maxmemory, server.batcher
    server.maxmemory, server.batcher = 0, None
    try:
        counts = load_files(server, aof.directory, aof.manifest,
                            server.config["aof-load-truncated"])
    finally:
        server.maxmemory, server.batcher = maxmemory, batcher
    server.persistence.loaded = counts
    server.log.info("aof_loaded", seconds=round(time.monotonic() - started, 3), **counts)
