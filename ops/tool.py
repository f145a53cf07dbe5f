"""`predis <command>`: the operator's tool. `predis migrate ...` copies a Redis into Predis;
`predis sim ...` replays cache traces through the eviction policies; `predis train ...` trains
the learned eviction model; `predis upgrade` replaces a running server without downtime."""

import sys


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: predis migrate --source redis://host:port[/db] [--target URL] [--tls] "
              "[--live] [--verify] [--state FILE]\n"
              "       predis sim TRACE... [--sizes 1%,10%] [--live ...] (predis sim --help)\n"
              "       predis train TRACE... --out model.npz (predis train --help)\n"
              "       predis upgrade [--host H] [--port P] [--new-command CMD] "
              "(predis upgrade --help)")
        return 0 if argv else 2
    if argv[0] == "migrate":
        from .migrate import main as migrate

        return migrate(argv[1:])
    if argv[0] == "upgrade":
        from .upgrade import main as upgrade

        return upgrade(argv[1:])
    if argv[0] == "sim":
        if "--live" in argv:
            from ml.sim.live import main as live

            return live([a for a in argv[1:] if a != "--live"])
        from ml.sim.cli import sim_main

        return sim_main(argv[1:])
    if argv[0] == "train":
        from ml.sim.cli import train_main

        return train_main(argv[1:])
    print(f"predis: unknown command {argv[0]!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
