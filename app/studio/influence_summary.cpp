#include "app/studio/influence_summary.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/plan/rule.h"

namespace moa::studio {

int64_t summary_local_blocks(int64_t length) {
  return std::max<int64_t>(1, length_blocks(length) / 8);
}

InfluenceSummary influence_summarize(const LengthProfile& lp, int num_layers, int num_heads) {
  InfluenceSummary s;
  s.length = lp.length;
  s.num_layers = num_layers;
  s.num_heads = num_heads;
  s.local_blocks = summary_local_blocks(lp.length);
  const int64_t nb = lp.blocks();
  const size_t cells = static_cast<size_t>(num_layers) * num_heads;
  s.blocks = nb;
  s.far_fraction.assign(cells, 0.0f);
  s.total.assign(cells, 0.0f);
  s.block_max.assign(cells, 0.0f);
  s.block_min.assign(cells, 0.0f);
  s.dropped.assign(cells * static_cast<size_t>(nb + 1), 0.0);
  std::vector<double> diag(static_cast<size_t>(nb));
  for (int l = 0; l < num_layers; ++l)
    for (int h = 0; h < num_heads; ++h) {
      const float* m = lp.influence.data() + lp.at(l, h, 0, 0, num_heads);
      double total = 0.0, kept = 0.0, column0 = 0.0;
      float hi = 0.0f, lo = std::numeric_limits<float>::infinity();
      std::fill(diag.begin(), diag.end(), 0.0);
      for (int64_t qb = 0; qb < nb; ++qb) {
        column0 += m[qb * nb];
        for (int64_t kb = 0; kb <= qb; ++kb) {
          const double v = m[qb * nb + kb];
          if (m[qb * nb + kb] > 0.0f) {
            hi = std::max(hi, m[qb * nb + kb]);
            lo = std::min(lo, m[qb * nb + kb]);
          }
          total += v;
          diag[static_cast<size_t>(qb - kb)] += v;
          if (band_attends(s.local_blocks, qb, kb)) kept += v;
        }
      }
      const size_t i = static_cast<size_t>(l) * num_heads + h;
      // Band of k blocks keeps column 0 plus diagonals 0..k-1; the column's entries with
      // qb < k lie on those diagonals too and are counted once. Same arithmetic, in the same
      // order, as core/plan's loss tables, so preview and solver agree to the last bit.
      double* dropped = s.dropped.data() + i * static_cast<size_t>(nb + 1);
      double band = 0.0, column0_in_band = 0.0;
      dropped[0] = total;
      for (int64_t k = 1; k <= nb; ++k) {
        band += diag[static_cast<size_t>(k - 1)];
        column0_in_band += m[(k - 1) * nb];
        dropped[k] = std::max(0.0, total - (column0 + band - column0_in_band));
      }
      s.total[i] = static_cast<float>(total);
      s.block_max[i] = hi;
      s.block_min[i] = std::isfinite(lo) ? lo : 0.0f;
      s.far_fraction[i] = total > 0 ? static_cast<float>((total - kept) / total) : 0.0f;
    }
  return s;
}

}  // namespace moa::studio
