#include "app/studio/grid_metric.h"

#include <QCoreApplication>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/plan/rule.h"

namespace moa::studio {

QString grid_metric_name(GridMetric m) {
  switch (m) {
    case GridMetric::FarInfluence: return QCoreApplication::translate("GridMetric", "Far influence (share outside N/8)");
    case GridMetric::TotalInfluence: return QCoreApplication::translate("GridMetric", "Total influence");
    case GridMetric::PlanSpan: return QCoreApplication::translate("GridMetric", "Plan span (tokens)");
    case GridMetric::PlanDensity: return QCoreApplication::translate("GridMetric", "Plan density");
    case GridMetric::PredictedLoss: return QCoreApplication::translate("GridMetric", "Predicted loss");
  }
  return {};
}

const char* grid_metric_key(GridMetric m) {
  switch (m) {
    case GridMetric::FarInfluence: return "far_influence";
    case GridMetric::TotalInfluence: return "total_influence";
    case GridMetric::PlanSpan: return "plan_span";
    case GridMetric::PlanDensity: return "plan_density";
    case GridMetric::PredictedLoss: return "predicted_loss";
  }
  return "";
}

std::optional<GridMetric> grid_metric_from_key(const QString& key) {
  for (GridMetric m : kGridMetrics)
    if (key == QLatin1String(grid_metric_key(m))) return m;
  return std::nullopt;
}

bool grid_metric_needs_plan(GridMetric m) { return m != GridMetric::FarInfluence && m != GridMetric::TotalInfluence; }
bool grid_metric_needs_profile(GridMetric m) { return m == GridMetric::FarInfluence || m == GridMetric::TotalInfluence || m == GridMetric::PredictedLoss; }

GridValues grid_values(GridMetric metric, const ProfileData* profile, const Plan* plan, int64_t length) {
  GridValues g;
  g.length = length;
  if (length <= 0) return g;
  if (grid_metric_needs_plan(metric) && !plan) return g;
  const LengthProfile* lp = nullptr;
  const InfluenceSummary* summary = nullptr;
  if (profile) {
    auto it = profile->lengths.find(length);
    if (it != profile->lengths.end()) lp = it->second.get();
    auto st = profile->summaries.find(length);
    if (st != profile->summaries.end()) summary = &st->second;
  }
  if (grid_metric_needs_profile(metric) && !lp) return g;
  if (metric == GridMetric::PredictedLoss &&
      (plan->num_layers != profile->meta.num_layers || plan->num_heads != profile->meta.num_heads))
    return g;
  g.layers = plan && grid_metric_needs_plan(metric) ? plan->num_layers : profile->meta.num_layers;
  g.heads = plan && grid_metric_needs_plan(metric) ? plan->num_heads : profile->meta.num_heads;
  g.values.assign(static_cast<size_t>(g.layers) * g.heads, std::numeric_limits<double>::quiet_NaN());
  for (int l = 0; l < g.layers; ++l)
    for (int h = 0; h < g.heads; ++h) {
      double v = std::numeric_limits<double>::quiet_NaN();
      switch (metric) {
        case GridMetric::FarInfluence:
          if (summary) v = summary->at(summary->far_fraction, l, h);
          break;
        case GridMetric::TotalInfluence:
          if (summary) v = summary->at(summary->total, l, h);
          break;
        case GridMetric::PlanSpan:
          v = std::clamp(rule_span(plan->head_rule(l, h), length), 0.0, static_cast<double>(length));
          break;
        case GridMetric::PlanDensity: v = rule_density(plan->head_rule(l, h), length); break;
        case GridMetric::PredictedLoss:
          // Per query head (a KV-head rule's loss is the sum of its heads' values).
          v = summary ? summary->droppedAt(l, h, rule_band_blocks(plan->head_rule(l, h), length)) : v;
          break;
      }
      g.values[static_cast<size_t>(l) * g.heads + h] = v;
    }
  return g;
}

}  // namespace moa::studio
