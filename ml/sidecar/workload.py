"""Windows of sampled accesses and the workload features drift is checked on.

Time here is virtual: a sampled request is one tick, so a diurnal swing in load (more or fewer
requests per second) changes nothing, while a change in what is asked for does. Per window of
`window` sampled requests (accesses and inserts; deletes are not requests):

    gaps        log2 of the ticks since the key's previous request (re-requests only)
    keys        the requested keys' hashes (drift ranks them against an earlier window's
                popularity: ml/sidecar/drift.WorkloadDrift)
    sizes       log2 of the entry's size in bytes
    new_keys    (requests to keys not seen for `horizon` ticks, requests)
    write_mix   (write commands, read + write commands) from the server's counters
    hit_ratio   the server's live keyspace hit ratio over the window (None without reads)

The first `horizon` ticks only fill the history (every key is new then): windows are marked
`warm` once it has passed, and only warm windows are compared.
"""

import math

import numpy as np

from ..sampler import OP_DELETE


class WorkloadWindows:
    def __init__(self, window: int = 2000, horizon_windows: int = 8):
        self.window = window
        self.horizon = window * horizon_windows
        self.last_ = {}  # key hash -> tick of its last request
        self.tick_ = 0
        self._reset()

    def _reset(self) -> None:
        self.gaps_, self.keys_, self.sizes_ = [], [], []
        self.new_ = 0
        self.counters_ = {"reads": 0, "writes": 0, "hits": 0, "misses": 0}

    def add(self, records: np.ndarray, counters: dict) -> list:
        """Take a batch (ml/sampler.RECORD) and the server's counter deltas over it; returns
        the windows completed by it."""
        for name in self.counters_:
            self.counters_[name] += int(counters.get(name, 0))
        done = []
        requests = records[records["op"] != OP_DELETE]
        last, horizon = self.last_, self.horizon
        for key, size in zip(requests["hash"].tolist(), requests["size"].tolist()):
            self.tick_ += 1
            previous = last.get(key)
            if previous is None or self.tick_ - previous > horizon:
                self.new_ += 1
            else:
                self.gaps_.append(math.log2(self.tick_ - previous))
            last[key] = self.tick_
            self.keys_.append(key)
            self.sizes_.append(math.log2(size + 1))
            if len(self.keys_) == self.window:
                done.append(self._close())
        return done

    def _close(self) -> dict:
        keys = np.asarray(self.keys_, np.int64)
        c = self.counters_
        window = {
            "end_tick": self.tick_,
            "warm": self.tick_ > self.horizon,
            "gaps": np.asarray(self.gaps_),
            "keys": keys,
            "sizes": np.asarray(self.sizes_),
            "new_keys": (self.new_, len(keys)),
            "write_mix": (c["writes"], c["reads"] + c["writes"]),
            "hit_ratio": c["hits"] / (c["hits"] + c["misses"]) if c["hits"] + c["misses"]
            else None,
        }
        self._reset()
        self._forget()
        return window

    def _forget(self) -> None:
        """Drop keys not requested within the horizon (they would count as new anyway)."""
        if len(self.last_) > 4 * self.horizon:
            oldest = self.tick_ - self.horizon
            self.last_ = {k: t for k, t in self.last_.items() if t >= oldest}
