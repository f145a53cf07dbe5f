"""Command families, one module each. Importing this package registers them all."""

from . import bits, connection, introspection, keys, server_admin, strings  # noqa: F401
