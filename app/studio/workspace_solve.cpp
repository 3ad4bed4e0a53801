// Workspace::solve: loss tables + MILP off the GUI thread, delivered in two stages (the
// table, then the plan). Kept apart from workspace.cpp so each file stays about one job.
#include <algorithm>

#include "app/studio/workspace.h"
#include "core/plan/rule.h"
#include "core/solve/solve.h"
#include "core/util/error.h"

namespace moa::studio {

namespace {

// Budgets for the profiled lengths: the plan's where it has one, else half the cache.
std::map<int64_t, double> solve_budgets(const std::vector<int64_t>& lengths, const Plan* plan) {
  std::map<int64_t, double> budgets;
  for (int64_t n : lengths) {
    double b = 0.5;
    if (plan) {
      auto it = plan->budgets.find(n);
      if (it != plan->budgets.end()) b = it->second;
    }
    budgets[n] = b;
  }
  return budgets;
}

}  // namespace

// DESIGN §4's grid (alpha from -min_len to max_len, beta in {0, 1/8, ..., 1}). Automatic alpha
// step: scaled to the profile, because the default 1024-token step leaves no rule below density 1
// at short lengths (512, 1024), while a quarter of the shortest length gives ~20 alphas at any
// scale and keeps 2k/4k/8k at the usual step of 512..1024.
RuleGridSpec solve_grid_spec(const std::vector<int64_t>& lengths, const RuleGridChoice& choice) {
  RuleGridSpec spec = default_grid_spec(lengths);
  const int64_t shortest = *std::min_element(lengths.begin(), lengths.end());
  spec.alpha_step = choice.alpha_step > 0.0
                        ? choice.alpha_step
                        : std::clamp<double>(static_cast<double>(shortest / 4 / 64 * 64), 64.0, 1024.0);
  if (!choice.betas.empty()) spec.betas = choice.betas;
  return spec;
}

quint64 Workspace::solve(const SolveOptions& options) {
  ProfileDataPtr profile = profile_.data();
  if (!profile || profile->lengths.empty()) throw Error("open or run a profile before solving");
  const Plan* current = plan_.hasPlan() ? &plan_.plan() : nullptr;
  const ProfileMeta& meta = profile->meta;
  const bool gqa = meta.num_kv_heads > 0 && meta.num_kv_heads < meta.num_heads;
  const Granularity granularity = current ? current->granularity : (gqa ? Granularity::kv_head : Granularity::head);
  const std::vector<int64_t> lengths = profile->lengthList();
  const std::vector<Rule> base_grid = rule_grid(solve_grid_spec(lengths, options.grid), lengths);
  if (base_grid.empty())
    throw Error("the rule grid has no rule valid at every profiled length (beta in [0, 1], span above 0 and at most N)");

  SolveRequest request;
  request.budgets = solve_budgets(lengths, current);
  request.max_rules_per_layer = options.max_rules_per_layer;
  request.min_fraction = options.min_fraction;
  request.time_limit_s = options.time_limit_s;
  std::vector<Rule> warm_rules;  // the current plan's rules: CBC's warm start
  if (current && current->num_layers == meta.num_layers && current->num_heads == meta.num_heads) {
    for (int l = 0; l < current->num_layers; ++l)
      for (int u = 0; u < current->units_per_layer(); ++u) {
        warm_rules.push_back(current->rules[l][u]);
        if (!current->locked.empty() && current->locked[l][u]) request.locks.push_back({l, u, current->rules[l][u]});
      }
  }
  // Locked rules outside the grid (typed in by hand) need a column in the table too. The table is
  // cached for exactly these columns: every column is a candidate for every head, so a table
  // with a column left from an earlier lock must not serve a solve without that lock.
  std::vector<Rule> grid = base_grid;
  request.free_rules = base_grid;  // a lock's hand-typed rule stays that head's own
  for (const RuleLock& lk : request.locks)
    if (std::find(grid.begin(), grid.end(), lk.rule) == grid.end()) grid.push_back(lk.rule);
  std::shared_ptr<const LossTable> cached = cachedTable(profile, granularity, grid);
  auto cache = table_cache_;
  const Plan base = current ? *current : Plan{};

  return solve_jobs_.start(tr("Solving plan"), [this, profile, granularity, grid, request, warm_rules,
                                                  cached, cache, base](JobContext& job) {
    std::shared_ptr<const LossTable> table = cached;
    if (!table) {
      job.progress(0.05, tr("building loss tables"));
      auto built = std::make_shared<LossTable>(loss_table_build(profile->toProfile(), grid, granularity));
      table = built;
      job.deliver([cache, profile, granularity, grid, table] {
        cache->profile = profile;
        cache->granularity = granularity;
        cache->grid = grid;
        cache->table = table;
      });
    }
    if (!job.progress(0.4, tr("solving the MILP (CBC)"))) throw Cancelled();
    std::vector<int> warm;
    for (const Rule& r : warm_rules) {
      const int idx = table->rule_index(r);
      if (idx < 0) {
        warm.clear();
        break;
      }
      warm.push_back(idx);
    }
    const SolveResult result = solve_assignment(*table, request, warm.empty() ? nullptr : &warm);
    if (!job.progress(0.95, tr("building the plan"))) throw Cancelled();
    Plan solved = plan_from_assignment(*table, result.assignment, request);
    solved.provenance["profile"] = profile->path;
    if (!base.locked.empty() && base.locked.size() == solved.locked.size()) solved.locked = base.locked;
    job.deliver([this, solved, result] {
      const bool first = !plan_.hasPlan();
      if (first) plan_.setPlan(solved, QString());
      else plan_.applySolved(solved, tr("Re-solve"));
      QStringList parts;
      for (const auto& [n, loss] : result.loss)
        parts << tr("%1: loss %2, density %3")
                     .arg(n)
                     .arg(loss, 0, 'g', 4)
                     .arg(result.density.at(n), 0, 'f', 3);
      emit message(tr("Solved in %1 s (%2)").arg(result.wall_seconds, 0, 'f', 2).arg(parts.join(QStringLiteral("; "))));
    });
    // No final progress text: it would arrive after, and hide, the "Solved in" summary.
  });
}

}  // namespace moa::studio
