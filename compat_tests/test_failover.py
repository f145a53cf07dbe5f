"""FAILOVER, run the same way on three redis-servers and on three Predis servers (Redis's
integration/failover): its errors, a handover to a named replica and to any replica with
partial resyncs only, FORCE after a timeout, a timeout without FORCE, ABORT, and a target that
refuses the PSYNC. What each run observes must be the same for both kinds."""

import os
import signal
import time

import pytest
import redis

from .servers import STARTERS


def wait(check, timeout=15.0):
    deadline = time.time() + timeout
    while not check():
        assert time.time() < deadline, "condition not reached in time"
        time.sleep(0.05)


def stat(client, name):
    info = client.info("all")
    return info[name]


def errors_of(call):
    try:
        call()
    except redis.ResponseError as exc:
        return str(exc)
    return "no error"


def in_sync(primary, replica) -> bool:
    mine = primary.info("replication")
    theirs = replica.info("replication")
    return (theirs.get("master_link_status") == "up"
            and theirs.get("slave_repl_offset") == mine["master_repl_offset"])


def digests(nodes) -> set:
    return {node.execute_command("DEBUG", "DIGEST") for node in nodes}


def log_of(server) -> bytes:
    with open(server.log.name, "rb") as log:
        return log.read()


def role(client) -> bytes:
    return client.execute_command("ROLE")[0]


def run_scenario(kind) -> list:
    servers = [STARTERS[kind]() for _ in range(3)]
    nodes = [redis.Redis(port=s.port) for s in servers]
    ports = [s.port for s in servers]
    seen = []
    try:
        n0, n1, n2 = nodes
        seen.append(errors_of(lambda: n0.execute_command("FAILOVER", "TO", "127.0.0.1",
                                                         ports[1])))
        for node in (n1, n2):
            node.replicaof("127.0.0.1", ports[0])
        wait(lambda: in_sync(n0, n1) and in_sync(n0, n2))
        for args in (("TO", "invalidhost", ports[1]), ("TO", "127.0.0.1", "invalidport"),
                     ("FORCE", "TIMEOUT", 100), ("TO", "127.0.0.1", ports[1], "FORCE"),
                     ("TIMEOUT", 0), ("TIMEOUT", 10, "TIMEOUT", 10), ("BOGUS",), ("ABORT",)):
            seen.append(errors_of(lambda: n0.execute_command("FAILOVER", *args)))
        seen.append(errors_of(lambda: n1.execute_command("FAILOVER", "TO", "127.0.0.1",
                                                         ports[1])))

        # to a named replica: both others continue the same history (partial resyncs)
        for i in range(50):
            n0.set(f"k{i}", i)
        partial, full = stat(n1, "sync_partial_ok"), stat(n1, "sync_full")
        assert n0.execute_command("FAILOVER", "TO", "127.0.0.1", ports[1]) == b"OK"
        wait(lambda: stat(n0, "master_failover_state") == "no-failover")
        seen.append(errors_of(lambda: n0.set("after", 1)))  # a replica now
        n2.replicaof("127.0.0.1", ports[1])
        wait(lambda: in_sync(n1, n0) and in_sync(n1, n2))
        seen.append([role(n) for n in nodes])
        seen.append((stat(n1, "sync_partial_ok") - partial, stat(n1, "sync_full") - full))
        seen.append(len(digests(nodes)))

        # to any replica (node 0 stopped: node 2 is the one that caught up)
        os.kill(servers[0].proc.pid, signal.SIGSTOP)
        n1.set("case", 1)
        assert n1.execute_command("FAILOVER") == b"OK"
        wait(lambda: stat(n1, "master_failover_state") == "no-failover")
        os.kill(servers[0].proc.pid, signal.SIGCONT)
        n0.replicaof("127.0.0.1", ports[2])
        wait(lambda: in_sync(n2, n0) and in_sync(n2, n1))
        seen.append([role(n) for n in nodes])
        seen.append(len(digests(nodes)))

        # FORCE once the timeout passes, to a replica that never acknowledged the last write
        os.kill(servers[0].proc.pid, signal.SIGSTOP)
        n2.set("case", 2)
        assert n2.execute_command("FAILOVER", "TO", "127.0.0.1", ports[0], "TIMEOUT", 100,
                                  "FORCE") == b"OK"
        wait(lambda: stat(n2, "master_failover_state") == "failover-in-progress")
        seen.append([role(n) for n in (n1, n2)])  # never two primaries
        os.kill(servers[0].proc.pid, signal.SIGCONT)
        wait(lambda: stat(n2, "master_failover_state") == "no-failover")
        n1.replicaof("127.0.0.1", ports[0])
        wait(lambda: in_sync(n0, n1) and in_sync(n0, n2))
        seen.append([role(n) for n in nodes])
        seen.append(b"time out exceeded, failing over." in log_of(servers[2]))
        seen.append(len(digests(nodes)))

        # a TIMEOUT without FORCE gives up; ABORT stops a wait; node 0 stays the primary
        os.kill(servers[1].proc.pid, signal.SIGSTOP)
        n0.set("case", 3)
        assert n0.execute_command("FAILOVER", "TO", "127.0.0.1", ports[1], "TIMEOUT",
                                  300) == b"OK"
        wait(lambda: stat(n0, "master_failover_state") == "no-failover")
        assert n0.execute_command("FAILOVER", "TO", "127.0.0.1", ports[1], "TIMEOUT",
                                  60000) == b"OK"
        seen.append(stat(n0, "master_failover_state"))
        seen.append(errors_of(lambda: n0.replicaof("127.0.0.1", ports[1])))
        seen.append(n0.get("case"))  # reads still served
        assert n0.execute_command("FAILOVER", "ABORT") == b"OK"
        seen.append(stat(n0, "master_failover_state"))
        os.kill(servers[1].proc.pid, signal.SIGCONT)
        wait(lambda: in_sync(n0, n1) and in_sync(n0, n2))
        seen.append([role(n) for n in nodes])
        seen.append(b"Replica never caught up before timeout" in log_of(servers[0]))

        # a target that refuses the PSYNC: node 0 is a primary again, the held write runs
        n1.execute_command("ACL", "SETUSER", "default", "-psync")
        os.kill(servers[1].proc.pid, signal.SIGSTOP)
        writer = redis.Redis(port=ports[0])
        assert n0.execute_command("FAILOVER", "TO", "127.0.0.1", ports[1]) == b"OK"
        os.kill(servers[1].proc.pid, signal.SIGCONT)
        seen.append(writer.set("foo", "bar"))  # held by the pause, then served
        wait(lambda: stat(n0, "master_failover_state") == "no-failover")
        n1.execute_command("ACL", "SETUSER", "default", "+psync")
        wait(lambda: in_sync(n0, n1) and in_sync(n0, n2))
        seen.append([role(n) for n in nodes])
        seen.append(b"Failover target rejected psync request" in log_of(servers[0]))
        seen.append(len(digests(nodes)))
    finally:
        for server in servers:
            try:
                os.kill(server.proc.pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
            server.stop()
    return seen


def test_failover_hands_over_as_redis_does():
    expected, actual = (run_scenario(kind) for kind in ("redis", "predis"))
    assert actual == expected
    assert expected[-1] == 1 and b"master" in expected[-3]


@pytest.mark.parametrize("kind", sorted(STARTERS))
def test_psync_failover_is_refused_by_a_primary_and_for_another_history(kind):
    server = STARTERS[kind]()
    try:
        client = redis.Redis(port=server.port)
        assert "can't be sent to a master" in errors_of(
            lambda: client.execute_command("PSYNC", "a" * 40, "1", "FAILOVER"))
    finally:
        server.stop()
