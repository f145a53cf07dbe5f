"""Miss-ratio-curve accuracy: estimated LRU miss ratios (ml/sidecar/mrc.py) against a full LRU
replay (libCacheSim) at 1%, 2%, 5%, 10%, 20% and 50% of each trace's unique objects, for SHARDS
(a spatial sample of the keys, with and without its adjustment) and for the reuse-time sample
the sidecar's LRU curve comes from (ml/reuse.py: a random sample of the accesses, by AET).

    python -m bench.mrc                      # one hash function and one draw
    python -m bench.mrc --seeds 8 --floor    # mean over 8 of them, and SHARDS's floor

`--seeds N` re-hashes the keys with N different seeds, so that which keys fall in SHARDS's
sample changes, and draws the reuse-time sample with N seeds: the mean error over them is the
estimator's typical error, not one draw's. `--floor`
adds the sampling error alone: the expected error of SHARDS's ratio estimate at that rate if
every sampled key's LRU hits and misses were known exactly (the per-key spread of misses
against requests, linearized, so an approximation for skewed traces), for scale against the
estimates.
"""

import argparse
import glob

import numpy as np

from ml.sidecar.mrc import _stack_distances, lru_mrc, reuse_mrc
from ml.sim.references import run_reference
from ml.sim.traces import mix, read_oracle

FRACTIONS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)


def mean_errors(ids, sizes, exact, rate: float, seeds: int) -> tuple:
    """(SHARDS adjusted, SHARDS raw, reuse times) mean absolute error over the sizes, averaged
    over `seeds` hashes (SHARDS) and random draws (reuse times)."""
    errors = np.zeros(3)
    for seed in range(seeds):
        hashed = ids if seed == 0 else mix(ids ^ np.int64(seed * 7919 + 1))
        estimates = (lru_mrc(hashed, sizes, rate, True), lru_mrc(hashed, sizes, rate, False),
                     reuse_mrc(ids, sizes, rate, seed))
        for column, estimate in enumerate(estimates):
            errors[column] += np.mean([abs(estimate[s] - exact[s]) for s in sizes])
    return tuple(errors / seeds)


def sampling_floor(ids, sizes, rate: float) -> float:
    """Expected absolute error of the sampled miss ratio with exact per-key misses (the
    error from which keys are sampled alone): the
    ratio estimate's linearized standard deviation over Bernoulli(rate) key inclusion
    (x 0.798, E|N(0, sd)|), averaged over the sizes."""
    _, key_of = np.unique(ids, return_inverse=True)
    distances = _stack_distances(np.ascontiguousarray(ids, np.int64), 1 << 24)
    requests = np.bincount(key_of).astype(float)
    floors = []
    for size in sizes:
        misses = np.bincount(key_of, weights=((distances < 0) | (distances >= size)).astype(
            float), minlength=len(requests))
        ratio = misses.sum() / len(ids)
        spread = ((misses - ratio * requests) ** 2).sum()
        floors.append(0.798 * np.sqrt((1 - rate) / rate * spread) / len(ids))
    return float(np.mean(floors))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", nargs="+",
                        default=sorted(glob.glob("../shared/traces/*.oracleGeneral.bin.zst")))
    parser.add_argument("--rates", default="0.1,0.01")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--floor", action="store_true")
    args = parser.parse_args(argv)
    rates = [float(r) for r in args.rates.split(",")]
    kinds = ("SHARDS adjusted", "SHARDS raw", "reuse (AET)") + (
        ("SHARDS floor",) if args.floor else ())
    columns = [f"rate {r}, {kind}" for r in rates for kind in kinds]
    print("mean absolute error of the estimated LRU miss ratio over six cache sizes"
          + (f", mean of {args.seeds} hash functions" if args.seeds > 1 else "") + "\n")
    print("| trace | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    totals = np.zeros(len(columns))
    for path in args.traces:
        trace = read_oracle(path).with_unit_sizes()
        objects, _ = trace.footprint()
        sizes = [max(10, int(objects * f)) for f in FRACTIONS]
        exact = {s: run_reference(trace, s, "LRU")["miss_ratio"] for s in sizes}
        row = []
        for rate in rates:
            row.extend(mean_errors(trace.ids, sizes, exact, rate, args.seeds))
            if args.floor:
                row.append(sampling_floor(trace.ids, sizes, rate))
        totals += row
        print(f"| {trace.name} | " + " | ".join(f"{e:.4f}" for e in row) + " |")
    print("| mean | " + " | ".join(f"{t / len(args.traces):.4f}" for t in totals) + " |")


if __name__ == "__main__":
    main()
