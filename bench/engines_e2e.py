"""End to end, GPU engine against CPU engine against redis-server: redis-benchmark GET and SET
at -P 1 and MGET of 100 and 1000 keys, same machine, alternating runs. The GPU engine runs
twice: as configured by default (reads of up to gpu-direct-read-keys keys served without a
kernel) and with every read through the lookup kernel (`gpu-kernel`).

    python -m bench.engines_e2e --runs 3     (on a machine with an NVIDIA GPU)
"""

import argparse
import statistics
import subprocess
import time

import redis

from bench.common import start_predis, start_redis
from bench.vs_redis import run_benchmark

KEYS = 1000
TESTS = [("GET", ["-t", "get"], "-P1"), ("SET", ["-t", "set"], "-P1"),
         ("MGET_100", ["MGET", *[f"k:{i}" for i in range(100)]], "MGET 100 keys"),
         ("MGET_1000", ["MGET", *[f"k:{i}" for i in range(KEYS)]], "MGET 1000 keys")]


def requests_per_second(port: int, test, requests: int, clients: int) -> float:
    name, args, _ = test
    if args[0] == "-t":
        return run_benchmark(port, args[1], requests, 1, clients)[name]
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-c", str(clients), "-n",
                          str(requests), "-q", *args], capture_output=True, timeout=900,
                         check=True).stdout.decode(errors="replace").replace("\r", "\n")
    rates = [line.split(": ")[-1].split()[0] for line in out.splitlines()
             if "requests per second" in line]
    return float(rates[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("-c", "--clients", type=int, default=50)
    parser.add_argument("--requests", default="GET=20000,SET=20000,MGET_100=5000,MGET_1000=2000")
    args = parser.parse_args(argv)
    requests = {k: int(v) for k, v in (item.split("=") for item in args.requests.split(","))}
    servers = {"redis": start_redis(), "cpu": start_predis(("--engine", "cpu")),
               "gpu": start_predis(("--engine", "gpu")),
               "gpu-kernel": start_predis(("--engine", "gpu", "--gpu-direct-read-keys", "0"))}
    try:
        for server in servers.values():
            client = redis.Redis(port=server.port)
            client.mset({f"k:{i}": f"value:{i:08d}" for i in range(KEYS)})
            client.close()
        for name, server in servers.items():  # warm-up: the GPU engine compiles its kernels
            for test in TESTS:
                requests_per_second(server.port, test, 200, 5)
        samples = {(test[0], name): [] for test in TESTS for name in servers}
        for _ in range(args.runs):
            for test in TESTS:
                for name, server in servers.items():
                    rate = requests_per_second(server.port, test, requests[test[0]],
                                               args.clients)
                    samples[(test[0], name)].append(rate)
                    print(f"{test[0]} {name}: {rate:,.0f} requests/s", flush=True)
                    time.sleep(0.2)
        info = redis.Redis(port=servers["gpu"].port).info("engine")
    finally:
        for server in servers.values():
            server.stop()
    print(f"GPU engine: {info.get('engine')} on {info.get('engine_device')}; "
          f"redis-benchmark -c {args.clients}; medians of {args.runs} alternating runs\n")
    print("| test | redis ops/s | CPU engine ops/s | GPU engine ops/s | GPU/CPU | "
          "GPU, all reads by kernel | CPU/redis |")
    print("|---|---|---|---|---|---|---|")
    for test, _, label in TESTS:
        med = {name: statistics.median(samples[(test, name)]) for name in servers}
        print(f"| {test} ({label}) | {med['redis']:,.0f} | {med['cpu']:,.0f} | "
              f"{med['gpu']:,.0f} | {med['gpu'] / med['cpu']:.2f}x | "
              f"{med['gpu-kernel']:,.0f} | {med['cpu'] / med['redis']:.2f}x |")


if __name__ == "__main__":
    main()
