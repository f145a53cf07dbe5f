"""The size Redis's per-client reply buffer would have: CLIENT LIST's rbs and rbp, INFO's
reply_buffer_shrinks / reply_buffer_expands, and the client memory that counts it.

Redis writes replies into a fixed buffer per client (16 KB to start) before its reply list,
and its client cron resizes that buffer to what the client's replies need. Predis hands replies
to the transport instead; this models the buffer's size from the size of each write. Nothing
is allocated for it.

Rules (Redis 7.0 networking.c _addReplyToBuffer, server.c clientsCronResizeOutputBuffer):
- the peak is the most the buffer held since the last peak reset (at most its size);
- the cron halves an idle buffer: when the peak is under half the size, the new size is the
  peak plus one byte, never under 1 KB; it doubles a full one (peak equal to the size) up to
  16 KB; both only while resizing is enabled (DEBUG REPLYBUFFER RESIZING);
- the peak restarts from what the buffer holds (nothing, once written) every
  peak-reset-time milliseconds (5 seconds, DEBUG REPLYBUFFER PEAK-RESET-TIME; -1 never).
"""

from .query_buffer import allocator_size

CHUNK_BYTES = 16 * 1024  # PROTO_REPLY_CHUNK_BYTES: a new client's buffer
_NODE_HEADER = 16  # clientReplyBlock's size and used fields
# What a reply list node takes in: its 16 KB request plus header, rounded up by the allocator
_NODE_BYTES = allocator_size(CHUNK_BYTES + _NODE_HEADER) - _NODE_HEADER


def reply_list_bytes(size: int) -> int:
    """What Redis's reply list counts (reply_bytes, what output limits judge) for `size` bytes
    of small replies past the reply buffer: whole nodes, each taking the room its allocation
    got (a KEYS reply of 94 KB counts 5 nodes of 20,464 bytes)."""
    return -(-size // _NODE_BYTES) * _NODE_BYTES
MIN_BYTES = 1024  # PROTO_REPLY_MIN_BYTES
DEFAULT_PEAK_RESET_MS = 5000  # REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME


class ReplyBufferSettings:
    """Server-wide: DEBUG REPLYBUFFER's two knobs and INFO's counters."""

    __slots__ = ("peak_reset_ms", "resizing", "shrinks", "expands")

    def __init__(self):
        self.peak_reset_ms = DEFAULT_PEAK_RESET_MS
        self.resizing = True
        self.shrinks = 0
        self.expands = 0


class ReplyBuffer:
    """`size`: the buffer's usable size. The connection keeps the peak (its largest write since
    the peak's last reset: a compare on the write path, nothing more) and passes it in; the
    buffer holds at most its size of it."""

    __slots__ = ("size", "peak_reset_at")

    def __init__(self, now_ms: int):
        self.size = CHUNK_BYTES
        self.peak_reset_at = now_ms

    def peak(self, largest_write: int) -> int:
        return min(largest_write, self.size)

    def cron(self, largest_write: int, now_ms: int, settings: ReplyBufferSettings) -> bool:
        """Resize for the peak; True when the caller should restart its peak (from zero: Redis
        restarts it from the bytes still unwritten, and Predis keeps none)."""
        peak = self.peak(largest_write)
        wanted = 0
        if settings.resizing:
            if self.size // 2 >= MIN_BYTES and peak < self.size // 2:
                wanted = max(MIN_BYTES, peak + 1)
                settings.shrinks += 1
            elif self.size * 2 < CHUNK_BYTES * 2 and peak == self.size:
                wanted = min(CHUNK_BYTES, self.size * 2)
                settings.expands += 1
        if wanted:
            self.size = allocator_size(wanted)
        if settings.peak_reset_ms >= 0 and now_ms - self.peak_reset_at >= settings.peak_reset_ms:
            self.peak_reset_at = now_ms
            return True
        return False
