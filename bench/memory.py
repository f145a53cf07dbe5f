"""Memory per key against redis-server: N keys with 16-byte keys and 16-byte values.

Loads the keys through pipelined SETs and reports, for both servers, INFO used_memory growth
and process RSS growth per key.

    python -m bench.memory --keys 1000000
"""

import argparse
import socket

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


def load_keys(port: int, count: int, batch: int = 2000) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(120)
        for start in range(0, count, batch):
            stop = min(start + batch, count)
            payload = b"".join(
                b"*3\r\n$3\r\nSET\r\n$16\r\n%016d\r\n$16\r\n%016d\r\n" % (i, i)
                for i in range(start, stop))
            sock.sendall(payload)
            expected = (stop - start) * 5
            got = 0
            while got < expected:
                got += len(sock.recv(1 << 20))


def measure(server, count: int) -> dict:
    used_before, rss_before = info_used_memory(server.port), rss_of(server.proc.pid)
    load_keys(server.port, count)
    used_after, rss_after = info_used_memory(server.port), rss_of(server.proc.pid)
    return {"used_memory_per_key": (used_after - used_before) / count,
            "rss_per_key": (rss_after - rss_before) / count}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    results = {}
    for name, start in (("redis-server", start_redis), ("Predis", start_predis)):
        server = start()
        try:
            results[name] = measure(server, args.keys)
        finally:
            server.stop()
    print(f"{args.keys:,} keys, 16-byte keys and values\n")
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
