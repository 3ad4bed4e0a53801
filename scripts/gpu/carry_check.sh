#!/usr/bin/env bash
# On the GPU machine, one call (NOTES.md v9): kernels-only build; the prefill tests with the TMA
# consumers carrying an item's last P V into the next item (MOA_PREFILL_TMA_CARRY=1, the default)
# and without (=0); memcheck + racecheck of the carrying kernel; then bench_kernels alternating
# carry off / on (ROUNDS rounds, 8k and 32k, the MoA plans plus uniform bands), and baselines.py
# (SDPA, Flex) on the last carry-on round. Logs and JSON under $OUT.
set -uo pipefail
B=/tmp/bk
cmake -S . -B $B -G Ninja -DMOA_KERNELS_ONLY=ON -DCMAKE_BUILD_TYPE=Release -DMOA_PTXAS_VERBOSE=ON > /tmp/configure.log 2>&1 || { tail -30 /tmp/configure.log; exit 1; }
ninja -C $B > /tmp/build.log 2>&1 || { grep -E "error|FAILED" /tmp/build.log | head -40; exit 1; }
grep -E "C75|spill" /tmp/build.log | sort | uniq -c | head -8
for carry in 1 0; do
  f=; [ $carry = 0 ] && f='--gtest_filter=*WgmmaTma*:*Automatic*'
  MOA_PREFILL_TMA_CARRY=$carry MOA_KERNEL_TEST_TIMEOUT_S=30 timeout 150 $B/tests/test_kernel_prefill ${f:+"$f"} > "/tmp/test_prefill_carry$carry.log" 2>&1
  echo "test_kernel_prefill carry=$carry rc=$? $(grep -E '^\[  (PASSED|FAILED) ' "/tmp/test_prefill_carry$carry.log" | tr '\n' ' ')"
done
grep -q "^\[  PASSED  \]" /tmp/test_prefill_carry1.log && ! grep -q "FAILED" /tmp/test_prefill_carry1.log || {
  grep -E "Failure|Expected|relative|HANG" /tmp/test_prefill_carry1.log | head -20; echo "carry tests failed: no bench"; exit 1; }
MOA_KERNEL_TEST_QUICK=1 timeout 90 compute-sanitizer --tool memcheck --error-exitcode 7 $B/tests/test_kernel_prefill --gtest_filter='*WgmmaTma*:*Automatic*' > /tmp/san_mem.log 2>&1
echo "memcheck rc=$? $(grep 'ERROR SUMMARY' /tmp/san_mem.log | tail -1)"
timeout 200 compute-sanitizer --tool racecheck --error-exitcode 7 $B/tests/test_kernel_prefill --gtest_filter='*WgmmaTma*' > /tmp/san_race.log 2>&1
echo "racecheck rc=$? $(grep 'RACECHECK SUMMARY' /tmp/san_race.log | tail -1)"
for r in $(seq 1 ${ROUNDS:-2}); do
  for carry in 0 1; do
    MOA_PREFILL_TMA_CARRY=$carry MOA_BENCH_IMPLS=wgmma_tma,automatic MOA_BENCH_REPEATS=3 MOA_BENCH_BANDS=2,4,8,16,32 \
      MOA_BENCH_NO_DECODE=1 timeout 120 $B/bench/kernels/bench_kernels "$OUT/carry${carry}_r$r.json" 2>&1 | grep -E "^prefill" | cut -c1-150 | sed "s/^/carry=$carry r$r /"
  done
done
# What callers get (carry on, the default), with the baselines, in the same call.
MOA_BENCH_IMPLS=wgmma_tma,automatic timeout 120 $B/bench/kernels/bench_kernels "$OUT/kernels.json" 2>&1 | grep -E "^prefill|^decode" | cut -c1-150
PYTHONUNBUFFERED=1 timeout 150 python3 bench/kernels/baselines.py "$OUT/kernels.json" 2> /tmp/baselines.err | grep -E "^\|" | head -16
