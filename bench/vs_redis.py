"""Throughput against redis-server, measured the same way every time (DESIGN.md section 5).

Starts redis-server and Predis on loopback, runs `redis-benchmark -c 50 -n N -P p -t TESTS`
against each in alternation, `--runs` times, and prints the medians and Predis/redis ratios as a
markdown table.

    python -m bench.vs_redis --runs 3 -n 200000
"""

import argparse
import platform
import re
import statistics
import subprocess
import time

from bench.common import start_predis, start_redis

SUITES = {
    # the server-core issue's rows
    "core": ("ping_inline,ping_mbulk,set,get,incr,mset", []),
    # the data-types issue's rows; redis-benchmark 7.0 has no built-in XADD test, so XADD runs
    # as a custom command line
    "datatypes": ("lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100",
                  [["XADD", "benchstream", "*", "field", "value"]]),
}
# "SET: 1234.5 requests per second", "LRANGE_100 (first 100 elements): ...",
# "XADD benchstream * field value: ..." -> the first word names the row.
_LINE = re.compile(r"^\s*([A-Z_0-9]+)[^:\n]*: ([0-9.]+) requests per second", re.M)


def run_benchmark(port: int, tests: str, requests: int, pipeline: int, clients: int,
                  commands=(), extra=()) -> dict:
    base = ["redis-benchmark", "-p", str(port), "-c", str(clients), "-n", str(requests),
            "-P", str(pipeline), "-q", *extra]
    outputs = [subprocess.run(base + ["-t", tests], capture_output=True, timeout=900,
                              check=True).stdout]
    for command in commands:
        outputs.append(subprocess.run(base + command, capture_output=True, timeout=900,
                                      check=True).stdout)
    text = b"".join(outputs).decode(errors="replace").replace("\r", "\n")
    return {name: float(rps) for name, rps in _LINE.findall(text)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("-n", "--requests", type=int, default=200000)
    parser.add_argument("-c", "--clients", type=int, default=50)
    parser.add_argument("--suite", choices=sorted(SUITES), default="core")
    parser.add_argument("-P", "--pipelines", default="1,16")
    parser.add_argument("--server-args", default="",
                        help="options for both servers, e.g. '--appendonly yes'")
    args = parser.parse_args(argv)

    extra = tuple(args.server_args.split())
    redis_server, predis = start_redis(extra), start_predis(extra)
    try:
        rows = []
        for pipeline in [int(p) for p in args.pipelines.split(",")]:
            samples = {"redis": [], "predis": []}
            for _ in range(args.runs):
                for name, server in (("redis", redis_server), ("predis", predis)):
                    tests, commands = SUITES[args.suite]
                    samples[name].append(run_benchmark(server.port, tests, args.requests,
                                                       pipeline, args.clients, commands))
                    time.sleep(0.5)
            for test in samples["redis"][0]:
                ref = statistics.median(s[test] for s in samples["redis"])
                ours = statistics.median(s.get(test, 0.0) for s in samples["predis"])
                ratios = [p.get(test, 0.0) / r[test]
                          for p, r in zip(samples["predis"], samples["redis"])]
                rows.append((test, pipeline, ref, ours, statistics.median(ratios)))
    finally:
        redis_server.stop()
        predis.stop()

    version = subprocess.run(["redis-server", "--version"], capture_output=True,
                             text=True).stdout.split()[2].removeprefix("v=")
    print(f"machine: {platform.machine()}, {_cpus()} CPUs; redis-server {version}; "
          f"redis-benchmark -c {args.clients} -n {args.requests}; medians of {args.runs} "
          f"alternating runs; both servers with: {args.server_args or 'defaults'}\n")
    print("| test | -P | redis-server ops/s | Predis ops/s | Predis/redis (median of runs) |")
    print("|---|---|---|---|---|")
    for test, pipeline, ref, ours, ratio in rows:
        print(f"| {test} | {pipeline} | {ref:,.0f} | {ours:,.0f} | {ratio:.2f}x |")


def _cpus() -> int:
    import os

    return os.cpu_count() or 0


if __name__ == "__main__":
    main()
