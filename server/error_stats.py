"""INFO errorstats: error replies counted by code, at most 128 codes (Redis's
ERROR_STATS_NUMBER). A script can make up codes (`redis.error_reply('<anything> ...')`), so past
that many the table is dropped, with Redis's warning, and only ERRORSTATS_DISABLED is counted
until CONFIG RESETSTAT.

An error in answer to the primary's stream, to a replica or to the AOF being loaded is a sign
the data diverged: it is logged as critical and counted (unexpected_error_replies), and with
`propagation-error-behavior panic` the server stops, as Redis's afterErrorReply does."""

import os

from .observers import quote_arg

LIMIT = 128
DISABLED = "ERRORSTATS_DISABLED"


def count_code(server, code: str) -> None:
    stats = server.stats
    errors = stats.errors
    if DISABLED in errors:
        return
    if code in errors or len(errors) < LIMIT:
        errors[code] = errors.get(code, 0) + 1
        return
    server.log.warning("errorstats_disabled", message="Errorstats stopped adding new errors "
                       "because the number of errors reached the limit, may be misuse of lua "
                       "error_reply, please check INFO ERRORSTATS, this can be re-enabled via "
                       "CONFIG RESETSTAT.")
    server.log.warning("errorstats_codes", message="Current errors code list: "
                       + ", ".join(errors))
    server.lazyfree.released_many(len(errors), always=True)  # (Redis frees the table lazily)
    stats.errors = {DISABLED: 1}


def unexpected(server, client, spec, reply) -> None:
    """An error the primary, a replica or the AOF loader was answered with, after the command
    `spec` (None: an unknown command)."""
    loading_aof = client.id == 0 and not client.is_primary  # (the primary's link is 0 too)
    if client.is_primary:
        source, target = "replica", "master"
    elif loading_aof:
        source, target = "server", "AOF-loading-client"
    else:
        source, target = "master", "replica"
    command = spec.fullname if spec is not None else "<unknown>"
    # the message as Redis's afterErrorReply has it: without the ERR most are given, with
    # "-" and their code for the others
    text = str(reply)
    text = text[4:] if text.startswith("ERR ") else "-" + text
    server.log.warning("unexpected_error_reply", message=f"== CRITICAL == This {source} is "
                       f"sending an error to its {target}: '{text[:4096]}' after processing "
                       f"the command '{command}'")
    replication = server.replication
    if client.is_primary and replication is not None and replication.backlog:
        latest = quote_arg(bytes(replication.backlog[-256:]))
        server.log.warning("latest_backlog", message=f"Latest backlog is: '{latest}'")
    server.stats.unexpected_error_replies += 1
    behavior = server.config["propagation-error-behavior"]
    if (client.is_primary and server.config["replica-read-only"] and behavior != "ignore") or \
            (loading_aof and behavior == "panic"):
        panic(server, f"This {source} panicked sending an error to its {target} after "
                      f"processing the command '{command}'")


def panic(server, reason: str) -> None:
    """Redis's serverPanic: the bug report's first lines, then the process ends at once
    (abort, or exit(1) with use-exit-on-panic)."""
    server.log.warning("panic", message="------------------------------------------------")
    server.log.warning("panic", message="!!! Software Failure. Press left mouse button to "
                                        "continue")
    server.log.warning("panic", message=f"Guru Meditation: {reason} #predis")
    if server.config["use-exit-on-panic"]:
        os._exit(1)
    os.abort()
