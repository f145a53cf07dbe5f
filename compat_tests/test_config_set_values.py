"""CONFIG SET of every parameter both servers have, with values of every shape (integers
Redis's string2ll refuses, memory units, percentages, enum words, junk), against
redis-server: the same reply, errors word for word, and the same CONFIG GET afterwards.

Left out: parameters that would take the servers away from the test (ports, files, auth,
persistence, replication, logging), those the reference's build or setup decides
(activedefrag needs Redis's own jemalloc, tls-* a TLS setup) and maxmemory-policy, whose error
lists Predis's extra policies."""

import pytest

from .conftest import as_72
from .rawclient import RawClient
from .servers import start_predis, start_redis

LEFT_OUT = {
    "port", "tls-port", "bind", "bind-source-addr", "unixsocket", "unixsocketperm", "dir",
    "dbfilename", "logfile", "requirepass", "masterauth", "masteruser", "replicaof", "slaveof",
    "save", "appendonly", "appendfilename", "appenddirname", "protected-mode", "aclfile",
    "daemonize", "pidfile", "supervised", "cluster-config-file", "syslog-enabled",
    "shutdown-timeout", "loglevel", "maxclients", "enable-debug-command",
    "enable-module-command", "enable-protected-configs", "io-threads", "io-threads-do-reads",
    "oom-score-adj", "oom-score-adj-values", "set-proc-title", "proc-title-template",
    "always-show-logo", "tcp-backlog", "syslog-ident", "syslog-facility", "crash-log-enabled",
    "crash-memcheck-enabled", "disable-thp", "locale-collate", "ignore-warnings",
    "unixsocketgroup", "sanitize-dump-payload", "activedefrag", "tls-replication",
    "tls-cluster", "maxmemory-policy",
}
VALUES = ["", "0", "1", "-1", "yes", "no", "100", "1gb", "10mb", "5%", "abc",
          "99999999999999999999", "1.5", "-100", "2147483648", "4294967296", "1k", "1 2",
          "allkeys-lru", "everysec", "notice", "100 100", "normal 0 0 0", "yes no", "1kb", "1K",
          "0x10", "-0", "+1", "01", "101%", "-5%", "0.0001"]


@pytest.fixture(scope="module")
def clients():
    servers = (start_redis(), start_predis())
    connections = [RawClient(server.port) for server in servers]
    yield connections
    for connection in connections:
        connection.close()
    for server in servers:
        server.stop()


def _settable(client) -> dict:
    reply = client.call("CONFIG", "GET", "*")
    return {name: value for name, value in zip(reply[0::2], reply[1::2])
            if name.decode() not in LEFT_OUT}


def test_config_set_of_every_shape_of_value_matches(clients):
    reference, predis = clients
    originals = [_settable(reference), _settable(predis)]
    names = sorted(originals[0].keys() & originals[1].keys())
    assert len(names) > 130
    differences = []
    for name in names:
        for value in VALUES:
            outcomes = []
            for client, original in zip(clients, originals):
                reply = as_72(client.call("CONFIG", "SET", name, value))
                outcomes.append((reply, client.call("CONFIG", "GET", name)))
                client.call("CONFIG", "SET", name, original[name])
            if outcomes[0] != outcomes[1]:
                differences.append((name, value, outcomes))
    assert differences == []
