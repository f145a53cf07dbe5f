"""Replication: `replica.py` (Predis following a primary: redis-server 7.x or another Predis)
and `primary.py` (Predis serving replicas: full and partial resync, the backlog, ACKs)."""
