"""`--engine auto|gpu|cpu`: which string engine the server runs, and the factory for it.

auto takes the GPU engine when numba finds a usable CUDA device (the simulator does not count)
and otherwise the CPU engine, saying why in one log line. gpu insists: without a device it is
a startup error, except under NUMBA_ENABLE_CUDASIM=1, where the kernels run in numba's CUDA
simulator (how CI runs the server on the GPU engine).
"""

import ctypes
import os
import sys

_DRIVER_NAMES = [prefix + name for prefix in ("", "/usr/lib/", "/usr/lib64/")
                 for name in ("libcuda.so", "libcuda.so.1")]


class EngineUnavailable(RuntimeError):
    pass


def simulated() -> bool:
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")


def _no_driver() -> bool:
    """Whether the CUDA driver library is missing: then numba.cuda (50 ms to import, on every
    start) cannot find a device either. NUMBA_CUDA_DRIVER names another library: numba decides."""
    if simulated() or os.environ.get("NUMBA_CUDA_DRIVER") or not sys.platform.startswith("linux"):
        return False
    for name in _DRIVER_NAMES:  # where numba's driver module looks on Linux
        try:
            ctypes.CDLL(name)
            return False
        except OSError:
            pass
    return True


def cuda_problem() -> str | None:
    """Why the GPU engine cannot run here, or None when it can."""
    if _no_driver():
        return "no usable CUDA device (driver or GPU missing)"
    try:
        from numba import cuda
    except ImportError as exc:  # pragma: no cover - numba is a dependency
        return f"numba.cuda cannot be imported: {exc}"
    if simulated():
        return None
    try:
        if not cuda.is_available():
            return "no usable CUDA device (driver or GPU missing)"
    except Exception as exc:  # the driver's own errors
        return f"CUDA failed to initialise: {exc}"
    return None


def choose(requested: str, log) -> str:
    """The engine to run: 'gpu' or 'cpu'."""
    if requested == "cpu":
        return "cpu"
    problem = cuda_problem()
    if requested == "gpu":
        if problem:
            raise EngineUnavailable(f"engine gpu requested but {problem}")
        return "gpu"
    if problem is None and not simulated():
        return "gpu"
    log.info("engine_cpu", reason=problem or "CUDA simulator only (use --engine gpu to test)")
    return "cpu"


def gpu_engine_factory(arena_bytes: int, direct_read_max: int):
    """Makes one GPU engine (per database, on its first string write)."""
    from .gpu_engine import GpuEngine

    return lambda: GpuEngine(arena_bytes=arena_bytes, direct_read_max=direct_read_max)
