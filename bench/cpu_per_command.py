"""CPU time per command, user and kernel, of redis-server and Predis serving the same
redis-benchmark load: where a pipelined GET's time goes, as /proc/<pid>/stat counts it.

    python -m bench.cpu_per_command [--requests 400000] [--pipeline 16] [--test get]

Each server gets 10,000 SETs first (the keys GET reads), then the measured run; the figures
are microseconds of the server process's CPU per request, with its minor page faults and
context switches per request.
"""

import argparse
import os
import subprocess

from compat_tests.servers import start_predis, start_redis

TICK = os.sysconf("SC_CLK_TCK")


def counters(pid: int) -> dict:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    found = {"minor faults": int(fields[7]), "user us": int(fields[11]) / TICK * 1e6,
             "kernel us": int(fields[12]) / TICK * 1e6}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                name, value = line.split(":")
                found[name.split("_")[0] + " switches"] = int(value)
    return found


def benchmark(port: int, *args: str) -> str:
    run = subprocess.run(["redis-benchmark", "-p", str(port), "-q", *args], check=True,
                         capture_output=True, text=True)
    lines = [line.strip() for line in run.stdout.replace("\r", "\n").splitlines()]
    return [line for line in lines if line][-1]  # (the summary, after the progress lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400000)
    parser.add_argument("--pipeline", type=int, default=16)
    parser.add_argument("--test", default="get")
    options = parser.parse_args()
    for name, start in (("redis-server", start_redis), ("predis", start_predis)):
        server = start()
        try:
            benchmark(server.port, "-t", "set", "-n", "10000")
            before = counters(server.proc.pid)
            line = benchmark(server.port, "-t", options.test, "-P", str(options.pipeline),
                             "-n", str(options.requests), "-c", "50")
            after = counters(server.proc.pid)
        finally:
            server.stop()
        per_request = {key: round((after[key] - before[key]) / options.requests, 4)
                       for key in before}
        print(f"{name:13s} {line}\n{'':13s} per request: {per_request}", flush=True)


if __name__ == "__main__":
    main()
