#pragma once
// Elastic attention rules and their block layouts (DESIGN §4). Torch-free: the GUI, the
// runtime and the kernels' host code all share these definitions, so the layout used to
// estimate a rule's loss is exactly the layout the prefill kernel runs.
#include <cstdint>
#include <string>
#include <vector>

namespace moa {

// A rule (alpha, beta): span S(N) = alpha + beta * N tokens at input length N.
struct Rule {
  double alpha = 0.0;  // tokens
  double beta = 0.0;   // fraction of N
  bool operator==(const Rule& o) const { return alpha == o.alpha && beta == o.beta; }
  bool operator!=(const Rule& o) const { return !(*this == o); }
  bool operator<(const Rule& o) const { return alpha != o.alpha ? alpha < o.alpha : beta < o.beta; }
};

std::string rule_text(const Rule& rule);  // "(alpha, beta)"

double rule_span(const Rule& rule, int64_t length);

// Number of key blocks (N/64 in all).
int64_t length_blocks(int64_t length);

// Band blocks k(N) = floor(alpha/64 + beta*N/64), clamped to [1, N/64].
int64_t rule_band_blocks(const Rule& rule, int64_t length);

// Whether query block qb attends key block kb under a band of k blocks:
// kb in {0} ∪ [qb-k+1, qb] (and kb <= qb: causal).
bool band_attends(int64_t band_blocks, int64_t qb, int64_t kb);

// Key blocks attended by query block qb under a band of k blocks (sink included).
int64_t band_attended_blocks(int64_t band_blocks, int64_t qb);

// Density at N: key blocks attended by the last query block / (N/64), sink included.
double rule_density(const Rule& rule, int64_t length);

// Prefill work at N: (query, key) pairs the layout keeps / causal pairs N (N + 1) / 2, exact per
// token. Density is the KV fraction of the LAST query block (memory, decode time); the early query
// blocks of any band are dense, so a head keeping a fraction f of the keys computes about 2f - f^2
// of the causal pairs: this is what predicts the prefill kernel's time.
double rule_work_fraction(const Rule& rule, int64_t length);

// What makes a rule usable at a set of lengths (DESIGN §4), in one place: the candidate grid
// keeps exactly the rules this accepts, plans are checked with it, and the GUI refuses an edit
// it rejects. alpha and beta finite, beta in [0, 1]; with lengths, also a span above 0 at the
// shortest length and at most N at every length (a wider span only repeats the dense rule).
enum class RuleFault { none, not_finite, beta_outside_unit, span_not_positive, span_above_length };
struct RuleCheck {
  RuleFault fault = RuleFault::none;
  int64_t length = 0;  // the length whose span fails (span faults only)
  bool ok() const { return fault == RuleFault::none; }
};
RuleCheck rule_check(const Rule& rule, const std::vector<int64_t>& lengths = {});
// The fault in words, for core errors ("" when ok).
std::string rule_fault_text(const Rule& rule, const RuleCheck& check);

// Candidate grid: alpha from alpha_min to alpha_max in steps of alpha_step, beta from the
// list; kept when rule_check accepts the rule at these lengths.
struct RuleGridSpec {
  double alpha_min = 0.0;
  double alpha_max = 0.0;
  double alpha_step = 1024.0;
  std::vector<double> betas;
};

// The DESIGN §4 default: alpha from -min_len to max_len step 1024, beta in {0, 1/8, ..., 1}.
RuleGridSpec default_grid_spec(const std::vector<int64_t>& lengths);
std::vector<Rule> rule_grid(const RuleGridSpec& spec, const std::vector<int64_t>& lengths);
// Alpha values the grid steps through (before rule_check drops any): alpha_min + i * alpha_step <= alpha_max.
int64_t rule_grid_alpha_count(const RuleGridSpec& spec);
std::vector<Rule> default_rule_grid(const std::vector<int64_t>& lengths);

}  // namespace moa
