"""The GPU benchmark's code paths on tiny inputs (CUDA simulator in CI: its timings are
meaningless, but a benchmark that no longer runs, or whose engines disagree, fails here)."""

from bench import gpu_kernels


def test_kernel_rows_find_every_probed_key():
    rows = gpu_kernels.kernel_rows(slots_log2=8, repeat=1, batches=(1, 10, 100))
    assert [(row["load"], row["batch"]) for row in rows] == [
        (0.5, 1), (0.5, 10), (0.5, 100), (0.9, 1), (0.9, 10), (0.9, 100)]
    assert all(row["hits"] == row["batch"] for row in rows)


def test_engine_rows_cover_both_engines_and_both_read_paths():
    rows = gpu_kernels.engine_rows(resident=30, repeat=1, batches=(1, 16))
    assert {(row["engine"], row["op"], row["batch"]) for row in rows} == {
        (engine, op, batch) for engine in ("cpu", "gpu") for op in ("mget", "mset")
        for batch in (1, 16)} | {("gpu-direct", "mget", 1), ("gpu-direct", "mget", 16)}


def test_scoring_rows_compare_the_two_scorers():
    rows = gpu_kernels.scoring_rows(repeat=1, batches=(16, 200))
    assert [row["rows"] for row in rows] == [16, 200]
    assert all(row["agree"] for row in rows)
