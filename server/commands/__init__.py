"""Command families, one module each. Importing this package registers them all."""

from . import (bits, connection, hashes, introspection, keys, lists, server_admin,  # noqa: F401
               sets, strings, transactions, zsets)
