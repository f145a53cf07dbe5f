"""Command families, one module each. Importing this package registers them all."""

from . import (acl, bits, client_tracking, cluster, connection, dump, geo,  # noqa: F401
               hashes, hll_debug, hyperloglog, introspection, keys, learning, lists, lolwut, migrate,
               mlops, modules, pubsub, replication, scripting, server_admin, sets, sort,
               stream_groups, streams, strings, transactions, zsets)
from ..command_table import loop_runs

# The data-type commands redis-benchmark and queue workloads pipeline most.
loop_runs(("lpush", 3), ("rpush", 3), ("lpop", 2), ("rpop", 2), ("sadd", 3), ("srem", 3),
          ("spop", 2), ("hset", 4), ("hget", 3), ("hincrby", 4), ("zadd", 4), ("zincrby", 4),
          ("zpopmin", 2), ("zpopmax", 2), ("xadd", 5), ("lrange", 4), ("incrby", 3),
          ("decr", 2), ("decrby", 3), ("exists", 2), ("del", 2), ("expire", 3), ("ttl", 2))
