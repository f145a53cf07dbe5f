"""Replaying the append-only file at start: the base (an RDB snapshot, or commands), then each
incremental file, through the dispatcher as a client that is never answered.

A file that ends in the middle of a command (a crash during a write) is cut back to its last
complete command when `aof-load-truncated` is yes (Redis's default), with a warning; anything
else that is not a command stops the start with a clear message, and no file is changed.
"""

import os

from ops.commandstream import StreamFormatError, parse_commands
from ops.snapshot import load_snapshot
from server.client import Client
from server.dispatch import dispatch
from server.replies import ErrorReply


def replay(server, path: str, truncated_ok: bool) -> int:
    """Run the commands of one file; returns how many ran."""
    name = os.path.basename(path)
    with open(path, "rb") as handle:
        data = handle.read()
    parsed, done = parse_commands(data, name)
    if done < len(data):
        if not truncated_ok:
            raise StreamFormatError(f"The append only file {name} is truncated at offset {done} "
                                 "(set aof-load-truncated yes to load it, cut at that point)")
        server.log.warning("aof_truncated", file=name, offset=done, bytes_dropped=len(data) - done)
        with open(path, "r+b") as handle:
            handle.truncate(done)
    loader = Client(server, None, 0)
    loader.authenticated = True
    failures = 0
    for args, _ in parsed:
        reply = dispatch(loader, args)
        if type(reply) is ErrorReply:
            failures += 1
            if failures <= 5:
                server.log.warning("aof_command_failed", file=name, command=args[0][:64],
                                   error=str(reply))
    if loader.multi is not None:  # a MULTI without EXEC at the end: Redis drops it too
        server.log.warning("aof_unfinished_transaction", file=name)
    return len(parsed)


def load_files(server, directory: str, manifest, truncated_ok: bool) -> dict:
    """Load the base and every incremental file named by the manifest."""
    commands = 0
    counts = {"keys_loaded": 0, "keys_expired": 0}
    if manifest.base is not None:
        path = os.path.join(directory, manifest.base[0])
        if path.endswith(".rdb"):
            counts = load_snapshot(server, path)
        else:
            commands += replay(server, path, truncated_ok=False)
    last = len(manifest.incrs) - 1
    for index, (name, _) in enumerate(manifest.incrs):
        path = os.path.join(directory, name)
        if not os.path.exists(path):
            raise StreamFormatError(f"The AOF file {name} named by the manifest does not exist")
        commands += replay(server, path, truncated_ok and index == last)
    return {**counts, "aof_commands": commands}
