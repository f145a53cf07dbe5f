"""Throughput under eviction pressure: redis-benchmark SET with a 10M-key space into a small
maxmemory, for Predis's policies (the learned one against allkeys-lru, the issue's <= 10% cost
target) and redis-server's allkeys-lru, measured in alternation, medians of --runs.

Each policy has a server of its own, started with it and filled under it: switching one
server's policy between runs would bill the switch (a learned policy's history records and
shadows claim memory, so its first seconds evict in bulk; going back to LRU frees that memory
and its first seconds evict nothing) to the runs that follow.

Besides ops/s, each row gives the server's CPU time per SET (its process's user + system time
over the run, /proc). On this 2-core machine the load generator and four servers share the
cores, and ops/s moves with the scheduler by +-10% from run to run; CPU time per SET is the
cost itself. The servers' order rotates from round to round, so none always follows another.

    python -m bench.eviction --runs 5 -n 200000
"""

import argparse
import platform
import statistics
import subprocess
import time

import redis

from bench.common import cpu_seconds_of, start_predis, start_redis
from bench.vs_redis import run_benchmark

PREDIS_POLICIES = ("allkeys-lru", "allkeys-learned", "allkeys-s3fifo")


def measure(server, args, pipeline: int) -> tuple:
    """(SET ops/s, the server's CPU microseconds per SET) of one redis-benchmark run."""
    command = ["redis-benchmark", "-p", str(server.port), "-c", str(args.clients), "-n",
               str(args.requests), "-P", str(pipeline), "-r", "10000000", "-d",
               str(args.value_size), "-q", "-t", "set"]
    cpu_before = cpu_seconds_of(server.proc.pid)
    out = subprocess.run(command, capture_output=True, timeout=900, check=True).stdout
    cpu_us = (cpu_seconds_of(server.proc.pid) - cpu_before) / args.requests * 1e6
    rates = run_benchmark.__globals__["_LINE"].findall(out.decode().replace("\r", "\n"))
    return float(rates[-1][1]), cpu_us


def fill(port: int, policy: str, args) -> dict:
    """Fill to maxmemory first, so every measured SET runs with eviction, and on by a quarter
    of what it holds, so that what the first evictions set up (allkeys-learned's shadows) is
    in place before measuring."""
    client = redis.Redis(port=port)
    client.flushall()
    client.config_set("maxmemory", args.maxmemory)
    client.config_set("maxmemory-policy", policy)
    value = b"x" * args.value_size
    written = 0

    def evicted() -> int:
        return client.info("stats")["evicted_keys"]

    def write_batch() -> None:
        nonlocal written
        pipe = client.pipeline(transaction=False)
        for i in range(written, written + 1000):
            pipe.set(f"fill:{i}", value)
        pipe.execute()
        written += 1000

    while not evicted():
        write_batch()
    target = client.dbsize() // 4
    while evicted() < target:
        write_batch()
    info = client.info()
    client.close()
    return {"keys": info["db0"]["keys"], "used_memory": info["used_memory"]}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("-n", "--requests", type=int, default=200000)
    parser.add_argument("-c", "--clients", type=int, default=50)
    parser.add_argument("-d", "--value-size", type=int, default=100)
    parser.add_argument("--maxmemory", type=int, default=32 << 20)
    parser.add_argument("-P", "--pipelines", default="1,16")
    args = parser.parse_args(argv)

    servers = {("redis", "allkeys-lru"): start_redis()}
    rows, held = [], {}
    try:
        for policy in PREDIS_POLICIES:
            servers[("predis", policy)] = start_predis()
        for (name, policy), server in servers.items():
            held[(name, policy)] = fill(server.port, policy, args)
        keys = list(servers)
        for pipeline in [int(p) for p in args.pipelines.split(",")]:
            samples = {key: [] for key in servers}
            for run in range(args.runs):
                for key in keys[run % len(keys):] + keys[:run % len(keys)]:
                    samples[key].append(measure(servers[key], args, pipeline))
                    time.sleep(0.3)
            lru = samples[("predis", "allkeys-lru")]
            for (name, policy), values in samples.items():
                rates, cpu = [v[0] for v in values], [v[1] for v in values]
                rate_ratio = statistics.median(v[0] / base[0] for v, base in zip(values, lru))
                cpu_ratio = statistics.median(base[1] / v[1] for v, base in zip(values, lru))
                rows.append((name, policy, pipeline, statistics.median(rates), rate_ratio,
                             statistics.median(cpu), cpu_ratio))
    finally:
        for server in servers.values():
            server.stop()
    keys = ", ".join(f"{name} {policy} {info['keys']}" for (name, policy), info in held.items())
    print(f"machine: {platform.machine()}; redis-benchmark -t set -r 10000000 -d "
          f"{args.value_size} -c {args.clients} -n {args.requests}; maxmemory {args.maxmemory};"
          f" one server per policy, full before measuring (keys held: {keys}); medians of "
          f"{args.runs} alternating runs\n")
    print("| server | policy | -P | SET ops/s | / Predis allkeys-lru | server CPU us/SET | "
          "allkeys-lru's CPU / this |")
    print("|---|---|---|---|---|---|---|")
    for name, policy, pipeline, rate, ratio, cpu, cpu_ratio in rows:
        print(f"| {name} | {policy} | {pipeline} | {rate:,.0f} | {ratio:.2f}x | {cpu:.2f} | "
              f"{cpu_ratio:.2f}x |")


if __name__ == "__main__":
    main()
