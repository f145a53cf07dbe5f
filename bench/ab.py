"""Two Predis versions side by side: this checkout against another one (say `git worktree add
/tmp/start <commit>`), redis-benchmark against each in turn, medians and new/old ratios.

    python -m bench.ab /tmp/start --suite datatypes --runs 3 -n 50000
"""

import argparse
import os

from bench.common import alternate, ratio_table, start_predis
from bench.vs_redis import SUITES


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", help="the other checkout (its root directory)")
    parser.add_argument("--suite", choices=sorted(SUITES), default="core")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("-n", "--requests", type=int, default=50000)
    parser.add_argument("-c", "--clients", type=int, default=50)
    parser.add_argument("-P", "--pipelines", default="1,16")
    args = parser.parse_args(argv)
    tests, commands = SUITES[args.suite]
    pipelines = [int(p) for p in args.pipelines.split(",")]
    os.environ["PREDIS_TEST_FORK"] = "0"  # both exec'd alike (the other cannot be forked)
    servers = {"other": start_predis(tree=args.other), "this": start_predis()}
    try:
        results = alternate(servers, tests, args.runs, args.requests, pipelines, args.clients,
                            commands=commands)
    finally:
        for server in servers.values():
            server.stop()
    names = ",".join(tests.upper().split(",") + [command[0].upper() for command in commands])
    print(ratio_table(results, "other", ["this"], pipelines, names,
                      label=lambda name: args.other if name == "other" else "this checkout"))


if __name__ == "__main__":
    main()
