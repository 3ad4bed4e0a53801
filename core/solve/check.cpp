// Feasibility checks that do not share code with the MILP, and assignment -> Plan.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <set>
#include <sstream>

#include "core/solve/solve.h"
#include "core/util/error.h"

namespace moa {

std::vector<std::string> assignment_violations(const LossTable& t, const SolveRequest& req,
                                               const std::vector<int>& assignment) {
  std::vector<std::string> out;
  const size_t units = static_cast<size_t>(t.num_layers) * t.num_units;
  if (assignment.size() != units) {
    out.push_back("assignment has " + std::to_string(assignment.size()) + " units, expected " + std::to_string(units));
    return out;
  }
  for (size_t u = 0; u < units; ++u)
    if (assignment[u] < 0 || assignment[u] >= t.num_rules()) out.push_back("unit " + std::to_string(u) + ": no valid rule");
  if (!out.empty()) return out;
  const double tol = 1e-9;
  for (const auto& [n, rho] : req.budgets) {
    // Recomputed from the rules themselves, not from the table the solver saw.
    double sum = 0.0;
    for (int r : assignment) sum += rule_density(t.rules[static_cast<size_t>(r)], n);
    const double mean = sum / static_cast<double>(units);
    if (mean > rho + tol)
      out.push_back("density " + std::to_string(mean) + " > budget " + std::to_string(rho) + " at length " + std::to_string(n));
    if (req.min_fraction > 0 && mean < req.min_fraction * rho - tol)
      out.push_back("density " + std::to_string(mean) + " < min fraction of budget at length " + std::to_string(n));
  }
  for (const auto& [n, cap] : req.loss_caps) {
    const double loss = loss_table_total(t, assignment, t.length_index(n));
    if (loss > cap * (1 + 1e-9) + 1e-12)
      out.push_back("loss " + std::to_string(loss) + " > cap " + std::to_string(cap) + " at length " + std::to_string(n));
  }
  if (req.max_rules_per_layer > 0)
    for (int l = 0; l < t.num_layers; ++l) {
      std::set<int> used(assignment.begin() + static_cast<long>(l) * t.num_units,
                         assignment.begin() + static_cast<long>(l + 1) * t.num_units);
      if (static_cast<int>(used.size()) > req.max_rules_per_layer)
        out.push_back("layer " + std::to_string(l) + " uses " + std::to_string(used.size()) + " rules > K");
    }
  std::vector<char> locked(units, 0);
  for (const RuleLock& lk : req.locks) {
    locked[static_cast<size_t>(lk.layer) * t.num_units + lk.unit] = 1;
    const int r = assignment[static_cast<size_t>(lk.layer) * t.num_units + lk.unit];
    if (t.rules[static_cast<size_t>(r)] != lk.rule)
      out.push_back("layer " + std::to_string(lk.layer) + " unit " + std::to_string(lk.unit) + " is not on its locked rule");
  }
  if (!req.free_rules.empty())
    for (size_t u = 0; u < units; ++u) {
      const Rule& r = t.rules[static_cast<size_t>(assignment[u])];
      if (!locked[u] && std::find(req.free_rules.begin(), req.free_rules.end(), r) == req.free_rules.end())
        out.push_back("unit " + std::to_string(u) + " is not locked but runs " + rule_text(r) + ", not a candidate rule");
    }
  return out;
}

Plan plan_from_assignment(const LossTable& t, const std::vector<int>& assignment, const SolveRequest& req) {
  if (assignment.size() != static_cast<size_t>(t.num_layers) * t.num_units)
    throw Error("plan_from_assignment: assignment size does not match the table");
  Plan p;
  p.model_name = t.model_name;
  p.model_hash = t.model_hash;
  p.granularity = t.granularity;
  p.num_layers = t.num_layers;
  p.num_heads = t.num_heads > 0 ? t.num_heads : t.num_units;
  p.num_kv_heads = t.num_kv_heads > 0 ? t.num_kv_heads : t.num_units;
  p.rules.assign(static_cast<size_t>(t.num_layers), {});
  p.locked.assign(static_cast<size_t>(t.num_layers), std::vector<bool>(static_cast<size_t>(t.num_units), false));
  for (int l = 0; l < t.num_layers; ++l)
    for (int u = 0; u < t.num_units; ++u)
      p.rules[l].push_back(t.rules[static_cast<size_t>(assignment[static_cast<size_t>(l) * t.num_units + u])]);
  for (const RuleLock& lk : req.locks) p.locked[lk.layer][lk.unit] = true;
  p.budgets = req.budgets;
  for (int n = 0; n < t.num_lengths(); ++n) {
    p.predicted_loss[t.lengths[n]] = loss_table_total(t, assignment, n);
    p.density[t.lengths[n]] = loss_table_mean_density(t, assignment, n);
  }
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  p.provenance["tool"] = std::string("moa ") + MOA_VERSION;
  p.provenance["created"] = stamp;
  p.provenance["solver"] = "CBC";
  std::ostringstream s;
  s << t.num_rules() << " candidate rules";
  if (req.max_rules_per_layer > 0) s << ", at most " << req.max_rules_per_layer << " per layer";
  if (req.min_fraction > 0) s << ", min fraction " << req.min_fraction;
  if (!req.locks.empty()) s << ", " << req.locks.size() << " locks";
  p.provenance["constraints"] = s.str();
  return p;
}

std::map<int64_t, double> length_weights_normalized(const LossTable& table) {
  std::map<int64_t, double> weights;
  for (int li = 0; li < table.num_lengths(); ++li) {
    double total = 0;
    for (int l = 0; l < table.num_layers; ++l)
      for (int u = 0; u < table.num_units; ++u) {
        double worst = 0;
        for (int r = 0; r < table.num_rules(); ++r) worst = std::max(worst, table.loss_at(l, u, r, li));
        total += worst;
      }
    weights[table.lengths[li]] = total > 0 ? 1.0 / total : 1.0;
  }
  return weights;
}

}  // namespace moa
