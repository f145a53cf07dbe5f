"""The size Redis's query buffer would have: CLIENT LIST's qbuf-free and tot-mem.

Redis reads into a growing sds string per client and gives the space back from its client cron.
Predis has no such buffer (hiredis and the parser hold the input), but tools and Redis's own
tests read the figures: a fresh client's 16 KB read buffer (20474 bytes usable), its growth for
big requests, its release after 2 seconds idle, and its shrinking to the recent peak. This models
those sizes from what the connection reads; nothing is allocated for them.

Rules (Redis 7.0 networking.c readQueryFromClient and server.c clientsCronResizeQueryBuffer):
- a read makes room for 16 KB more after what is buffered: exactly that (plus the allocator's
  rounding) while the buffer is under 16 KB, else the sds greedy growth (double, or +1 MB);
- the cron frees the spare room of a client idle over 2 seconds, or, when the buffer is over
  32 KB and more than twice the peak since the last cron, trims it to that peak;
- either way, when the spare room is over 4 KB; the peak then restarts from what is buffered;
- an argument of 32 KB or more (PROTO_MBULK_BIG_ARG) gets room for exactly itself, without
  greedy growth, as soon as its length is read.
"""

IOBUF_LEN = 16 * 1024  # PROTO_IOBUF_LEN: bytes Redis asks a read for
RESIZE_THRESHOLD = 32 * 1024  # PROTO_RESIZE_THRESHOLD
SDS_MAX_PREALLOC = 1024 * 1024
IDLE_SECONDS = 2


def allocator_size(size: int) -> int:
    """jemalloc's size class for a request: 8-byte steps to 128, then four classes a doubling."""
    if size <= 8:
        return 8
    if size <= 128:
        return (size + 15) & ~15
    step = 1 << ((size - 1).bit_length() - 3)  # a quarter of the power of two below
    return (size + step - 1) // step * step


def _header(size: int) -> int:
    """An sds header for a string of `size` bytes (type 8, 16, 32 or 64)."""
    return 3 if size < 1 << 8 else 5 if size < 1 << 16 else 9 if size < 1 << 32 else 17


def usable(size: int) -> int:
    """sds room (`alloc`) for a request of `size` bytes, after the allocator's rounding."""
    header = _header(size)
    return allocator_size(header + size + 1) - header - 1


def allocation(room: int) -> int:
    """What the allocator holds for an sds of this room (sdsZmallocSize), 0 for none."""
    return room + _header(room) + 1 if room else 0


class QueryBuffer:
    """`alloc`: the room as of the last cron. The connection keeps the peak (the most it had
    buffered after a read since the last cron) and passes it in."""

    __slots__ = ("alloc",)

    def __init__(self):
        self.alloc = 0  # Redis starts every client with an empty sds

    def room(self, peak: int) -> int:
        """The buffer's room now: grown for the reads since the cron."""
        if peak:
            self.grow(peak)
        return self.alloc

    def room_for_big_argument(self, length: int) -> int:
        """Redis's sdsMakeRoomForNonGreedy(querybuf, length + 2) for a big argument."""
        self.alloc = max(self.alloc, usable(length + 2))
        return self.alloc

    def grow(self, buffered: int) -> None:
        """A read left `buffered` bytes waiting (a command's worth, at most)."""
        wanted = buffered + IOBUF_LEN
        if self.alloc < IOBUF_LEN:
            self.alloc = max(self.alloc, usable(wanted))  # the first read: no greedy growth
        elif self.alloc - buffered < IOBUF_LEN:
            greedy = wanted * 2 if wanted < SDS_MAX_PREALLOC else wanted + SDS_MAX_PREALLOC
            self.alloc = usable(greedy)

    def cron(self, buffered: int, peak: int, idle_seconds: float) -> None:
        """Redis's clientsCronResizeQueryBuffer, with `buffered` bytes waiting now (the
        caller then restarts its peak from `buffered`)."""
        alloc = self.room(peak)
        if alloc - buffered > 4096:
            if idle_seconds > IDLE_SECONDS:
                alloc = buffered  # sdsRemoveFreeSpace
            elif alloc > RESIZE_THRESHOLD and alloc // 2 > peak:
                alloc = max(buffered, peak)  # sdsResize to the latest peak
        self.alloc = alloc
