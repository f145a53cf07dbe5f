"""The learned policy's scoring on the GPU (ml/device_scoring.py; numba's CUDA simulator in CI):
the same predictions as the CPU kernel, victims chosen from them as the CPU path chooses, and
the server using it for large learned-eviction batches when it runs the GPU engine."""

import asyncio
import tempfile
from unittest.mock import patch

import numpy as np

from ml.device_scoring import DeviceScorer
from ml.eviction import (LEARNED, choose_scored, collect_learned, learned_width, restriction)
from ml.features import N_FEATURES
from ml.keymeta import HOOK_HISTORY, MODE_LRU
from ml.model import DEFAULT_PATH, EvictionModel, forward_columns
from server.keyspace.keytable import KeyTable
from tests.fakes import connect, make_server


def cpu_scores(xt, n, weights):
    columns = np.ascontiguousarray(xt[:, :n]).copy()
    h1 = np.empty((weights[2].shape[0], n), np.float32)
    h2 = np.empty(n, np.float32)
    out = np.empty(n, np.float32)
    forward_columns(columns, n, *weights, h1, h2, out)
    return out


def test_device_scores_match_the_cpu_kernel():
    weights = EvictionModel.load(DEFAULT_PATH).arrays()
    rng = np.random.default_rng(5)
    n = 300
    xt = rng.normal(0, 3, (N_FEATURES, n + 20)).astype(np.float32)
    expected = cpu_scores(xt, n, weights)
    scorer = DeviceScorer()
    got = scorer.score(xt, n, weights)
    assert np.allclose(got, expected, rtol=1e-4, atol=1e-4)
    assert scorer.score(xt, 0, weights).size == 0
    assert (scorer.calls, scorer.rows_scored) == (1, n)


def learned_table(keys: int) -> KeyTable:
    table = KeyTable(HOOK_HISTORY)
    names = [b"k%d" % i for i in range(keys)]
    rng = np.random.default_rng(1)
    table.log.extend(names)
    table.log.extend(names[i] for i in rng.integers(0, keys, 4 * keys))  # uneven histories
    table.fold({name: b"v" * (1 + i % 40) for i, name in enumerate(names)}, {}, 1000, MODE_LRU,
               10, 1)
    return table


def test_batched_choice_takes_each_groups_least_valued_unchosen_candidate():
    table = learned_table(500)
    weights = EvictionModel.load(DEFAULT_PATH).arrays()
    count, samples = 12, 5
    width = learned_width(samples, count)
    xt = np.empty((N_FEATURES, width), np.float32)
    size_terms = np.empty(width, np.float32)
    kept = np.empty(width, np.int64)
    group_end = np.empty(count, np.int64)
    groups = collect_learned(table.slots, table.hist, table.state, restriction(False), samples,
                             count, xt, size_terms, kept, group_end)
    assert groups == count
    n = int(group_end[groups - 1])
    scores = DeviceScorer().score(xt, n, weights)
    assert np.allclose(scores, cpu_scores(xt, n, weights), rtol=1e-4, atol=1e-4)
    out = np.empty(count, np.int64)
    chosen = choose_scored(table.slots, kept, scores, size_terms, group_end, groups, out)
    assert chosen == count and len(set(out.tolist())) == count
    taken, begin = set(), 0
    for g in range(groups):  # the rule, restated: per group, best score + size term not taken
        group = [c for c in range(begin, group_end[g]) if kept[c] not in taken]
        assert len({kept[c] for c in range(begin, group_end[g])}) == group_end[g] - begin
        best = max(group, key=lambda c: scores[c] + size_terms[c])
        assert out[g] == kept[best]
        taken.add(kept[best])
        begin = group_end[g]
    assert all(table.keys[slot] is not None for slot in out)


async def test_server_on_the_gpu_engine_scores_large_learned_batches_on_the_device():
    server = make_server("--dir", tempfile.mkdtemp(), "--engine", "gpu", "--gpu-arena-size",
                         "8mb", "--maxmemory-policy", "allkeys-learned",
                         "--maxmemory-eviction-tenacity", "100", "--gpu-scoring-min-rows", "64")
    conn, transport = connect(server)
    db = server.keyspace[0]
    db.set_strings([b"key:%d" % i for i in range(500)], [b"v" * 50] * 500)
    server.keyspace.fold_all()
    conn.data_received(b"PING\r\n")  # the client's buffers (in used_memory) take their size
    server.clients.measure_all()
    limit = server.used_memory() - 10 * db.memory // 500  # about ten keys too many
    conn.data_received(b"*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$9\r\nmaxmemory\r\n"
                       b"$%d\r\n%d\r\n" % (len(str(limit)), limit))
    scorer = server.evictor.scorer
    with patch.object(KeyTable, "arbitrate", lambda self, held_bytes: LEARNED):  # the model evicts
        conn.data_received(b"*3\r\n$3\r\nSET\r\n$3\r\nnew\r\n$1\r\nx\r\n")
        for _ in range(4):  # the GPU engine's SET is coalesced: its flush
            await asyncio.sleep(0)
    assert transport.output.endswith(b"+PONG\r\n+OK\r\n+OK\r\n")
    assert scorer.calls >= 1 and scorer.rows_scored >= 64
    conn.data_received(b"*2\r\n$4\r\nINFO\r\n$6\r\nengine\r\n")
    assert b"engine_scoring_calls:%d\r\n" % scorer.calls in transport.output
    assert 10 <= server.evicted_keys < 40
    assert server.used_memory() <= limit
    assert make_server("--engine", "cpu").evictor.scorer is None


def test_new_weights_are_uploaded_and_the_same_ones_reused():
    model = EvictionModel.load(DEFAULT_PATH)
    xt = np.random.default_rng(2).normal(0, 2, (N_FEATURES, 40)).astype(np.float32)
    scorer = DeviceScorer()
    first = scorer.score(xt, 40, model.arrays())
    uploaded = scorer._device_weights
    weights = model.arrays()
    scorer.score(xt, 40, weights)
    assert scorer._device_weights is not uploaded  # new arrays (a hot swap): uploaded again
    uploaded = scorer._device_weights
    scorer.score(xt, 40, weights)
    assert scorer._device_weights is uploaded  # the same arrays: kept on the device
    shifted = list(weights)
    shifted[7] = weights[7] + 1.0  # b3: every prediction moves up by one
    assert np.allclose(scorer.score(xt, 40, tuple(shifted)), first + 1.0, atol=1e-4)
