"""A plain stderr progress bar (requests replayed, rate, ETA); silent when stderr is no TTY
unless forced."""

import sys
import time


class Progress:
    def __init__(self, total: int, label: str = "", enabled: bool | None = None, stream=None):
        self.total = max(total, 1)
        self.done = 0
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.started = time.monotonic()
        self._last_draw = 0.0

    def __call__(self, n: int) -> None:
        self.done = min(self.total, self.done + n)
        now = time.monotonic()
        if self.enabled and (now - self._last_draw > 0.2 or self.done == self.total):
            self._last_draw = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        fraction = self.done / self.total
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate else 0
        bar = "#" * int(30 * fraction)
        self.stream.write(f"\r{self.label} [{bar:<30}] {fraction:6.1%} "
                          f"{rate / 1000:8.0f}k req/s  eta {eta:5.0f}s")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw(time.monotonic())
            self.stream.write("\n")
