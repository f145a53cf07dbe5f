"""A real queue library (RQ) runs its producer and worker against Predis, unchanged."""

import os
import subprocess
import sys

import pytest

rq = pytest.importorskip("rq", reason="rq is a test dependency (pyproject [test])")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_rq_producer_and_worker_complete_jobs(servers):
    from redis import Redis

    from compat_tests.jobs import add, fail, shout

    predis = servers[1]
    connection = Redis(port=predis.port)
    connection.flushall()
    queue = rq.Queue("predis-test", connection=connection)
    jobs = [queue.enqueue(add, 2, 3), queue.enqueue(shout, "hello"), queue.enqueue(fail)]
    delayed = queue.enqueue(add, 10, 20, job_timeout=30, result_ttl=600)
    worker = subprocess.run(
        [sys.executable, "-m", "rq.cli", "worker", "--burst", "--url",
         f"redis://127.0.0.1:{predis.port}", "predis-test"],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True, timeout=120)
    assert worker.returncode == 0, worker.stderr.decode(errors="replace")[-2000:]
    for job in jobs + [delayed]:
        job.refresh()
    assert jobs[0].return_value() == 5
    assert jobs[1].return_value() == "HELLO"
    assert jobs[2].is_failed
    assert delayed.return_value() == 30
    assert len(queue) == 0
    assert queue.failed_job_registry.count == 1
    assert queue.finished_job_registry.count == 3
    connection.close()
