// Uniform baselines at the same density budgets, for comparisons at equal density.
#include <limits>

#include "core/profile/profile_store.h"
#include "core/solve/solve.h"
#include "core/util/error.h"

namespace moa {

namespace {

SolveRequest without_structure(const SolveRequest& request) {
  SolveRequest req = request;
  req.locks.clear();
  req.max_rules_per_layer = 0;
  req.loss_caps.clear();
  return req;
}

double weighted_loss(const LossTable& t, const SolveRequest& req, const std::vector<int>& assignment) {
  double sum = 0.0;
  for (int n = 0; n < t.num_lengths(); ++n) {
    auto it = req.weights.find(t.lengths[n]);
    const double w = req.weights.empty() ? 1.0 : (it == req.weights.end() ? 0.0 : it->second);
    sum += w * loss_table_total(t, assignment, n);
  }
  return sum;
}

Plan tagged(Plan p, const std::string& name) {
  p.provenance["baseline"] = name;
  return p;
}

}  // namespace

Plan baseline_uniform(const LossTable& t, const SolveRequest& request) {
  const SolveRequest req = without_structure(request);
  check_request(t, req);
  const size_t units = static_cast<size_t>(t.num_layers) * t.num_units;
  int best = -1;
  double best_loss = std::numeric_limits<double>::infinity();
  for (int r = 0; r < t.num_rules(); ++r) {
    const std::vector<int> assignment(units, r);
    if (!assignment_violations(t, req, assignment).empty()) continue;
    const double loss = weighted_loss(t, req, assignment);
    if (loss < best_loss) {
      best_loss = loss;
      best = r;
    }
  }
  if (best < 0) throw Error("uniform baseline: no single candidate rule meets every budget");
  return tagged(plan_from_assignment(t, std::vector<int>(units, best), req), "uniform");
}

Rule streaming_rule(const std::map<int64_t, double>& budgets) {
  if (budgets.empty()) throw Error("streaming baseline: no budget given");
  // Widest window of w blocks such that (w + 1 sink) / nb <= rho at every length.
  int64_t window = std::numeric_limits<int64_t>::max();
  for (const auto& [n, rho] : budgets) {
    const int64_t nb = length_blocks(n);
    int64_t w = static_cast<int64_t>(rho * static_cast<double>(nb) + 1e-9) - 1;
    if (w >= nb) w = nb;  // the whole context: no sink block outside the band
    if (w < 1)
      throw Error("streaming baseline: budget " + std::to_string(rho) + " at length " + std::to_string(n) +
                  " leaves no room for a sink and a one-block window");
    window = std::min(window, w);
  }
  return Rule{static_cast<double>(window * kBlockSize), 0.0};
}

Plan baseline_streaming(const LossTable& t, const SolveRequest& request) {
  const SolveRequest req = without_structure(request);
  const Rule rule = streaming_rule(req.budgets);
  const int r = t.rule_index(rule);
  if (r < 0)
    throw Error("streaming baseline: rule " + rule_text(rule) + " is not in the loss table; add streaming_rule() to the grid");
  const std::vector<int> assignment(static_cast<size_t>(t.num_layers) * t.num_units, r);
  return tagged(plan_from_assignment(t, assignment, req), "streaming");
}

Plan baseline_per_layer(const LossTable& t, const SolveRequest& request) {
  const SolveRequest req = without_structure(request);
  check_request(t, req);
  // One unit per layer whose loss is the sum over the layer's units. Every layer has the same
  // number of units, so the mean density over layers equals the mean over heads.
  LossTable layers = t;
  layers.num_units = 1;
  layers.loss.assign(static_cast<size_t>(t.num_layers) * t.rules.size() * t.lengths.size(), 0.0);
  for (int l = 0; l < t.num_layers; ++l)
    for (int u = 0; u < t.num_units; ++u)
      for (int r = 0; r < t.num_rules(); ++r)
        for (int n = 0; n < t.num_lengths(); ++n)
          layers.loss[layers.loss_index(l, 0, r, n)] += t.loss_at(l, u, r, n);
  const SolveResult res = solve_assignment(layers, req);
  std::vector<int> assignment;
  for (int l = 0; l < t.num_layers; ++l)
    for (int u = 0; u < t.num_units; ++u) assignment.push_back(res.assignment[static_cast<size_t>(l)]);
  return tagged(plan_from_assignment(t, assignment, req), "per_layer");
}

}  // namespace moa
