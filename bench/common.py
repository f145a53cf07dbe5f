"""Start redis-server and Predis side by side for benchmarks (loopback, free ports), and
measure Predis configurations against one another in alternation."""

import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from compat_tests.servers import start_predis, start_redis  # noqa: E402

__all__ = ["start_predis", "start_redis", "rss_of", "cpu_seconds_of", "alternate",
           "ratio_table", "load_arguments"]


def rss_of(pid: int) -> int:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def cpu_seconds_of(pid: int) -> float:
    """User plus system CPU time the process has used, all its threads (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_arguments(parser, runs: int = 5, requests: int = 200000) -> None:
    """The redis-benchmark load options the side-by-side benchmarks share."""
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("-n", "--requests", type=int, default=requests)
    parser.add_argument("-c", "--clients", type=int, default=50)
    parser.add_argument("-r", "--keyspace", type=int, default=1_000_000)
    parser.add_argument("-P", "--pipelines", default="1,16")


def alternate(servers: dict, tests: str, runs: int, requests: int, pipelines: list,
              clients: int, extra=(), after_each=None, commands=()) -> dict:
    """redis-benchmark against each server in turn, `runs` rounds: {(name, -P, TEST): [rps]}
    (`commands`: custom command lines too, named by their first word).
    `after_each(name, server)` runs after each measurement (e.g. wait for leftover work)."""
    from bench.vs_redis import run_benchmark

    results = {(name, p, t): [] for name in servers for p in pipelines
               for t in tests.upper().split(",")}
    for _ in range(runs):
        for pipeline in pipelines:
            for name, server in servers.items():
                measured = run_benchmark(server.port, tests, requests, pipeline, clients,
                                         commands, extra=extra)
                for test, rps in measured.items():
                    results.setdefault((name, pipeline, test), []).append(rps)
                if after_each is not None:
                    after_each(name, server)
    return results


def ratio_table(results: dict, base: str, others: list, pipelines: list, tests: str,
                label=str) -> str:
    """Markdown: medians of `base` and of each other configuration with its ratio to base
    (`tests`: the rows, comma-separated names as redis-benchmark prints them)."""
    lines = ["| test | -P | " + f"{label(base)} (req/s) | " +
             " | ".join(f"{label(o)} (req/s) | ratio" for o in others) + " |",
             "|---|---|---|" + "---|---|" * len(others)]
    for pipeline in pipelines:
        for test in tests.upper().split(","):
            reference = statistics.median(results[(base, pipeline, test)])
            cells = []
            for other in others:
                median = statistics.median(results[(other, pipeline, test)])
                cells.append(f"{median:,.0f} | {median / reference:.3f}")
            lines.append(f"| {test} | {pipeline} | {reference:,.0f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
