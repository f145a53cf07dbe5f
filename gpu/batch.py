"""Host-side preparation of a batch of keys for the device: 64-bit fingerprints, the keys'
bytes packed end to end, and each key's offset and length.

The fingerprint is Python's own hash of the key: 64 bits of SipHash that a `bytes` object
computes once and caches, so fingerprinting a batch costs one C-level map. It is randomized per
process, which is fine because the device table lives and dies with the process. The two
values the table reserves (EMPTY, TOMBSTONE) are moved out of the way; CPython never returns -1.
"""

import numpy as np

from .kernels import EMPTY, TOMBSTONE


def fingerprints(keys) -> np.ndarray:
    fps = np.fromiter(map(hash, keys), np.int64, len(keys))
    fps[fps == EMPTY] = TOMBSTONE + 1
    fps[fps == TOMBSTONE] = TOMBSTONE + 2
    return fps


def lengths(items) -> np.ndarray:
    return np.fromiter(map(len, items), np.int64, len(items))


def offsets_of(sizes: np.ndarray) -> np.ndarray:
    """Start of each item when items of these sizes are laid end to end."""
    starts = np.zeros(len(sizes), np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    return starts


def pack(parts) -> np.ndarray:
    """The byte strings laid end to end, as a uint8 array."""
    return np.frombuffer(b"".join(parts), np.uint8)


def interleave(keys, values) -> list:
    """[k0, v0, k1, v1, ...]: records as the arena stores them, ready for pack()."""
    parts = [b""] * (2 * len(keys))
    parts[0::2] = keys
    parts[1::2] = values
    return parts
