"""GPU engine benchmarks: table kernels by batch size and load factor, host<->device transfers,
the string engines' MGET/MSET per batch size (CPU engine, GPU engine through its kernels, GPU
engine's direct reads) and the learned model's scoring on the CPU and on the GPU.

    NUMBA_ENABLE_CUDASIM=0 python -m bench.gpu_kernels --out results/   (on a GPU machine)

Kernel figures are device time between CUDA events (median of --repeat launches after a
warm-up), the same measure cuCollections and WarpCore publish; `call_us` adds the host's
launch cost, what a single request pays. Engine figures are wall time of whole calls.
"""

import argparse
import json
import os
import statistics
import time

import numpy as np
from numba import cuda

from gpu import kernels
from gpu.cpu_engine import CpuEngine
from gpu.gpu_engine import GpuEngine, device_name

BATCHES = (1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000)
LOADS = (0.5, 0.9)


def random_fingerprints(rng, count: int) -> np.ndarray:
    fps = rng.integers(2, np.iinfo(np.int64).max, count, dtype=np.int64)
    return fps * rng.choice(np.array([-1, 1], np.int64), count)


def timed_launches(launch, repeat: int, prepare=None):
    """Median device ms (CUDA events) and median wall µs per launch; `prepare` runs before
    each launch, outside the timing."""
    prepare and prepare()
    launch()
    cuda.synchronize()
    device_ms, wall_us = [], []
    for _ in range(repeat):
        if prepare:
            prepare()
            cuda.synchronize()
        start, end = cuda.event(), cuda.event()
        began = time.perf_counter()
        start.record()
        launch()
        end.record()
        end.synchronize()
        wall_us.append((time.perf_counter() - began) * 1e6)
        device_ms.append(start.elapsed_time(end))
    # the simulator's events read 0: keep the ratios finite there
    return max(statistics.median(device_ms), 1e-6), statistics.median(wall_us)


def kernel_rows(slots_log2: int, repeat: int, batches, seed: int = 1):
    """Fingerprint lookups (all hits) and inserts (new keys) on a table of 2**slots_log2
    slots filled to each load factor."""
    rng = np.random.default_rng(seed)
    slots = 1 << slots_log2
    rows = []
    for load in LOADS:
        resident = random_fingerprints(rng, int(slots * load))
        table = cuda.to_device(np.zeros(slots, np.int64))
        placed = cuda.device_array(len(resident), np.int64)
        kernels.insert_fingerprints[kernels.blocks_for(len(resident)), kernels.THREADS](
            table, cuda.to_device(resident), placed)
        filled = cuda.device_array_like(table)
        for batch in batches:
            if batch > len(resident):
                continue
            probes = cuda.to_device(resident[rng.integers(0, len(resident), batch)])
            found = cuda.device_array(batch, np.int64)
            grid = kernels.blocks_for(batch)
            lookup_ms, lookup_call = timed_launches(
                lambda: kernels.probe_fingerprints[grid, kernels.THREADS](table, probes, found),
                repeat)
            hits = int((found.copy_to_host() >= 0).sum())
            fresh = cuda.to_device(random_fingerprints(rng, batch))
            out = cuda.device_array(batch, np.int64)

            insert_ms, insert_call = timed_launches(
                lambda: kernels.insert_fingerprints[grid, kernels.THREADS](filled, fresh, out),
                repeat, prepare=lambda: filled.copy_to_device(table))  # same load every time
            rows.append({"load": load, "batch": batch, "hits": hits,
                         "lookups_per_s": batch / (lookup_ms / 1e3),
                         "lookup_call_us": lookup_call,
                         "inserts_per_s": batch / (insert_ms / 1e3),
                         "insert_call_us": insert_call})
            print(f"load {load} batch {batch:>9}: lookups {rows[-1]['lookups_per_s']:.3e}/s "
                  f"(call {lookup_call:.0f} us), inserts {rows[-1]['inserts_per_s']:.3e}/s",
                  flush=True)
    return rows


def transfer_rows(repeat: int):
    rows = []
    for size_mb in (1, 16, 256, 1024):
        count = size_mb << 20
        device = cuda.device_array(count, np.uint8)
        for kind, host in (("pinned", cuda.pinned_array(count, np.uint8)),
                           ("pageable", np.ones(count, np.uint8))):
            h2d_ms, _ = timed_launches(lambda: device.copy_to_device(host), repeat)
            d2h_ms, _ = timed_launches(lambda: device.copy_to_host(host), repeat)
            rows.append({"mb": size_mb, "host": kind, "h2d_gb_s": count / h2d_ms / 1e6,
                         "d2h_gb_s": count / d2h_ms / 1e6})
            print(f"{size_mb:>5} MB {kind:>8}: H2D {rows[-1]['h2d_gb_s']:.1f} GB/s, "
                  f"D2H {rows[-1]['d2h_gb_s']:.1f} GB/s", flush=True)
    return rows


ENGINE_BATCHES = (1, 4, 16, 64, 256, 1_000, 10_000, 100_000, 1_000_000)
DIRECT_BATCHES_MAX = 1_000  # direct reads cost a memcpy per key: pointless beyond this


def _engines():
    """(name, engine, ops): the CPU engine, the GPU engine with every read through the lookup
    kernel, and the GPU engine with every read direct (host index + memcpy per value)."""
    return (("cpu", CpuEngine(), ("mget", "mset")),
            ("gpu", GpuEngine(arena_bytes=1 << 30, direct_read_max=0), ("mget", "mset")),
            ("gpu-direct", GpuEngine(arena_bytes=1 << 30, direct_read_max=1 << 62), ("mget",)))


def engine_rows(resident: int, repeat: int, value_bytes: int = 16, batches=ENGINE_BATCHES):
    """MGET and MSET per batch size on each engine holding `resident` keys."""
    keys = [b"key:%012d" % i for i in range(resident)]
    value = b"v" * value_bytes
    rng = np.random.default_rng(3)
    rows = []
    for name, engine, ops in _engines():
        for begin in range(0, resident, 1 << 18):
            engine.mset(keys[begin:begin + (1 << 18)], [value] * min(1 << 18, resident - begin))
        for batch in batches:
            if batch > resident or (name == "gpu-direct" and batch > DIRECT_BATCHES_MAX):
                continue
            probe = [keys[i] for i in rng.integers(0, resident, batch)]
            values = [value] * batch
            calls = {"mget": lambda: engine.mget(probe), "mset": lambda: engine.mset(probe, values)}
            for op in ops:
                call = calls[op]
                call()
                spent = []
                for _ in range(repeat if batch < 100_000 else 3):
                    began = time.perf_counter()
                    call()
                    spent.append(time.perf_counter() - began)
                per_call = statistics.median(spent)
                rows.append({"engine": name, "op": op, "batch": batch,
                             "call_us": per_call * 1e6, "keys_per_s": batch / per_call})
                print(f"{name} {op} batch {batch:>8}: {per_call * 1e6:10.1f} us/call, "
                      f"{batch / per_call:.3e} keys/s", flush=True)
        assert engine.mget(keys[:3]) == [value] * 3
    return rows


SCORING_BATCHES = (256, 1_024, 4_096, 16_384, 65_536, 262_144)


def scoring_rows(repeat: int, batches=SCORING_BATCHES):
    """The learned model's scoring of n candidates: the CPU kernel (forward_columns) against
    the GPU (ml/device_scoring.py, transfers included), to place gpu-scoring-min-rows."""
    from ml.device_scoring import DeviceScorer
    from ml.features import N_FEATURES
    from ml.model import DEFAULT_PATH, EvictionModel, forward_columns

    weights = EvictionModel.load(DEFAULT_PATH).arrays()
    scorer = DeviceScorer()
    rng = np.random.default_rng(9)
    rows = []
    for n in batches:
        xt = rng.normal(0, 2, (N_FEATURES, n)).astype(np.float32)
        h1 = np.empty((weights[2].shape[0], n), np.float32)
        h2, out = np.empty(n, np.float32), np.empty(n, np.float32)
        timings = {}
        for where, call in (("cpu", lambda: forward_columns(xt.copy(), n, *weights, h1, h2, out)),
                            ("gpu", lambda: scorer.score(xt, n, weights))):
            call()
            spent = []
            for _ in range(repeat):
                began = time.perf_counter()
                call()
                spent.append(time.perf_counter() - began)
            timings[where] = statistics.median(spent) * 1e6
        forward_columns(xt.copy(), n, *weights, h1, h2, out)
        agree = bool(np.allclose(scorer.score(xt, n, weights), out, rtol=1e-3, atol=1e-3))
        rows.append({"rows": n, "cpu_us": timings["cpu"], "gpu_us": timings["gpu"],
                     "agree": agree})
        print(f"scoring {n:>7} rows: cpu {timings['cpu']:9.1f} us, gpu {timings['gpu']:9.1f} us"
              f" (scores agree: {agree})", flush=True)
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".")
    parser.add_argument("--slots-log2", type=int, default=27)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--resident", type=int, default=1_000_000)
    parser.add_argument("--parts", default="kernels,transfers,engines,scoring")
    args = parser.parse_args(argv)
    parts = args.parts.split(",")
    report = {"device": device_name(cuda.current_context()),
              "table_slots": 1 << args.slots_log2}
    print("device:", report["device"], flush=True)
    if "kernels" in parts:
        report["kernels"] = kernel_rows(args.slots_log2, args.repeat, BATCHES)
    if "transfers" in parts:
        report["transfers"] = transfer_rows(args.repeat)
    if "engines" in parts:
        report["engines"] = engine_rows(args.resident, args.repeat)
    if "scoring" in parts:
        report["scoring"] = scoring_rows(args.repeat)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "gpu_kernels.json"), "w") as handle:
        json.dump(report, handle, indent=1)


if __name__ == "__main__":
    main()
