"""INFO errorstats: error replies counted by code, at most 128 codes (Redis's
ERROR_STATS_NUMBER). A script can make up codes (`redis.error_reply('<anything> ...')`), so past
that many the table is dropped, with Redis's warning, and only ERRORSTATS_DISABLED is counted
until CONFIG RESETSTAT."""

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
