"""Eviction kernels (numba), the learned model, the simulator; the ML sidecar arrives with its
issue.

numba's on-disk cache is checked against each function's own source file only: a kernel that
calls a kernel from another module keeps the old callee after that module changes. So the cache
lives in a directory named after a digest of every source file here, and any change starts a
fresh one (an upgrade can never run stale compiled kernels).
"""

import hashlib
import os
import sys
import tempfile
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _kernel_cache_dir() -> str:
    digest = hashlib.sha256()
    for path in sorted(_HERE.rglob("*.py")):
        digest.update(str(path.relative_to(_HERE)).encode())
        digest.update(path.read_bytes())
    root = os.environ.get("PREDIS_KERNEL_CACHE")
    if root is None:  # beside the sources when they are writable (a checkout), else a temp dir
        writable = os.access(_HERE.parent, os.W_OK)
        root = str(_HERE.parent / ".kernel-cache") if writable else \
            os.path.join(tempfile.gettempdir(), "predis-kernel-cache")
    return os.path.join(root, digest.hexdigest()[:16])


if "NUMBA_CACHE_DIR" not in os.environ:
    os.environ["NUMBA_CACHE_DIR"] = _kernel_cache_dir()
    try:
        from numba.core import config as _numba_config

        _numba_config.reload_config()
    except ImportError:  # numba absent: nothing compiled here will run anyway
        pass


def _load_numba_array_math_without_scipy() -> None:
    """numba's array-math module asks whether a BLAS is there by importing scipy.linalg when
    the first kernel is compiled or loaded: 0.2 s of a 1 s server start. That answer only
    picks np.convolve/np.correlate's inner loop, which no kernel here calls, so the one import
    is made to fail while the module loads; scipy stays importable afterwards (np.dot in a
    kernel imports it again when it is compiled, and the sidecar's drift tests use it)."""
    if "scipy.linalg" in sys.modules or "numba.np.arraymath" in sys.modules:
        return
    blas = "scipy.linalg.cython_blas"
    sys.modules[blas] = None  # `import` of a None entry raises ImportError
    try:
        import numba.np.arraymath  # noqa: F401
    except ImportError:
        pass  # numba absent
    finally:
        del sys.modules[blas]


_load_numba_array_math_without_scipy()
