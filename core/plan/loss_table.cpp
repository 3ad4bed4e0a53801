#include "core/plan/loss_table.h"

#include <algorithm>

#include "core/profile/profile_store.h"
#include "core/util/error.h"

namespace moa {

int LossTable::length_index(int64_t length) const {
  auto it = std::find(lengths.begin(), lengths.end(), length);
  if (it == lengths.end())
    throw Error("length " + std::to_string(length) + " is not among the profiled lengths");
  return static_cast<int>(it - lengths.begin());
}

int LossTable::rule_index(const Rule& rule) const {
  auto it = std::find(rules.begin(), rules.end(), rule);
  return it == rules.end() ? -1 : static_cast<int>(it - rules.begin());
}

double dropped_influence(const float* influence, int64_t nb, int64_t band_blocks) {
  double dropped = 0.0;
  for (int64_t qb = 0; qb < nb; ++qb)
    for (int64_t kb = 0; kb <= qb; ++kb)
      if (!band_attends(band_blocks, qb, kb)) dropped += influence[qb * nb + kb];
  return dropped;
}

namespace {

// Per head and length: dropped influence for every band width k = 1..nb.
// attended(k) = sum(column 0) + sum_{o<k} diag[o] - sum_{qb<k} M[qb][0], because the sink
// column's entries with qb < k lie inside the band too and must not count twice.
std::vector<double> dropped_by_band(const float* m, int64_t nb) {
  std::vector<double> diag(static_cast<size_t>(nb), 0.0);
  double total = 0.0, column0 = 0.0;
  for (int64_t qb = 0; qb < nb; ++qb) {
    column0 += m[qb * nb];
    for (int64_t kb = 0; kb <= qb; ++kb) {
      const double v = m[qb * nb + kb];
      diag[static_cast<size_t>(qb - kb)] += v;
      total += v;
    }
  }
  std::vector<double> dropped(static_cast<size_t>(nb) + 1, 0.0);
  double band = 0.0, column0_in_band = 0.0;
  for (int64_t k = 1; k <= nb; ++k) {
    band += diag[static_cast<size_t>(k - 1)];
    column0_in_band += m[(k - 1) * nb];
    dropped[static_cast<size_t>(k)] = std::max(0.0, total - (column0 + band - column0_in_band));
  }
  return dropped;
}

}  // namespace

void loss_table_fill_density(LossTable& table) {
  table.density.assign(table.rules.size() * table.lengths.size(), 0.0);
  for (size_t r = 0; r < table.rules.size(); ++r)
    for (size_t n = 0; n < table.lengths.size(); ++n)
      table.density[r * table.lengths.size() + n] = rule_density(table.rules[r], table.lengths[n]);
}

LossTable loss_table_build(const Profile& profile, const std::vector<Rule>& rules,
                           Granularity granularity, const std::vector<int64_t>& lengths) {
  const ProfileMeta& meta = profile.meta;
  if (rules.empty()) throw Error("loss table: no candidate rules");
  LossTable t;
  t.model_name = meta.model_name;
  t.model_hash = meta.model_hash;
  t.num_heads = meta.num_heads;
  t.num_kv_heads = meta.num_kv_heads;
  t.granularity = granularity;
  t.num_layers = meta.num_layers;
  t.num_units = granularity == Granularity::head ? meta.num_heads : meta.num_kv_heads;
  const int group = meta.num_heads / t.num_units;
  if (lengths.empty()) {
    for (const auto& [n, lp] : profile.lengths) t.lengths.push_back(n);
  } else {
    t.lengths = lengths;
  }
  if (t.lengths.empty()) throw Error("loss table: the profile has no lengths");
  t.rules = rules;
  loss_table_fill_density(t);
  t.loss.assign(static_cast<size_t>(t.num_layers) * t.num_units * rules.size() * t.lengths.size(), 0.0);
  for (int n = 0; n < t.num_lengths(); ++n) {
    auto it = profile.lengths.find(t.lengths[n]);
    if (it == profile.lengths.end())
      throw Error("loss table: length " + std::to_string(t.lengths[n]) + " is not in the profile");
    const LengthProfile& lp = it->second;
    if (lp.samples_done() == 0)
      throw Error("loss table: length " + std::to_string(t.lengths[n]) + " has no samples yet");
    const int64_t nb = lp.blocks();
    std::vector<int64_t> band(rules.size());
    for (size_t r = 0; r < rules.size(); ++r) band[r] = rule_band_blocks(rules[r], t.lengths[n]);
    for (int l = 0; l < t.num_layers; ++l)
      for (int h = 0; h < meta.num_heads; ++h) {
        const std::vector<double> dropped =
            dropped_by_band(lp.influence.data() + lp.at(l, h, 0, 0, meta.num_heads), nb);
        const int unit = h / group;
        for (size_t r = 0; r < rules.size(); ++r)
          t.loss[t.loss_index(l, unit, static_cast<int>(r), n)] += dropped[static_cast<size_t>(band[r])];
      }
  }
  return t;
}

double loss_table_total(const LossTable& table, const std::vector<int>& assignment, int length_idx) {
  double total = 0.0;
  for (int l = 0; l < table.num_layers; ++l)
    for (int u = 0; u < table.num_units; ++u)
      total += table.loss_at(l, u, assignment[static_cast<size_t>(l) * table.num_units + u], length_idx);
  return total;
}

double loss_table_mean_density(const LossTable& table, const std::vector<int>& assignment,
                               int length_idx) {
  double sum = 0.0;
  for (int r : assignment) sum += table.density_at(r, length_idx);
  return assignment.empty() ? 0.0 : sum / static_cast<double>(assignment.size());
}

}  // namespace moa
