#pragma once
// What the head grid shows per (layer, query head) at one length: a profile summary, the
// plan's rule, or the rule's predicted loss. Plain values so views, CSV export, the compare
// view and tests share one computation.
#include <QString>

#include <cstdint>
#include <optional>
#include <vector>

#include "app/studio/profile_data.h"
#include "core/plan/plan.h"

namespace moa::studio {

enum class GridMetric { FarInfluence, TotalInfluence, PlanSpan, PlanDensity, PredictedLoss };
inline constexpr GridMetric kGridMetrics[] = {GridMetric::FarInfluence, GridMetric::TotalInfluence,
                                              GridMetric::PlanSpan, GridMetric::PlanDensity,
                                              GridMetric::PredictedLoss};

QString grid_metric_name(GridMetric m);     // translated, for menus and axis labels
const char* grid_metric_key(GridMetric m);  // stable, for sessions and CSV headers
std::optional<GridMetric> grid_metric_from_key(const QString& key);
bool grid_metric_needs_plan(GridMetric m);
bool grid_metric_needs_profile(GridMetric m);

struct GridValues {
  int layers = 0;
  int heads = 0;
  int64_t length = 0;
  std::vector<double> values;  // [layer][head]; NaN where unknown
  bool empty() const { return values.empty(); }
  double at(int layer, int head) const { return values[static_cast<size_t>(layer) * heads + head]; }
};

// Values at `length`; empty when the inputs for the metric are missing. A plan whose shape
// differs from the profile's is ignored for loss (it cannot be priced).
GridValues grid_values(GridMetric metric, const ProfileData* profile, const Plan* plan, int64_t length);

}  // namespace moa::studio
