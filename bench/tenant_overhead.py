"""What tenant accounting costs the request path: redis-benchmark GET/SET against Predis with
no tenants, with every benchmark key in a tenant without a quota (accounting and metrics only:
the pipelined run path stays) and with a quota far from reached (every command checked on its
own), the servers side by side and measured in alternation, medians of `--runs`.

    python -m bench.tenant_overhead --runs 5 -n 200000
"""

import argparse
import platform

from bench.common import alternate, load_arguments, ratio_table, start_predis

TESTS = "get,set"
CONFIGS = {"no tenants": (), "accounting": ("--predis-tenants", "key: 0"),
           "quota": ("--predis-tenants", "key: 10gb")}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    load_arguments(parser)
    args = parser.parse_args(argv)
    servers = {name: start_predis(options) for name, options in CONFIGS.items()}
    try:
        pipelines = [int(p) for p in args.pipelines.split(",")]
        results = alternate(servers, TESTS, args.runs, args.requests, pipelines, args.clients,
                            extra=["-r", str(args.keyspace)])
        print(f"tenant overhead: {args.runs} runs, -n {args.requests} -c {args.clients} "
              f"-r {args.keyspace}, {platform.node()} ({platform.processor() or 'cpu'})\n")
        print(ratio_table(results, "no tenants", ["accounting", "quota"], pipelines, TESTS))
    finally:
        for server in servers.values():
            server.stop()


if __name__ == "__main__":
    main()
