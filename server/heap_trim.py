"""Hand freed heap pages back to the OS when the process holds far more than it uses.

Big temporaries (an access-log fold's arrays, a rebuilt access table's old arrays, the parsed
arguments of a large pipeline) are freed into glibc's heap, which keeps their pages resident:
after 1M keys were loaded RSS stood ~58 bytes a key above what the data takes, and stayed
there. Redis's jemalloc purges such pages by itself; glibc does when asked (malloc_trim).

The cron calls `tick` with used_memory. At most every INTERVAL_S seconds it trims when RSS
exceeds used_memory by GAP more than it did after the last trim: what a trim cannot give back
(pymalloc's partly used pools, the interpreter itself) does not make it trim again. Where the
C library has no malloc_trim (musl, macOS) nothing happens.
"""

import ctypes
import ctypes.util
import os
import resource
import time

INTERVAL_S = 5.0
GAP = 32 << 20


def rss_bytes() -> int:
    """The process's resident set size (INFO's used_memory_rss)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _malloc_trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    trim = getattr(libc, "malloc_trim", None)
    if trim is not None:
        trim.argtypes = [ctypes.c_size_t]
        trim.restype = ctypes.c_int
    return trim


class HeapTrimmer:
    def __init__(self, trim=_malloc_trim(), clock=time.monotonic, rss=rss_bytes):
        self._trim = trim
        self._clock = clock
        self._rss = rss
        self._next = 0.0
        self._settled_gap = 0  # RSS over used_memory right after the last trim
        self.trims = 0
        self.released = 0  # RSS bytes the trims gave back, all told

    def info_fields(self) -> dict:
        """INFO memory's lines for the trims (Predis's own names)."""
        return {"predis_heap_trims": self.trims, "predis_heap_trimmed_bytes": self.released}

    def due(self) -> bool:
        """Whether tick() would look at the figures now (reading RSS costs a file read)."""
        return self._trim is not None and self._clock() >= self._next

    def tick(self, used: int) -> int:
        """Trim if RSS has drifted GAP above `used` (used_memory, bytes). Returns the bytes
        given back (0 when no trim ran)."""
        self._next = self._clock() + INTERVAL_S
        gap = self._rss() - used
        if gap < self._settled_gap + GAP:
            self._settled_gap = min(self._settled_gap, max(gap, 0))
            return 0
        self._trim(0)
        after = self._rss() - used
        self._settled_gap = max(after, 0)
        self.trims += 1
        self.released += max(gap - after, 0)
        return max(gap - after, 0)
