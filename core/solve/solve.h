#pragma once
// Plan optimisation (DESIGN §4): one rule per head (or KV head) minimising predicted loss
// under per-length density budgets, as a MILP solved by CBC (docs/solver.md says why CBC).
// Torch-free.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/plan/loss_table.h"
#include "core/plan/plan.h"

namespace moa {

// A unit (query head or KV head, per the table's granularity) forced to one rule.
struct RuleLock {
  int layer = 0;
  int unit = 0;
  Rule rule;
};

struct SolveRequest {
  std::map<int64_t, double> budgets;  // length -> max mean density (lengths of the table)
  double min_fraction = 0.0;          // > 0: mean density >= min_fraction * budget too
  int max_rules_per_layer = 0;        // > 0: at most K distinct rules in a layer
  std::vector<RuleLock> locks;
  // The rules an unlocked unit may take (the candidate grid); empty: every rule of the table. A
  // rule typed in for a lock gets a table column but stays that head's own.
  std::vector<Rule> free_rules;
  // Objective: sum over lengths of weight * total loss; empty = weight 1 at every length.
  std::map<int64_t, double> weights;
  // Epsilon constraints of the Pareto search: total loss at a length <= cap.
  std::map<int64_t, double> loss_caps;
  double time_limit_s = 60.0;
  double relative_gap = 1e-3;  // CBC stops within this relative gap; 0 proves optimality
  int threads = 2;
  int log_level = 0;  // CBC's own log on stdout when > 0
};

struct SolveResult {
  std::vector<int> assignment;  // rule index per [layer][unit]
  std::map<int64_t, double> loss;     // total predicted loss per table length
  std::map<int64_t, double> density;  // mean density per table length
  double objective = 0.0;   // in the request's weighted units
  double best_bound = 0.0;  // CBC's lower bound, same units
  double gap = 0.0;         // (objective - bound) / |objective|
  bool proven_optimal = false;
  int nodes = 0;
  double wall_seconds = 0.0;  // ours: model build + solve
  double solve_seconds = 0.0; // around Cbc_solve only
};

// Objective weights that make every length count equally: 1 / (the table's total loss at that
// length if every unit ran its worst rule). Without them the length whose answers are hardest
// (largest gradients) dominates the sum. Lengths with no loss at all get weight 1.
std::map<int64_t, double> length_weights_normalized(const LossTable& table);

// Throws moa::Error naming the violated constraint when the request cannot be met (budget
// below the smallest achievable density, contradictory locks, locks beyond K, ...).
void check_request(const LossTable& table, const SolveRequest& request);

SolveResult solve_assignment(const LossTable& table, const SolveRequest& request,
                             const std::vector<int>* warm_start = nullptr);

// Independent feasibility check of an assignment: one message per violated constraint.
std::vector<std::string> assignment_violations(const LossTable& table, const SolveRequest& request,
                                               const std::vector<int>& assignment);

// Plan from an assignment (predicted loss and density per length filled in).
Plan plan_from_assignment(const LossTable& table, const std::vector<int>& assignment,
                          const SolveRequest& request);

// Keeps the last solution so that an edit (lock one head, change one budget) re-solves from
// a warm start: the previous plan, repaired to honour the new locks, is CBC's MIP start.
class PlanSolver {
 public:
  explicit PlanSolver(const LossTable& table) : table_(table) {}
  SolveResult solve(const SolveRequest& request);
  const LossTable& table() const { return table_; }

 private:
  const LossTable& table_;
  std::vector<int> last_;
};

// Epsilon-constraint Pareto set over the table's lengths: minimise the loss at the first
// length with the others capped on a grid of `points` values each between their ideal and
// worst payoff-table values. Dominated and duplicate points are removed.
std::vector<Plan> solve_pareto(const LossTable& table, const SolveRequest& request, int points = 3);

// Index of the plan with the lowest validation loss (the model-based loss comes from eval).
size_t select_plan(const std::vector<Plan>& pareto, const std::function<double(const Plan&)>& validation_loss);

// Baselines at the same budgets (locks and K are ignored):
// every unit the same grid rule (the best feasible one);
Plan baseline_uniform(const LossTable& table, const SolveRequest& request);
// StreamingLLM: sink + the widest fixed window (beta = 0) meeting every budget. The rule
// must be in the table: add streaming_rule(...) to the grid before building it.
Rule streaming_rule(const std::map<int64_t, double>& budgets);
Plan baseline_streaming(const LossTable& table, const SolveRequest& request);
// one rule per layer, shared by all its heads (a MILP over layers).
Plan baseline_per_layer(const LossTable& table, const SolveRequest& request);

}  // namespace moa
