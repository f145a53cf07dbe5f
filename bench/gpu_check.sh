#!/usr/bin/env bash
# The GPU check: on a machine with an NVIDIA GPU, run the engine test suite on the real device
# and the GPU benchmarks, writing everything under $1 (default ./gpu-check). Budget: < 8 min.
#
#   bench/gpu_check.sh results/
#
# The engine tests and kernel benchmarks need python3 with numpy, numba (+ numba-cuda) and
# pytest; the end-to-end step (bench/engines_e2e.py) also needs Predis's dependencies and
# redis-server + redis-benchmark on the PATH, and is skipped without them.
set -u -o pipefail
out=${1:-gpu-check}
mkdir -p "$out"
export NUMBA_ENABLE_CUDASIM=0 PYTHONUNBUFFERED=1
{
    date -u
    nvidia-smi --query-gpu=name,memory.total,driver_version,pcie.link.gen.max,pcie.link.width.max \
        --format=csv || true
    python3 -c "import sys, numpy, numba; print(sys.version); print('numpy', numpy.__version__, 'numba', numba.__version__)"
    python3 -c "import numba_cuda; print('numba-cuda', numba_cuda.__version__)" 2>/dev/null || true
} 2>&1 | tee "$out/environment.txt"
status=0
timeout 200 python3 -m pytest -q -p no:cacheprovider tests/gpu tests/test_engine_batch.py \
    tests/ml/test_device_scoring.py 2>&1 | tee "$out/engine_tests.txt" || status=1
timeout 240 python3 -m bench.gpu_kernels --out "$out" ${GPU_BENCH_ARGS:-} 2>&1 | tee "$out/gpu_kernels.txt" || status=1
if command -v redis-benchmark >/dev/null && python3 -c "import hiredis, structlog, redis" 2>/dev/null; then
    timeout 240 python3 -m bench.engines_e2e ${E2E_ARGS:-} 2>&1 | tee "$out/engines_e2e.txt" || status=1
else
    echo "end-to-end step skipped: redis-benchmark or Predis's Python dependencies missing" | tee "$out/engines_e2e.txt"
fi
exit $status
