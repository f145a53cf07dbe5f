"""What a client waits while another one writes: a probe sends PING every 2 ms over its own
connection while redis-benchmark runs one command (by default `HSET h:__rand_int__ f v`, a new
hash per request: the keyspace grows by millions of containers), then prints the longest round
trips. `--tree` runs another checkout's Predis instead (before/after comparisons).

    python -m bench.stall_probe [-n 1500000] [--tree /tmp/start]
"""

import argparse
import shlex
import socket
import subprocess
import threading
import time

from bench.common import start_predis


def probe(port: int, stop: threading.Event, round_trips: list) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        while not stop.is_set():
            started = time.perf_counter()
            sock.sendall(b"PING\r\n")
            sock.recv(64)
            round_trips.append(time.perf_counter() - started)
            time.sleep(0.002)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--requests", type=int, default=1_500_000)
    parser.add_argument("--command", default="HSET h:__rand_int__ f v")
    parser.add_argument("--tree", default=None, help="another checkout to run")
    args = parser.parse_args(argv)
    server = start_predis() if args.tree is None else start_predis(tree=args.tree)
    stop, round_trips = threading.Event(), []
    prober = threading.Thread(target=probe, args=(server.port, stop, round_trips))
    try:
        prober.start()
        started = time.time()
        subprocess.run(["redis-benchmark", "-p", str(server.port), "-r", "100000000", "-n",
                        str(args.requests), "-P", "16", "-c", "2", "-q",
                        *shlex.split(args.command)], capture_output=True, check=True)
        took = time.time() - started
    finally:
        stop.set()
        prober.join()
        server.stop()
    ms = sorted(1000 * rtt for rtt in round_trips)
    print(f"{args.tree or 'this checkout'}: {args.requests:,} x {args.command!r} in {took:.1f} s;"
          f" {len(ms)} probes, max {ms[-1]:.0f} ms, p99.9 {ms[int(len(ms) * 0.999)]:.1f} ms,"
          f" {sum(t > 100 for t in ms)} over 100 ms")


if __name__ == "__main__":
    main()
