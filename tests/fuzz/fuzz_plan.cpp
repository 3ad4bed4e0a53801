// libFuzzer target: plan files (ours, the MoA reference JSON and CSV), the one input a user edits
// by hand. The first byte picks the reader; the rest is the file. Parsing either throws
// moa::Error or gives a plan that is consistent, finite, survives a round trip through every
// writer, and whose density and prefill work are fractions at any length.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/plan/plan.h"
#include "core/plan/plan_io.h"
#include "core/util/error.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool same_rules(const moa::Plan& a, const moa::Plan& b) {
  if (a.num_layers != b.num_layers || a.num_heads != b.num_heads) return false;
  for (int l = 0; l < a.num_layers; ++l)
    for (int h = 0; h < a.num_heads; ++h)
      if (a.head_rule(l, h) != b.head_rule(l, h)) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  moa::Plan p;
  try {
    switch (data[0] % 3) {
      case 0: p = moa::plan_from_json(text, "fuzz.moaplan.json"); break;
      case 1: p = moa::plan_from_reference_json(text, "fuzz.json"); break;
      default: p = moa::plan_from_csv(text, "fuzz.csv"); break;
    }
  } catch (const moa::Error&) {
    return 0;
  }
  // A plan that was accepted is whole: every later use (solver, runtime, GUI) relies on it.
  moa::plan_check_shape(p, "fuzz");
  check(p.num_layers > 0 && p.num_heads > 0);
  for (const auto& layer : p.rules)
    for (const moa::Rule& r : layer) check(std::isfinite(r.alpha) && std::isfinite(r.beta));
  for (const int64_t n : {64, 4096, 1 << 20}) {
    const double d = moa::plan_density(p, n), w = moa::plan_work_fraction(p, n);
    check(d > 0 && d <= 1 && w > 0 && w <= 1);
  }
  // Round trips: our JSON keeps everything; the reference formats keep the per-head rules.
  check(same_rules(moa::plan_from_json(moa::plan_to_json(p), "again.moaplan.json"), p));
  check(same_rules(moa::plan_from_reference_json(moa::plan_to_reference_json(p), "again.json"), p));
  check(same_rules(moa::plan_from_csv(moa::plan_to_csv(p), "again.csv"), p));
  return 0;
}
