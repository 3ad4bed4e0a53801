#pragma once
// Live preview of a plan under edit: predicted loss (dropped pooled influence, DESIGN §4)
// and density at every profiled length. An edit touches one unit, so only that unit's
// losses are recomputed (O(group * nb^2) per length) and the totals adjusted: the plan
// table refreshes on every keystroke without a solver round trip.
#include <cstdint>
#include <memory>
#include <vector>

#include "core/plan/plan.h"
#include "app/studio/profile_data.h"

namespace moa::studio {

class PlanPreview {
 public:
  // Recomputes everything. Without a profile only densities are known (at the plan's
  // budget lengths); losses are NaN.
  void reset(ProfileDataPtr profile, const Plan& plan);
  // After plan.rules[layer][unit] changed.
  void updateUnit(const Plan& plan, int layer, int unit);

  const std::vector<int64_t>& lengths() const { return lengths_; }
  bool hasLoss() const { return profile_ != nullptr; }
  double unitLoss(int layer, int unit, size_t length_idx) const;
  double unitDensity(int layer, int unit, size_t length_idx) const;
  double totalLoss(size_t length_idx) const;
  double meanDensity(size_t length_idx) const;

 private:
  double computeUnitLoss(const Plan& plan, int layer, int unit, size_t length_idx) const;
  size_t index(int layer, int unit, size_t length_idx) const {
    return (static_cast<size_t>(layer) * units_ + unit) * lengths_.size() + length_idx;
  }
  ProfileDataPtr profile_;
  std::vector<int64_t> lengths_;
  int layers_ = 0;
  int units_ = 0;
  std::vector<double> loss_;     // [layer][unit][length]
  std::vector<double> density_;  // [layer][unit][length]
  std::vector<double> total_loss_;
  std::vector<double> density_sum_;
};

}  // namespace moa::studio
