"""What the learned policy knows about a key, as numbers, and what it is trained to predict.

Every time quantity is in virtual time (accesses to the table) and divided by the number of cached
keys, in log2: a model trained on one trace and cache size then reads another's on the same scale.
"""

import math

import numpy as np
from numba import njit

from .keymeta import NO_GAP, gap_log2, since

N_FEATURES = 8
NAMES = ("age", "has_gap1", "gap1", "has_gap2", "gap2", "count", "lifetime", "size")
LABEL_CAP = 6.0  # "not again within 64x the cache's key count" (and never) read the same


@njit(cache=True)
def scale_of(n_cached):
    return math.log2(n_cached + 1.0)


@njit(cache=True, inline="always")
def _gap_features(code, scale, out, at):
    """A gap's (present?, log2 size relative to the cache) pair; (0, 0) when never seen."""
    known = code != NO_GAP
    out[at] = 1.0 if known else 0.0
    out[at + 1] = gap_log2(code) - scale if known else 0.0


@njit(cache=True)
def _log2_table(n):
    table = np.empty(n, np.float64)
    for i in range(n):
        table[i] = math.log2(i + 1.0)
    return table


# log2(i + 1) for small i, computed by the same log2 as the fallback: the features come out
# bit for bit the same, at a third of the cost (scoring a candidate took 4 log2 calls)
SMALL_LOG2 = 4096
LOG2_1P = _log2_table(SMALL_LOG2)


@njit(cache=True, inline="always")
def _log2_1p(v):
    """log2(v + 1) of an integer v >= 0."""
    return LOG2_1P[v] if v < SMALL_LOG2 else math.log2(v + 1.0)


@njit(cache=True, fastmath=True)
def key_features(hist, slot, vt, scale, log_avg_size, out):
    rec = hist[slot]
    out[0] = _log2_1p(since(vt, rec.last_vt)) - scale
    _gap_features(rec.gap1, scale, out, 1)
    _gap_features(rec.gap2, scale, out, 3)
    out[5] = _log2_1p(rec.count - 1) if rec.count else -math.inf
    out[6] = _log2_1p(since(vt, rec.first_vt)) - scale
    out[7] = _log2_1p(rec.size) - log_avg_size


@njit(cache=True)
def label_of(distance, scale):
    """Training target for a key next requested `distance` accesses from now (-1: never)."""
    if distance < 0:
        return LABEL_CAP
    return min(math.log2(distance + 1.0) - scale, LABEL_CAP)
