"""The learned eviction policy's model on the GPU: one CUDA thread scores one candidate.

When the server runs the GPU engine, large eviction batches are scored here instead of by the
numba CPU kernel (ml/model.forward_columns): the Evictor hands over the feature rows of every
candidate of a batch (ml/eviction.collect_learned) and picks victims from the scores
(ml/eviction.choose_scored). A device call costs a launch and two copies (~160 us on an H200)
whatever its size, while the CPU kernel scores a candidate in tens of nanoseconds, so only
batches of at least `gpu-scoring-min-rows` candidates come here (measured crossover:
docs/benchmarks.md).

The weights go to the device once per model (hot swaps and A/B arms bring new weight tuples);
the feature rows and scores travel through pinned staging buffers. Plain loads, stores and
arithmetic only, so the kernel runs in numba's CUDA simulator in CI.
"""

import math

import numpy as np
from numba import cuda, float32

from gpu.transfer import Staging

from .features import N_FEATURES

MAX_HIDDEN = 64  # widest hidden layer the kernel's per-thread scratch holds
THREADS = 128


@cuda.jit(fastmath=True)
def score_columns(xt, width, n, shift, scale, w1, b1, w2, b2, w3, b3, out):
    """out[i] = the MLP's prediction for candidate i, whose feature k is xt[k * width + i]
    (the column layout ml/eviction gathers); the same arithmetic as ml/model.forward_one."""
    i = cuda.grid(1)
    if i >= n:
        return
    x = cuda.local.array(N_FEATURES, float32)
    h1 = cuda.local.array(MAX_HIDDEN, float32)
    for k in range(N_FEATURES):
        x[k] = xt[k * width + i] * scale[k] + shift[k]
    for j in range(w1.shape[0]):
        acc = b1[j]
        for k in range(N_FEATURES):
            acc += w1[j, k] * x[k]
        h1[j] = max(acc, float32(0.0))
    result = b3[0]
    for j in range(w2.shape[0]):
        acc = b2[j]
        for k in range(w2.shape[1]):
            acc += w2[j, k] * h1[k]
        if acc > 0:
            result += w3[0, j] * acc
    out[i] = result


class DeviceScorer:
    def __init__(self):
        self.rows = Staging(np.float32, 1 << 14)
        self.scores = Staging(np.float32, 1 << 11)
        self._host_weights = ()  # the arrays uploaded last (held, so their identity is theirs)
        self._device_weights = ()
        self.calls = 0  # device scoring calls (INFO engine_scoring_calls)
        self.rows_scored = 0

    def _weights_on_device(self, weights: tuple) -> tuple:
        held = self._host_weights
        if len(held) != len(weights) or any(a is not b for a, b in zip(held, weights)):
            if not self.fits(weights):
                raise ValueError(f"hidden layers wider than {MAX_HIDDEN} are scored on the CPU")
            self._device_weights = tuple(cuda.to_device(np.ascontiguousarray(array, np.float32))
                                         for array in weights)
            self._host_weights = tuple(weights)
        return self._device_weights

    def fits(self, weights: tuple) -> bool:
        return weights[2].shape[0] <= MAX_HIDDEN and weights[4].shape[0] <= MAX_HIDDEN

    def score(self, xt: np.ndarray, n: int, weights: tuple) -> np.ndarray:
        """Predictions for the first n columns of `xt` (N_FEATURES x width float32, one column
        per candidate) under the model `weights` (EvictionModel.arrays() order)."""
        if n == 0:
            return np.empty(0, np.float32)
        device_weights = self._weights_on_device(weights)
        self.scores.reserve(n)
        d_xt = self.rows.upload(np.ascontiguousarray(xt[:, :n], np.float32).reshape(-1))
        blocks = max(1, math.ceil(n / THREADS))
        score_columns[blocks, THREADS](d_xt, n, n, *device_weights, self.scores.device)
        self.calls += 1
        self.rows_scored += n
        return self.scores.download(n).copy()
