"""min-replicas-to-write / min-replicas-max-lag: a primary short of good replicas refuses
writes with NOREPLICAS, the same commands and words as redis-server (differential), and lets
them through again once enough replicas acknowledge."""

import os
import signal

import pytest
import redis

from .rawclient import RawClient
from .servers import start_predis, start_redis
from .test_replication import wait_until

# Writes, MULTI (refused at queue time: EXECABORT), scripts without flags (refused at their
# first write), scripts and functions that declared flags (refused before they start, like
# SET, unless they declared no-writes), FUNCTION LOAD/FLUSH (writes), the rule switched off by
# either parameter at 0, and INFO's min_slaves_good_slaves.
STEPS = [
 ("CONFIG","SET","min-replicas-to-write","1"),
 ("SET","k","v"), ("GET","k"), ("DEL","k"), ("INCR","n"), ("PING",),
 ("MULTI",), ("SET","k","v"), ("EXEC",),
 ("MULTI",), ("GET","k"), ("EXEC",),
 ("EVAL","return redis.call('set','k','v')","0"),
 ("EVAL","return redis.pcall('set','k','v')","0"),
 ("EVAL","return redis.call('get','k')","0"),
 ("EVAL","#!lua\nreturn 1","0"),
 ("EVAL","#!lua flags=no-writes\nreturn redis.call('get','k')","0"),
 ("EVAL_RO","#!lua\nreturn 1","0"),
 ("FUNCTION","LOAD","#!lua name=lib\nredis.register_function('w', function() return 1 end)\nredis.register_function{function_name='r', callback=function() return 2 end, flags={'no-writes'}}"),
 ("CONFIG","SET","min-replicas-to-write","0"),
 ("FUNCTION","LOAD","#!lua name=lib\nredis.register_function('w', function() return 1 end)\nredis.register_function{function_name='r', callback=function() return 2 end, flags={'no-writes'}}"),
 ("CONFIG","SET","min-replicas-to-write","2"),
 ("FCALL","w","0"), ("FCALL","r","0"), ("FCALL_RO","w","0"),
 ("MULTI",), ("FCALL","r","0"), ("EXEC",),
 ("MULTI",), ("EVAL","#!lua flags=no-writes\nreturn 1","0"), ("EXEC",),
 ("CONFIG","SET","min-replicas-max-lag","0"),
 ("SET","k","v2"),
 ("CONFIG","SET","min-replicas-max-lag","10"),
 ("SET","k","v3"),
 ("MULTI",), ("PING",), ("CONFIG","SET","min-replicas-to-write","0"), ("SET","k","v4"), ("EXEC",),
 ("CONFIG","SET","min-replicas-to-write","1"),
 ("MSET","a","1","b","2"), ("FUNCTION","FLUSH"), ("SCRIPT","FLUSH"), ("FLUSHALL",), ("PUBLISH","c","m"),
 ("EXPIRE","k","100"), ("GET","k"),
]


def _run_steps(server) -> list:
    client = RawClient(server.port)
    replies = [client.call(*step) for step in STEPS]
    client.close()
    info = redis.Redis(port=server.port).info("replication")
    return replies + [info.get("min_slaves_good_slaves"), info["connected_slaves"]]


def test_writes_are_refused_without_enough_good_replicas():
    outcomes = []
    for start in (start_redis, start_predis):
        server = start()
        try:
            outcomes.append(_run_steps(server))
        finally:
            server.stop()
    assert outcomes[1] == outcomes[0]
    assert "NOREPLICAS Not enough good replicas to write." in map(str, outcomes[0])


@pytest.mark.parametrize("start_primary", [start_redis, start_predis])
def test_writes_follow_the_replicas_acknowledgements(start_primary):
    """A redis-server replica attached: writes pass; frozen (SIGSTOP, no more ACKs) past
    min-replicas-max-lag: NOREPLICAS; thawed: writes pass again."""
    primary_server = start_primary()
    primary = redis.Redis(port=primary_server.port)
    primary.config_set("min-replicas-to-write", 1)
    primary.config_set("min-replicas-max-lag", 2)
    with pytest.raises(redis.exceptions.ResponseError, match="NOREPLICAS"):
        primary.set("k", "before")
    replica_server = start_redis(("--replicaof", "127.0.0.1", str(primary_server.port)))
    try:
        wait_until(lambda: primary.info("replication").get("min_slaves_good_slaves") == 1)
        assert primary.set("k", "acknowledged")
        os.kill(replica_server.proc.pid, signal.SIGSTOP)
        try:
            wait_until(lambda: primary.info("replication")["min_slaves_good_slaves"] == 0,
                       timeout=10)
            with pytest.raises(redis.exceptions.ResponseError, match="NOREPLICAS"):
                primary.set("k", "frozen")
        finally:
            os.kill(replica_server.proc.pid, signal.SIGCONT)
        wait_until(lambda: primary.info("replication")["min_slaves_good_slaves"] == 1)
        assert primary.set("k", "thawed")
        replica = redis.Redis(port=replica_server.port)
        wait_until(lambda: replica.get("k") == b"thawed")
    finally:
        replica_server.stop()
        primary_server.stop()
