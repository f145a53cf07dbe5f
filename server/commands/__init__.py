"""Command families, one module each. Importing this package registers them all."""

from . import (bits, connection, dump, hashes, hyperloglog, introspection,  # noqa: F401
               keys, lists, pubsub, scripting, server_admin, sets, sort, stream_groups,
               streams, strings, transactions, zsets)
