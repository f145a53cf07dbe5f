"""What watches commands go by: SLOWLOG, the latency monitor, and MONITOR clients."""

import time
from collections import deque

from .replies import SimpleString

SLOWLOG_MAX_ARGS = 32
SLOWLOG_MAX_ARG_LEN = 128


class SlowLog:
    def __init__(self):
        self.entries: deque = deque()
        self.next_id = 0

    def add(self, client, args, micros: int, max_len: int) -> None:
        shown = []
        for index, arg in enumerate(args):
            if index == SLOWLOG_MAX_ARGS - 1 and len(args) > SLOWLOG_MAX_ARGS:
                shown.append(b"... (%d more arguments)" % (len(args) - SLOWLOG_MAX_ARGS + 1))
                break
            if len(arg) > SLOWLOG_MAX_ARG_LEN:
                arg = bytes(arg[:SLOWLOG_MAX_ARG_LEN]) + b"... (%d more bytes)" % (
                    len(arg) - SLOWLOG_MAX_ARG_LEN)
            shown.append(bytes(arg))
        self.entries.appendleft(
            [self.next_id, int(time.time()), micros, shown, client.addr, client.name])
        self.next_id += 1
        while len(self.entries) > max_len:
            self.entries.pop()

    def reset(self) -> None:
        self.entries.clear()


class LatencyMonitor:
    """Per event: the latest spikes (timestamp, ms) and the all-time maximum, as Redis keeps."""

    HISTORY = 160

    def __init__(self):
        self.events: dict = {}

    def add(self, event: str, millis: int) -> None:
        now = int(time.time())
        record = self.events.setdefault(event, {"samples": deque(maxlen=self.HISTORY), "max": 0})
        samples = record["samples"]
        if samples and samples[-1][0] == now:
            samples[-1] = (now, max(samples[-1][1], millis))
        else:
            samples.append((now, millis))
        record["max"] = max(record["max"], millis)

    def add_if_slow(self, event: str, elapsed_ns: int, threshold_ms: int) -> None:
        """latency-monitor-threshold: only spikes at or over it are kept (0: off)."""
        if threshold_ms > 0 and elapsed_ns >= threshold_ms * 1_000_000:
            self.add(event, elapsed_ns // 1_000_000)

    def reset(self, names=None) -> int:
        if not names:
            count = len(self.events)
            self.events.clear()
            return count
        return sum(1 for name in names if self.events.pop(name, None) is not None)


def monitor_line(client, args, origin: str = None) -> SimpleString:
    """`+1339518083.107412 [0 127.0.0.1:60866] "keys" "*"` as Redis writes it (`[0 lua]` for
    a command a script ran)."""
    now = time.time()
    quoted = " ".join(quote_arg(a) for a in args)
    return SimpleString(f"{now:.6f} [{client.db.index} {origin or client.addr}] {quoted}")


def quote_arg(arg: bytes) -> str:
    """sdscatrepr: a double-quoted string with C-style escapes."""
    out = ['"']
    for byte in bytes(arg):
        ch = chr(byte)
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\a":
            out.append("\\a")
        elif ch == "\b":
            out.append("\\b")
        elif 32 <= byte < 127:
            out.append(ch)
        else:
            out.append("\\x%02x" % byte)
    out.append('"')
    return "".join(out)
