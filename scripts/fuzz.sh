#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and fuzzes each for SECONDS
# (default 600), growing tests/fuzz/corpus/<target>/ (committed; replayed by ctest).
#   scripts/fuzz.sh [safetensors|config|plan|data|tokenizer|all] [SECONDS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
which=${1:-all}; secs=${2:-600}
out="$root/build-fuzz"; mkdir -p "$out"
model_src=("$root/core/model/safetensors.cpp" "$root/core/model/config.cpp" "$root/core/model/dtype.cpp" "$root/core/util/files.cpp" "$root/core/util/json_read.cpp")
plan_src=("$root/core/plan/plan_io.cpp" "$root/core/plan/plan.cpp" "$root/core/plan/rule.cpp" "$root/core/util/files.cpp" "$root/core/util/json_read.cpp")
data_src=("$root/core/data/calib.cpp" "$root/core/data/longeval.cpp" "$root/core/data/words.cpp" "$root/core/util/files.cpp" "$root/core/util/json_read.cpp")
tok_src=("$root/core/model/tokenizer.cpp" "$root/core/model/tokenizer_bpe.cpp" "$root/core/model/tokenizer_load.cpp"
         "$root/core/model/tokenizer_text.cpp" "$root/core/util/files.cpp" "$root/core/util/json_read.cpp")
for t in safetensors config plan data tokenizer; do
  case $t in plan) src=("${plan_src[@]}") ;; data) src=("${data_src[@]}") ;; tokenizer) src=("${tok_src[@]}") ;;
    *) src=("${model_src[@]}") ;; esac
  [ "$which" = all ] || [ "$which" = "$t" ] || continue
  clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$root" \
    "$root/tests/fuzz/fuzz_$t.cpp" "${src[@]}" -o "$out/fuzz_$t"
  mkdir -p "$root/tests/fuzz/corpus/$t" "$out/new_$t"
  max_len=4096; [ "$t" = tokenizer ] && max_len=16384  # its seeds (whole tokenizer.json files) are ~6.5 KB
  (cd "$out" && "$out/fuzz_$t" -max_total_time="$secs" -max_len=$max_len -timeout=5 -rss_limit_mb=2048 \
    "$out/new_$t" "$root/tests/fuzz/corpus/$t") 2>&1 | grep -v "^#" | tail -n 40
  # Keep a minimised corpus in the repository.
  "$out/fuzz_$t" -merge=1 "$root/tests/fuzz/corpus/$t" "$out/new_$t" 2>&1 | tail -n 1
done
