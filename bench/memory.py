"""Memory per key against redis-server: N keys with 16-byte keys and 16-byte values.

Loads the keys through pipelined SETs and reports, for both servers, INFO used_memory growth
and process RSS growth per key.

    python -m bench.memory --keys 1000000

`--accounting` checks Predis's used_memory against its RSS growth instead, for several value
sizes and types and for the eviction policies that keep extra per-key metadata:

    python -m bench.memory --accounting --keys 1000000
"""

import argparse
import socket
import time

from bench.common import rss_of, start_predis, start_redis


def info_used_memory(port: int) -> int:
    reply = _call(port, b"INFO memory\r\n")
    for line in reply.decode().splitlines():
        if line.startswith("used_memory:"):
            return int(line.split(":")[1])
    raise RuntimeError("no used_memory in INFO")


def _call(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(payload)
        data = sock.recv(1 << 20)
        header, _, rest = data.partition(b"\r\n")
        if header.startswith(b"$"):
            size = int(header[1:])
            while len(rest) < size + 2:
                rest += sock.recv(1 << 20)
            return rest[:size]
        return header


def _command(*words: bytes) -> bytes:
    return b"*%d\r\n" % len(words) + b"".join(b"$%d\r\n%b\r\n" % (len(w), w) for w in words)


# name -> (command for key i, reply bytes per command)
SHAPES = {
    "string16": (lambda i: _command(b"SET", b"%016d" % i, b"%016d" % i), 5),
    "string100": (lambda i: _command(b"SET", b"%016d" % i, b"%0100d" % i), 5),
    "string1000": (lambda i: _command(b"SET", b"%016d" % i, b"%01000d" % i), 5),
    "hash10": (lambda i: _command(b"HSET", b"%016d" % i, *[w for f in range(10) for w in (
        b"field%d" % f, b"%08d" % i)]), 5),
    "list10": (lambda i: _command(b"RPUSH", b"%016d" % i, *[b"%08d" % (i + j)
                                                             for j in range(10)]), 5),
    "set10": (lambda i: _command(b"SADD", b"%016d" % i, *[b"m%07d" % (i + j)
                                                           for j in range(10)]), 5),
    "zset10": (lambda i: _command(b"ZADD", b"%016d" % i, *[w for j in range(10) for w in (
        b"%d" % j, b"m%07d" % (i + j))]), 5),
}


def load_keys(port: int, count: int, batch: int = 2000, shape: str = "string16") -> None:
    make, reply_size = SHAPES[shape]
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(120)
        for start in range(0, count, batch):
            stop = min(start + batch, count)
            sock.sendall(b"".join(make(i) for i in range(start, stop)))
            expected = (stop - start) * reply_size
            got = 0
            while got < expected:
                got += len(sock.recv(1 << 20))


def measure(server, count: int, settle_s: float) -> dict:
    """Growth per key, read `settle_s` after the load (the server's housekeeping done: a
    Predis cron folds the access logs and hands freed heap pages back; jemalloc purges)."""
    used_before, rss_before = info_used_memory(server.port), rss_of(server.proc.pid)
    load_keys(server.port, count)
    time.sleep(settle_s)
    used_after, rss_after = info_used_memory(server.port), rss_of(server.proc.pid)
    return {"used_memory_per_key": (used_after - used_before) / count,
            "rss_per_key": (rss_after - rss_before) / count}


def accounting(count: int, shapes: list, policies: list) -> None:
    """Predis's used_memory growth against its RSS growth, per shape and policy."""
    print(f"Predis, {count:,} keys per row: used_memory growth against RSS growth\n")
    print("| shape | maxmemory-policy | used_memory bytes/key | RSS bytes/key | used/RSS |")
    print("|---|---|---|---|---|")
    for shape in shapes:
        for policy in policies:
            server = start_predis(["--maxmemory-policy", policy])
            try:
                used_before, rss_before = info_used_memory(server.port), rss_of(server.proc.pid)
                load_keys(server.port, count, shape=shape)
                _call(server.port, b"PING\r\n")
                used = (info_used_memory(server.port) - used_before) / count
                rss = (rss_of(server.proc.pid) - rss_before) / count
            finally:
                server.stop()
            print(f"| {shape} | {policy} | {used:.1f} | {rss:.1f} | {used / rss:.2f} |",
                  flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--accounting", action="store_true")
    parser.add_argument("--settle", type=float, default=8.0,
                        help="seconds between the load and the reading (default 8)")
    parser.add_argument("--shapes", default="string16,string100,string1000,hash10,list10,"
                                            "set10,zset10")
    parser.add_argument("--policies", default="noeviction,allkeys-learned,allkeys-s3fifo")
    args = parser.parse_args(argv)
    if args.accounting:
        accounting(args.keys, args.shapes.split(","), args.policies.split(","))
        return
    results = {}
    for name, start in (("redis-server", start_redis), ("Predis", start_predis)):
        server = start()
        try:
            results[name] = measure(server, args.keys, args.settle)
        finally:
            server.stop()
    print(f"{args.keys:,} keys, 16-byte keys and values, read {args.settle:g} s after the load\n")
    print("| server | used_memory bytes/key | RSS bytes/key |")
    print("|---|---|---|")
    for name, row in results.items():
        print(f"| {name} | {row['used_memory_per_key']:.1f} | {row['rss_per_key']:.1f} |")
    ref = results["redis-server"]["used_memory_per_key"]
    ours = results["Predis"]
    print(f"\nPredis/redis: used_memory {ours['used_memory_per_key'] / ref:.2f}x, "
          f"RSS {ours['rss_per_key'] / results['redis-server']['rss_per_key']:.2f}x "
          f"(target: <= 1.5x redis used_memory)")


if __name__ == "__main__":
    main()
