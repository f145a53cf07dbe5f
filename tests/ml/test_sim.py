"""Traces, the replay of Predis's policies, libCacheSim references, reports and the CLIs."""

import json
import os

import numpy as np
import pytest

from ml.model import DEFAULT_PATH, HIDDEN, EvictionModel, forward_columns
from ml.sim.references import run_reference
from ml.sim.report import plot, scoreboard, table
from ml.sim.run import capacity_of
from ml.sim.simulate import run_policy
from ml.sim.traces import Trace, mix, next_indices, read_csv, read_oracle, read_text, read_trace
from ops.tool import main as predis_tool

# copies of two of ../shared/traces (small, real): tests/data/README.md
DATA = os.path.join(os.path.dirname(__file__), "..", "data")
CACHE2K = os.path.join(DATA, "cache2k_web12.oracleGeneral.bin.zst")
MULTI3 = os.path.join(DATA, "lirs_multi3.oracleGeneral.bin.zst")


def small_trace(keys, sizes=None) -> Trace:
    ids = mix(np.asarray(keys, np.int64))
    sizes = np.ones(len(keys), np.int64) if sizes is None else np.asarray(sizes, np.int64)
    return Trace("t", ids, sizes, np.arange(len(keys), dtype=np.int64), next_indices(ids))


def test_next_indices_point_at_the_next_request_for_the_key():
    ids = np.array([7, 8, 7, 9, 8, 7], np.int64)
    assert next_indices(ids).tolist() == [2, 4, 5, -1, -1, -1]
    assert small_trace([1, 2, 1]).head(2).nexts.tolist() == [-1, -1]  # beyond the cut: never


def test_oracle_reader_matches_the_trace_readme():
    trace = read_oracle(CACHE2K)
    assert len(trace) == 95607 and trace.footprint() == (13756, 13756)
    assert trace.nexts[:5].tolist() == [95581, 6, -1, 7378, 382]  # the file's vtime minus one


def test_csv_and_text_readers(tmp_path):
    csv_path = tmp_path / "t.csv"
    csv_path.write_text("ts,key,size\n1,a,10\n2,b,20\n3,a,10\n")
    trace = read_csv(str(csv_path), key_col=1, size_col=2, time_col=0, header=True)
    assert trace.sizes.tolist() == [10, 20, 10] and trace.times.tolist() == [1, 2, 3]
    assert trace.ids[0] == trace.ids[2] != trace.ids[1] and trace.nexts.tolist() == [2, -1, -1]
    text_path = tmp_path / "t.txt"
    text_path.write_text("x\ny\nx\n\n")
    assert read_trace(str(text_path)).nexts.tolist() == [2, -1, -1]
    assert len(read_text(str(text_path))) == 3


def test_capacity_forms():
    assert capacity_of("10%", 1000, 50000, False) == 100
    assert capacity_of("10%", 1000, 50000, True) == 5000
    assert capacity_of("1%", 100, 100, False) == 10  # never below 10
    assert capacity_of("2MB", 0, 0, True) == 2 << 20 and capacity_of("500", 0, 0, False) == 500


def test_replay_counts_only_the_evaluation_window():
    trace = small_trace([1, 2, 3, 1, 2, 3])
    whole = run_policy(trace, 10, "allkeys-lru")
    assert whole["misses"] == 3 and whole["requests"] == 6
    scored = run_policy(trace, 10, "allkeys-lru", eval_from=3)
    assert scored["misses"] == 0 and scored["requests"] == 3


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu", "allkeys-random",
                                    "allkeys-s3fifo", "allkeys-learned", "volatile-learned"])
def test_every_policy_stays_between_belady_and_all_misses(policy):
    rng = np.random.default_rng(3)
    keys = rng.zipf(1.3, 5000) % 500
    objects = small_trace(keys)
    result = run_policy(objects, 30, policy)
    assert run_reference(objects, 30, "Belady")["misses"] <= result["misses"] < len(keys)
    # with sizes, Belady (blind to them) is no bound: a policy weighing value per byte may
    # miss fewer objects; byte misses cannot go below the keys' first requests
    sized = small_trace(keys, rng.integers(1, 50, 5000))
    result = run_policy(sized, 300, policy)
    first_bytes = sum(int(sized.sizes[i]) for i in np.unique(keys, return_index=True)[1])
    assert 0 < result["misses"] < len(keys)
    assert first_bytes / sized.sizes.sum() <= result["byte_miss_ratio"] < 1


def test_s3fifo_follows_libcachesim():
    trace = read_oracle(CACHE2K).with_unit_sizes()
    ours = run_policy(trace, 1375, "allkeys-s3fifo")["miss_ratio"]
    reference = run_reference(trace, 1375, "S3FIFO")["miss_ratio"]
    assert abs(ours - reference) < 0.003


def test_sampled_lru_is_close_to_exact_lru():
    trace = read_oracle(CACHE2K).with_unit_sizes()
    ours = run_policy(trace, 1375, "allkeys-lru", samples=64)["miss_ratio"]
    assert abs(ours - run_reference(trace, 1375, "LRU")["miss_ratio"]) < 0.01


def test_shipped_model_beats_lru_where_recency_fails():
    trace = read_oracle(MULTI3).with_unit_sizes()
    capacity = trace.footprint()[0] // 100
    start = int(len(trace) * 0.3)
    learned = run_policy(trace, capacity, "allkeys-learned", start)["miss_ratio"]
    lru = run_policy(trace, capacity, "allkeys-lru", start)["miss_ratio"]
    assert learned < lru - 0.05


def test_model_round_trip_and_forward(tmp_path):
    rng = np.random.default_rng(0)
    weights = {"w1": rng.normal(size=(16, 8)), "b1": rng.normal(size=16),
               "w2": rng.normal(size=(8, 16)), "b2": rng.normal(size=8),
               "w3": rng.normal(size=(1, 8)), "b3": rng.normal(size=1),
               "mean": rng.normal(size=8), "std": rng.uniform(0.5, 2, 8)}
    model = EvictionModel(weights, {"note": "test"})
    x = rng.normal(size=(5, 8)).astype(np.float32)
    z = (x - weights["mean"]) / weights["std"]
    h1 = np.maximum(z @ weights["w1"].T + weights["b1"], 0)
    h2 = np.maximum(h1 @ weights["w2"].T + weights["b2"], 0)
    expected = (h2 @ weights["w3"].T + weights["b3"])[:, 0]
    assert np.allclose(model.predict(x), expected, atol=1e-3)
    path = str(tmp_path / "m.npz")
    model.save(path)
    loaded = EvictionModel.load(path)
    assert loaded.meta == {"note": "test"} and np.allclose(loaded.predict(x), expected, atol=1e-3)
    with pytest.raises(ValueError):
        EvictionModel({**weights, "w1": np.zeros((16, 3))})


@pytest.mark.parametrize("hidden", [HIDDEN, (12, 6)])  # the unrolled shape and any other
@pytest.mark.parametrize("rows, width", [(1, 48), (7, 48), (27, 48), (27, 30), (32, 48),
                                         (48, 48)])
def test_batched_forward_matches_the_reference(hidden, rows, width):
    """Eviction scores its candidates as columns (forward_columns): same predictions, whatever
    the columns past `rows` held (they pad the batch to a multiple of 8 within `width`)."""
    rng = np.random.default_rng(rows)
    weights = {"w1": rng.normal(size=(hidden[0], 8)), "b1": rng.normal(size=hidden[0]),
               "w2": rng.normal(size=(hidden[1], hidden[0])), "b2": rng.normal(size=hidden[1]),
               "w3": rng.normal(size=(1, hidden[1])), "b3": rng.normal(size=1),
               "mean": rng.normal(size=8), "std": rng.uniform(0.5, 2, 8)}
    model = EvictionModel(weights)
    x = rng.normal(size=(rows, 8)).astype(np.float32)
    xt = np.full((8, width), np.nan, np.float32)
    xt[:, :rows] = x.T
    out = np.zeros(width, np.float32)
    forward_columns(xt, rows, *model.arrays(), np.zeros((hidden[0], width), np.float32),
                    np.zeros(width, np.float32), out)
    assert np.allclose(out[:rows], model.predict(x), atol=1e-4)


def test_shipped_model_loads_and_says_how_it_was_made():
    model = EvictionModel.load(DEFAULT_PATH)
    assert model.meta["command"].startswith("predis train")


def test_report_table_scoreboard_and_plot(tmp_path):
    results = [{"trace": "t", "size": size, "capacity": cap, "unit": "objects",
                "policies": {"allkeys-lru": {"miss_ratio": lru, "byte_miss_ratio": lru},
                             "allkeys-learned": {"miss_ratio": mine, "byte_miss_ratio": mine},
                             "S3FIFO": {"miss_ratio": s3, "byte_miss_ratio": s3},
                             "Belady": {"miss_ratio": 0.1, "byte_miss_ratio": 0.1}}}
               for size, cap, lru, mine, s3 in (("1%", 10, 0.8, 0.7, 0.69), ("10%", 100, 0.5,
                                                                             0.4, 0.45))]
    text = table(results)
    assert "| t | 10% | 0.5000 | **0.4000** | 0.4500 | 0.1000 |" in text
    board = scoreboard(results)
    assert board["cells"] == 2 and board["at_or_below_best_baseline"] == 1
    assert board["mean_ratio_to_allkeys_lru"] == round((0.7 / 0.8 + 0.4 / 0.5) / 2, 4)
    path = tmp_path / "mrc.png"
    plot(results, str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sim_and_train_command_lines(tmp_path, capsys):
    rng = np.random.default_rng(5)
    trace_path = tmp_path / "keys.txt"
    trace_path.write_text("\n".join(f"k{k}" for k in rng.zipf(1.2, 3000) % 400) + "\n")
    model_path = str(tmp_path / "m.npz")
    assert predis_tool(["train", "--trace", str(trace_path), "--bytes-trace", str(trace_path),
                        "--out", model_path, "--rounds", "1",
                        "--epochs", "2"]) == 0
    out_json = tmp_path / "r.json"
    assert predis_tool(["sim", str(trace_path), "--sizes", "5%,20%", "--references",
                        "LRU,Belady", "--model", model_path, "--json", str(out_json),
                        "--progress", "no"]) == 0
    report = json.loads(out_json.read_text())
    assert len(report["results"]) == 2
    for cell in report["results"]:
        values = {name: v["miss_ratio"] for name, v in cell["policies"].items()}
        assert set(values) == {"allkeys-lru", "allkeys-lfu", "allkeys-s3fifo",
                               "allkeys-learned", "LRU", "Belady"}
        assert values["Belady"] == min(values.values())
        assert cell["eval_from"] == 900
    assert "| keys | 20% |" in capsys.readouterr().out


def test_arbiter_follows_s3fifo_on_a_loop_larger_than_the_cache():
    """A loop over 1000 keys in a 100-key cache: every key looks alike to the model, and only
    S3-FIFO's stable resident set scores; allkeys-learned must find that out."""
    trace = small_trace(np.tile(np.arange(1000), 30))
    start = 10_000
    s3 = run_policy(trace, 100, "allkeys-s3fifo", start)["miss_ratio"]
    model_only = run_policy(trace, 100, "volatile-learned", start)["miss_ratio"]
    adaptive = run_policy(trace, 100, "allkeys-learned", start)
    assert s3 < model_only - 0.05
    assert adaptive["miss_ratio"] <= s3 + 0.01


def test_arbiter_follows_the_model_where_it_predicts_better():
    trace = read_oracle(MULTI3).with_unit_sizes()
    capacity = trace.footprint()[0] // 100
    start = int(len(trace) * 0.3)
    s3 = run_policy(trace, capacity, "allkeys-s3fifo", start)["miss_ratio"]
    adaptive = run_policy(trace, capacity, "allkeys-learned", start)
    assert adaptive["miss_ratio"] < s3 - 0.02 and adaptive["learned_evictions"] > 0


def test_arbiter_cost_times_each_shadow():
    from bench.arbiter_cost import NAMES, main, shadow_costs

    trace = read_trace(MULTI3).head(3000)
    costs = shadow_costs(trace, 20)
    assert list(costs) == list(NAMES) and all(ns > 0 for ns in costs.values())
    main([MULTI3, "--objects", "20"])  # the command line runs too


def test_arbiter_shadows_take_a_bounded_share_of_the_servers_memory():
    from ml import arbiter

    # object-count caches (the simulator): full-size shadows up to 2 x MIN_SHADOW_OBJECTS keys
    assert arbiter.sample_shift(100, 0) == 0
    assert arbiter.sample_shift(2047, 0) == 0 and arbiter.sample_shift(2048, 0) == 1
    for keys, value_bytes in ((800, 1100), (5000, 200), (300, 1100), (100_000, 150)):
        held = keys * value_bytes
        shift = arbiter.sample_shift(keys, held)
        shadow_keys = keys >> shift
        assert shift >= arbiter.sample_shift(keys, 0)
        within = arbiter.shadow_bytes(shadow_keys) <= arbiter.SHADOW_MEMORY_SHARE * held
        at_floor = keys >> (shift + 1) < arbiter.MIN_SAMPLED_OBJECTS
        assert within or at_floor or shift == arbiter.MAX_SHIFT, (keys, value_bytes, shift)
        stats = arbiter.new_arbiter(keys, held)[9]
        assert stats[arbiter.SHIFT] == shift and stats[arbiter.SHADOW_CAP] == shadow_keys
    # a 100-key cache is not sampled below MIN_SAMPLED_OBJECTS keys a shadow, whatever it costs
    assert arbiter.sample_shift(100, 100 * 100) == 0
    assert arbiter.sample_shift(800, 800 * 1100) == 2  # 800-key shadows would cost 32%
