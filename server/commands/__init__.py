"""Command families, one module each. Importing this package registers them all."""

from . import (bits, connection, hashes, introspection, keys, lists, pubsub,  # noqa: F401
               scripting, server_admin, sets, strings, transactions, zsets)
