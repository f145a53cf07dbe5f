"""The differential suites for strings and everything that reads or writes them (keys, DUMP/
RESTORE, snapshots, transactions, bit commands, forked children), run again with Predis on the GPU engine: in
numba's CUDA simulator here, on the device with bench/gpu_check.sh. Replies must match
redis-server's exactly, as on the CPU engine."""

import os
import subprocess
import sys

import redis

from .servers import ROOT, start_predis

SUITES = ["test_strings.py", "test_keys.py", "test_dump_restore.py", "test_transactions.py",
          "test_bits.py",
          # the snapshot cases whose strings come from or go to the engine (the others test
          # file formats and children, the same on either engine)
          "test_snapshots.py::test_redis_rdb_loads_into_predis",
          "test_snapshots.py::test_predis_snapshots_survive_restart_save_bgsave_shutdown",
          "test_snapshots.py::test_rdb10_file_from_predis_loads_into_redis_7_0",
          # forked children (an AOF rewrite, a forked debugging session) that read and write
          # strings: CUDA cannot be used after fork(), so they must get them in host memory
          "test_aof.py::test_bgrewriteaof_keeps_everything_and_replaces_the_files",
          "test_lua_debugger.py::test_ldb_changes_stay_after_a_sync_session_and_vanish_after_a_"
          "forked_one"]
# matching key names with glob patterns, or walking them with SCAN, never reads a value
LEFT_OUT = ("not test_glob_patterns_match_as_redis_and_never_backtrack_forever"
            " and not test_scan_full_iteration")


def test_server_stores_strings_on_the_gpu_engine(monkeypatch):
    monkeypatch.setenv("PREDIS_TEST_ENGINE", "gpu")
    server = start_predis()
    try:
        client = redis.Redis(port=server.port)
        client.mset({"a": "1", "b": "22"})
        client.rpush("list", "x")  # other types stay in host memory
        info = client.info("engine")
        assert info["engine"] == "gpu"
        assert info["engine_device"]  # "CUDA simulator" here, the GPU's name on a device
        assert info["engine_arena_used"] > 0
        assert client.mget("a", "b", "list", "missing") == [b"1", b"22", None, None]
        client.close()
    finally:
        server.stop()


def test_differential_suites_pass_on_the_gpu_engine():
    env = dict(os.environ, PREDIS_TEST_ENGINE="gpu")
    paths = [os.path.join(ROOT, "compat_tests", name) for name in SUITES]
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-k", LEFT_OUT, *paths], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
