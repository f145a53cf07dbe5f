"""Hypothesis: random command sequences of every family (test_random_families's commands),
active expiry off: a replica attached with SYNC receives the same command stream from
redis-server and Predis (times of expiry and delivery left out: they differ by when each
server ran the command; the 7.0 reference's XREADGROUP mapped to Redis 7.2.5's, see
test_replication_stream.as_725). It found GEOADD passed on as itself (Redis passes on the
ZADD it runs), SWAPDB of a database with itself not passed on, EXPIRE's NX/XX/GT/LT flags
dropped and a PEXPIREAT rewritten, an XADD ID given without its sequence rewritten, and the
DEL of a key a command expired on its way not in one MULTI/EXEC with the command's own
effects. `FUZZ_EXAMPLES` sets the number of sequences (100 in CI)."""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .test_random_families import ALL
from .test_replication_stream import StreamReader, as_725, untimed


@pytest.fixture(scope="module")
def replicated(pair_clients, pair):
    """The pair's clients, active expiry off, each with a SYNC replica's stream reader."""
    for client in pair_clients:
        client.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    readers = [StreamReader(server.port) for server in pair]
    yield list(zip(pair_clients, readers)), [0]
    for client, reader in zip(pair_clients, readers):
        client.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        reader.client.close()


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "100")), deadline=None,
          suppress_health_check=list(HealthCheck))
@given(sequence=st.lists(ALL, min_size=1, max_size=10))
def test_drawn_commands_reach_a_replica_as_redis_sends_them(replicated, sequence):
    servers, runs = replicated
    runs[0] += 1
    end = ["set", "done", str(runs[0])]  # (this run's last command)
    streams = []
    for client, reader in servers:
        client.call("SELECT", "0")
        client.call("FLUSHALL")
        for command in sequence:
            client.call(*command)
        client.call("RESET")
        client.call(*end)
        streams.append(untimed(reader.commands_until(end, lowered=False)))
    assert streams[1] == untimed(as_725(streams[0])), sequence
