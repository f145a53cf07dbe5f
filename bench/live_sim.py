"""The live comparison: traces replayed with redis-py pipelines against Predis and redis-server
started side by side with the same maxmemory (`predis sim --live` on each trace and size), hit
ratios from INFO. Predis runs allkeys-learned and allkeys-lru; redis-server allkeys-lru.

    python -m bench.live_sim --traces ../shared/traces/lirs_multi3.oracleGeneral.bin.zst
"""

import argparse
import contextlib
import glob
import io
import re

from bench.common import start_predis, start_redis
from ml.sim.live import main as live

_ROW = re.compile(r"^\| (predis|redis) \| (\S+) \| ([0-9.]+) \| ([0-9.]+) \| (\d+) \|", re.M)


def run(trace: str, size: str, predis_port: int, redis_port: int, policy: str,
        value_size: int, max_requests: int) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        live([trace, "--predis", f"redis://127.0.0.1:{predis_port}",
              "--redis", f"redis://127.0.0.1:{redis_port}", "--predis-policy", policy,
              "--size", size, "--value-size", str(value_size),
              "--max-requests", str(max_requests)])
    return {name: {"policy": pol, "miss_ratio": float(miss), "keys": int(keys)}
            for name, pol, _, miss, keys in _ROW.findall(out.getvalue())}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", nargs="+",
                        default=sorted(glob.glob("../shared/traces/*.oracleGeneral.bin.zst")))
    parser.add_argument("--sizes", default="1%,10%")
    parser.add_argument("--value-size", type=int, default=1000)
    parser.add_argument("--max-requests", type=int, default=200_000,
                        help="replay at most this many requests of each trace")
    args = parser.parse_args(argv)
    redis_server, predis = start_redis(), start_predis()
    print(f"value size {args.value_size} bytes for unit-size traces; at most "
          f"{args.max_requests} requests per trace; miss ratio after the first 30%; the same "
          f"maxmemory for both servers\n")
    print("| trace | size | redis allkeys-lru | Predis allkeys-lru | Predis allkeys-learned | "
          "keys held (redis / Predis lru / learned) |")
    print("|---|---|---|---|---|---|")
    ratios = []
    try:
        for trace in args.traces:
            for size in args.sizes.split(","):
                learned = run(trace, size, predis.port, redis_server.port, "allkeys-learned",
                              args.value_size, args.max_requests)
                lru = run(trace, size, predis.port, redis_server.port, "allkeys-lru",
                          args.value_size, args.max_requests)
                ref = learned["redis"]["miss_ratio"]
                ratios.append(learned["predis"]["miss_ratio"] / ref if ref else 1.0)
                name = trace.rsplit("/", 1)[-1].split(".")[0]
                print(f"| {name} | {size} | {ref:.4f} | {lru['predis']['miss_ratio']:.4f} | "
                      f"{learned['predis']['miss_ratio']:.4f} | {learned['redis']['keys']} / "
                      f"{lru['predis']['keys']} / {learned['predis']['keys']} |", flush=True)
    finally:
        redis_server.stop()
        predis.stop()
    print(f"\nmean Predis allkeys-learned / redis allkeys-lru miss ratio: "
          f"{sum(ratios) / len(ratios):.3f}")


if __name__ == "__main__":
    main()
