"""Start redis-server and Predis side by side for benchmarks (loopback, free ports)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from compat_tests.servers import start_predis, start_redis  # noqa: E402

__all__ = ["start_predis", "start_redis", "rss_of"]


def rss_of(pid: int) -> int:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0
