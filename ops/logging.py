"""structlog setup: a console renderer on a TTY, JSON lines otherwise; redis.conf's `loglevel`
(debug, verbose, notice, warning, nothing) and `logfile` (empty = stderr).

Events that Redis also logs carry its sentence as `message` (REDIS_LINES), so that what
operators and Redis's own tests look for in a Redis log ("DB saved on disk", "Shutdown manually
aborted.") is found in Predis's too.
"""

import logging
import sys

import structlog

_LEVELS = {"debug": logging.DEBUG, "verbose": logging.INFO, "notice": logging.INFO,
           "warning": logging.WARNING}
_state = {"level": logging.INFO}


def _filter_by_level(logger, method_name, event_dict):
    if logging.getLevelName(method_name.upper()) < _state["level"]:
        raise structlog.DropEvent
    return event_dict


# event -> Redis's log line for it (str.format'ed with the event's fields)
REDIS_LINES = {
    "shutdown_signal_received": "Received {signal} scheduling shutdown...",
    "shutdown_signal_during_loading": "Received shutdown signal during loading, scheduling "
                                      "shutdown.",
    "shutdown_requested": "User requested shutdown...",
    "shutdown_aborted": "Shutdown manually aborted.",
    "shutdown_waiting_for_replicas": "Waiting for replicas before shutting down.",
    "shutdown_replica_lagging": "Lagging replica {replica} reported offset {behind} behind "
                                "master, lag={lag}, state={state}.",
    "shutdown_replicas_in_sync": "{in_sync} of {replicas} replicas are in sync when shutting "
                                 "down.",
    "shutdown_save_failed": "Error trying to save the DB, can't exit.",
    "shutdown_save_failed_exiting_anyway": "Error trying to save the DB. Exit anyway.",
    "shutdown_initial_aof_unwritten": "Writing initial AOF, can't exit.",
    "shutdown_initial_aof_exiting_anyway": "Writing initial AOF. Exit anyway.",
    "shutdown_failed": "Errors trying to shut down the server. Check the logs for more "
                       "information.",
    "server_stopped": "Redis is now ready to exit, bye bye...",
    "save_done": "DB saved on disk",
    "bgsave_started": "Background saving started by pid {pid}",
    "bgsave_done": "Background saving terminated with success",
    "bgsave_failed": "Background saving error",
    "aof_rewrite_killed": "Killing running AOF rewrite child: {pid}",
    "replica_auth_failed": "Unable to AUTH to MASTER: {error}",
    "replica_connect_timeout": "Timeout connecting to the MASTER...",
    "debug_log": "DEBUG LOG: {text}",
    "slow_script": "Slow script detected: still in execution after {elapsed_ms} milliseconds. "
                   "You can try killing the script using the {kill} command. Script name is: "
                   "{script}.",
    "aof_unknown_command": "Unknown command '{command}' reading the append only file {file}",
    "ldb_sync_session_started": "Redis synchronous debugging eval session started",
    "ldb_sync_session_ended": "Redis synchronous debugging eval session ended",
    "ldb_forked": "Redis forked for debugging eval",
    "ldb_child_exiting": "Lua debugging session child exiting",
    "ldb_session_killed": "Killing debugging session {pid}",
    "failover_requested": "FAILOVER requested to {target}.",
    "failover_requested_any": "FAILOVER requested to any replica.",
    "failover_target_synced": "Failover target {target} is synced, failing over.",
    "failover_timeout_forced": "FAILOVER to {target} time out exceeded, failing over.",
    "failover_aborted": "FAILOVER to {target} aborted: {reason}",
    "failover_request_received": "Failover request received for replid {replid}.",
    "failover_master_mode": "MASTER MODE enabled (failover request from '{client}')",
    "replication_backlog_freed": "Replication backlog freed after {seconds} seconds without "
                                 "connected replicas.",
    "full_sync_started": "Starting BGSAVE for SYNC with target: {target}",
    "rdb_transfer_started": "Background RDB transfer started by pid {pid}",
    "diskless_transfer_done": "Diskless rdb transfer, done reading from pipe, {replicas} "
                              "replicas still up.",
    "diskless_transfer_last_replica_dropped": "Diskless rdb transfer, last replica dropped, "
                                              "killing fork child.",
    "replica_generated_reply": "Replica generated a reply to command '{command}', "
                               "disconnecting it: {client}",
    "replica_wrong_offset": "Replica {replica} asks for synchronization but with a wrong "
                            "offset",
    "replica_timed_out": "Disconnecting timedout replica (streaming sync): {replica}",
    "replica_full_sync_timeout": "Disconnecting timedout replica (full sync): {replica}",
    "replica_loading_rdb": "MASTER <-> REPLICA sync: Loading DB in memory",
    "replica_full_sync_done": "MASTER <-> REPLICA sync: Finished with success",
    "rdb_empty_key_skipped": "rdbLoadObject skipping empty key: {key}",
    "snapshot_loaded": "Done loading RDB, keys loaded: {keys_loaded}, keys expired: "
                       "{keys_expired}.",
    "snapshot_loaded_skipping_empty_keys": "Done loading RDB, keys loaded: {keys_loaded}, keys "
                                           "expired: {keys_expired}, empty keys skipped: "
                                           "{empty_keys_skipped}.",
    "rdb_load_failed": "Internal error in RDB reading: {reason}",
    "rdb_load_terminating": "Terminating server after rdb file reading failure.",
    "restore_refused": "Internal error in RDB reading: {reason} (RESTORE's payload)",
    "aof_incomplete_transaction_reverted": "Revert incomplete MULTI/EXEC transaction in AOF "
                                           "file {file}",
    "aof_truncated": "!!! Truncating the AOF {file} at offset {offset} !!!",
    "aof_upgraded": "Successfully migrated an old-style AOF into the AOF directory "
                    "({directory}).",
    "aof_enable_scheduled": "AOF was enabled but there is already another background "
                            "operation. An AOF background was scheduled to start when possible.",
}


def _redis_wording(logger, method_name, event_dict):
    line = REDIS_LINES.get(event_dict.get("event"))
    if line is not None:
        event_dict["message"] = line.format_map(event_dict)
    return event_dict


def configure(loglevel: str = "notice", logfile: str = "") -> None:
    _state["level"] = _LEVELS.get(loglevel, logging.INFO)
    stream = open(logfile, "a", buffering=1) if logfile else sys.stderr
    renderer = (structlog.dev.ConsoleRenderer(colors=False) if stream.isatty()
                else structlog.processors.JSONRenderer())
    structlog.configure(
        processors=[
            _filter_by_level,
            _redis_wording,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )


def set_level(loglevel: str) -> None:
    _state["level"] = _LEVELS.get(loglevel, logging.INFO)
