"""`predis sim --live`: replay a trace against a running Predis and a running redis-server with
the same maxmemory, and compare hit ratios from INFO (keyspace_hits / keyspace_misses).

Each request is a GET; a miss is followed by a SET of the key (the cache-aside pattern), with the
trace's object size or --value-size bytes. Requests go in pipelined batches: GETs first, then the
SETs for the batch's misses (a key repeated inside one batch misses twice on both servers alike).
Statistics are reset after the warm-up window (--train-fraction), so only the rest is scored.
"""

import argparse
import sys
import time

import redis

from .progress import Progress
from .run import capacity_of
from .traces import read_trace

PER_KEY_OVERHEAD = 64  # rough bytes a server spends per key beyond key and value (for budgets)


def replay_live(client: redis.Redis, trace, values: list, eval_from: int, batch: int,
                progress=None) -> dict:
    keys = [b"k:%x" % (i & 0xFFFFFFFFFFFF) for i in trace.ids.tolist()]
    for start in range(0, len(keys), batch):
        if start <= eval_from < start + batch or (start == 0 and eval_from == 0):
            client.config_resetstat()
        chunk = range(start, min(start + batch, len(keys)))
        pipe = client.pipeline(transaction=False)
        for i in chunk:
            pipe.get(keys[i])
        replies = pipe.execute()
        pipe = client.pipeline(transaction=False)
        for i, value in zip(chunk, replies):
            if value is None:
                pipe.set(keys[i], values[i])
        pipe.execute()
        if progress:
            progress(len(chunk))
    stats = client.info("stats")
    memory = client.info("memory")
    hits, misses = stats["keyspace_hits"], stats["keyspace_misses"]
    return {"hits": hits, "misses": misses, "hit_ratio": hits / max(hits + misses, 1),
            "evicted_keys": stats["evicted_keys"], "keys": client.dbsize(),
            "used_memory": memory["used_memory"]}


def prepare(client: redis.Redis, policy: str) -> int:
    client.flushall()
    client.config_set("maxmemory", 0)
    client.config_set("maxmemory-policy", policy)
    client.config_set("save", "")
    return int(client.info("memory")["used_memory"])


def main(argv) -> int:
    parser = argparse.ArgumentParser(prog="predis sim --live", description=__doc__.split("\n")[0])
    parser.add_argument("trace")
    parser.add_argument("--format", default="auto", choices=("auto", "oracle", "csv", "text"))
    parser.add_argument("--predis", default="redis://127.0.0.1:6379", help="Predis URL")
    parser.add_argument("--redis", default="redis://127.0.0.1:6380", help="redis-server URL")
    parser.add_argument("--predis-policy", default="allkeys-learned")
    parser.add_argument("--redis-policy", default="allkeys-lru")
    parser.add_argument("--size", default="10%", help="data budget: N%% of the footprint (keys, "
                        "values and ~64 bytes each) or NMB; maxmemory = that + the larger empty "
                        "used_memory of the two, the same number for both servers")
    parser.add_argument("--maxmemory", type=int, help="exact maxmemory in bytes instead")
    parser.add_argument("--value-size", type=int, default=100,
                        help="value bytes when the trace has unit sizes")
    parser.add_argument("--max-value-size", type=int, default=1 << 20)
    parser.add_argument("--train-fraction", type=float, default=0.3)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--max-requests", type=int, help="replay only the first N requests")
    args = parser.parse_args(argv)

    trace = read_trace(args.trace, args.format)
    if args.max_requests:
        trace = trace.head(args.max_requests)
    unit = bool((trace.sizes == 1).all())
    sizes = [args.value_size] * len(trace) if unit else \
        [min(int(s), args.max_value_size) for s in trace.sizes.tolist()]
    payloads: dict = {}
    values = [payloads.setdefault(s, b"v" * s) for s in sizes]
    objects, _ = trace.footprint()
    footprint = objects * (10 + (args.value_size if unit else sum(sizes) // len(sizes))
                           + PER_KEY_OVERHEAD)
    servers = {"predis": (redis.Redis.from_url(args.predis), args.predis_policy),
               "redis": (redis.Redis.from_url(args.redis), args.redis_policy)}
    empty = max(prepare(client, policy) for client, policy in servers.values())
    maxmemory = args.maxmemory or empty + capacity_of(args.size, objects, footprint, True)
    eval_from = int(len(trace) * args.train_fraction)
    print(f"{trace.name}: {len(trace)} requests, {objects} keys; maxmemory {maxmemory} bytes "
          f"for both; scored after request {eval_from}", file=sys.stderr)
    results = {}
    for name, (client, policy) in servers.items():
        prepare(client, policy)
        client.config_set("maxmemory", maxmemory)
        progress = Progress(len(trace), f"{name:6s}")
        started = time.perf_counter()
        results[name] = replay_live(client, trace, values, eval_from, args.batch, progress)
        progress.close()
        results[name]["seconds"] = round(time.perf_counter() - started, 1)
        results[name]["policy"] = policy
    print("| server | policy | hit ratio | miss ratio | keys held | evicted | used_memory |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['policy']} | {r['hit_ratio']:.4f} | {1 - r['hit_ratio']:.4f} | "
              f"{r['keys']} | {r['evicted_keys']} | {r['used_memory']} |")
    return 0
