"""Command families, one module each. Importing this package registers them all."""

from . import (bits, connection, hashes, hyperloglog, introspection, keys, lists,  # noqa: F401
               pubsub, scripting, server_admin, sets, sort, stream_groups, streams, strings,
               transactions, zsets)
