"""What the ML loop costs the request path: redis-benchmark GET/SET against Predis with the
sidecar off (no sampling) and with it on at each sampling rate, the servers started side by
side and measured in alternation, medians of `--runs`.

    python -m bench.sampler_overhead --runs 5 -n 200000 --rates 0.01,0.1

Keys are drawn from `-r` random names, so the sampler sees a realistic spread (with one key
it would sample all accesses or none). The sidecar process runs on the same machine and its CPU
use counts: that is the overhead a user would see. After each measurement of a server with a
sidecar the next waits until that sidecar is idle, so leftover sidecar work is not charged to
another server.
"""

import argparse
import platform
import statistics
import time

import redis

from bench.common import alternate, cpu_seconds_of, load_arguments, ratio_table, start_predis
from compat_tests.servers import sidecar_settled_ticks

TESTS = "get,set"


def ml_info(port: int) -> dict:
    client = redis.Redis(port=port)
    reply = client.execute_command("PREDIS.INFO")
    client.close()
    return dict(zip(reply[::2], reply[1::2]))


def fold_cost(rate: float, keys: int = 200_000, log: int = 100_000, rounds: int = 20) -> float:
    """Extra nanoseconds per logged access that sampling adds to the access-log fold (the
    only place it runs on the server), median of `rounds` folds of `log` random accesses."""
    import numpy as np

    from ml.sampler import AccessSampler
    from server.keyspace.keytable import KeyTable

    names = [b"key:%d" % i for i in range(keys)]
    data = dict.fromkeys(names, b"v" * 16)
    rng = np.random.default_rng(0)
    costs = {}
    for sampler in (None, AccessSampler(rate)):
        table = KeyTable()
        table.log.extend(names)
        table.fold(data, {}, 1000, 0, 10, 1)
        timings = []
        for _ in range(rounds):
            table.log.extend(names[i] for i in rng.integers(0, keys, log))
            started = time.perf_counter()
            table.fold(data, {}, 1000, 0, 10, 1, (), sampler, 0)
            timings.append(time.perf_counter() - started)
            if sampler is not None:
                sampler.take()
        costs[sampler is None] = statistics.median(timings) / log * 1e9
    return costs[False] - costs[True]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    load_arguments(parser)
    parser.add_argument("--rates", default="0.01")
    args = parser.parse_args(argv)

    rates = [float(r) for r in args.rates.split(",")]
    servers = {"off": start_predis()}
    for rate in rates:
        servers[rate] = start_predis(("--predis-sample-rate", str(rate)), sidecar=True)
    try:
        pipelines = [int(p) for p in args.pipelines.split(",")]

        def settle(name, server):  # a sidecar's leftover work must not slow the next server
            if name != "off":
                sidecar_settled_ticks(server.port, at_least=0, pause=2.0, timeout=120)

        results = alternate(servers, TESTS, args.runs, args.requests, pipelines, args.clients,
                            extra=["-r", str(args.keyspace)], after_each=settle)
        for name, server in servers.items():
            cpu = cpu_seconds_of(server.proc.pid)
            line = f"server '{name}': {cpu:.1f} s CPU"
            if name != "off":
                info = ml_info(server.port)
                pid = info[b"sidecar_pid"]
                line += (f"; its sidecar {cpu_seconds_of(pid):.1f} s ({cpu_seconds_of(pid) / cpu:.1%}),"
                         f" {info[b'drift_detections']} drifts declared, {info[b'retrains']} "
                         f"retrains")
            print(line)
        print(f"fold with the sampler at 0.01: {fold_cost(0.01):+.1f} ns per logged access "
              f"(at 1.0: {fold_cost(1.0):+.1f} ns)")
        print(f"sampler overhead: {args.runs} runs, -n {args.requests} -c {args.clients} "
              f"-r {args.keyspace}, {platform.node()} ({platform.processor() or 'cpu'})\n")
        print(ratio_table(results, "off", rates, pipelines, TESTS,
                          label=lambda name: "sidecar off" if name == "off" else f"rate {name}"))
    finally:
        for server in servers.values():
            server.stop()


if __name__ == "__main__":
    main()
