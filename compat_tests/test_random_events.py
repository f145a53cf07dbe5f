"""Hypothesis: random command sequences of every family (test_random_families's commands) with
every keyspace notification on (KEA, new keys, key misses) and active expiry off: the same
events, in the same order, from redis-server and Predis. It found the commands a script runs
announced under the script's name (an INCR in EVAL said 'eval'), ZADD XX on a missing key
announcing a new key, XADD's trim not announced ('xtrim'), RENAME onto an existing key
without the 'new' of the key it makes, and ZPOPMIN/ZPOPMAX with a count of 0 announcing a
pop. `FUZZ_EXAMPLES` sets the number of sequences (100 in CI)."""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .rawclient import RawClient
from .test_random_families import ALL


@pytest.fixture(scope="module")
def listened(pair_clients, pair):
    """The pair's clients with every event on, and a pattern subscriber on each server."""
    listeners = [RawClient(server.port) for server in pair]
    for client, listener in zip(pair_clients, listeners):
        client.call("CONFIG", "SET", "notify-keyspace-events", "KEAnm")
        client.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")  # (expiry only when a key is touched)
        listener.call("PSUBSCRIBE", "__key*__:*")
    yield list(zip(pair_clients, listeners))
    for client, listener in zip(pair_clients, listeners):
        client.call("CONFIG", "SET", "notify-keyspace-events", "")
        client.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        listener.close()


def _events(client, listener, sequence) -> list:
    client.call("SELECT", "0")
    client.call("FLUSHALL")
    for command in sequence:
        client.call(*command)
    client.call("RESET")
    client.call("PUBLISH", "end", "x")
    listener.send_raw(b"*2\r\n$9\r\nSUBSCRIBE\r\n$3\r\nend\r\n")  # the end of this run's events
    events = []
    while True:
        message = listener.read_reply()
        if message[0] == b"subscribe":
            break
        if not message[2].endswith((b":flushall", b":flushdb")):
            events.append(message[2:])
    listener.call("UNSUBSCRIBE", "end")
    return events


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "100")), deadline=None,
          suppress_health_check=list(HealthCheck))
@given(sequence=st.lists(ALL, min_size=1, max_size=10))
def test_drawn_commands_announce_what_redis_announces(listened, sequence):
    outcomes = [_events(client, listener, sequence) for client, listener in listened]
    assert outcomes[1] == outcomes[0], sequence
