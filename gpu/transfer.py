"""Reusable host<->device staging: a pinned host array and a device array of the same size,
allocated once and grown by doubling, so a batch costs copies, not allocations.

Copies always start at element 0 and move only the bytes asked for, through the CUDA driver's
plain memcpy calls: no device-array views are made per call (numba builds a Python object for
each view, which cost more than the copy itself for small batches). Under the CUDA simulator,
where those driver calls do not exist, the same copies go through slices.
"""

import numpy as np
from numba import cuda

from .select import simulated

try:
    from numba.cuda.cudadrv.driver import device_to_host, host_to_device
except ImportError:  # pragma: no cover - builds without the driver module
    device_to_host = host_to_device = None


def _sliced_in(device, host, count):
    device[:count].copy_to_device(host[:count])


def _sliced_out(host, device, count):
    device[:count].copy_to_host(host[:count])


_copies = None


def _copy_functions():
    """(copy in, copy out, counts in bytes?): the driver's memcpy on a GPU, slices in the
    simulator."""
    global _copies
    if _copies is None:
        if simulated() or host_to_device is None:
            _copies = (_sliced_in, _sliced_out, False)
        else:
            _copies = (host_to_device, device_to_host, True)
    return _copies


class Staging:
    def __init__(self, dtype, capacity: int = 1 << 12):
        self.dtype = np.dtype(dtype)
        self._allocate(capacity)

    def _allocate(self, capacity: int) -> None:
        self.capacity = capacity
        self.host = cuda.pinned_array(capacity, self.dtype)
        self.device = cuda.device_array(capacity, self.dtype)

    def reserve(self, count: int) -> None:
        """Room for `count` elements (the contents are not kept when it grows)."""
        if count > self.capacity:
            capacity = self.capacity
            while capacity < count:
                capacity *= 2
            self._allocate(capacity)

    def _size(self, count: int, in_bytes: bool) -> int:
        return count * self.dtype.itemsize if in_bytes else count

    def upload(self, array: np.ndarray):
        """Copy `array` to the start of the device buffer; the whole device buffer."""
        count = len(array)
        self.reserve(max(count, 1))
        self.host[:count] = array
        if count:
            copy_in, _, in_bytes = _copy_functions()
            copy_in(self.device, self.host, self._size(count, in_bytes))
        return self.device

    def download(self, count: int) -> np.ndarray:
        """The first `count` device elements, through the pinned buffer (a view of it: copy it
        before the next call)."""
        if count:
            _, copy_out, in_bytes = _copy_functions()
            copy_out(self.host, self.device, self._size(count, in_bytes))
        return self.host[:count]
