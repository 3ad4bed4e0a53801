#include "plans.h"

#include <algorithm>
#include <cmath>

namespace moa::bench {

std::vector<double> head_fractions(double rho) {
  // A few retrieval heads stay (nearly) dense, most heads are local: MoA's typical shape.
  if (rho >= 1.0) return std::vector<double>(8, 1.0);
  if (rho >= 0.5) return {1.0, 1.0, 1.0, 0.5, 0.25, 0.125, 0.0625, 0.0625};
  return {1.0, 0.375, 0.25, 0.125, 0.0625, 0.0625, 0.0625, 0.0625};
}

double kept_pairs(int n, int k) {
  const int nb = (n + 63) / 64;
  k = std::clamp(k, 1, nb);
  double total = 0;
  for (int qb = 0; qb < nb; ++qb) {
    const int rows = std::min(64, n - qb * 64);
    const int lo = std::max(0, qb - k + 1);
    // full blocks strictly below the diagonal: band [lo, qb) plus the sink if outside the band
    const int full = (qb - lo) + (lo > 0 ? 1 : 0);
    total += static_cast<double>(rows) * 64 * full + static_cast<double>(rows) * (rows + 1) / 2;
  }
  return total;
}

BenchPlan make_plan(double rho, int num_kv_heads, int n) {
  BenchPlan p;
  const int nb = (n + 63) / 64;
  const auto f = head_fractions(rho);
  double dens = 0, work = 0;
  for (int h = 0; h < num_kv_heads; ++h) {
    const double fh = f[h % f.size()];
    const int k = std::clamp(static_cast<int>(std::lround(fh * nb)) - 1, 1, nb);
    p.band_blocks.push_back(fh >= 1.0 ? nb : k);
    const int kept_blocks = std::min(nb, p.band_blocks.back() + 1);
    dens += static_cast<double>(kept_blocks) / nb;
    work += kept_pairs(n, p.band_blocks.back()) / kept_pairs(n, nb);
  }
  p.density = dens / num_kv_heads;
  p.work_fraction = work / num_kv_heads;
  p.name = rho >= 1.0 ? "dense" : "moa_rho" + std::to_string(rho).substr(0, 4);
  return p;
}

BenchPlan uniform_plan(int band_blocks, int num_kv_heads, int n) {
  BenchPlan p;
  const int nb = (n + 63) / 64;
  const int k = std::clamp(band_blocks, 1, nb);
  p.band_blocks.assign(num_kv_heads, k);
  p.density = static_cast<double>(std::min(nb, k + 1)) / nb;
  p.work_fraction = kept_pairs(n, k) / kept_pairs(n, nb);
  p.name = "band" + std::to_string(k);
  return p;
}

}  // namespace moa::bench
