"""Redis's writeCommandsDeniedByDiskError: while the last background save failed (with
`stop-writes-on-bgsave-error yes` and save points set) or the AOF could not be written, write
commands (and PING) are refused with MISCONF, so that a client learns its writes would not
be persisted. The server keeps the current refusal in `server.disk_error` (None while writes
are allowed), recomputed whenever one of its inputs changes, so the dispatcher's check is one
attribute read."""

RDB_ERROR = ("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
             "persist to disk. Commands that may modify the data set are disabled, because "
             "this instance is configured to report errors during writes if RDB snapshotting "
             "fails (stop-writes-on-bgsave-error option). Please check the Redis logs for "
             "details about the RDB error.")

INPUTS = ("save", "stop-writes-on-bgsave-error", "appendonly")  # the settings it depends on


def refresh(server) -> None:
    """Recompute server.disk_error (after a save, an AOF write, or a change of INPUTS)."""
    config, aof = server.config, server.aof
    if config["stop-writes-on-bgsave-error"] and config["save"] and \
            server.persistence.last_status == "err":
        server.disk_error = RDB_ERROR
    elif aof is not None and aof.last_write_status == "err":
        server.disk_error = f"MISCONF Errors writing to the AOF file: {aof.last_write_error}"
    else:
        server.disk_error = None
