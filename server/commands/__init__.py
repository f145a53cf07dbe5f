"""Command families, one module each. Importing this package registers them all."""

from . import (bits, connection, hashes, introspection, keys, server_admin, sets,  # noqa: F401
               strings)
