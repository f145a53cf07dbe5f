"""Cache traces as arrays: readers for libCacheSim's oracleGeneral (plain or .zst), CSV with
configurable columns, and plain text with one key per line.

Keys become 64-bit ids mixed by splitmix64 (so the metadata table sees well-spread hashes), sizes
are bytes (1 for object-count caches), times are seconds, `nexts` is the index of the next request
for the same key (-1: never), computed when the format does not carry it.
"""

import csv
import io
import os
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..splitmix import splitmix64

ORACLE_RECORD = np.dtype([("time", "<u4"), ("id", "<u8"), ("size", "<u4"), ("next", "<i8")])


@dataclass
class Trace:
    name: str
    ids: np.ndarray    # int64, mixed
    sizes: np.ndarray  # int64 bytes
    times: np.ndarray  # int64 seconds
    nexts: np.ndarray  # int64 index of the next request for this key, -1 never

    def __len__(self):
        return len(self.ids)

    def footprint(self) -> tuple[int, int]:
        """(unique objects, bytes of all unique objects at their last seen size)."""
        _, first = np.unique(self.ids, return_index=True)
        return len(first), int(self.sizes[first].sum())

    def with_unit_sizes(self) -> "Trace":
        return Trace(self.name, self.ids, np.ones_like(self.sizes), self.times, self.nexts)

    def head(self, n: int) -> "Trace":
        nexts = np.where(self.nexts[:n] >= n, -1, self.nexts[:n])
        return Trace(self.name, self.ids[:n], self.sizes[:n], self.times[:n], nexts)


@njit(cache=True)
def mix(ids):
    """splitmix64 of every id, as int64, avoiding the table's two marker values."""
    out = np.empty(ids.size, np.int64)
    for i in range(ids.size):
        value = np.int64(splitmix64(np.uint64(ids[i])))
        out[i] = value + 2 if value == 0 or value == 1 else value
    return out


@njit(cache=True)
def next_indices(ids):
    """For each request, the index of the next request with the same id (-1 if none)."""
    nexts = np.full(ids.size, -1, np.int64)
    last = dict()
    for i in range(ids.size - 1, -1, -1):
        key = ids[i]
        if key in last:
            nexts[i] = last[key]
        last[key] = i
    return nexts


def _open_bytes(path: str) -> bytes:
    with open(path, "rb") as handle:
        data = handle.read()
    if path.endswith(".zst"):
        import zstandard
        data = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)).read()
    return data


def read_oracle(path: str) -> Trace:
    records = np.frombuffer(_open_bytes(path), ORACLE_RECORD)
    ids = mix(records["id"].astype(np.int64))
    return Trace(_name(path), ids, records["size"].astype(np.int64),
                 records["time"].astype(np.int64), next_indices(ids))


def read_csv(path: str, key_col: int = 0, size_col: int | None = None,
             time_col: int | None = None, delimiter: str = ",", header: bool = False) -> Trace:
    keys, sizes, times = [], [], []
    with open(path, newline="") as handle:
        rows = csv.reader(handle, delimiter=delimiter)
        if header:
            next(rows, None)
        for row in rows:
            if not row:
                continue
            keys.append(row[key_col])
            sizes.append(int(row[size_col]) if size_col is not None else 1)
            times.append(int(float(row[time_col])) if time_col is not None else 0)
    return _from_keys(path, keys, sizes, times)


def read_text(path: str) -> Trace:
    with open(path) as handle:
        keys = [line.strip() for line in handle if line.strip()]
    return _from_keys(path, keys, [1] * len(keys), [0] * len(keys))


def _from_keys(path, keys, sizes, times) -> Trace:
    numbering: dict = {}
    dense = np.fromiter((numbering.setdefault(k, len(numbering)) for k in keys), np.int64,
                        len(keys))
    ids = mix(dense)
    return Trace(_name(path), ids, np.asarray(sizes, np.int64), np.asarray(times, np.int64),
                 next_indices(ids))


def _name(path: str) -> str:
    base = os.path.basename(path)
    for suffix in (".zst", ".bin", ".oracleGeneral", ".csv", ".txt"):
        base = base.removesuffix(suffix)
    return base


def read_trace(path: str, fmt: str = "auto", **csv_options) -> Trace:
    """Read `path` in format oracle | csv | text ('auto' guesses from the name)."""
    if fmt == "auto":
        fmt = "oracle" if "oracleGeneral" in path or path.endswith((".bin", ".bin.zst")) \
            else "csv" if path.endswith(".csv") else "text"
    if fmt == "oracle":
        return read_oracle(path)
    if fmt == "csv":
        return read_csv(path, **csv_options)
    if fmt == "text":
        return read_text(path)
    raise ValueError(f"unknown trace format {fmt!r} (oracle, csv, text)")
