"""Reusable host<->device staging: a pinned host array and a device array of the same size,
allocated once and grown by doubling, so a batch costs copies, not allocations."""

import numpy as np
from numba import cuda


class Staging:
    def __init__(self, dtype, capacity: int = 1 << 12):
        self.dtype = np.dtype(dtype)
        self._allocate(capacity)

    def _allocate(self, capacity: int) -> None:
        self.capacity = capacity
        self.host = cuda.pinned_array(capacity, self.dtype)
        self.device = cuda.device_array(capacity, self.dtype)

    def reserve(self, count: int) -> None:
        if count > self.capacity:
            capacity = self.capacity
            while capacity < count:
                capacity *= 2
            self._allocate(capacity)

    def upload(self, array: np.ndarray):
        """Copy `array` to the device through the pinned buffer; the device view of it."""
        count = len(array)
        self.reserve(max(count, 1))
        self.host[:count] = array
        view = self.device[:max(count, 1)]
        if count:
            view[:count].copy_to_device(self.host[:count])
        return view

    def download(self, count: int) -> np.ndarray:
        """The first `count` device elements, through the pinned buffer (a view of it: copy it
        before the next call)."""
        if count:
            self.device[:count].copy_to_host(self.host[:count])
        return self.host[:count]
