"""`predis migrate` against a real redis-server: every data type, writes during the copy,
--live following, --verify; and `predis-server --import-rdb` starting from a backup file."""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from .rawclient import RawClient
from .servers import ROOT, start_predis, start_redis
from .test_snapshots import FILL, PROBES, _state


def _run_migrate(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "ops.tool", "migrate", *args], cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True,
                          timeout=timeout)


def test_migrate_copies_everything_and_verifies():
    source, target = start_redis(), start_predis()
    try:
        src = RawClient(source.port)
        for command in FILL:
            if command[0] != "FUNCTION":  # functions are not keys; migrate copies keys
                src.call(*command)
        for i in range(3000):
            src.call("SET", f"bulk:{i}", str(i))
        result = _run_migrate("--source", f"redis://127.0.0.1:{source.port}",
                              "--target", f"redis://127.0.0.1:{target.port}", "--verify",
                              "--state", os.path.join(tempfile.mkdtemp(), "state.json"))
        assert result.returncode == 0, result.stdout + result.stderr
        assert b"verify: 0 difference(s)" in result.stdout
        dst = RawClient(target.port)
        probes = [p for p in PROBES if p[0] != "FCALL"]
        assert [dst.call(*p) for p in probes if p[0] not in ("SMEMBERS", "HGETALL")] == \
            [src.call(*p) for p in probes if p[0] not in ("SMEMBERS", "HGETALL")]
    finally:
        source.stop()
        target.stop()


def test_migrate_live_follows_writes_during_the_copy():
    source, target = start_redis(), start_predis()
    try:
        src = RawClient(source.port)
        for i in range(5000):
            src.call("SET", f"k:{i}", "before")
        stop = threading.Event()

        def writer():
            client = RawClient(source.port)
            i = 0
            while not stop.is_set():
                client.call("SET", f"k:{i % 5000}", f"during-{i}")
                client.call("RPUSH", "events", str(i))
                if i % 50 == 0:
                    client.call("DEL", f"k:{(i * 7) % 5000}")
                i += 1
                time.sleep(0.001)
            client.close()

        thread = threading.Thread(target=writer)
        thread.start()
        process = subprocess.Popen(
            [sys.executable, "-m", "ops.tool", "migrate", "--source",
             f"redis://127.0.0.1:{source.port}", "--target", f"redis://127.0.0.1:{target.port}",
             "--live", "--live-seconds", "3", "--verify"],
            cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        time.sleep(1.5)
        stop.set()
        thread.join()
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, out + err
        assert b"verify: 0 difference(s)" in out
    finally:
        source.stop()
        target.stop()


def test_import_rdb_starts_from_a_backup_file():
    source = start_redis()
    try:
        src = RawClient(source.port)
        for command in FILL:
            src.call(*command)
        expected = _state(src)
        src.call("SAVE")
        backup = os.path.join(tempfile.mkdtemp(), "backup.rdb")
        shutil.copy(os.path.join(source.workdir, "dump.rdb"), backup)
    finally:
        source.stop()
    predis = start_predis(["--import-rdb", backup])
    try:
        assert _state(RawClient(predis.port)) == expected
    finally:
        predis.stop()
