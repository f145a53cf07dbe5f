#!/usr/bin/env bash
# The GPU check: on a machine with an NVIDIA GPU, run the engine test suite and the differential
# suites on the real device, then the GPU benchmarks, writing everything under $1 (default
# ./gpu-check). Budget: < 8 min with every step.
#
#   bench/gpu_check.sh results/
#   GPU_CHECK_STEPS=tests,compat,e2e bench/gpu_check.sh results/     (leave out the kernels)
#
# The engine tests and kernel benchmarks need python3 with numpy, numba (+ numba-cuda) and
# pytest; the differential suites (compat) and the end-to-end step (e2e) also need Predis's
# dependencies and redis-server + redis-benchmark on the PATH, and are skipped without them.
set -u -o pipefail
out=${1:-gpu-check}
steps=${GPU_CHECK_STEPS:-tests,compat,kernels,e2e}
mkdir -p "$out"
export NUMBA_ENABLE_CUDASIM=0 PYTHONUNBUFFERED=1
{
    date -u
    nvidia-smi --query-gpu=name,memory.total,driver_version,pcie.link.gen.max,pcie.link.width.max \
        --format=csv || true
    python3 -c "import sys, numpy, numba; print(sys.version); print('numpy', numpy.__version__, 'numba', numba.__version__)"
    python3 -c "import numba_cuda; print('numba-cuda', numba_cuda.__version__)" 2>/dev/null || true
} 2>&1 | tee "$out/environment.txt"
wants() { [[ ",$steps," == *",$1,"* ]]; }
has_predis_deps() {
    command -v redis-benchmark >/dev/null && python3 -c "import hiredis, structlog, redis, lupa" 2>/dev/null
}
status=0
# The engine tests and the differential suites use separate processes and little of a GPU:
# they run side by side; the benchmarks run alone afterwards.
pids=()
if wants tests; then
    timeout 240 python3 -m pytest -q -p no:cacheprovider tests/gpu tests/test_engine_batch.py \
        tests/ml/test_device_scoring.py >"$out/engine_tests.txt" 2>&1 &
    pids+=($!)
fi
if wants compat; then
    if has_predis_deps; then
        # every string-reading suite with strings on the GPU, replies compared with redis-server's
        timeout 300 python3 -m pytest -q -p no:cacheprovider compat_tests/test_engine_gpu.py \
            >"$out/compat_gpu.txt" 2>&1 &
        pids+=($!)
    else
        echo "compat step skipped: redis-server or Predis's Python dependencies missing" >"$out/compat_gpu.txt"
    fi
fi
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
for part in engine_tests compat_gpu; do
    [ -f "$out/$part.txt" ] && { echo "== $part"; tail -n 30 "$out/$part.txt"; }
done
if wants kernels; then
    timeout 240 python3 -m bench.gpu_kernels --out "$out" ${GPU_BENCH_ARGS:-} 2>&1 | tee "$out/gpu_kernels.txt" || status=1
fi
if wants e2e; then
    if has_predis_deps; then
        timeout 240 python3 -m bench.engines_e2e ${E2E_ARGS:-} 2>&1 | tee "$out/engines_e2e.txt" || status=1
    else
        echo "end-to-end step skipped: redis-benchmark or Predis's Python dependencies missing" | tee "$out/engines_e2e.txt"
    fi
fi
exit $status
