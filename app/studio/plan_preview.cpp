#include "app/studio/plan_preview.h"

#include <cmath>
#include <limits>

#include "core/plan/rule.h"

namespace moa::studio {

void PlanPreview::reset(ProfileDataPtr profile, const Plan& plan) {
  profile_ = std::move(profile);
  // A profile of another shape cannot price this plan: show densities only.
  if (profile_ && (profile_->meta.num_layers != plan.num_layers || profile_->meta.num_heads != plan.num_heads))
    profile_.reset();
  lengths_.clear();
  if (profile_) {
    for (const auto& [n, lp] : profile_->lengths)
      if (lp->samples_done() > 0 && profile_->summaries.count(n)) lengths_.push_back(n);
  }
  if (lengths_.empty()) {
    profile_.reset();
    for (const auto& [n, b] : plan.budgets) lengths_.push_back(n);
    if (lengths_.empty())
      for (const auto& [n, d] : plan.density) lengths_.push_back(n);
  }
  layers_ = plan.num_layers;
  units_ = plan.units_per_layer();
  const size_t cells = static_cast<size_t>(layers_) * units_ * lengths_.size();
  loss_.assign(cells, std::numeric_limits<double>::quiet_NaN());
  density_.assign(cells, 0.0);
  total_loss_.assign(lengths_.size(), 0.0);
  density_sum_.assign(lengths_.size(), 0.0);
  for (int l = 0; l < layers_; ++l)
    for (int u = 0; u < units_; ++u)
      for (size_t n = 0; n < lengths_.size(); ++n) {
        const double d = rule_density(plan.rules[l][u], lengths_[n]);
        density_[index(l, u, n)] = d;
        density_sum_[n] += d;
        if (profile_) {
          const double loss = computeUnitLoss(plan, l, u, n);
          loss_[index(l, u, n)] = loss;
          total_loss_[n] += loss;
        }
      }
  if (!profile_) total_loss_.assign(lengths_.size(), std::numeric_limits<double>::quiet_NaN());
}

double PlanPreview::computeUnitLoss(const Plan& plan, int layer, int unit, size_t length_idx) const {
  const int64_t length = lengths_[length_idx];
  const InfluenceSummary& summary = profile_->summaries.at(length);
  const int64_t band = rule_band_blocks(plan.rules[layer][unit], length);
  const int group = plan.group_size();
  double loss = 0.0;
  for (int h = unit * group; h < (unit + 1) * group; ++h) loss += summary.droppedAt(layer, h, band);
  return loss;
}

void PlanPreview::updateUnit(const Plan& plan, int layer, int unit) {
  for (size_t n = 0; n < lengths_.size(); ++n) {
    const size_t i = index(layer, unit, n);
    density_[i] = rule_density(plan.rules[layer][unit], lengths_[n]);
    if (profile_) loss_[i] = computeUnitLoss(plan, layer, unit, n);
    // Re-add from the per-unit values (O(units)) instead of adjusting by differences, so
    // undo after many edits gives back bit-identical totals.
    double loss = 0.0, density = 0.0;
    for (int l = 0; l < layers_; ++l)
      for (int u = 0; u < units_; ++u) {
        loss += loss_[index(l, u, n)];
        density += density_[index(l, u, n)];
      }
    if (profile_) total_loss_[n] = loss;
    density_sum_[n] = density;
  }
}

double PlanPreview::unitLoss(int layer, int unit, size_t length_idx) const {
  return loss_[index(layer, unit, length_idx)];
}
double PlanPreview::unitDensity(int layer, int unit, size_t length_idx) const {
  return density_[index(layer, unit, length_idx)];
}
double PlanPreview::totalLoss(size_t length_idx) const { return total_loss_[length_idx]; }
double PlanPreview::meanDensity(size_t length_idx) const {
  const double cells = static_cast<double>(layers_) * units_;
  return cells > 0 ? density_sum_[length_idx] / cells : 0.0;
}

}  // namespace moa::studio
