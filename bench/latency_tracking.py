"""What `latency-tracking` costs per command: a GET dispatched in-process, alternating rounds
with the histograms off and on, medians.

    python -m bench.latency_tracking --rounds 6 -n 200000
"""

import argparse
import statistics
import time

from server.client import Client
from server.dispatch import dispatch
from tests.fakes import make_server


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("-n", "--calls", type=int, default=200_000)
    args = parser.parse_args(argv)
    server = make_server("--predis-sidecar", "no")
    client = Client(server, None, 0)
    dispatch(client, [b"SET", b"k", b"v"])
    command = [b"GET", b"k"]
    timings = {False: [], True: []}
    for _ in range(args.rounds):
        for tracking in (False, True):
            server.latency_tracking = tracking
            started = time.perf_counter()
            for _ in range(args.calls):
                dispatch(client, command)
            timings[tracking].append((time.perf_counter() - started) / args.calls * 1e9)
    off, on = (statistics.median(timings[flag]) for flag in (False, True))
    print(f"dispatched GET, median of {args.rounds} rounds of {args.calls}: {off:.0f} ns "
          f"without latency tracking, {on:.0f} ns with (+{on - off:.0f} ns)")


if __name__ == "__main__":
    main()
