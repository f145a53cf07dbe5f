"""What a fork costs with strings on the GPU engine against the CPU engine and redis-server:
BGSAVE of `--keys` strings of `--size` bytes (DEBUG POPULATE), reporting INFO latest_fork_usec
(for the GPU engine it includes copying the arena's used pages to host memory, which the child
reads since CUDA cannot be used after fork()), the whole BGSAVE's time and the keys the
restarted server loads back.

    python -m bench.fork_cost --keys 200000 --size 1000     (on a machine with an NVIDIA GPU)
"""

import argparse
import statistics
import time

import redis

from bench.common import start_predis, start_redis


def bgsave(client) -> float:
    """One BGSAVE to completion: seconds; fails unless it succeeded."""
    started = time.perf_counter()
    client.bgsave()
    while client.info("persistence")["rdb_bgsave_in_progress"]:
        time.sleep(0.01)
    assert client.info("persistence")["rdb_last_bgsave_status"] == "ok"
    return time.perf_counter() - started


def measure(server, keys: int, size: int, runs: int) -> dict:
    client = redis.Redis(port=server.port)
    client.execute_command("DEBUG", "POPULATE", keys, "key", size)
    on_device = client.info("engine").get("engine_arena_used", 0)
    forks, saves = [], []
    for _ in range(runs):
        saves.append(bgsave(client))
        forks.append(client.info("stats")["latest_fork_usec"])
    client.close()
    restarted = server.again()  # loads the snapshot just written
    client = redis.Redis(port=restarted.port)
    loaded = client.dbsize()
    client.close()
    restarted.stop()
    return {"fork_us": int(statistics.median(forks)), "bgsave_s": statistics.median(saves),
            "loaded": loaded, "on_device": on_device}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=200_000)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--arena", default="1gb", help="the GPU engine's gpu-arena-size")
    parser.add_argument("--servers", default="redis,cpu,gpu")
    args = parser.parse_args(argv)
    save = ("--save", "3600 1")  # a server with no save points writes no snapshot at shutdown
    starters = {"redis": lambda: start_redis(save),
                "cpu": lambda: start_predis(("--engine", "cpu", *save)),
                "gpu": lambda: start_predis(("--engine", "gpu", "--gpu-arena-size", args.arena,
                                             *save))}
    print(f"BGSAVE of {args.keys:,} keys of {args.size} bytes, medians of {args.runs}")
    print("| server | bytes on the GPU | fork (latest_fork_usec) | whole BGSAVE s | keys loaded |")
    print("|---|---|---|---|---|")
    for name in args.servers.split(","):
        result = measure(starters[name](), args.keys, args.size, args.runs)
        print(f"| {name} | {result['on_device']:,} | {result['fork_us']:,} | "
              f"{result['bgsave_s']:.3f} | "
              f"{result['loaded']:,} |", flush=True)


if __name__ == "__main__":
    main()
