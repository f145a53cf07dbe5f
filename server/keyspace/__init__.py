"""Databases, entries, expiry and memory accounting. Storage returns values, never wire text."""

from .database import Database, clock_frozen, now_ms
from .keyspace import Keyspace

__all__ = ["Database", "Keyspace", "clock_frozen", "now_ms"]
