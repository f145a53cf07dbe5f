"""The learned policy's model at serving time: a small MLP held as plain arrays.

Trained with torch (ml/train.py), exported to an .npz, and evaluated here with numba: no torch on
the request path. It predicts log2(accesses until the key is next requested / cached keys)."""

import json
import os

import numpy as np
from numba import njit

from .features import N_FEATURES

DEFAULT_PATH = os.path.join(os.path.dirname(__file__), "models", "default.npz")
LAYERS = ("w1", "b1", "w2", "b2", "w3", "b3")
HIDDEN = (16, 8)  # hidden layer widths ml/train.py trains (other shapes load and run too)


class EvictionModel:
    """Weights plus the input normalisation they were trained with."""

    def __init__(self, weights: dict, meta: dict | None = None):
        self.weights = {name: np.ascontiguousarray(weights[name], np.float32) for name in LAYERS}
        self.mean = np.ascontiguousarray(weights.get("mean", np.zeros(N_FEATURES)), np.float32)
        self.std = np.ascontiguousarray(weights.get("std", np.ones(N_FEATURES)), np.float32)
        self.meta = meta or {}
        if self.weights["w1"].shape[1] != N_FEATURES:
            raise ValueError(f"model expects {self.weights['w1'].shape[1]} features, "
                             f"Predis computes {N_FEATURES}")

    def arrays(self) -> tuple:
        """(shift, scale, w1, b1, w2, b2, w3, b3): the argument order of the numba kernels.
        The input normalisation becomes a multiply-add, z = x * scale + shift."""
        w = self.weights
        scale = (1.0 / self.std).astype(np.float32)
        shift = (-self.mean * scale).astype(np.float32)
        return (shift, scale, w["w1"], w["b1"], w["w2"], w["b2"], w["w3"], w["b3"])

    def predict(self, features: np.ndarray) -> np.ndarray:
        out = np.empty(len(features), np.float32)
        forward(np.ascontiguousarray(features, np.float32), *self.arrays(), out)
        return out

    def save(self, path: str) -> None:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        np.savez(path, mean=self.mean, std=self.std, meta=np.array(json.dumps(self.meta)),
                 **self.weights)

    @classmethod
    def load(cls, path: str) -> "EvictionModel":
        with np.load(path, allow_pickle=False) as data:
            weights = {name: data[name] for name in data.files if name != "meta"}
            meta = json.loads(str(data["meta"])) if "meta" in data.files else {}
        return cls(weights, meta)


@njit(cache=True, fastmath=True)
def forward_one(x, shift, scale, w1, b1, w2, b2, w3, b3, h1):
    """One feature row -> prediction (ReLU MLP, two hidden layers); h1 is scratch space of the
    first hidden layer's width (the caller allocates it once, not per candidate)."""
    for k in range(x.size):
        x[k] = x[k] * scale[k] + shift[k]
    for j in range(w1.shape[0]):
        acc = b1[j]
        for k in range(w1.shape[1]):
            acc += w1[j, k] * x[k]
        h1[j] = acc if acc > 0 else 0.0
    out = b3[0]
    for j in range(w2.shape[0]):
        acc = b2[j]
        for k in range(w2.shape[1]):
            acc += w2[j, k] * h1[k]
        if acc > 0:
            out += w3[0, j] * acc
    return out


@njit(cache=True, inline="always")
def _padded(xt, n, h1, h2, out):
    """n rounded up to a multiple of 8 within every array's width, the added columns of xt
    zeroed."""
    padded = min((n + 7) & ~7, xt.shape[1], h1.shape[1], h2.size, out.size)
    for k in range(N_FEATURES):
        for c in range(n, padded):
            xt[k, c] = 0.0
    return padded


@njit(cache=True, fastmath=True)
def forward_columns(xt, n, shift, scale, w1, b1, w2, b2, w3, b3, h1, h2, out):
    """forward_one for n feature rows at once, stored as columns (xt[k, c]: feature k of row
    c), so each weight multiplies a contiguous run of rows (SIMD across rows). h1 and h2 are
    scratch of shapes (w1 rows, >= n) and (>= n,); out[:n] receives the predictions; xt is
    normalised in place. Where the arrays have room, zero rows pad n to a multiple of 8: the
    vectorised loops then leave no scalar remainder, which cost ~40 ns a row (27 rows took
    longer than 32)."""
    n = _padded(xt, n, h1, h2, out)
    for k in range(N_FEATURES):
        for c in range(n):
            xt[k, c] = xt[k, c] * scale[k] + shift[k]
    for j in range(w1.shape[0]):
        # N_FEATURES is a compile-time constant: the sum over k unrolls, the loop over rows
        # vectorises with the sum in registers
        for c in range(n):
            acc = b1[j]
            for k in range(N_FEATURES):
                acc += w1[j, k] * xt[k, c]
            h1[j, c] = max(acc, 0.0)
    for c in range(n):
        out[c] = b3[0]
    for j in range(w2.shape[0]):
        if w2.shape[1] == HIDDEN[0]:  # the shipped shape: unrolled as above
            for c in range(n):
                acc = b2[j]
                for k in range(HIDDEN[0]):
                    acc += w2[j, k] * h1[k, c]
                h2[c] = acc
        else:
            for c in range(n):
                h2[c] = b2[j]
            for k in range(w2.shape[1]):
                weight = w2[j, k]
                for c in range(n):
                    h2[c] += weight * h1[k, c]
        weight = w3[0, j]
        for c in range(n):
            out[c] += weight * max(h2[c], 0.0)


@njit(cache=True)
def forward(features, shift, scale, w1, b1, w2, b2, w3, b3, out):
    h1 = np.empty(w1.shape[0], np.float32)
    x = np.empty(features.shape[1], np.float32)
    for i in range(features.shape[0]):
        x[:] = features[i]
        out[i] = forward_one(x, shift, scale, w1, b1, w2, b2, w3, b3, h1)
