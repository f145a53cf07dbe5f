"""Throughput under eviction pressure: redis-benchmark SET with a 10M-key space into a small
maxmemory, for Predis's policies (the learned one against allkeys-lru, the issue's <= 10% cost
target) and redis-server's allkeys-lru, measured in alternation, medians of --runs.

    python -m bench.eviction --runs 3 -n 200000
"""

import argparse
import platform
import statistics
import subprocess
import time

import redis

from bench.common import start_predis, start_redis
from bench.vs_redis import run_benchmark

PREDIS_POLICIES = ("allkeys-lru", "allkeys-learned", "allkeys-s3fifo")


def measure(port: int, policy: str, args, pipeline: int) -> float:
    client = redis.Redis(port=port)
    client.config_set("maxmemory-policy", policy)
    client.close()
    command = ["redis-benchmark", "-p", str(port), "-c", str(args.clients), "-n",
               str(args.requests), "-P", str(pipeline), "-r", "10000000", "-d",
               str(args.value_size), "-q", "-t", "set"]
    out = subprocess.run(command, capture_output=True, timeout=900, check=True).stdout
    rates = run_benchmark.__globals__["_LINE"].findall(out.decode().replace("\r", "\n"))
    return float(rates[-1][1])


def fill(port: int, args) -> dict:
    """Fill to maxmemory first, so every measured SET runs with eviction."""
    client = redis.Redis(port=port)
    client.flushall()
    client.config_set("maxmemory", args.maxmemory)
    client.config_set("maxmemory-policy", "allkeys-lru")
    value = b"x" * args.value_size
    i = 0
    while client.info("stats")["evicted_keys"] == 0:
        pipe = client.pipeline(transaction=False)
        for _ in range(1000):
            pipe.set(f"fill:{i}", value)
            i += 1
        pipe.execute()
    info = client.info()
    client.close()
    return {"keys": info["db0"]["keys"], "used_memory": info["used_memory"]}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("-n", "--requests", type=int, default=200000)
    parser.add_argument("-c", "--clients", type=int, default=50)
    parser.add_argument("-d", "--value-size", type=int, default=100)
    parser.add_argument("--maxmemory", type=int, default=32 << 20)
    parser.add_argument("-P", "--pipelines", default="1,16")
    args = parser.parse_args(argv)

    redis_server, predis = start_redis(), start_predis()
    rows, held = [], {}
    try:
        held["redis"] = fill(redis_server.port, args)
        held["predis"] = fill(predis.port, args)
        for pipeline in [int(p) for p in args.pipelines.split(",")]:
            samples = {("redis", "allkeys-lru"): []}
            samples.update({("predis", p): [] for p in PREDIS_POLICIES})
            for _ in range(args.runs):
                for (name, policy), values in samples.items():
                    port = redis_server.port if name == "redis" else predis.port
                    values.append(measure(port, policy, args, pipeline))
                    time.sleep(0.3)
            lru = samples[("predis", "allkeys-lru")]
            for (name, policy), values in samples.items():
                ratio = statistics.median(v / base for v, base in zip(values, lru))
                rows.append((name, policy, pipeline, statistics.median(values), ratio))
    finally:
        redis_server.stop()
        predis.stop()
    print(f"machine: {platform.machine()}; redis-benchmark -t set -r 10000000 -d "
          f"{args.value_size} -c {args.clients} -n {args.requests}; maxmemory {args.maxmemory};"
          f" full before measuring (redis held {held['redis']['keys']} keys, Predis "
          f"{held['predis']['keys']} under allkeys-lru); medians of {args.runs} alternating "
          f"runs\n")
    print("| server | policy | -P | SET ops/s | / Predis allkeys-lru |")
    print("|---|---|---|---|---|")
    for name, policy, pipeline, rate, ratio in rows:
        print(f"| {name} | {policy} | {pipeline} | {rate:,.0f} | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
