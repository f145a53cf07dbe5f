"""The string engine interface: what string commands need from wherever values are stored.

Two implementations: `CpuEngine` (gpu/cpu_engine.py, Python dicts: the default everywhere
without a GPU) and `GpuEngine` (gpu/gpu_engine.py, a device hash table and value arena driven
by Numba CUDA kernels). Both pass the same test suite (tests/gpu/test_engine.py). Callers work
in batches: one call per command or per run of commands, never per byte.

Semantics shared by both (Redis's for strings):
- keys and values are `bytes`; a deadline is an absolute time in ms, None for no TTL;
- a key whose deadline has passed reads as absent and is removed when a read finds it;
- mset keeps the last value when a key repeats and drops TTLs unless a deadline is given;
- delete and exists count only live keys; exists counts a repeated key each time (EXISTS k k).
"""

import time
from abc import ABC, abstractmethod


def now_ms() -> int:
    return int(time.time() * 1000)


def is_due(deadline, now: int) -> bool:
    return deadline is not None and deadline <= now


class Engine(ABC):
    name = "abstract"

    # -- the batch primitives each engine implements -------------------------------------------
    @abstractmethod
    def mget(self, keys: list, now: int | None = None) -> list:
        """The live value of each key, or None."""

    @abstractmethod
    def mset(self, keys: list, values: list, deadline: int | None = None) -> None:
        """Store every pair (the last one wins for a repeated key), with this deadline."""

    @abstractmethod
    def delete(self, keys: list, now: int | None = None) -> int:
        """Remove the keys; the number of distinct live keys removed."""

    @abstractmethod
    def deadlines(self, keys: list) -> list:
        """One item per key: its deadline, or None when it has no TTL or is not stored."""

    @abstractmethod
    def set_deadline(self, key: bytes, deadline: int | None) -> bool:
        """Give a stored key a deadline (None: persist); False if the key is not stored."""

    @abstractmethod
    def memory_usage(self, key: bytes) -> int | None:
        """Bytes this key's entry costs in this engine, None if not stored."""

    @abstractmethod
    def items(self):
        """Every stored (key, value, deadline), expired or not, for SCAN and persistence."""

    @abstractmethod
    def clear(self) -> None:
        """Remove everything."""

    @abstractmethod
    def __len__(self) -> int:
        """Stored keys, counting expired ones not yet removed (as Redis's DBSIZE)."""

    @abstractmethod
    def describe(self) -> dict:
        """engine, device, device memory used and free, for INFO and metrics."""

    # -- the rest, built on the primitives --------------------------------------------------------
    def get(self, key: bytes, now: int | None = None):
        return self.mget([key], now)[0]

    def exists(self, keys: list, now: int | None = None) -> int:
        return sum(value is not None for value in self.mget(keys, now))

    def set(self, key: bytes, value: bytes, deadline: int | None = None, nx: bool = False,
            xx: bool = False, keep_ttl: bool = False) -> bool:
        """SET's conditions: NX only when absent, XX only when present, KEEPTTL keeps the
        current deadline. True if the value was stored."""
        if nx or xx or keep_ttl:
            now = now_ms()
            present = self.get(key, now) is not None
            if (nx and present) or (xx and not present):
                return False
            if keep_ttl and present:
                deadline = self.deadlines([key])[0]
        self.mset([key], [value], deadline)
        return True

    @abstractmethod
    def expire_due(self, now: int | None = None) -> int:
        """Remove every key whose deadline has passed; how many were removed."""

    # -- forked children (BGSAVE, AOF rewrite, a forked Lua debugging session) ------------------
    def prepare_fork(self):
        """Called in the parent just before fork(): what `for_child` will need."""
        return None

    def for_child(self, prepared) -> "Engine":
        """Called in the forked child: the engine the child uses from then on."""
        return self
