#include "core/plan/rule.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/profile/profile_store.h"
#include "core/util/error.h"

namespace moa {

std::string rule_text(const Rule& rule) {
  std::ostringstream s;
  s << "(" << rule.alpha << ", " << rule.beta << ")";
  return s.str();
}

double rule_span(const Rule& rule, int64_t length) {
  return rule.alpha + rule.beta * static_cast<double>(length);
}

int64_t length_blocks(int64_t length) {
  if (length <= 0 || length % kBlockSize != 0)
    throw Error("length " + std::to_string(length) + " is not a positive multiple of 64");
  return length / kBlockSize;
}

int64_t rule_band_blocks(const Rule& rule, int64_t length) {
  const int64_t nb = length_blocks(length);
  // A tiny tolerance so that spans that are exact multiples of 64 in real arithmetic
  // (e.g. beta = 0.3, N = 640) are not floored one block short by binary rounding.
  const double blocks = rule_span(rule, length) / kBlockSize;
  // Clamped before the conversion: a finite but huge alpha or beta (a hand-edited plan) would
  // overflow int64 (undefined behaviour; found by tests/fuzz/fuzz_plan.cpp).
  const double k = std::clamp(std::floor(blocks + 1e-9), 1.0, static_cast<double>(nb));
  return static_cast<int64_t>(k);
}

bool band_attends(int64_t band_blocks, int64_t qb, int64_t kb) {
  if (kb > qb || kb < 0) return false;
  return kb == 0 || kb >= qb - band_blocks + 1;
}

int64_t band_attended_blocks(int64_t band_blocks, int64_t qb) {
  const int64_t band = std::min(band_blocks, qb + 1);  // blocks qb-band+1 .. qb
  const bool sink_outside_band = qb - band + 1 > 0;
  return band + (sink_outside_band ? 1 : 0);
}

double rule_density(const Rule& rule, int64_t length) {
  const int64_t nb = length_blocks(length);
  return static_cast<double>(band_attended_blocks(rule_band_blocks(rule, length), nb - 1)) /
         static_cast<double>(nb);
}

double rule_work_fraction(const Rule& rule, int64_t length) {
  const int64_t nb = length_blocks(length), k = rule_band_blocks(rule, length);
  // Per query block qb: the diagonal block keeps 64 * 65 / 2 pairs (causal inside it), and
  // band_attended_blocks(k, qb) - 1 other blocks all 64 * 64: qb of them while the band still
  // reaches the sink (qb < k), then k (k - 1 band blocks + the sink). Summed in closed form, as
  // Studio asks for it on every repaint.
  const double full_blocks = static_cast<double>(k * (k - 1) / 2 + (nb - k) * k);
  const double kept = full_blocks * kBlockSize * kBlockSize + static_cast<double>(nb) * kBlockSize * (kBlockSize + 1) / 2.0;
  const double n = static_cast<double>(length);
  return kept / (n * (n + 1) / 2.0);
}

RuleCheck rule_check(const Rule& rule, const std::vector<int64_t>& lengths) {
  if (!std::isfinite(rule.alpha) || !std::isfinite(rule.beta)) return {RuleFault::not_finite, 0};
  if (rule.beta < 0 || rule.beta > 1) return {RuleFault::beta_outside_unit, 0};
  if (lengths.empty()) return {};
  const int64_t shortest = *std::min_element(lengths.begin(), lengths.end());
  if (rule_span(rule, shortest) <= 0) return {RuleFault::span_not_positive, shortest};
  for (int64_t n : lengths)
    if (rule_span(rule, n) > static_cast<double>(n)) return {RuleFault::span_above_length, n};
  return {};
}

std::string rule_fault_text(const Rule& rule, const RuleCheck& check) {
  const std::string r = "rule " + rule_text(rule);
  const std::string n = std::to_string(check.length);
  switch (check.fault) {
    case RuleFault::none: return "";
    case RuleFault::not_finite: return r + ": alpha and beta must be finite numbers";
    case RuleFault::beta_outside_unit: return r + ": beta must be in [0, 1]";
    case RuleFault::span_not_positive: return r + ": span must be above 0 at the shortest length (" + n + ")";
    case RuleFault::span_above_length: return r + ": span must be at most N at every length (above it at " + n + ")";
  }
  return r + ": invalid";
}

RuleGridSpec default_grid_spec(const std::vector<int64_t>& lengths) {
  if (lengths.empty()) throw Error("rule grid: no lengths given");
  RuleGridSpec spec;
  spec.alpha_min = -static_cast<double>(*std::min_element(lengths.begin(), lengths.end()));
  spec.alpha_max = static_cast<double>(*std::max_element(lengths.begin(), lengths.end()));
  spec.alpha_step = 1024.0;
  for (int i = 0; i <= 8; ++i) spec.betas.push_back(i / 8.0);
  return spec;
}

int64_t rule_grid_alpha_count(const RuleGridSpec& spec) {
  // The 1e-9 keeps alpha_max itself when the step divides the range up to rounding.
  return static_cast<int64_t>(std::floor((spec.alpha_max - spec.alpha_min) / spec.alpha_step + 1e-9)) + 1;
}

std::vector<Rule> rule_grid(const RuleGridSpec& spec, const std::vector<int64_t>& lengths) {
  if (lengths.empty()) throw Error("rule grid: no lengths given");
  if (spec.alpha_step <= 0) throw Error("rule grid: alpha step must be positive");
  if (spec.betas.empty()) throw Error("rule grid: no beta values given");
  for (int64_t n : lengths) length_blocks(n);
  std::vector<Rule> rules;
  const int64_t alphas = rule_grid_alpha_count(spec);
  for (int64_t i = 0; i < alphas; ++i) {
    const double alpha = spec.alpha_min + static_cast<double>(i) * spec.alpha_step;
    for (double beta : spec.betas) {
      const Rule r{alpha, beta};
      if (rule_check(r, lengths).ok()) rules.push_back(r);
    }
  }
  std::sort(rules.begin(), rules.end());
  rules.erase(std::unique(rules.begin(), rules.end()), rules.end());
  return rules;
}

std::vector<Rule> default_rule_grid(const std::vector<int64_t>& lengths) {
  return rule_grid(default_grid_spec(lengths), lengths);
}

}  // namespace moa
