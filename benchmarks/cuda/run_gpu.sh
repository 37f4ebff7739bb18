#!/usr/bin/env bash
# Every GPU measurement, in one command on a machine with a CUDA GPU (H100/H200) and a
# PyTorch that sees it:
#
#     bash benchmarks/cuda/run_gpu.sh [python-with-torch]      # from the repository root
#
# 1. builds and runs the CUDA parity tests (tests/cuda: they no longer skip),
# 2. builds the GPU benchmarks and runs compare_lif_roofline.py (roofline fraction and the
#    ratio against PyTorch on the same GPU),
# 3. leaves everything under build/gpu/results/ (test log, raw benchmark JSON, comparison JSON).
set -euo pipefail
python=${1:-python3}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build/gpu
results=$build/results
jobs=$(nproc)
mkdir -p "$results"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DJEPASNN_BUILD_BENCHMARKS=ON \
    -DJEPASNN_BUILD_PAPER=OFF -DJEPASNN_BUILD_EXAMPLES=OFF
cmake --build "$build" -j "$jobs" --target test_cuda bench_cuda
(cd "$build" && ctest -L cuda --output-on-failure) 2>&1 | tee "$results/cuda_tests.log"
"$build/benchmarks/cuda/bench_cuda" --benchmark_format=json --benchmark_min_time=1 \
    > "$results/bench_cuda.json"
PYTHONPATH=$root/benchmarks "$python" "$root/benchmarks/cuda/compare_lif_roofline.py" \
    --binary "$build/benchmarks/cuda/bench_cuda" --out "$results/lif_roofline.json" \
    --python "$python"
echo "results in $results"
