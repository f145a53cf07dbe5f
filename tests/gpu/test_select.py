"""--engine auto|gpu|cpu without a CUDA driver: the CPU engine (auto), a startup error (gpu),
decided without importing numba.cuda (50 ms on every start)."""

import os
import subprocess
import sys

import pytest

from gpu import select

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Log:
    def __init__(self):
        self.lines = []

    def info(self, event, **fields):
        self.lines.append((event, fields))


def test_without_a_driver_numba_cuda_is_not_imported():
    code = ("import sys; from gpu import select; select._DRIVER_NAMES = ['libnowhere.so']; "
            "print(select.cuda_problem()); print('numba.cuda' in sys.modules)")
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0", PYTHONPATH=ROOT)
    env.pop("NUMBA_CUDA_DRIVER", None)
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.splitlines() == ["no usable CUDA device (driver or GPU missing)", "False"]


def test_choices_without_a_driver(monkeypatch):
    monkeypatch.setenv("NUMBA_ENABLE_CUDASIM", "0")
    monkeypatch.delenv("NUMBA_CUDA_DRIVER", raising=False)
    monkeypatch.setattr(select, "_DRIVER_NAMES", ["libnowhere.so"])
    log = Log()
    assert select.choose("auto", log) == "cpu"
    assert log.lines == [("engine_cpu", {"reason": "no usable CUDA device (driver or GPU "
                                                   "missing)"})]
    assert select.choose("cpu", log) == "cpu"
    with pytest.raises(select.EngineUnavailable, match="engine gpu requested but no usable"):
        select.choose("gpu", log)


def test_the_simulator_is_chosen_only_when_asked_for(monkeypatch):
    monkeypatch.setenv("NUMBA_ENABLE_CUDASIM", "1")
    log = Log()
    assert select.choose("gpu", log) == "gpu"
    assert select.choose("auto", log) == "cpu"
    assert log.lines[0][1]["reason"].startswith("CUDA simulator only")
