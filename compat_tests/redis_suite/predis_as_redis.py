"""Predis in the role of `src/redis-server` for Redis's own test suite.

The suite starts `src/redis-server <config file> [options]` for each server it needs and waits
for " PID: <pid>" (newer suites for "Server initialized" after it) and then "Ready to accept
connections" on the server's standard output (Redis prints them in its log: the first ones
once it listens, the last once its data is loaded). Predis
logs through structlog instead, so this launcher prints the two lines itself at those points,
sends standard error to standard output as Redis logs everything there (the suite looks for
"Failed listening on port" in it), and otherwise runs `predis-server` with the same arguments,
with the ML sidecar off: the suite finds a server's BGSAVE or AOF-rewrite child as its first
child process (`pgrep -P`), which the sidecar's process would otherwise be.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)


def main() -> None:
    from ops import cli
    from ops.cli import main as predis_main
    from server import app

    os.dup2(1, 2)
    open_listeners, start = app.PredisServer.open_listeners, app.PredisServer.start

    async def open_then_announce(self):
        await open_listeners(self)
        print(f" PID: {os.getpid()}", flush=True)
        print("Server initialized", flush=True)  # (newer suites wait for it too)

    async def start_then_announce(self):
        await start(self)
        print("Ready to accept connections", flush=True)

    app.PredisServer.open_listeners = open_then_announce
    app.PredisServer.start = start_then_announce
    build_config = cli.build_config

    def sidecar_off(argv):  # (set after parsing: an extra argument would change its meaning)
        config = build_config(argv)
        config.set_many([("predis-sidecar", "no")], at_start=True)
        return config

    cli.build_config = sidecar_off
    # the process title's {title} is the program as the suite ran it, src/redis-server (the
    # wrapper run.sh writes, which passes its path on)
    sys.argv[0] = os.environ.pop("PREDIS_RUN_AS", sys.argv[0])
    predis_main(sys.argv[1:])


if __name__ == "__main__":
    main()
