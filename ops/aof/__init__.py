"""The append-only file, in Redis 7's multi-part layout: `manifest.py` (which files make the
AOF), `appendonly.py` (writing, fsync policy, rewriting in a forked child), `loader.py`
(replay at start, truncated tails)."""
