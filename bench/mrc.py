"""SHARDS miss-ratio-curve accuracy: estimated LRU miss ratios (ml/sidecar/mrc.py) against a
full LRU replay (libCacheSim) at 1%, 2%, 5%, 10%, 20% and 50% of each trace's unique objects.

    python -m bench.mrc
"""

import argparse
import glob

import numpy as np

from ml.sidecar.mrc import lru_mrc
from ml.sim.references import run_reference
from ml.sim.traces import read_oracle

FRACTIONS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", nargs="+",
                        default=sorted(glob.glob("../shared/traces/*.oracleGeneral.bin.zst")))
    parser.add_argument("--rates", default="0.1,0.01")
    args = parser.parse_args(argv)
    rates = [float(r) for r in args.rates.split(",")]
    print("mean absolute error of the estimated LRU miss ratio over six cache sizes\n")
    print("| trace | " + " | ".join(f"rate {r}, adjusted | rate {r}, raw" for r in rates) + " |")
    print("|---|" + "---|---|" * len(rates))
    totals = np.zeros(2 * len(rates))
    for path in args.traces:
        trace = read_oracle(path).with_unit_sizes()
        objects, _ = trace.footprint()
        sizes = [max(10, int(objects * f)) for f in FRACTIONS]
        exact = {s: run_reference(trace, s, "LRU")["miss_ratio"] for s in sizes}
        errors = []
        for rate in rates:
            for adjust in (True, False):
                estimate = lru_mrc(trace.ids, sizes, rate, adjust)
                errors.append(np.mean([abs(estimate[s] - exact[s]) for s in sizes]))
        totals += errors
        print(f"| {trace.name} | " + " | ".join(f"{e:.4f}" for e in errors) + " |")
    print("| mean | " + " | ".join(f"{t / len(args.traces):.4f}" for t in totals) + " |")


if __name__ == "__main__":
    main()
