"""CLUSTER, READONLY, READWRITE and ASKING on a standalone server: Predis does not run Redis
Cluster (`cluster-enabled` is always no), so each answers as a redis-server started without
it does. They exist so that ACL rules naming them (`+cluster`, `-readonly`) and clients
probing for cluster mode get Redis's replies."""

from ..command_table import command, container
from ..errors import CommandError

G = "cluster"
DISABLED = "ERR This instance has cluster support disabled"

container("cluster", -2, "", G, "A container for Redis Cluster commands.", "3.0.0")

# (subcommand, arity, flags) as Redis 7.2 declares them
_SUBCOMMANDS = [
    ("addslots", -3, "admin stale no_async_loading"),
    ("addslotsrange", -4, "admin stale no_async_loading"),
    ("bumpepoch", 2, "admin stale no_async_loading"),
    ("count-failure-reports", 3, "admin stale"), ("countkeysinslot", 3, "stale"),
    ("delslots", -3, "admin stale no_async_loading"),
    ("delslotsrange", -4, "admin stale no_async_loading"),
    ("failover", -2, "admin stale no_async_loading"),
    ("flushslots", 2, "admin stale no_async_loading"),
    ("forget", 3, "admin stale no_async_loading"), ("getkeysinslot", 4, "stale"),
    ("help", 2, "loading stale"), ("info", 2, "stale"), ("keyslot", 3, "stale"),
    ("links", 2, "stale"), ("meet", -4, "admin stale no_async_loading"), ("myid", 2, "stale"),
    ("myshardid", 2, "stale"), ("nodes", 2, "stale"), ("replicas", 3, "admin stale"),
    ("replicate", 3, "admin stale no_async_loading"), ("reset", -2, "admin noscript stale"),
    ("saveconfig", 2, "admin stale no_async_loading"),
    ("set-config-epoch", 3, "admin stale no_async_loading"),
    ("setslot", -4, "admin stale no_async_loading"), ("shards", 2, "stale"),
    ("slaves", 3, "admin stale"), ("slots", 2, "stale"),
]


def _disabled(client, args):
    raise CommandError(DISABLED)


for _name, _arity, _flags in _SUBCOMMANDS:
    command(_name, _arity, _flags, (0, 0, 0), G, "Redis Cluster (disabled on a standalone "
            "server).", "3.0.0", parent="cluster")(_disabled)

for _name, _flags, _summary in (
        ("readonly", "fast loading stale", "Enables read-only queries for a connection to a "
         "Redis Cluster replica node."),
        ("readwrite", "fast loading stale", "Enables read-write queries for a connection to a "
         "Redis Cluster replica node."),
        ("asking", "fast", "Signals that a cluster client is following an -ASK redirect.")):
    command(_name, 1, _flags, (0, 0, 0), G, _summary, "3.0.0")(_disabled)
