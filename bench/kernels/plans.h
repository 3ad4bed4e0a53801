#pragma once
// Benchmark plans: per-KV-head band widths at a target density (DESIGN §4 density: kept key
// blocks of the last query block / nb, sink included), heterogeneous like MoA's plans.
#include <string>
#include <vector>

namespace moa::bench {

struct BenchPlan {
  std::string name;
  double density = 1.0;         // mean over heads, DESIGN §4
  std::vector<int> band_blocks; // per KV head
  double work_fraction = 1.0;   // kept (query, key) pairs / dense causal pairs
};

// Fractions of the keys each KV head keeps, mean = rho (8 heads; repeated for more).
std::vector<double> head_fractions(double rho);
BenchPlan make_plan(double rho, int num_kv_heads, int n);
// Every KV head with band `band_blocks` (clamped to [1, nb]).
BenchPlan uniform_plan(int band_blocks, int num_kv_heads, int n);
// Kept (query, key) pairs of one head with band k at length n (exact, block layout + causality).
double kept_pairs(int n, int k);

}  // namespace moa::bench
