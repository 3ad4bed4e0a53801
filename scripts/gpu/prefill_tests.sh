#!/usr/bin/env bash
# On the GPU machine: kernels-only build of this tree (/tmp/bk); the prefill tests with the TMA
# consumers carrying an item's last P V into the next item (MOA_PREFILL_TMA_CARRY=1, the default)
# and without (=0); compute-sanitizer memcheck and racecheck (quick cases) of the persistent
# kernels. With BASE (a source tree, default .ab-base, see same_process_ab.sh) holding this tree's
# test file, the NaN-isolation test is also run against that build (a base whose carried O is
# not isolated must fail it: the test's own check). Logs under $OUT.
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
BASE=${BASE:-.ab-base}
B=/tmp/bk
cmake -S . -B $B -G Ninja -DMOA_KERNELS_ONLY=ON -DCMAKE_BUILD_TYPE=Release -DMOA_PTXAS_VERBOSE=ON > "$OUT/configure.log" 2>&1 ||
  { tail -30 "$OUT/configure.log"; exit 1; }
ninja -C $B test_kernel_prefill bench_kernels moa_prefill_capi > "$OUT/build.log" 2>&1 ||
  { grep -E "error|FAILED" "$OUT/build.log" | head -40; exit 1; }
echo "ptxas: $(grep -cE 'C75' "$OUT/build.log") C75xx warnings; spills: $(grep -E 'spill' "$OUT/build.log" | grep -vc ' 0 bytes spill stores, 0 bytes spill loads')"
status=0
for carry in 1 0; do
  f=; [ $carry = 0 ] && f='--gtest_filter=*WgmmaTma*:*Automatic*:*NonFinite*'
  MOA_PREFILL_TMA_CARRY=$carry MOA_KERNEL_TEST_TIMEOUT_S=30 timeout 200 $B/tests/test_kernel_prefill ${f:+"$f"} > "$OUT/test_prefill_carry$carry.log" 2>&1
  rc=$?; [ $rc = 0 ] || status=1
  echo "test_kernel_prefill carry=$carry rc=$rc $(grep -E '^\[  (PASSED|FAILED) ' "$OUT/test_prefill_carry$carry.log" | tr '\n' ' ')"
  grep -E "NaN isolation" "$OUT/test_prefill_carry$carry.log" | sed "s/^/  carry=$carry /"
  grep -E "Failure|Expected|Which is|relative|HANG" "$OUT/test_prefill_carry$carry.log" | head -12
done
for tool in memcheck racecheck; do
  MOA_KERNEL_TEST_QUICK=1 timeout 150 compute-sanitizer --tool $tool --error-exitcode 7 $B/tests/test_kernel_prefill \
    --gtest_filter='*WgmmaWs*:*WgmmaTma*:*Automatic*' > "$OUT/san_$tool.log" 2>&1
  rc=$?; [ $rc = 0 ] || status=1
  echo "$tool rc=$rc $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$OUT/san_$tool.log" | tail -1)"
done
if [ -d "$BASE" ]; then
  if cmake -S "$BASE" -B /tmp/bk-base -G Ninja -DMOA_KERNELS_ONLY=ON -DCMAKE_BUILD_TYPE=Release > "$OUT/base_configure.log" 2>&1 &&
    ninja -C /tmp/bk-base test_kernel_prefill moa_prefill_capi > "$OUT/base_build.log" 2>&1; then
    MOA_KERNEL_TEST_TIMEOUT_S=30 timeout 120 /tmp/bk-base/tests/test_kernel_prefill --gtest_filter='*NonFinite*' > "$OUT/base_nan.log" 2>&1
    rc=$?
    if grep -q "RUN .*NonFiniteInputsStayInTheirHeads" "$OUT/base_nan.log"; then
      echo "base NaN-isolation test rc=$rc (non-zero expected where the base lets a NaN cross items)"
      grep -E "NaN isolation|non-finite values|Which is|Value of" "$OUT/base_nan.log" | head -16
    else
      echo "base: its test file has no NaN-isolation test (copy this tree's tests/gpu/test_kernel_prefill.cpp into $BASE)"
    fi
  else
    echo "base: configure or build of $BASE failed (logs base_configure.log, base_build.log)"
  fi
fi
exit $status
