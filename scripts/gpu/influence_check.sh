#!/usr/bin/env bash
# On the GPU machine (repo root, .device/env.sh sourced, $OUT writable): the tensor-core influence
# kernel's checks in one call (~4-5 min on an H100 with 16 cores):
#   1. build the torch-free kernel test and micro-benchmark, run the test (both implementations
#      against the float64 reference) and the benchmark (CUDA cores vs tensor cores, N = 8k/16k/32k,
#      Llama-3-8B shape, JSON lines -> $OUT/bench_influence.jsonl);
#   2. compute-sanitizer memcheck and racecheck on the small test cases;
#   3. meanwhile build the torch test (test_influence_kernel: the profiler's dispatch point and the
#      fused profiler on CUDA), then run it.
# Logs under $OUT; a short summary at the end.
set -uo pipefail
B=${BUILD:-build-gpu}
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
JOBS=${JOBS:-$(nproc)}
t0=$(date +%s)
since() { echo "$(( $(date +%s) - t0 ))s"; }
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"

cmake -S . -B $B -G Ninja -DCMAKE_BUILD_TYPE=Release -DMOA_BUILD_APP=OFF > "$OUT/cmake.log" 2>&1 || { tail -30 "$OUT/cmake.log"; exit 1; }
ninja -C $B -j"$JOBS" test_kernel_influence bench_influence > "$OUT/build_kernels.log" 2>&1 ||
  { grep -E -A5 "error|FAILED" "$OUT/build_kernels.log" | head -60; exit 1; }
echo "kernel targets built ($(since))"

# The torch test needs moa_core (~40 torch translation units): build it while the GPU runs.
( ninja -C $B -j"$JOBS" test_influence_kernel > "$OUT/build_torch.log" 2>&1; echo $? > "$OUT/build_torch.rc" ) &
build_pid=$!

timeout 150 $B/tests/test_kernel_influence > "$OUT/test_kernel_influence.log" 2>&1
test_rc=$?
echo "test_kernel_influence rc=$test_rc ($(since))"
grep -E "^\[influence|OK \]|FAILED|Failure|Expected|Which is|error" "$OUT/test_kernel_influence.log" | cut -c1-160 | head -60

timeout 120 $B/bench/kernels/bench_influence > "$OUT/bench_influence.jsonl" 2> "$OUT/bench_influence.err"
bench_rc=$?
echo "bench_influence rc=$bench_rc ($(since))"
cat "$OUT/bench_influence.jsonl"; tail -3 "$OUT/bench_influence.err"

san=()
for tool in memcheck racecheck; do
  MOA_KERNEL_TEST_QUICK=1 timeout 90 compute-sanitizer --tool $tool --error-exitcode 7 \
    $B/tests/test_kernel_influence --gtest_filter=KernelInfluence.MatchesReference > "$OUT/san_$tool.log" 2>&1
  rc=$?
  line="compute-sanitizer $tool: rc=$rc $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$OUT/san_$tool.log" | tail -1)"
  echo "$line ($(since))"
  san+=("$line")
done

wait $build_pid
torch_rc=skipped
if [ "$(cat "$OUT/build_torch.rc" 2>/dev/null)" = 0 ]; then
  echo "torch test built ($(since))"
  timeout 150 $B/tests/test_influence_kernel > "$OUT/test_influence_kernel.log" 2>&1
  torch_rc=$?
  grep -E "Hq=|bf16|Float|OK \]|FAILED|Failure|Expected|Which is" "$OUT/test_influence_kernel.log" | cut -c1-160 | head -40
else
  echo "torch test build failed:"; grep -E -A5 "error|FAILED" "$OUT/build_torch.log" | head -40
  torch_rc=build-failed
fi

echo "==== summary ($(since)) ===="
nvidia-smi --query-gpu=name --format=csv,noheader
echo "test_kernel_influence: rc=$test_rc, $(grep -E '^\[  (PASSED|FAILED) ' "$OUT/test_kernel_influence.log" | tr '\n' ' ')"
echo "test_influence_kernel (torch): rc=$torch_rc, $(grep -E '^\[  (PASSED|FAILED) ' "$OUT/test_influence_kernel.log" 2>/dev/null | tr '\n' ' ')"
printf '%s\n' "${san[@]}"
python3 - "$OUT/bench_influence.jsonl" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
ms = {(r["n"], r["impl"]): r for r in rows if "impl" in r}
for r in rows:
    if "speedup" in r:
        cc, tc = ms.get((r["n"], "cuda_cores")), ms.get((r["n"], "tensor_cores"))
        print(f"influence N={r['n']}: cuda_cores {cc['ms']:.1f} ms, tensor_cores {tc['ms']:.2f} ms "
              f"({tc['tflops']:.0f} TFLOP/s, {tc['s_per_sample_32_layers']:.2f} s/sample for 32 layers), "
              f"speedup {r['speedup']:.1f}x, totals differ by {r['total_rel_diff']:.1e}, nonfinite {r['nonfinite']}")
EOF
