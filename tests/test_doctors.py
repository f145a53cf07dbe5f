"""MEMORY DOCTOR's and LATENCY DOCTOR's findings beyond what a differential test can set up
(the texts themselves are compared with redis-server in compat_tests/test_server_commands.py)."""

from server import latency_doctor, memory_doctor
from tests.fakes import make_server


def _filled(keys: int = 60_000):
    server = make_server("--predis-sidecar", "no")
    db = server.keyspace[0]
    for i in range(keys):  # ~10 MB of 16-byte keys and values: past the 5 MB "empty" mark
        db.set(b"key:%012d" % i, b"value:%010d" % i)
    assert server.used_memory() > 5 * 1024 * 1024
    return server


def test_memory_doctor_reports_a_peak_and_many_scripts():
    server = _filled()
    assert memory_doctor.report(server) == memory_doctor.HEALTHY
    server.memory_peak = 2 * server.used_memory()
    server.scripts.update({f"{n:040x}": None for n in range(1001)})
    text = memory_doctor.report(server)
    assert text.startswith("Sam, I detected a few issues")
    assert " * Peak memory:" in text and " * Many scripts:" in text
    assert " * Big client buffers:" not in text
    assert text.index("Peak memory") < text.index("Many scripts")  # Redis's order
    assert text.endswith("I'm here to keep you safe, Sam. I want to help you.\n")


def test_latency_doctor_advice_follows_the_events_and_the_settings():
    server = make_server("--predis-sidecar", "no")
    server.config.set_many([("latency-monitor-threshold", "5"), ("appendfsync", "always")])
    server.latency.add("expire-cycle", 30)
    server.latency.add("aof-fsync-always", 12)
    text = latency_doctor.report(server)
    assert "1. expire-cycle: 1 latency spikes (average 30ms, mean deviation 0ms" in text
    assert "2. aof-fsync-always: 1 latency spikes (average 12ms" in text
    assert "'CONFIG SET hz 100'" in text  # hz 10 is under 100
    assert "Your fsync policy is set to 'always'" in text
    assert text.index("Your fsync policy") < text.index("CONFIG SET hz 100")  # Redis's order
    server.config.set_many([("hz", "100"), ("appendfsync", "everysec")])
    text = latency_doctor.report(server)
    assert "CONFIG SET hz 100" not in text and "fsync policy" not in text
    assert "large objects" in text  # expire-cycle's other advice stays
