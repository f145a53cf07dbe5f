"""What one request costs in process: the redis-benchmark commands, each sent as one read to a
connection on a fake transport (parse, dispatch, handler, reply), no sockets. Medians of
`--rounds` rounds of `-n` requests, in microseconds per command. With `--pipeline P` each read
holds P copies of the request, as redis-benchmark -P P sends them.

    python -m bench.request_cost [-n 50000] [--rounds 3] [--tests get,lpush] [--pipeline 16]
"""

import argparse
import statistics
import time

from tests.fakes import connect, make_server

# the requests redis-benchmark sends for its tests (key names as it writes them)
REQUESTS = {
    "ping": [b"PING"],
    "get": [b"GET", b"key:000000001"],
    "set": [b"SET", b"key:000000001", b"xxx"],
    "incr": [b"INCR", b"counter:000000001"],
    "mset": [b"MSET"] + [b"key:000000001", b"xxx"] * 10,
    "lpush": [b"LPUSH", b"mylist2", b"xxx"],
    "rpush": [b"RPUSH", b"mylist2", b"xxx"],
    "lpop": [b"LPOP", b"mylist2"],
    "rpop": [b"RPOP", b"mylist2"],
    "sadd": [b"SADD", b"myset", b"element:000000001"],
    "hset": [b"HSET", b"myhash", b"element:000000001", b"xxx"],
    "spop": [b"SPOP", b"myset"],
    "zadd": [b"ZADD", b"myzset", b"0", b"element:000000001"],
    "zpopmin": [b"ZPOPMIN", b"myzset"],
    "lrange_100": [b"LRANGE", b"mylist", b"0", b"99"],
    "xadd": [b"XADD", b"mystream", b"*", b"myfield", b"myvalue"],
}


def encode(args: list) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in args)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--requests", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tests", default=",".join(REQUESTS))
    parser.add_argument("-P", "--pipeline", type=int, default=1)
    options = parser.parse_args(argv)
    reads = max(1, options.requests // options.pipeline)
    server = make_server("--predis-sidecar", "no")
    connection, transport = connect(server)
    for _ in range(600):  # LRANGE_100's list, as redis-benchmark fills it first
        connection.data_received(encode([b"LPUSH", b"mylist", b"xxx"]))
    for name in options.tests.split(","):
        request = encode(REQUESTS[name]) * options.pipeline
        timings = []
        for _ in range(options.rounds):
            started = time.perf_counter()
            for _ in range(reads):
                connection.data_received(request)
            timings.append((time.perf_counter() - started) / (reads * options.pipeline) * 1e6)
            transport.writes.clear()
        print(f"{name.upper():12s} {statistics.median(timings):6.2f} us", flush=True)


if __name__ == "__main__":
    main()
