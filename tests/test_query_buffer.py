"""The modelled size of Redis's query buffer (CLIENT LIST's qbuf-free, tot-mem)."""

from server.protocol.query_buffer import QueryBuffer, usable


def test_room_after_allocator_rounding():
    # an sds of 16 KB plus its 5-byte header and terminator takes jemalloc's 20 KB class:
    # what Redis shows for a fresh client (qbuf + qbuf-free = 20474)
    assert usable(16384) == 20474
    assert usable(0) == 4  # an 8-byte class, less the 3-byte header and the terminator
    assert usable(400002) == 458752 - 10  # 448 KB class, 9-byte header


def test_first_read_takes_16k_and_later_small_reads_keep_it():
    buffer = QueryBuffer()
    assert buffer.room(0) == 0  # a client that sent nothing yet
    assert buffer.room(40) == 20474
    assert buffer.room(40) == 20474  # the same peak asks for nothing more
    assert buffer.room(3000) == 20474  # 16 KB still free after it


def test_big_request_grows_greedily_then_the_cron_trims_to_the_peak():
    buffer = QueryBuffer()
    assert buffer.room(400_000) == usable(400_000 + 16384)  # from empty: exactly what it needs
    grown = buffer.room(500_000)
    assert grown == usable(2 * (500_000 + 16384))  # then sds's greedy growth (doubled under 1 MB)
    buffer.cron(buffered=0, peak=grown // 2, idle_seconds=0)
    assert buffer.alloc == grown  # the recent peak uses half of it: nothing given back
    buffer.cron(buffered=0, peak=120, idle_seconds=0)
    assert buffer.alloc == 120  # over 32 KB and more than twice the new peak: trimmed to it
    assert buffer.room(120) == usable(120 + 16384)  # the next read takes 16 KB again


def test_idle_client_gives_its_room_back():
    buffer = QueryBuffer()
    buffer.room(40)
    buffer.cron(buffered=0, peak=40, idle_seconds=1)
    assert buffer.alloc == 20474  # under 32 KB and not idle long enough
    buffer.cron(buffered=0, peak=0, idle_seconds=2.5)
    assert buffer.alloc == 0
    buffer.room(10)
    buffer.cron(buffered=10, peak=10, idle_seconds=3)
    assert buffer.alloc == 10  # what is still waiting stays


def test_a_big_argument_gets_room_for_itself_without_greedy_growth():
    buffer = QueryBuffer()
    assert buffer.room_for_big_argument(220_200) == usable(220_202)
    assert buffer.room_for_big_argument(100_000) == usable(220_202)  # never shrinks here


def test_the_big_argument_still_arriving_is_found_in_the_input():
    from server.protocol.reader import big_argument_in_progress as found

    assert found(b"*1\r\n$220200\r\n" + b"v" * 1000) == (220_200, 1000)
    assert found(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$40000\r\nxx") == (40_000, 2)
    assert found(b"*1\r\n$20000\r\n" + b"v" * 10) is None  # under 32 KB: read as usual
    assert found(b"*2\r\n$3\r\nSE") is None  # a small argument still arriving
    assert found(b"*1\r\n$40000\r\n" + b"v" * 40002) is None  # complete
    assert found(b"PING") is None and found(b"*1\r\n$x\r\n") is None  # not multibulk / bad
