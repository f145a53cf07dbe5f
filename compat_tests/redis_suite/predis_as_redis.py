"""Predis in the role of `src/redis-server` for Redis's own test suite.

The suite starts `src/redis-server <config file> [options]` for each server it needs and waits
for " PID: <pid>" and then "Ready to accept connections" on the server's standard output (Redis
prints them in its log). Predis logs through structlog instead, so this launcher prints the two
lines itself, the second once the listeners are open, and otherwise runs `predis-server` with
the same arguments.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)


def main() -> None:
    from ops.cli import main as predis_main
    from server import app

    print(f" PID: {os.getpid()}", flush=True)
    start = app.PredisServer.start

    async def start_then_announce(self, *args, **kwargs):
        await start(self, *args, **kwargs)
        print("Ready to accept connections", flush=True)

    app.PredisServer.start = start_then_announce
    predis_main(sys.argv[1:])


if __name__ == "__main__":
    main()
