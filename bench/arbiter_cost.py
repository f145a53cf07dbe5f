"""Where allkeys-learned's replay time goes: each of the arbiter's three shadow caches
(ml/arbiter.py) alone over a whole trace, in ns per request.

    python -m bench.arbiter_cost ../shared/traces/lirs_multi2.oracleGeneral.bin.zst --objects 56

The real cache's own evictions come on top (`predis sim --policies volatile-learned` gives the
model alone).
"""

import argparse
import os
import sys
import time

from numba import njit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ml import arbiter  # noqa: E402
from ml.sim.simulate import model_arrays  # noqa: E402
from ml.sim.traces import read_trace  # noqa: E402

NAMES = ("s3fifo", "learned", "recency")  # arbiter.EXPERTS' order


@njit
def feed_one_shadow(shadows, expert, ids, times, shift, scale, w1, b1, w2, b2, w3, b3):
    """Every request of the trace to one shadow (a tuple of shadows is indexed by constants
    only, hence the branches)."""
    stats = shadows[9]
    capacity = int(stats[arbiter.SHADOW_CAP])
    workspace, victims = arbiter.new_work(w1)
    decay = 1.0 - 1.0 / (16.0 * capacity)
    for i in range(ids.size):
        if expert == 0:
            arbiter._feed(shadows[0], shadows[1], shadows[2], stats, 0, ids[i], times[i],
                          capacity, decay, shift, scale, w1, b1, w2, b2, w3, b3, workspace,
                          victims)
        elif expert == 1:
            arbiter._feed(shadows[3], shadows[4], shadows[5], stats, 1, ids[i], times[i],
                          capacity, decay, shift, scale, w1, b1, w2, b2, w3, b3, workspace,
                          victims)
        else:
            arbiter._feed(shadows[6], shadows[7], shadows[8], stats, 2, ids[i], times[i],
                          capacity, decay, shift, scale, w1, b1, w2, b2, w3, b3, workspace,
                          victims)


def shadow_costs(trace, objects: int) -> dict:
    """ns per request of each shadow for a cache of `objects` keys."""
    weights = model_arrays(None)
    costs = {}
    for expert, name in enumerate(NAMES):
        feed_one_shadow(arbiter.new_arbiter(objects, 0), expert, trace.ids[:100],
                        trace.times[:100], *weights)  # compile
        shadows = arbiter.new_arbiter(objects, 0)
        began = time.perf_counter()
        feed_one_shadow(shadows, expert, trace.ids, trace.times, *weights)
        costs[name] = (time.perf_counter() - began) / len(trace) * 1e9
    return costs


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trace")
    parser.add_argument("--objects", type=int, required=True, help="the cache's size in keys")
    args = parser.parse_args(argv)
    trace = read_trace(args.trace)
    costs = shadow_costs(trace, args.objects)
    print(f"{trace.name}, {args.objects} keys: " + ", ".join(
        f"{name} shadow {ns:,.0f} ns" for name, ns in costs.items()) + " per request")


if __name__ == "__main__":
    main()
