"""Offline training of the learned eviction model (`predis train`).

Labels come from the future of the trace: replaying the training window, every few evictions the
features of random cached keys are recorded with how many requests later each is asked for again
(ml/sim/replay.py). Round one replays with an LRU-like scorer, later rounds with the model just
trained, so it learns on the states its own evictions create. The network is tiny on purpose: it
is evaluated for every eviction candidate on the request path (ml/model.py, numba).
"""

import numpy as np

from .features import N_FEATURES
from .model import HIDDEN, EvictionModel
from .sim.simulate import run_policy

SIZES = (0.01, 0.1)  # fractions of the training window's footprint
ROWS_PER_RUN = 40_000


def lru_like_model() -> EvictionModel:
    """A model whose prediction is the key's age: the learned policy then evicts like LRU."""
    w1 = np.zeros((HIDDEN[0], N_FEATURES))
    w1[0, 0] = 1.0
    b1 = np.zeros(HIDDEN[0])
    b1[0] = 64.0  # ages are log2-scaled and >= -64: keep the ReLU linear
    w2 = np.zeros((HIDDEN[1], HIDDEN[0]))
    w2[0, 0] = 1.0
    w3 = np.zeros((1, HIDDEN[1]))
    w3[0, 0] = 1.0
    return EvictionModel({"w1": w1, "b1": b1, "w2": w2, "b2": np.zeros(HIDDEN[1]), "w3": w3,
                          "b3": np.array([-64.0])}, {"kind": "lru-like"})


def hot_evicting_model() -> EvictionModel:
    """A model whose prediction is log2 of the key's request count: the learned policy then
    evicts the most requested keys first. Deliberately bad, as a champion that any trained
    candidate must beat (the retrain loop's tests and demonstrations)."""
    w1 = np.zeros((HIDDEN[0], N_FEATURES))
    w1[0, 5] = 1.0  # log2(count) >= 0
    w2 = np.zeros((HIDDEN[1], HIDDEN[0]))
    w2[0, 0] = 1.0
    w3 = np.zeros((1, HIDDEN[1]))
    w3[0, 0] = 1.0
    return EvictionModel({"w1": w1, "b1": np.zeros(HIDDEN[0]), "w2": w2,
                          "b2": np.zeros(HIDDEN[1]), "w3": w3, "b3": np.zeros(1)},
                         {"kind": "hot-evicting"})


def collect(traces, model: EvictionModel, train_fraction: float) -> tuple:
    """Training rows from the first `train_fraction` of every trace at each cache size."""
    features, labels = [], []
    for trace in traces:
        window = trace.head(int(len(trace) * train_fraction))
        objects, total_bytes = window.footprint()
        unit = bool((window.sizes == 1).all())
        for fraction in SIZES:
            capacity = max(10, int((objects if unit else total_bytes) * fraction))
            evictions_hint = max(1, len(window) // 2000)
            run = run_policy(window, capacity, "volatile-learned", model=model,
                             collect_every=evictions_hint, max_rows=ROWS_PER_RUN)
            features.append(run["features"])
            labels.append(run["labels"])
    return np.concatenate(features), np.concatenate(labels)


def fit(features: np.ndarray, labels: np.ndarray, epochs: int = 30, seed: int = 0,
        log=print) -> EvictionModel:
    import torch  # training only: the server never imports torch

    torch.manual_seed(seed)
    mean = features.mean(axis=0)
    spread = features.std(axis=0)
    # A feature that never varies in training (e.g. sizes in an object-count trace) teaches
    # nothing and its weights stay at their random start: it gets unit scale here and zero
    # weights below, so values it takes in service cannot be blown up by a tiny std.
    constant = spread < 1e-6
    std = np.where(constant, 1.0, spread + 1e-3)
    x = torch.tensor((features - mean) / std, dtype=torch.float32)
    y = torch.tensor(labels, dtype=torch.float32).unsqueeze(1)
    net = torch.nn.Sequential(torch.nn.Linear(N_FEATURES, HIDDEN[0]), torch.nn.ReLU(),
                              torch.nn.Linear(HIDDEN[0], HIDDEN[1]), torch.nn.ReLU(),
                              torch.nn.Linear(HIDDEN[1], 1))
    optimiser = torch.optim.Adam(net.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        total = 0.0
        for start in range(0, len(x), 1024):
            batch = order[start:start + 1024]
            loss = torch.nn.functional.mse_loss(net(x[batch]), y[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(batch)
        if epoch % 10 == 9 or epoch == epochs - 1:
            log(f"  epoch {epoch + 1}: mse {total / len(x):.4f}")
    layers = [m for m in net if isinstance(m, torch.nn.Linear)]
    weights = {"mean": mean, "std": std}
    for index, layer in enumerate(layers, start=1):
        weights[f"w{index}"] = layer.weight.detach().numpy().copy()
        weights[f"b{index}"] = layer.bias.detach().numpy()
    weights["w1"][:, constant] = 0.0
    return EvictionModel(weights)


def train(traces, train_fraction: float = 0.3, rounds: int = 2, epochs: int = 30,
          log=print) -> EvictionModel:
    model = lru_like_model()
    all_features, all_labels = [], []
    for round_ in range(1, rounds + 1):
        features, labels = collect(traces, model, train_fraction)
        all_features.append(features)
        all_labels.append(labels)
        log(f"round {round_}: {len(labels)} rows")
        model = fit(np.concatenate(all_features), np.concatenate(all_labels), epochs, log=log)
    model.meta = {"traces": [t.name for t in traces], "train_fraction": train_fraction,
                  "rounds": rounds, "epochs": epochs, "hidden": list(HIDDEN),
                  "rows": int(sum(len(l) for l in all_labels))}
    return model
