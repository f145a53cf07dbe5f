"""`predis sim` and `predis train`: the command lines over ml/sim and ml/train."""

import argparse
import json
import sys
import time

from .references import REFERENCES
from .simulate import PREDIS_POLICIES
from .traces import read_trace

DEFAULT_POLICIES = ("allkeys-lru", "allkeys-lfu", "allkeys-s3fifo", "allkeys-learned")


def _trace_arguments(parser):
    parser.add_argument("traces", nargs="*", help="trace files")
    parser.add_argument("--trace", action="append", default=[], dest="more_traces",
                        help="a trace file (repeatable; same as listing it)")
    parser.add_argument("--format", default="auto", choices=("auto", "oracle", "csv", "text"),
                        help="oracle: libCacheSim oracleGeneral (.zst too); csv; text: one key "
                             "per line (default: by file name)")
    parser.add_argument("--csv-key", type=int, default=0, help="CSV column of the key")
    parser.add_argument("--csv-size", type=int, help="CSV column of the object size")
    parser.add_argument("--csv-time", type=int, help="CSV column of the timestamp (seconds)")
    parser.add_argument("--csv-delimiter", default=",")
    parser.add_argument("--csv-header", action="store_true", help="skip the first CSV line")


def load_traces(args) -> list:
    args.traces = list(args.traces) + args.more_traces
    if not args.traces:
        raise SystemExit("predis: no trace given")
    options = {}
    if args.format == "csv" or any(p.endswith(".csv") for p in args.traces):
        options = {"key_col": args.csv_key, "size_col": args.csv_size,
                   "time_col": args.csv_time, "delimiter": args.csv_delimiter,
                   "header": args.csv_header}
    return [read_trace(path, args.format, **options) if options else read_trace(path, args.format)
            for path in args.traces]


def sim_main(argv) -> int:
    parser = argparse.ArgumentParser(prog="predis sim", description=(
        "Replay cache traces through Predis's eviction code (the kernels the server runs) and "
        "libCacheSim's reference policies; print miss ratios per policy and cache size."))
    _trace_arguments(parser)
    parser.add_argument("--sizes", default="1%,10%", help="comma-separated: N%% of the "
                        "footprint, N objects, or NKB/NMB/NGB (default 1%%,10%%)")
    parser.add_argument("--bytes", action="store_true",
                        help="byte-sized caches using the trace's object sizes (default: "
                             "object-count caches)")
    parser.add_argument("--policies", default=",".join(DEFAULT_POLICIES),
                        help=f"Predis policies, of {', '.join(PREDIS_POLICIES)}")
    parser.add_argument("--references", default=",".join(REFERENCES),
                        help="libCacheSim policies ('' for none)")
    parser.add_argument("--train-fraction", type=float, default=0.3,
                        help="the first part of each trace only warms caches and trains; "
                             "misses are counted on the rest (default 0.3)")
    parser.add_argument("--model", help="model .npz for allkeys-learned (default: shipped)")
    parser.add_argument("--train-per-trace", action="store_true",
                        help="train allkeys-learned's model on each trace's training window")
    parser.add_argument("--json", help="write results and scoreboard as JSON")
    parser.add_argument("--plot", help="write a miss-ratio-curve PNG")
    parser.add_argument("--table", help="write the Markdown table to this file")
    parser.add_argument("--progress", choices=("auto", "yes", "no"), default="auto")
    args = parser.parse_args(argv)

    from ..model import EvictionModel
    from .progress import Progress
    from .report import plot, scoreboard, table, write_json
    from .run import Study, run_study

    policies = [p for p in args.policies.split(",") if p]
    unknown = [p for p in policies if p not in PREDIS_POLICIES]
    references = [r for r in args.references.split(",") if r]
    unknown += [r for r in references if r not in REFERENCES]
    if unknown:
        parser.error(f"unknown policies: {', '.join(unknown)}")
    traces = load_traces(args)
    sizes = [s for s in args.sizes.split(",") if s]
    study = Study(sizes, policies, references, args.train_fraction, args.bytes,
                  EvictionModel.load(args.model) if args.model else None, args.train_per_trace)
    total = sum(len(t) for t in traces) * len(sizes) * (len(policies) + len(references))
    progress = Progress(total, "replay", {"auto": None, "yes": True, "no": False}[args.progress])
    log = lambda text: print(text, file=sys.stderr)  # noqa: E731
    log(f"misses counted after the first {args.train_fraction:.0%} of each trace "
        f"(training/warm-up window); {'byte' if args.bytes else 'object'}-sized caches")
    started = time.perf_counter()
    results = run_study(study, traces, progress, log)
    progress.close()
    text = table(results) + "\n\nbyte miss ratio\n\n" + table(results, "byte_miss_ratio") \
        if args.bytes else table(results)
    print(text)
    board = scoreboard(results)
    print("\n" + json.dumps(board))
    meta = {"argv": argv, "seconds": round(time.perf_counter() - started, 1),
            "train_fraction": args.train_fraction, "unit": "bytes" if args.bytes else "objects"}
    if args.table:
        with open(args.table, "w") as handle:
            handle.write(text + "\n")
    if args.json:
        write_json(results, args.json, meta)
    if args.plot:
        plot(results, args.plot)
    return 0


def train_main(argv) -> int:
    parser = argparse.ArgumentParser(prog="predis train", description=(
        "Train the learned eviction model on the first part of traces (labels from each "
        "trace's future) and export it as .npz for the server (no torch at serving time)."))
    _trace_arguments(parser)
    parser.add_argument("--out", required=True, help="where to write the model (.npz)")
    parser.add_argument("--train-fraction", type=float, default=0.3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--bytes", action="store_true", help="train on byte-sized caches")
    parser.add_argument("--bytes-trace", action="append", default=[], help=(
        "a trace to train on as byte-sized caches too, whatever --bytes says (repeatable): "
        "the model learns value per byte from traces with real object sizes"))
    args = parser.parse_args(argv)

    from ..train import train
    from .traces import read_trace

    traces = load_traces(args)
    if not args.bytes:
        traces = [t.with_unit_sizes() for t in traces]
    traces += [read_trace(path) for path in args.bytes_trace]
    model = train(traces, args.train_fraction, args.rounds, args.epochs,
                  log=lambda text: print(text, file=sys.stderr))
    model.meta["command"] = "predis train " + " ".join(argv)
    model.save(args.out)
    print(f"model written to {args.out} ({model.meta['rows']} training rows)")
    return 0
