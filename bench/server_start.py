"""How long the tests wait for a server to start: from the call to the first PONG, for
redis-server, a Predis exec'd as `python -m predis`, and a Predis forked from the tests'
launcher (compat_tests/launcher.py). Medians of --runs starts; each server is stopped after.

    python -m bench.server_start [--runs 7]
"""

import argparse
import os
import statistics
import time

from compat_tests.servers import start_predis, start_redis


def _timed_starts(start, runs: int) -> list:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        server = start()
        times.append(time.perf_counter() - began)
        server.stop()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    rows = [("redis-server", start_redis, None), ("predis, exec'd", start_predis, "0"),
            ("predis, forked from the launcher", start_predis, "1")]
    start_predis().stop()  # (the launcher's own start, imports and kernel loading, not timed)
    for label, start, fork in rows:
        if fork is not None:
            os.environ["PREDIS_TEST_FORK"] = fork
        times = _timed_starts(start, runs)
        print(f"{label:34s} median {statistics.median(times) * 1e3:7.1f} ms "
              f"(min {min(times) * 1e3:.1f}, max {max(times) * 1e3:.1f})", flush=True)


if __name__ == "__main__":
    main()
