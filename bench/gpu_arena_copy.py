"""Where the GPU engine's host copy of its arena before a fork() spends its time: a 1 GB device
array copied to host memory in the ways open to it, and fork() itself beside the copy.

    python -m bench.gpu_arena_copy      (on a machine with an NVIDIA GPU; ~10 s)

Each row is the median of 3. What it showed on an H200 (docs/benchmarks.md, session 21): the
copy is dominated by first-touch page faults of the fresh host memory, not by the transfer.
"""

import mmap
import os
import statistics
import time

import numpy as np
from numba import cuda
from numba.cuda.cudadrv.driver import device_to_host

SIZE = 1 << 30
CHUNK = 64 << 20


def timed(label, make, runs=3) -> None:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = make()
        cuda.synchronize()
        times.append(time.perf_counter() - started)
        del result
    print(f"{label:56s} {statistics.median(times) * 1e3:8.1f} ms", flush=True)


def populated(size):
    """Host memory faulted in by the kernel up front (MAP_POPULATE)."""
    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | mmap.MAP_POPULATE
    return np.frombuffer(mmap.mmap(-1, size, flags=flags), np.uint8)


def copied_into(host, device):
    device_to_host(host, device, device.size)
    return host


def through_bounce(device, bounce):
    out = np.empty(device.size, np.uint8)
    for start in range(0, device.size, CHUNK):
        device_to_host(bounce, device[start:start + CHUNK], CHUNK)
        out[start:start + CHUNK] = bounce
    return out


def fork_and_reap():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


def main() -> None:
    device = cuda.device_array(SIZE, np.uint8)
    device[:] = 7
    cuda.synchronize()
    timed("copy_to_host (fresh pageable: what prepare_fork does)", device.copy_to_host)
    timed("first touch of fresh host memory alone", lambda: np.ones(SIZE, np.uint8))
    touched = np.zeros(SIZE, np.uint8)
    timed("into pageable memory touched before", lambda: copied_into(touched, device))
    timed("allocating pinned memory", lambda: cuda.pinned_array(SIZE, np.uint8))
    pinned = cuda.pinned_array(SIZE, np.uint8)
    timed("into pinned memory allocated before", lambda: copied_into(pinned, device))
    bounce = cuda.pinned_array(CHUNK, np.uint8)
    timed("through a 64 MB pinned bounce buffer into fresh memory",
          lambda: through_bounce(device, bounce))
    timed("into MAP_POPULATE memory (allocation included)",
          lambda: copied_into(populated(SIZE), device))
    timed("fork() with 1 GB pinned + 1 GB pageable held", fork_and_reap)
    pinned = touched = None  # (freed)
    timed("fork() with no host copy held", fork_and_reap)


if __name__ == "__main__":
    main()
