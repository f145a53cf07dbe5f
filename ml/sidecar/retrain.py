"""Retraining the eviction model on the sidecar's sample, and the check a candidate must pass.

The sampled requests form a miniature trace (ml/sidecar/mrc.sample_trace). Its earlier part
trains, its later part (`holdout`, never seen in training) validates: both the champion and the
candidate replay it through the learned policy in a cache `rate` times the live one, and the
candidate is accepted only when its miss ratio is lower by at least `margin`. Training rows are
labelled by replaying the training part with the champion deciding (the states its evictions
create) and with an LRU-like scorer (the states a sound policy creates), at the live size and
at half and twice it, plus the rows `retained` from earlier retrains, so one odd stretch does
not erase what was learned before.
"""

import time

import numpy as np

from ..sim.simulate import run_policy
from ..sim.traces import Trace, next_indices
from ..train import fit, lru_like_model
from .mrc import sample_trace

MIN_REQUESTS = 4000  # sampled requests below which a retrain is not attempted
RETAINED_ROWS = 40_000
POLICY = "volatile-learned"  # the model alone decides (as in the learned expert)


def _tail(trace: Trace, start: int) -> Trace:
    ids = trace.ids[start:]
    return Trace(trace.name + "-holdout", ids, trace.sizes[start:], trace.times[start:],
                 next_indices(ids))


def _rows(trace: Trace, capacity: int, champion) -> tuple:
    """Labelled rows from replays with an LRU-like scorer and with the champion deciding (the
    states a sound policy creates and those the model in service creates)."""
    features, labels = [], []
    for model in (lru_like_model(), champion):
        for scale in (0.5, 1.0, 2.0):
            run = run_policy(trace, max(4, int(capacity * scale)), POLICY, model=model,
                             collect_every=max(1, len(trace) // 4000),
                             max_rows=RETAINED_ROWS // 4)
            features.append(run["features"])
            labels.append(run["labels"])
    return np.concatenate(features), np.concatenate(labels)


def retrain(records: np.ndarray, champion, capacity: int, margin: float, retained=None,
            holdout: float = 0.3, epochs: int = 15, seed: int = 0) -> dict:
    """Train a candidate on `records` and validate it against `champion`. capacity: the live
    cache's size in objects times the sampling rate (the replays run in bytes: that many
    entries of the sample's mean size). Returns the outcome: accepted, the candidate, miss
    ratios, and the rows to retain for next time."""
    started = time.time()
    trace = sample_trace(records, sizes=True)  # the model reads sizes: train on real ones
    if len(trace) < MIN_REQUESTS:
        return {"accepted": False, "reason": f"only {len(trace)} sampled requests "
                f"(at least {MIN_REQUESTS} needed)", "candidate": None, "retained": retained}
    split = int(len(trace) * (1 - holdout))
    _, first = np.unique(trace.ids, return_index=True)
    capacity = max(4 * int(trace.sizes.max()), int(capacity * trace.sizes[first].mean()))
    features, labels = _rows(trace.head(split), capacity, champion)
    if retained is not None:
        features = np.concatenate([features, retained[0]])
        labels = np.concatenate([labels, retained[1]])
    if len(labels) < 100:
        return {"accepted": False, "reason": "too few training rows (the cache never evicted)",
                "candidate": None, "retained": retained}
    candidate = fit(features, labels, epochs=epochs, seed=seed, log=lambda *_: None)
    validation = _tail(trace, split)
    champion_miss = run_policy(validation, capacity, POLICY, model=champion)["miss_ratio"]
    candidate_miss = run_policy(validation, capacity, POLICY, model=candidate)["miss_ratio"]
    gain = champion_miss - candidate_miss
    accepted = gain >= margin
    keep = np.random.default_rng(seed).permutation(len(labels))[:RETAINED_ROWS]
    candidate.meta = {"kind": "sidecar-retrain", "rows": int(len(labels)),
                      "training_requests": split, "holdout_requests": len(trace) - split,
                      "capacity": int(capacity), "epochs": epochs,
                      "champion_miss_ratio": champion_miss,
                      "candidate_miss_ratio": candidate_miss,
                      "hidden": [int(candidate.weights["w1"].shape[0]),
                                 int(candidate.weights["w2"].shape[0])]}
    reason = (f"holdout miss ratio {candidate_miss:.4f} vs champion {champion_miss:.4f} "
              f"({'better' if accepted else 'not better'} by the margin {margin})")
    return {"accepted": accepted, "reason": reason, "candidate": candidate,
            "champion_miss_ratio": champion_miss, "candidate_miss_ratio": candidate_miss,
            "gain": gain, "seconds": time.time() - started,
            "retained": (features[keep], labels[keep])}
