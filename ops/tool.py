"""`predis <command>`: the operator's tool. `predis migrate ...` copies a Redis into Predis."""

import sys


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: predis migrate --source redis://host:port[/db] [--target URL] [--tls] "
              "[--live] [--verify] [--state FILE]")
        return 0 if argv else 2
    if argv[0] == "migrate":
        from .migrate import main as migrate

        return migrate(argv[1:])
    print(f"predis: unknown command {argv[0]!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
