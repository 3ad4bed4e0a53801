#pragma once
// A compression plan: one elastic rule per head (or per KV head) and what the solver
// predicted for it. Torch-free: the GUI's plan table edits this struct directly.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/plan/rule.h"

namespace moa {

inline constexpr int kPlanSchemaVersion = 1;

// head: one rule per query head (MoA reference compatible).
// kv_head: one rule per KV head, shared by the query heads of its group (real per-KV-head cache).
enum class Granularity { head, kv_head };
const char* granularity_name(Granularity g);
Granularity granularity_parse(const std::string& text);  // "head" | "kv_head"

struct Plan {
  int version = kPlanSchemaVersion;
  std::string model_name;
  std::string model_hash;  // "" or "unknown" for plans that do not say (reference files)
  Granularity granularity = Granularity::kv_head;
  int num_layers = 0;
  int num_heads = 0;     // query heads
  int num_kv_heads = 0;  // 0 when unknown (imported reference files)
  // rules[layer][unit]; unit = query head (head) or KV head (kv_head).
  std::vector<std::vector<Rule>> rules;
  // Heads the user locked (same shape as rules); empty when none.
  std::vector<std::vector<bool>> locked;
  std::map<int64_t, double> budgets;         // length -> density budget
  std::map<int64_t, double> predicted_loss;  // length -> total predicted loss
  std::map<int64_t, double> density;         // length -> plan density
  std::map<std::string, std::string> provenance;  // tool, profile, solver, time, ...

  int units_per_layer() const;
  // Query heads sharing one unit (1 for head granularity).
  int group_size() const;
  // The rule a query head runs.
  const Rule& head_rule(int layer, int head) const;
};

// Whether a model hash names a model ("" and "unknown": plans imported from reference files).
inline bool model_hash_known(const std::string& hash) { return !hash.empty() && hash != "unknown"; }

// kv_head -> head: every query head gets its group's rule (MoA reference layout).
Plan plan_expand_to_heads(const Plan& plan);

// Band blocks per [layer][query head] at length N: what the runtime and kernels consume. Rules
// are defined on whole 64-token blocks, so any positive N is taken as its blocks, a partial last
// block counting as one (a prompt plus new tokens is rarely a multiple of 64).
std::vector<std::vector<int64_t>> plan_band_blocks(const Plan& plan, int64_t length);

// Plan density at N: mean over query heads of the rule densities.
double plan_density(const Plan& plan, int64_t length);
// Plan prefill work at N: mean over query heads of rule_work_fraction (kept causal pairs).
double plan_work_fraction(const Plan& plan, int64_t length);

// Checks the plan against a model shape; errors name `file` and the mismatch.
void plan_validate(const Plan& plan, int num_layers, int num_heads, int num_kv_heads,
                   const std::string& file);
// Checks internal consistency (rules shape vs counts, finite values).
void plan_check_shape(const Plan& plan, const std::string& file);

}  // namespace moa
