"""Databases, entries, expiry and memory accounting. Storage returns values, never wire text."""

from .database import Database, already_expired, clock_frozen, expiry_held, now_ms
from .keyspace import Keyspace

__all__ = ["Database", "Keyspace", "already_expired", "clock_frozen", "expiry_held", "now_ms"]
