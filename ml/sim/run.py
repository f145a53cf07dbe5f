"""One simulation study: traces x cache sizes x policies, with a train/evaluate split.

Every policy replays the whole trace; misses count only in the evaluation window (the part after
`train_fraction`), so the learned model, trained on the first part, never sees the requests it
is scored on, and every policy starts the evaluation equally warm.
"""

from dataclasses import dataclass, field

from .references import run_reference
from .simulate import run_policy


@dataclass
class Study:
    sizes: list                      # "1%", "10%" (of the footprint), "1000" objects, "64MB"
    policies: list                   # Predis's (allkeys-lru ... allkeys-learned)
    references: list                 # libCacheSim's names
    train_fraction: float = 0.3
    by_bytes: bool = False           # byte-sized cache (trace sizes) or object-count cache
    model: object = None             # EvictionModel for allkeys-learned; None: shipped model
    train_per_trace: bool = False    # train a model on each trace's training window
    epochs: int = 15
    results: list = field(default_factory=list)


def capacity_of(size: str, objects: int, total_bytes: int, by_bytes: bool) -> int:
    text = size.strip().lower()
    if text.endswith("%"):
        return max(10, int((total_bytes if by_bytes else objects) * float(text[:-1]) / 100))
    for suffix, unit in (("kb", 1 << 10), ("mb", 1 << 20), ("gb", 1 << 30)):
        if text.endswith(suffix):
            return int(float(text[:-len(suffix)]) * unit)
    return int(text)


def run_study(study: Study, traces, progress=None, log=print) -> list:
    for trace in traces:
        trace = trace if study.by_bytes else trace.with_unit_sizes()
        eval_from = int(len(trace) * study.train_fraction)
        objects, total_bytes = trace.footprint()
        model = study.model
        if study.train_per_trace and any("learned" in p for p in study.policies):
            from ..train import train

            log(f"{trace.name}: training on the first {study.train_fraction:.0%} "
                f"({eval_from} requests)")
            model = train([trace], study.train_fraction, epochs=study.epochs,
                          log=lambda *_: None)
        for size in study.sizes:
            capacity = capacity_of(size, objects, total_bytes, study.by_bytes)
            cell = {"trace": trace.name, "size": size, "capacity": capacity,
                    "unit": "bytes" if study.by_bytes else "objects",
                    "requests": len(trace), "eval_from": eval_from, "policies": {}}
            for name in study.policies:
                result = run_policy(trace, capacity, name, eval_from, model=model)
                cell["policies"][name] = _summary(result)
                if progress:
                    progress(len(trace))
            for name in study.references:
                result = run_reference(trace, capacity, name, eval_from, progress=progress)
                cell["policies"][name] = _summary(result)
            study.results.append(cell)
    return study.results


def _summary(result: dict) -> dict:
    out = {"miss_ratio": round(result["miss_ratio"], 6),
           "byte_miss_ratio": round(result["byte_miss_ratio"], 6)}
    if "requests_per_s" in result:
        out["requests_per_s"] = int(result["requests_per_s"])
    return out

