#pragma once
// Loss and density tables: what the solver optimises (DESIGN §4).
// loss[l][u][r][n] = sum of pooled influence over the blocks rule r drops at length n, with
// u a query head (granularity head) or a KV head (granularity kv_head: summed over the
// query heads of its group). Torch-free.
#include <cstdint>
#include <string>
#include <vector>

#include "core/plan/plan.h"
#include "core/plan/rule.h"

namespace moa {

struct Profile;

struct LossTable {
  // Model identity, copied into the plans solved from this table.
  std::string model_name;
  std::string model_hash;
  int num_heads = 0;
  int num_kv_heads = 0;
  Granularity granularity = Granularity::kv_head;
  int num_layers = 0;
  int num_units = 0;  // per layer: heads or KV heads
  std::vector<int64_t> lengths;
  std::vector<Rule> rules;
  std::vector<double> loss;     // [layer][unit][rule][length]
  std::vector<double> density;  // [rule][length]

  int num_rules() const { return static_cast<int>(rules.size()); }
  int num_lengths() const { return static_cast<int>(lengths.size()); }
  size_t loss_index(int layer, int unit, int rule, int length_idx) const {
    return ((static_cast<size_t>(layer) * num_units + unit) * rules.size() + rule) * lengths.size() +
           length_idx;
  }
  double loss_at(int layer, int unit, int rule, int length_idx) const {
    return loss[loss_index(layer, unit, rule, length_idx)];
  }
  double density_at(int rule, int length_idx) const {
    return density[static_cast<size_t>(rule) * lengths.size() + length_idx];
  }
  int length_index(int64_t length) const;  // throws when the length is not in the table
  int rule_index(const Rule& rule) const;   // -1 when absent
};

// Dropped influence of one head at one length for a band of k blocks, from its [nb][nb]
// pooled influence (lower triangle). Straightforward reference used by tests.
double dropped_influence(const float* influence, int64_t nb, int64_t band_blocks);

// Builds the tables for the given rules at every length of the profile (or `lengths` when
// not empty). O(nb^2) per head and length, then O(1) per rule (diagonal prefix sums).
LossTable loss_table_build(const Profile& profile, const std::vector<Rule>& rules,
                           Granularity granularity, const std::vector<int64_t>& lengths = {});

// Fills the density table from rules and lengths (also used for synthetic tables).
void loss_table_fill_density(LossTable& table);

// Total loss of an assignment (rule index per [layer][unit]) at one length.
double loss_table_total(const LossTable& table, const std::vector<int>& assignment, int length_idx);
double loss_table_mean_density(const LossTable& table, const std::vector<int>& assignment,
                               int length_idx);

}  // namespace moa
