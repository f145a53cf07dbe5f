"""Hypothesis: random command sequences of every family (test_random_families's commands) from
a reset of the statistics: the same INFO keyspace hits and misses, error replies and expired
keys, the same calls, rejected calls and failed calls per command (INFO commandstats) and the
same error counts (INFO errorstats) on redis-server and Predis. It found GEOSEARCH and
GEORADIUS reading their key after their arguments (a miss uncounted when an argument was
refused), an unknown subcommand counted as a rejected call of its container, and a script's
call refused for its argument count or flags (or naming no command) not counted as Redis's
scriptCall counts it. `FUZZ_EXAMPLES` sets the number of sequences (100 in CI)."""

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .test_random_families import ALL


def _fields(text: bytes) -> dict:
    return dict(line.split(":", 1) for line in text.decode().splitlines() if ":" in line)


def _statistics(client) -> tuple:
    stats = _fields(client.call("INFO", "stats"))
    counters = tuple(stats[name] for name in ("keyspace_hits", "keyspace_misses",
                                              "total_error_replies", "expired_keys"))
    commands = {}
    for name, line in _fields(client.call("INFO", "commandstats")).items():
        fields = dict(pair.split("=") for pair in line.split(","))
        commands[name] = (fields["calls"], fields["rejected_calls"], fields["failed_calls"])
    for own in ("cmdstat_config|resetstat", "cmdstat_reset", "cmdstat_info"):
        commands.pop(own, None)  # (the test's own)
    return counters, commands, _fields(client.call("INFO", "errorstats"))


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "100")), deadline=None,
          suppress_health_check=list(HealthCheck))
@given(sequence=st.lists(ALL, min_size=1, max_size=12))
def test_drawn_commands_count_as_redis_counts_them(pair_clients, sequence):
    outcomes = []
    for client in pair_clients:
        client.call("FLUSHALL")
        client.call("CONFIG", "RESETSTAT")
        for command in sequence:
            client.call(*command)
        client.call("RESET")  # (out of MULTI, RESP3, subscriptions, a database other than 0)
        outcomes.append(_statistics(client))
    assert outcomes[1] == outcomes[0], sequence
