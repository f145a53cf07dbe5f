"""Predis in the role of `src/redis-server` for Redis's own test suite.

The suite starts `src/redis-server <config file> [options]` for each server it needs and waits
for " PID: <pid>" and then "Ready to accept connections" on the server's standard output (Redis
prints them in its log: the first once it listens, the second once its data is loaded). Predis
logs through structlog instead, so this launcher prints the two lines itself at those points,
sends standard error to standard output as Redis logs everything there (the suite looks for
"Failed listening on port" in it), and otherwise runs `predis-server` with the same arguments,
and the ML sidecar off: the suite finds a server's BGSAVE or AOF-rewrite child as its first
child process (`pgrep -P`), which the sidecar's process would otherwise be.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)


def main() -> None:
    from ops.cli import main as predis_main
    from server import app

    os.dup2(1, 2)
    open_listeners, start = app.PredisServer.open_listeners, app.PredisServer.start

    async def open_then_announce(self):
        await open_listeners(self)
        print(f" PID: {os.getpid()}", flush=True)

    async def start_then_announce(self):
        await start(self)
        print("Ready to accept connections", flush=True)

    app.PredisServer.open_listeners = open_then_announce
    app.PredisServer.start = start_then_announce
    predis_main(with_sidecar_off(sys.argv[1:]))


def with_sidecar_off(argv: list) -> list:
    """`--predis-sidecar no` after the config file if there is one, else first (appended, it
    would become the value of a last option left without one: the suite tests those)."""
    if argv and (argv[0] == "-" or not argv[0].startswith("-")):
        return argv[:1] + ["--predis-sidecar", "no"] + argv[1:]
    return ["--predis-sidecar", "no"] + argv


if __name__ == "__main__":
    main()
