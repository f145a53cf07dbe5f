"""Loaded by pytest before any test module: the GPU engine's kernels run in numba's CUDA
simulator unless the run asks for the real device (NUMBA_ENABLE_CUDASIM=0, as
bench/gpu_check.sh does on a machine with an NVIDIA GPU). Must be set before numba.cuda loads."""

import os

os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
