// Epsilon-constraint Pareto search over the profiled lengths, and validation selection.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/solve/solve.h"
#include "core/util/error.h"

namespace moa {

namespace {

constexpr double kCappedTimeLimit = 5.0;

bool dominates(const std::vector<double>& a, const std::vector<double>& b) {
  bool strictly = false;
  for (size_t i = 0; i < a.size(); ++i) {
    const double tol = 1e-9 * std::max(1.0, std::fabs(b[i]));
    if (a[i] > b[i] + tol) return false;
    if (a[i] < b[i] - tol) strictly = true;
  }
  return strictly;
}

bool same(const std::vector<double>& a, const std::vector<double>& b) {
  for (size_t i = 0; i < a.size(); ++i)
    if (std::fabs(a[i] - b[i]) > 1e-9 * std::max(1.0, std::fabs(b[i]))) return false;
  return true;
}

}  // namespace

std::vector<Plan> solve_pareto(const LossTable& t, const SolveRequest& request, int points) {
  check_request(t, request);
  const int n_obj = t.num_lengths();
  points = std::max(points, 2);
  std::vector<std::vector<int>> found;
  std::vector<std::vector<double>> values;
  std::vector<double> gaps;
  auto record = [&](const SolveResult& r) {
    gaps.push_back(r.gap);
    std::vector<double> v;
    for (int64_t n : t.lengths) v.push_back(r.loss.at(n));
    found.push_back(r.assignment);
    values.push_back(v);
  };
  // Payoff table: each length's loss minimised alone, with a tiny weight on the others so
  // the point is not weakly dominated.
  std::vector<double> ideal(static_cast<size_t>(n_obj)), worst(static_cast<size_t>(n_obj), 0.0);
  for (int j = 0; j < n_obj; ++j) {
    SolveRequest req = request;
    req.weights.clear();
    for (int i = 0; i < n_obj; ++i) req.weights[t.lengths[i]] = i == j ? 1.0 : 1e-6;
    record(solve_assignment(t, req));
    ideal[j] = values.back()[j];
  }
  for (const auto& v : values)
    for (int j = 0; j < n_obj; ++j) worst[j] = std::max(worst[j], v[j]);
  // Grid over the caps of lengths 1..n-1; minimise length 0's loss.
  std::vector<int> level(static_cast<size_t>(std::max(0, n_obj - 1)), 0);
  while (n_obj > 1) {
    SolveRequest req = request;
    // Loss caps turn the MILP into a multi-knapsack CBC proves slowly (minutes at 1024 heads):
    // each capped point gets a short time limit and keeps its incumbent, whose gap is recorded.
    req.time_limit_s = std::min(request.time_limit_s, kCappedTimeLimit);
    req.weights.clear();
    req.weights[t.lengths[0]] = 1.0;
    for (int j = 1; j < n_obj; ++j) {
      req.weights[t.lengths[j]] = 1e-6;
      const double frac = static_cast<double>(level[j - 1]) / (points - 1);
      req.loss_caps[t.lengths[j]] = (ideal[j] + frac * (worst[j] - ideal[j])) * (1 + 1e-9) + 1e-12;
    }
    try {
      record(solve_assignment(t, req));
    } catch (const Error&) {
      // An epsilon combination with no plan is simply not a Pareto point.
    }
    int j = 0;
    while (j < n_obj - 1 && ++level[j] == points) level[j++] = 0;
    if (j == n_obj - 1) break;
  }
  std::vector<Plan> out;
  std::vector<std::vector<double>> kept;
  std::vector<size_t> order(values.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
  for (size_t i : order) {
    bool drop = false;
    for (size_t k = 0; k < values.size() && !drop; ++k) drop = k != i && dominates(values[k], values[i]);
    for (const auto& v : kept) drop = drop || same(v, values[i]);
    if (drop) continue;
    kept.push_back(values[i]);
    out.push_back(plan_from_assignment(t, found[i], request));
    out.back().provenance["pareto_index"] = std::to_string(out.size() - 1);
    out.back().provenance["gap"] = std::to_string(gaps[i]);
  }
  return out;
}

size_t select_plan(const std::vector<Plan>& pareto, const std::function<double(const Plan&)>& validation_loss) {
  if (pareto.empty()) throw Error("select_plan: the Pareto set is empty");
  size_t best = 0;
  double best_loss = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < pareto.size(); ++i) {
    const double v = validation_loss(pareto[i]);
    if (v < best_loss) {
      best_loss = v;
      best = i;
    }
  }
  return best;
}

}  // namespace moa
