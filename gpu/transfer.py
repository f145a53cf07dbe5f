"""Reusable host<->device staging: a pinned host array and a device array of the same size,
allocated once and grown by doubling, so a batch costs copies, not allocations.

Copies always start at element 0 and move only the bytes asked for, through the CUDA driver's
plain memcpy calls: no device-array views are made per call (numba builds a Python object for
each view, which cost more than the copy itself for small batches). Under the CUDA simulator,
where those driver calls do not exist, the same copies go through slices.
"""

import ctypes

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


def _raw_copy_out():
    """The driver's cuMemcpyDtoH, or None where there is none (the simulator)."""
    if simulated():
        return None
    try:
        from numba.cuda.cudadrv.driver import driver
        return driver.cuMemcpyDtoH
    except (ImportError, AttributeError):  # pragma: no cover - another numba build
        return None


class RangeReader:
    """Copies byte ranges of one device array to the host with one driver memcpy each, no
    kernel: what a small read costs without a launch (gpu_engine's direct reads).

    The copies go into a pinned buffer at the array's address plus the range's start. The
    first reader checks the driver call against a copy numba makes itself (a pattern written
    and read back); if the call fails or disagrees, `usable` is False and the engine keeps to
    its kernels. In the simulator the ranges are plain slices."""

    def __init__(self, device_array):
        self.device = device_array
        self.host = cuda.pinned_array(1 << 16, np.uint8)
        self._copy = _raw_copy_out()
        self.usable = True
        if self._copy is not None:
            pointer = device_array.device_ctypes_pointer
            try:
                if isinstance(pointer, ctypes._SimpleCData):  # the ctypes binding: plain ints
                    self._base, self._pointer = pointer.value, int
                else:  # NVIDIA's binding: a CUdeviceptr
                    self._base, self._pointer = int(pointer), type(pointer)
            except (TypeError, ValueError):  # a pointer type this code does not know
                self.usable = False
            else:
                self.usable = self._self_check()

    def _self_check(self) -> bool:
        if self.device.size < 16:
            return False
        pattern = np.frombuffer(b"predis-range-ok!", np.uint8)
        self.device[:16].copy_to_device(pattern)
        try:
            return self.read([0], [16]) == [pattern.tobytes()]
        except Exception:  # the driver binding is not what this code expects
            return False

    def read(self, starts, sizes) -> list:
        """bytes of device_array[start:start + size] for each pair."""
        if self._copy is None:
            device = self.device
            return [device[start:start + size].copy_to_host().tobytes()
                    for start, size in zip(starts, sizes)]
        total = sum(sizes)
        if total > self.host.size:
            self.host = cuda.pinned_array(max(total, 2 * self.host.size), np.uint8)
        host = self.host
        address = host.ctypes.data
        copy, pointer, base = self._copy, self._pointer, self._base
        position = 0
        for start, size in zip(starts, sizes):
            if size:
                copy(address + position, pointer(base + start), size)
            position += size
        data = host[:position].tobytes()
        values = []
        position = 0
        for size in sizes:
            values.append(data[position:position + size])
            position += size
        return values
