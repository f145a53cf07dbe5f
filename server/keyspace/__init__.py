"""Databases, entries, expiry and memory accounting. Storage returns values, never wire text."""

from .database import Database, freeze_time, now_ms
from .keyspace import Keyspace

__all__ = ["Database", "Keyspace", "freeze_time", "now_ms"]
