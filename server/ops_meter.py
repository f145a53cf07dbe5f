"""INFO's instantaneous_ops_per_sec, sampled from the cron."""

import time

from .command_table import total_calls


class OpsMeter:
    """instantaneous_ops_per_sec: commands per second over the last 16 cron samples."""

    SAMPLES = 16

    def __init__(self, stats):
        self.stats = stats
        self.samples = []
        self.last = (time.monotonic(), 0)

    def sample(self):
        now, count = time.monotonic(), total_calls()
        then, before = self.last
        if now - then >= 0.1:
            self.samples.append((count - before) / (now - then))
            del self.samples[: -self.SAMPLES]
            self.last = (now, count)

    def per_second(self) -> int:
        return int(sum(self.samples) / len(self.samples)) if self.samples else 0
