"""The value arena's slab allocator, kept on the host: it hands out offsets into the device
arena and never touches the device itself.

The arena is cut into pages of PAGE bytes; a page belongs to one size class once its first
record is placed. Classes grow by a factor of sqrt(2) from 16 bytes to PAGE, so a record wastes
at most ~30% of its slot. Freed slots go on their class's stack and are reused first. All
operations take whole batches (numpy arrays) because one MSET may carry a million records.
"""

import numpy as np

MIN_RECORD = 16
PAGE = 1 << 20  # also the largest record the arena holds; bigger values live on the host
CLASS_SIZES = np.unique(
    (np.round(MIN_RECORD * 2.0 ** (np.arange(0, 2 * 16 + 1) / 2) / 8) * 8).astype(np.int64))
CLASS_SIZES = CLASS_SIZES[CLASS_SIZES <= PAGE]
NO_ROOM = -1


def class_of(sizes: np.ndarray) -> np.ndarray:
    """The smallest class holding each size (sizes must be <= PAGE)."""
    return np.searchsorted(CLASS_SIZES, sizes, side="left")


class SlabAllocator:
    def __init__(self, arena_bytes: int):
        self.pages = arena_bytes // PAGE
        self.next_page = 0
        count = len(CLASS_SIZES)
        self.free = [np.empty(0, np.int64) for _ in range(count)]  # stacks of freed offsets
        self.bump = np.zeros(count, np.int64)  # next unused offset in the class's open page
        self.bump_end = np.zeros(count, np.int64)
        self.used_bytes = 0  # bytes of slots handed out

    @property
    def capacity(self) -> int:
        return self.pages * PAGE

    def allocate(self, sizes: np.ndarray) -> np.ndarray:
        """An arena offset per size, or NO_ROOM where the arena (or the class) is full or the
        record is larger than a page."""
        offsets = np.full(len(sizes), NO_ROOM, np.int64)
        fits = sizes <= PAGE
        classes = np.where(fits, class_of(np.minimum(sizes, PAGE)), -1)
        for cls in np.unique(classes[fits]):
            where = np.flatnonzero(classes == cls)
            got = self._take(int(cls), len(where))
            offsets[where[:len(got)]] = got
        return offsets

    def _take(self, cls: int, count: int) -> np.ndarray:
        size = int(CLASS_SIZES[cls])
        stack = self.free[cls]
        reused = stack[len(stack) - min(count, len(stack)):]
        self.free[cls] = stack[:len(stack) - len(reused)]
        parts = [reused]
        need = count - len(reused)
        while need > 0:
            room = int(self.bump_end[cls] - self.bump[cls]) // size
            if room == 0:
                if self.next_page >= self.pages:
                    break
                start = self.next_page * PAGE
                self.next_page += 1
                self.bump[cls], self.bump_end[cls] = start, start + PAGE
                continue
            take = min(room, need)
            parts.append(self.bump[cls] + size * np.arange(take, dtype=np.int64))
            self.bump[cls] += size * take
            need -= take
        got = np.concatenate(parts) if len(parts) > 1 else reused.copy()
        self.used_bytes += size * len(got)
        return got

    def release(self, offsets: np.ndarray, sizes: np.ndarray) -> None:
        """Return slots (as allocated for these sizes) to their classes."""
        if len(offsets) == 0:
            return
        classes = class_of(sizes)
        self.used_bytes -= int(CLASS_SIZES[classes].sum())
        for cls in np.unique(classes):
            self.free[cls] = np.concatenate([self.free[cls], offsets[classes == cls]])

    @staticmethod
    def slot_bytes(sizes: np.ndarray) -> np.ndarray:
        return CLASS_SIZES[class_of(sizes)]
