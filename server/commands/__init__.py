"""Command families, one module each. Importing this package registers them all."""

from . import (acl, bits, client_tracking, cluster, connection, dump, geo,  # noqa: F401
               hashes, hll_debug, hyperloglog, introspection, keys, learning, lists, lolwut, migrate,
               mlops, modules, pubsub, replication, scripting, server_admin, sets, sort,
               stream_groups, streams, strings, transactions, zsets)
from ..command_table import loop_runs

# The data-type commands redis-benchmark and queue workloads pipeline most.
# (LPUSH RPUSH LPOP RPOP SADD SREM SPOP HSET HINCRBY ZADD ZINCRBY ZPOPMIN ZPOPMAX INCR DECR INCRBY
# DECRBY XADD have run handlers of their own, a key's consecutive commands done together:
# keyed_runs.py)
loop_runs(("hget", 3), ("lrange", 4), ("exists", 2), ("del", 2), ("expire", 3), ("ttl", 2))
