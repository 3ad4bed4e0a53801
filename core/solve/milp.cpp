// The plan MILP on CBC's C API.
//   x[u][r] in {0,1}: unit u (layer-major) runs rule r;  sum_r x[u][r] = 1.
//   for each budget length N: lo_N <= sum_{u,r} density[r][N] / U * x[u][r] <= rho_N.
//   optional epsilon caps:      sum_{u,r} loss[u][r][N] x[u][r] <= cap_N.
//   optional K rules per layer: x[u][r] <= y[l][r] for u in l;  sum_r y[l][r] <= K.
//     (the disaggregated linking rows give a much tighter LP than sum_u x <= U y: measured
//     36 s -> see docs/solver.md).
//   minimise sum_N w_N sum_{u,r} loss[u][r][N] x[u][r].
#include <coin/Cbc_C_Interface.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <set>
#include <sstream>

#include "core/solve/solve.h"
#include "core/util/error.h"

namespace moa {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string num(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

std::vector<double> length_weights(const LossTable& t, const SolveRequest& req) {
  std::vector<double> w(static_cast<size_t>(t.num_lengths()), req.weights.empty() ? 1.0 : 0.0);
  for (const auto& [n, v] : req.weights) w[static_cast<size_t>(t.length_index(n))] = v;
  return w;
}

// Locked rule index per unit, -1 when free. Assumes check_request passed.
std::vector<int> lock_map(const LossTable& t, const SolveRequest& req) {
  std::vector<int> locked(static_cast<size_t>(t.num_layers) * t.num_units, -1);
  for (const RuleLock& lk : req.locks) locked[static_cast<size_t>(lk.layer) * t.num_units + lk.unit] = t.rule_index(lk.rule);
  return locked;
}

// Per rule of the table: may an unlocked unit take it (SolveRequest::free_rules)?
std::vector<char> free_rule_mask(const LossTable& t, const SolveRequest& req) {
  std::vector<char> mask(static_cast<size_t>(t.num_rules()), req.free_rules.empty() ? 1 : 0);
  for (const Rule& r : req.free_rules) {
    const int i = t.rule_index(r);
    if (i < 0) throw Error("solve: candidate rule " + rule_text(r) + " is not in the loss table");
    mask[static_cast<size_t>(i)] = 1;
  }
  return mask;
}

struct Column {
  std::vector<int> rows;
  std::vector<double> values;
};

}  // namespace

void check_request(const LossTable& t, const SolveRequest& req) {
  if (req.budgets.empty()) throw Error("solve: no density budget given");
  for (const auto& [n, rho] : req.budgets) {
    t.length_index(n);
    if (!(rho > 0.0 && rho <= 1.0))
      throw Error("budget " + num(rho) + " at length " + std::to_string(n) + " must be in (0, 1]");
  }
  for (const auto& [n, cap] : req.loss_caps) t.length_index(n);
  if (req.min_fraction < 0.0 || req.min_fraction > 1.0)
    throw Error("min fraction " + num(req.min_fraction) + " must be in [0, 1]");
  if (req.max_rules_per_layer < 0) throw Error("max rules per layer must be >= 0");
  std::map<std::pair<int, int>, Rule> seen;
  std::vector<std::set<int>> locked_rules(static_cast<size_t>(t.num_layers));
  for (const RuleLock& lk : req.locks) {
    const std::string where = "lock on layer " + std::to_string(lk.layer) + " " +
                              (t.granularity == Granularity::head ? "head " : "KV head ") + std::to_string(lk.unit);
    if (lk.layer < 0 || lk.layer >= t.num_layers || lk.unit < 0 || lk.unit >= t.num_units)
      throw Error(where + ": out of range (" + std::to_string(t.num_layers) + " layers, " +
                  std::to_string(t.num_units) + " units per layer)");
    const int r = t.rule_index(lk.rule);
    if (r < 0) throw Error(where + ": rule " + rule_text(lk.rule) + " is not among the candidate rules");
    auto [it, fresh] = seen.emplace(std::make_pair(lk.layer, lk.unit), lk.rule);
    if (!fresh && it->second != lk.rule)
      throw Error("contradictory locks: " + where + " is locked to both " + rule_text(it->second) + " and " +
                  rule_text(lk.rule));
    locked_rules[static_cast<size_t>(lk.layer)].insert(r);
  }
  if (req.max_rules_per_layer > 0)
    for (int l = 0; l < t.num_layers; ++l)
      if (static_cast<int>(locked_rules[static_cast<size_t>(l)].size()) > req.max_rules_per_layer)
        throw Error("contradictory locks: layer " + std::to_string(l) + " has " +
                    std::to_string(locked_rules[static_cast<size_t>(l)].size()) +
                    " distinct locked rules but max rules per layer is " + std::to_string(req.max_rules_per_layer));
  const std::vector<int> locked = lock_map(t, req);
  const std::vector<char> free_mask = free_rule_mask(t, req);
  const double units = static_cast<double>(locked.size());
  // A locked rule that is no candidate (typed in by hand) takes one of a layer's K rules that
  // no unlocked head may share: with K of them, the layer's unlocked heads have none left.
  if (req.max_rules_per_layer > 0)
    for (int l = 0; l < t.num_layers; ++l) {
      bool free_unit = false, candidate_locked = false;
      for (int u = 0; u < t.num_units; ++u) {
        const int r = locked[static_cast<size_t>(l) * t.num_units + u];
        if (r < 0) free_unit = true;
        else if (free_mask[static_cast<size_t>(r)]) candidate_locked = true;
      }
      const int distinct = static_cast<int>(locked_rules[static_cast<size_t>(l)].size());
      if (free_unit && !candidate_locked && distinct >= req.max_rules_per_layer)
        throw Error("contradictory locks: layer " + std::to_string(l) + " has " + std::to_string(distinct) +
                    " locked rules outside the candidate grid, as many as max rules per layer (" +
                    std::to_string(req.max_rules_per_layer) + "), and no rule is left for its unlocked heads");
    }
  for (const auto& [n, rho] : req.budgets) {
    const int ni = t.length_index(n);
    double dmin = 1.0, dmax = 0.0;
    for (int r = 0; r < t.num_rules(); ++r) {
      if (!free_mask[static_cast<size_t>(r)]) continue;
      dmin = std::min(dmin, t.density_at(r, ni));
      dmax = std::max(dmax, t.density_at(r, ni));
    }
    double lo = 0.0, hi = 0.0;
    for (int r : locked) {
      lo += r >= 0 ? t.density_at(r, ni) : dmin;
      hi += r >= 0 ? t.density_at(r, ni) : dmax;
    }
    lo /= units;
    hi /= units;
    if (lo > rho + 1e-12)
      throw Error("budget " + num(rho) + " at length " + std::to_string(n) +
                  " is below the smallest achievable mean density " + num(lo) + " (smallest rule density " +
                  num(dmin) + (req.locks.empty() ? "" : ", with the locked heads") + ")");
    if (req.min_fraction > 0 && hi < req.min_fraction * rho - 1e-12)
      throw Error("min fraction " + num(req.min_fraction) + " of budget " + num(rho) + " at length " +
                  std::to_string(n) + " exceeds the largest achievable mean density " + num(hi));
  }
}

namespace {

// The objective as CBC sees it: per column the weighted loss minus its unit's cheapest allowed
// rule (a constant every plan pays), over `scale`.
struct Objective {
  std::vector<double> cost;     // weighted loss per column, unshifted
  std::vector<double> offset;   // per unit: its cheapest allowed column's cost
  std::vector<char> allowed;    // columns that may be 1
  double total_offset = 0.0;
};

struct CbcOutcome {
  std::vector<int> assignment;
  double bound = 0.0;  // lower bound on the shifted objective, unscaled
  bool proven_optimal = false;
  int nodes = 0;
  double solve_seconds = 0.0;
};

// One CBC solve over the columns `allowed` (a subset of obj.allowed), scaled by its largest
// shifted cost, within `seconds`. Throws when infeasible or when no plan is found in time.
CbcOutcome cbc_solve(const LossTable& t, const SolveRequest& req, const Objective& obj, const std::vector<char>& allowed,
                     const std::vector<int>* warm_start, double seconds) {
  const int R = t.num_rules(), L = t.num_layers, U = t.num_units;
  const int units = L * U;
  const std::vector<int> locked = lock_map(t, req);
  double scale = 0.0;
  for (int u = 0; u < units; ++u)
    for (int r = 0; r < R; ++r) {
      const size_t col = static_cast<size_t>(u) * R + r;
      if (allowed[col]) scale = std::max(scale, obj.cost[col] - obj.offset[u]);
    }
  if (scale <= 0.0) scale = 1.0;
  // Coefficients far below CLP's absolute tolerances (1e-7) carry nothing it can use and can
  // trip its pivoting: a profile of a model with pruned heads (influence ~1e-30 next to 1)
  // aborted CLP 1.17 with an assertion in ClpPrimalColumnSteepest. They become exact zeros;
  // the plan's reported loss is recomputed from the unrounded table (and solve_assignment
  // re-solves with a finer scale when that rounding lost the differences that matter).
  constexpr double kNegligible = 1e-9;
  auto conditioned = [](double v, double row_scale) {
    const double x = v / row_scale;
    return std::fabs(x) < kNegligible ? 0.0 : x;
  };
  // Each loss cap row in its own units (its largest coefficient is 1).
  std::vector<double> cap_scale;
  for (const auto& [n, cap] : req.loss_caps) {
    const int ni = t.length_index(n);
    double m = 0.0;
    for (int u = 0; u < units; ++u)
      for (int r = 0; r < R; ++r) m = std::max(m, std::fabs(t.loss_at(u / U, u % U, r, ni)));
    cap_scale.push_back(m > 0.0 ? m : 1.0);
  }

  std::vector<int> budget_idx, cap_idx;
  for (const auto& [n, rho] : req.budgets) budget_idx.push_back(t.length_index(n));
  for (const auto& [n, cap] : req.loss_caps) cap_idx.push_back(t.length_index(n));

  // Rows.
  std::vector<double> row_lo, row_hi;
  auto add_row = [&](double lo, double hi) {
    row_lo.push_back(lo);
    row_hi.push_back(hi);
    return static_cast<int>(row_lo.size()) - 1;
  };
  const double inf = std::numeric_limits<double>::infinity();
  for (int u = 0; u < units; ++u) add_row(1.0, 1.0);
  std::vector<int> budget_row;
  for (const auto& [n, rho] : req.budgets)
    budget_row.push_back(add_row(req.min_fraction > 0 ? req.min_fraction * rho * units : -inf, rho * units));
  std::vector<int> cap_row;
  for (const auto& [n, cap] : req.loss_caps) cap_row.push_back(add_row(-inf, cap / cap_scale[cap_row.size()]));
  const int K = req.max_rules_per_layer;
  const int k_row0 = static_cast<int>(row_lo.size());
  if (K > 0) {
    for (int i = 0; i < units * R; ++i) add_row(-inf, 0.0);
    for (int l = 0; l < L; ++l) add_row(-inf, K);
  }

  // Columns (CSC). Densities are multiplied by U*L instead of divided, for exact coefficients.
  const int ncols = units * R + (K > 0 ? L * R : 0);
  std::vector<int> start{0}, index;
  std::vector<double> value, col_lo(ncols, 0.0), col_hi(ncols, 1.0), objective(ncols, 0.0);
  for (int u = 0; u < units; ++u)
    for (int r = 0; r < R; ++r) {
      const int col = u * R + r;
      index.push_back(u);
      value.push_back(1.0);
      for (size_t b = 0; b < budget_idx.size(); ++b) {
        index.push_back(budget_row[b]);
        value.push_back(t.density_at(r, budget_idx[b]));
      }
      for (size_t c = 0; c < cap_idx.size(); ++c) {
        index.push_back(cap_row[c]);
        value.push_back(conditioned(t.loss_at(u / U, u % U, r, cap_idx[c]), cap_scale[c]));
      }
      if (K > 0) {
        index.push_back(k_row0 + col);
        value.push_back(1.0);
      }
      start.push_back(static_cast<int>(index.size()));
      objective[col] = allowed[col] ? conditioned(obj.cost[col] - obj.offset[u], scale) : 0.0;
      if (!allowed[col]) col_hi[col] = 0.0;
      if (locked[u] == r) col_lo[col] = 1.0;
    }
  for (int l = 0; K > 0 && l < L; ++l)
    for (int r = 0; r < R; ++r) {
      for (int u = l * U; u < (l + 1) * U; ++u) {
        index.push_back(k_row0 + u * R + r);
        value.push_back(-1.0);
      }
      index.push_back(k_row0 + units * R + l);
      value.push_back(1.0);
      start.push_back(static_cast<int>(index.size()));
    }

  std::unique_ptr<Cbc_Model, void (*)(Cbc_Model*)> model(Cbc_newModel(), Cbc_deleteModel);
  Cbc_Model* m = model.get();
  Cbc_loadProblem(m, ncols, static_cast<int>(row_lo.size()), start.data(), index.data(), value.data(),
                  col_lo.data(), col_hi.data(), objective.data(), row_lo.data(), row_hi.data());
  for (int c = 0; c < ncols; ++c) Cbc_setInteger(m, c);
  Cbc_setObjSense(m, 1.0);
  Cbc_setLogLevel(m, req.log_level);
  Cbc_setMaximumSeconds(m, seconds);
  // The requested gap is relative to the whole objective, but CBC sees it shifted by the units'
  // cheapest rules: its fraction gap alone would be stricter by objective / shifted objective
  // (100x when the choices are 1% of the loss). So an absolute gap of G x the shift (which is
  // <= G x the objective) stops it too. Always set: CBC's own defaults apply otherwise, and a
  // gap of 0 must mean "prove optimality".
  const double gap = std::max(0.0, req.relative_gap);
  Cbc_setAllowableFractionGap(m, gap);
  Cbc_setAllowableGap(m, gap * obj.total_offset / scale);
  if (req.threads > 1) Cbc_setParameter(m, "threads", std::to_string(req.threads).c_str());
  // CBC 2.10 fails on a MIP start when the model has the y columns of the K constraint
  // ("Illegal index <ncols> in ClpModel::getColumnName", then no solution, by index and by
  // name alike), so K-constrained re-solves start cold.
  if (warm_start && warm_start->size() == static_cast<size_t>(units) && K == 0) {
    std::vector<int> idx;
    for (int u = 0; u < units; ++u) idx.push_back(u * R + (*warm_start)[u]);
    const std::vector<double> ones(idx.size(), 1.0);
    Cbc_setMIPStartI(m, static_cast<int>(idx.size()), idx.data(), ones.data());
  }
  const auto ts = Clock::now();
  Cbc_solve(m);
  CbcOutcome out;
  out.solve_seconds = seconds_since(ts);
  if (Cbc_isProvenInfeasible(m)) {
    std::string what = "no plan meets all constraints together (budgets";
    for (const auto& [n, rho] : req.budgets) what += " " + std::to_string(n) + ":" + num(rho);
    if (req.min_fraction > 0) what += ", min fraction " + num(req.min_fraction);
    if (K > 0) what += ", max " + std::to_string(K) + " rules per layer";
    if (!req.locks.empty()) what += ", " + std::to_string(req.locks.size()) + " locked heads";
    if (!req.loss_caps.empty()) what += ", loss caps";
    throw Error(what + ")");
  }
  const double* x = Cbc_getColSolution(m);
  if (Cbc_getNumCols(m) != ncols || x == nullptr || Cbc_bestSolution(m) == nullptr)
    throw Error("solve: CBC found no feasible plan within " + num(req.time_limit_s) + " s");
  out.assignment.assign(static_cast<size_t>(units), -1);
  for (int u = 0; u < units; ++u)
    for (int r = 0; r < R; ++r)
      if (x[u * R + r] > 0.5) out.assignment[u] = r;
  for (int u = 0; u < units; ++u)
    if (out.assignment[u] < 0) throw Error("solve: CBC returned a solution without a rule for unit " + std::to_string(u));
  out.proven_optimal = Cbc_isProvenOptimal(m) != 0;
  out.nodes = Cbc_getNodeCount(m);
  out.bound = Cbc_getBestPossibleObjValue(m) * scale;
  return out;
}

}  // namespace

SolveResult solve_assignment(const LossTable& t, const SolveRequest& req, const std::vector<int>* warm_start) {
  const auto t0 = Clock::now();
  check_request(t, req);
  const int R = t.num_rules(), L = t.num_layers, U = t.num_units;
  const int units = L * U;
  const std::vector<double> w = length_weights(t, req);
  const std::vector<int> locked = lock_map(t, req);

  // Columns allowed to be 1: the candidate rules, or only the lock of a locked unit.
  const std::vector<char> free_mask = free_rule_mask(t, req);
  Objective obj;
  obj.allowed.assign(static_cast<size_t>(units) * R, 0);
  for (int u = 0; u < units; ++u)
    for (int r = 0; r < R; ++r)
      obj.allowed[static_cast<size_t>(u) * R + r] = locked[u] >= 0 ? (r == locked[u]) : free_mask[static_cast<size_t>(r)];
  // Every plan pays each unit's cheapest allowed rule: that constant is taken out, so the scale
  // (largest coefficient = 1; CBC's tolerances and gaps are absolute) measures the choices.
  obj.cost.assign(static_cast<size_t>(units) * R, 0.0);
  obj.offset.assign(static_cast<size_t>(units), std::numeric_limits<double>::infinity());
  for (int u = 0; u < units; ++u)
    for (int r = 0; r < R; ++r) {
      double c = 0.0;
      for (int n = 0; n < t.num_lengths(); ++n) c += w[n] * t.loss_at(u / U, u % U, r, n);
      const size_t col = static_cast<size_t>(u) * R + r;
      obj.cost[col] = c;
      if (obj.allowed[col]) obj.offset[u] = std::min(obj.offset[u], c);
    }
  for (double o : obj.offset) obj.total_offset += o;

  // A few columns whose loss is many orders above the rest (a local rule on a retrieval head)
  // set the scale, and then every other coefficient rounds to zero: CBC "solves" a flat
  // objective at once (a 94-100% gap on the demo model with a lock). Any column whose shifted
  // cost exceeds the shifted objective of a plan already found cannot be in a better plan
  // (shifted costs are >= 0), so those columns are dropped and the rest re-solved at their own,
  // finer scale, from that plan; the bound stays valid for the whole problem.
  // The rounds share the request's time limit; one that finds nothing in what is left keeps the
  // plan already found.
  std::vector<char> allowed = obj.allowed;
  CbcOutcome best = cbc_solve(t, req, obj, allowed, warm_start, req.time_limit_s);
  auto shifted_total = [&](const std::vector<int>& a) {
    double v = 0.0;
    for (int u = 0; u < units; ++u) v += obj.cost[static_cast<size_t>(u) * R + a[u]] - obj.offset[u];
    return v;
  };
  for (int round = 0; round < 4; ++round) {
    const double incumbent = shifted_total(best.assignment);
    double old_scale = 0.0, new_scale = 0.0;
    std::vector<char> pruned = allowed;
    for (int u = 0; u < units; ++u)
      for (int r = 0; r < R; ++r) {
        const size_t col = static_cast<size_t>(u) * R + r;
        if (!allowed[col]) continue;
        const double c = obj.cost[col] - obj.offset[u];
        old_scale = std::max(old_scale, c);
        if (c > incumbent * (1.0 + 1e-9)) pruned[col] = 0;
        else new_scale = std::max(new_scale, c);
      }
    if (!(new_scale > 0.0) || new_scale > old_scale * 1e-3) break;  // the scale already resolves it
    const double left = req.time_limit_s - seconds_since(t0);
    if (left < 0.05 * req.time_limit_s) break;
    allowed = std::move(pruned);
    CbcOutcome finer;
    try {
      finer = cbc_solve(t, req, obj, allowed, &best.assignment, left);
    } catch (const Error&) {
      break;  // nothing found in the time left (a cold start under K): the plan in hand stands
    }
    finer.solve_seconds += best.solve_seconds;
    finer.nodes += best.nodes;
    finer.bound = std::max(finer.bound, best.bound);  // both bound the whole problem
    if (shifted_total(finer.assignment) > incumbent) {
      finer.assignment = best.assignment;
      finer.proven_optimal = best.proven_optimal;
    }
    best = std::move(finer);
  }

  SolveResult res;
  res.solve_seconds = best.solve_seconds;
  res.assignment = best.assignment;
  res.proven_optimal = best.proven_optimal;
  res.nodes = best.nodes;
  for (int n = 0; n < t.num_lengths(); ++n) {
    res.loss[t.lengths[n]] = loss_table_total(t, res.assignment, n);
    res.density[t.lengths[n]] = loss_table_mean_density(t, res.assignment, n);
    res.objective += w[n] * res.loss[t.lengths[n]];
  }
  // CBC's bound is in scaled units; "optimal" means optimal within the requested gap.
  res.best_bound = std::min(res.objective, best.bound + obj.total_offset);
  res.gap = res.objective != 0.0 ? std::max(0.0, (res.objective - res.best_bound) / std::fabs(res.objective)) : 0.0;
  res.wall_seconds = seconds_since(t0);
  return res;
}

SolveResult PlanSolver::solve(const SolveRequest& request) {
  check_request(table_, request);
  std::vector<int> start = last_;
  if (!start.empty())
    for (const RuleLock& lk : request.locks)
      start[static_cast<size_t>(lk.layer) * table_.num_units + lk.unit] = table_.rule_index(lk.rule);
  // CBC rejects an infeasible MIP start by itself; a feasible one prunes the tree at once.
  SolveResult res = solve_assignment(table_, request, start.empty() ? nullptr : &start);
  last_ = res.assignment;
  return res;
}

}  // namespace moa
