"""Predis-only: PREDIS.MODEL LOAD/LIST/SHOW/PROMOTE/ROLLBACK over the model registry, from a
redis client, and the champion surviving a restart."""

import threading
import time

import pytest
import redis

from ml.model import DEFAULT_PATH, EvictionModel

from .servers import start_predis


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "retrained.npz"
    model = EvictionModel.load(DEFAULT_PATH)
    model.meta = {**model.meta, "rows": 12345}
    model.save(str(path))
    return str(path)


def info_of(client) -> dict:
    flat = client.execute_command("PREDIS.MODEL", "INFO")
    return dict(zip(flat[::2], flat[1::2]))


def test_load_list_show_promote_rollback_and_restart(tmp_path, model_file):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = start_predis(("--dir", str(data_dir)))
    try:
        client = redis.Redis(port=server.port, decode_responses=True)
        assert client.execute_command("PREDIS.MODEL", "LIST") == []
        assert info_of(client)["version"] == ""
        assert client.execute_command("PREDIS.MODEL", "LOAD", DEFAULT_PATH) == "OK"
        assert client.execute_command("PREDIS.MODEL", "LOAD", model_file) == "OK"
        rows = client.execute_command("PREDIS.MODEL", "LIST")
        assert [(r[1], r[5], r[7]) for r in rows] == [(1, DEFAULT_PATH, ""),
                                                      (2, model_file, "champion")]
        shown = client.execute_command("PREDIS.MODEL", "SHOW", 2)
        shown = dict(zip(shown[::2], shown[1::2]))
        assert shown["parent"] == "1" and shown["rows"] == "12345" and len(shown["sha256"]) == 64
        assert info_of(client)["version"] == "2" and info_of(client)["rows"] == "12345"
        assert client.execute_command("PREDIS.MODEL", "ROLLBACK") == "OK"
        assert info_of(client)["version"] == "1"
        assert client.execute_command("PREDIS.MODEL", "PROMOTE", 2) == "OK"
        with pytest.raises(redis.ResponseError, match="can't use model version 9"):
            client.execute_command("PREDIS.MODEL", "PROMOTE", 9)
        with pytest.raises(redis.ResponseError, match="not an integer"):
            client.execute_command("PREDIS.MODEL", "PROMOTE", "two")
        with pytest.raises(redis.ResponseError, match="version 7 is unreadable"):
            client.execute_command("PREDIS.MODEL", "SHOW", 7)
        assert info_of(client)["version"] == "2"
        client.close()
    finally:
        server.stop()
    server = start_predis(("--dir", str(data_dir)))  # the champion is loaded at start
    try:
        client = redis.Redis(port=server.port, decode_responses=True)
        assert info_of(client)["version"] == "2" and info_of(client)["rows"] == "12345"
        client.close()
    finally:
        server.stop()


def test_rollback_without_history_is_an_error(tmp_path):
    server = start_predis(("--dir", str(tmp_path)))
    try:
        client = redis.Redis(port=server.port, decode_responses=True)
        with pytest.raises(redis.ResponseError, match="no earlier champion"):
            client.execute_command("PREDIS.MODEL", "ROLLBACK")
        with pytest.raises(redis.ResponseError, match="can't load the model"):
            client.execute_command("PREDIS.MODEL", "LOAD", str(tmp_path / "missing.npz"))
        assert client.execute_command("PREDIS.MODEL", "LIST") == []
        client.close()
    finally:
        server.stop()


def _latencies(port, stop, out):
    client = redis.Redis(port=port)
    while not stop.is_set():
        started = time.perf_counter()
        client.get("k")
        out.append(time.perf_counter() - started)
    client.close()


def _during(port, action, rounds=60) -> list:
    stop, latencies = threading.Event(), []
    reader = threading.Thread(target=_latencies, args=(port, stop, latencies))
    reader.start()
    for i in range(rounds):
        action(i)
        time.sleep(0.02)
    stop.set()
    reader.join()
    return sorted(latencies)


def test_hot_swaps_under_load_do_not_stall_requests(tmp_path):
    """Sixty champion swaps while another client reads without pause: the event loop spends
    about two milliseconds per swap (loaded versions are cached; the alias file and audit log
    are written and synced), and the reader's p99 stays where it is without swaps."""
    server = start_predis(("--dir", str(tmp_path), "--maxmemory", "50mb",
                           "--maxmemory-policy", "allkeys-learned"))
    try:
        client = redis.Redis(port=server.port)
        client.execute_command("PREDIS.MODEL", "LOAD", DEFAULT_PATH)
        client.execute_command("PREDIS.MODEL", "LOAD", DEFAULT_PATH)
        client.set("k", "v")
        quiet = _during(server.port, lambda i: client.ping())
        swapping = _during(server.port,
                           lambda i: client.execute_command("PREDIS.MODEL", "PROMOTE", 1 + i % 2))
        info = client.info("ml")
        median, p99 = ([values[int(len(values) * share)] * 1000 for values in (quiet, swapping)]
                       for share in (0.5, 0.99))
        print(f"reader median {median[0]:.3f} / p99 {p99[0]:.3f} ms without swaps, "
              f"{median[1]:.3f} / {p99[1]:.3f} ms with; max {swapping[-1] * 1000:.3f} ms; loop "
              f"time per swap max {info['model_max_swap_ms']} ms over {info['model_swaps']} swaps")
        assert info["model_swaps"] == 62
        # Bounds with room for a loaded 2-core CI machine's fsync and scheduling spikes: a swap
        # that loaded torch would blow through the swap time and the reader's max, a cost
        # put on every request while swapping through the median. Not the p99: the sixty swaps
        # delay about one read in a hundred by their few milliseconds each, so on a slow
        # machine the p99 is a swap's length (CI: 1.3 ms quiet, 3.4 ms swapping).
        assert info["model_max_swap_ms"] < 20.0
        assert median[1] < median[0] + 1.0
        assert swapping[-1] < 0.05
        client.close()
    finally:
        server.stop()
