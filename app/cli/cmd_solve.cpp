// moa solve | moa plans | moa plan convert: plan optimisation and plan files from the shell.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "app/cli/command.h"
#include "core/eval/eval.h"
#include "core/model/config.h"
#include "core/plan/plan_io.h"
#include "core/profile/profile_store.h"
#include "core/solve/solve.h"
#include "core/util/error.h"
#include "core/util/files.h"

namespace {

using moa::cli::Args;

const std::vector<std::string> kSolveOptions = {
    "profile", "budget", "max-rules-per-layer", "lock", "granularity", "min-fraction", "gap",
    "time-limit", "threads", "alpha-step", "betas", "baseline", "out", "format", "points", "out-dir",
    "validate-model", "validate-data", "validate-demo-length", "validate-records", "validate-device", "select-out",
    "length-weights", "cbc-log"};

// "L:H=alpha,beta" with H a query head; kv_head plans lock the head's KV group. The rule is
// checked as the grid's rules are (core rule_check at the profiled lengths) before any work.
moa::RuleLock parse_lock(const std::string& text, const moa::ProfileMeta& meta, int group,
                         const std::vector<int64_t>& lengths) {
  const moa::cli::HeadArg a = moa::cli::parse_head_arg("lock", text, meta.num_layers, meta.num_heads, true);
  moa::RuleLock lk;
  lk.layer = a.layer;
  lk.unit = a.head / group;
  lk.rule = {a.alpha, a.beta};
  const moa::RuleCheck check = moa::rule_check(lk.rule, lengths);
  if (!check.ok()) throw moa::Error("--lock '" + text + "': " + moa::rule_fault_text(lk.rule, check));
  return lk;
}

struct Setup {
  moa::LossTable table;
  moa::SolveRequest request;
};

Setup setup_from_args(const Args& args) {
  args.allow_only(kSolveOptions);
  const std::string profile_path = args.get("profile");
  const moa::Profile profile = moa::profile_read(profile_path);
  std::vector<int64_t> lengths;
  for (const auto& [n, lp] : profile.lengths)
    if (lp.samples_done() > 0) lengths.push_back(n);
  if (lengths.empty()) moa::fail_file(profile_path, "no length has any profiled sample yet");
  for (const auto& [n, lp] : profile.lengths)
    if (lp.samples_done() == 0)
      std::cerr << "note: " << profile_path << ": length " << n << " has no finished sample (an interrupted run?); "
                << "the plan is solved for the other lengths only\n";
  const auto budgets = moa::cli::parse_double_list(args.get("budget"), "--budget");
  for (double b : budgets)
    if (!(b > 0.0 && b <= 1.0)) throw moa::Error("--budget: " + std::to_string(b) + " is not a KV fraction in (0, 1]");
  Setup s;
  if (budgets.size() == 1) {
    for (int64_t n : lengths) s.request.budgets[n] = budgets[0];
  } else if (budgets.size() == lengths.size()) {
    for (size_t i = 0; i < lengths.size(); ++i) s.request.budgets[lengths[i]] = budgets[i];
  } else {
    throw moa::Error("--budget: give one value or one per profiled length (" + std::to_string(lengths.size()) + ")");
  }
  const auto& m = profile.meta;
  const moa::Granularity granularity = moa::granularity_parse(
      args.get("granularity", m.num_kv_heads < m.num_heads ? "kv_head" : "head"));
  moa::RuleGridSpec spec = moa::default_grid_spec(lengths);
  spec.alpha_step = args.get_double("alpha-step", spec.alpha_step);
  if (args.has("betas")) spec.betas = moa::cli::parse_double_list(args.get("betas"), "--betas");
  std::vector<moa::Rule> rules = moa::rule_grid(spec, lengths);
  s.request.free_rules = rules;  // a lock's own rule is that head's only
  // Locked rules and the streaming baseline's window need table rows too.
  const int group = granularity == moa::Granularity::head ? 1 : m.num_heads / m.num_kv_heads;
  for (const std::string& text : args.get_all("lock")) {
    s.request.locks.push_back(parse_lock(text, m, group, lengths));
    rules.push_back(s.request.locks.back().rule);
  }
  if (args.get("baseline", "") == "streaming") {
    rules.push_back(moa::streaming_rule(s.request.budgets));
    s.request.free_rules.push_back(rules.back());
  }
  std::sort(rules.begin(), rules.end());
  rules.erase(std::unique(rules.begin(), rules.end()), rules.end());
  s.table = moa::loss_table_build(profile, rules, granularity, lengths);
  s.request.max_rules_per_layer = static_cast<int>(args.get_int("max-rules-per-layer", 0));
  s.request.min_fraction = args.get_double("min-fraction", 0.0);
  s.request.relative_gap = args.get_double("gap", 1e-3);
  s.request.time_limit_s = args.get_double("time-limit", 60.0);
  if (!(s.request.time_limit_s > 0)) throw moa::Error("--time-limit must be a positive number of seconds");
  s.request.threads = static_cast<int>(args.get_int("threads", 2));
  if (args.has("cbc-log")) s.request.log_level = 1;
  const std::string weighting = args.get("length-weights", "normalized");
  if (weighting == "normalized") s.request.weights = moa::length_weights_normalized(s.table);
  else if (weighting != "raw") throw moa::Error("--length-weights must be normalized or raw");
  return s;
}

void print_lengths_header(const moa::LossTable& t) {
  std::printf("%-6s", "plan");
  for (int64_t n : t.lengths) std::printf("  loss@%-7lld", static_cast<long long>(n));
  for (int64_t n : t.lengths) std::printf("  dens@%-6lld", static_cast<long long>(n));
  for (int64_t n : t.lengths) std::printf("  work@%-6lld", static_cast<long long>(n));
  std::printf("\n");
}

void print_plan_row(const std::string& name, const moa::Plan& p, const moa::LossTable& t) {
  std::printf("%-6s", name.c_str());
  for (int64_t n : t.lengths) std::printf("  %-12.6g", p.predicted_loss.at(n));
  for (int64_t n : t.lengths) std::printf("  %-11.4f", p.density.at(n));
  for (int64_t n : t.lengths) std::printf("  %-11.4f", moa::plan_work_fraction(p, n));
  std::printf("\n");
}

moa::PlanFormat out_format(const Args& args, const std::filesystem::path& out) {
  return args.has("format") ? moa::plan_format_parse(args.get("format")) : moa::plan_format_from_path(out);
}

int run_solve(const Args& args) {
  Setup s = setup_from_args(args);
  const std::filesystem::path out = args.get("out");
  const std::string baseline = args.get("baseline", "");
  moa::Plan plan;
  if (baseline == "uniform") {
    plan = moa::baseline_uniform(s.table, s.request);
  } else if (baseline == "streaming") {
    plan = moa::baseline_streaming(s.table, s.request);
  } else if (baseline == "per-layer") {
    plan = moa::baseline_per_layer(s.table, s.request);
  } else if (baseline.empty()) {
    const moa::SolveResult r = moa::solve_assignment(s.table, s.request);
    plan = moa::plan_from_assignment(s.table, r.assignment, s.request);
    plan.provenance["solve_seconds"] = std::to_string(r.wall_seconds);
    plan.provenance["gap"] = std::to_string(r.gap);
    std::printf("solved in %.2f s (CBC %.2f s), gap %.4f%%%s\n", r.wall_seconds, r.solve_seconds, 100 * r.gap,
                r.proven_optimal ? "" : " (time limit reached)");
  } else {
    throw moa::Error("--baseline '" + baseline + "' is not one of uniform, streaming, per-layer");
  }
  plan.provenance["profile"] = args.get("profile");
  print_lengths_header(s.table);
  print_plan_row(baseline.empty() ? "moa" : baseline, plan, s.table);
  moa::plan_write(out, plan, out_format(args, out));
  std::printf("wrote %s\n", out.string().c_str());
  return 0;
}

int run_plans(const Args& args) {
  // The options are checked before the solves (and the validation runs) they would waste.
  const long long points_arg = args.get_int("points", 3);
  if (points_arg < 1 || points_arg > 64) throw moa::Error("--points must be in [1, 64]");
  if (args.has("select-out") && !args.has("validate-model"))
    throw moa::Error("--select-out needs --validate-model (the plan is selected by its validation loss)");
  if (!args.has("validate-model"))
    for (const char* o : {"validate-data", "validate-demo-length", "validate-records", "validate-device"})
      if (args.has(o)) throw moa::Error(std::string("--") + o + " needs --validate-model");
  if (args.has("validate-records") && args.get_int("validate-records", 2) < 1)
    throw moa::Error("--validate-records must be at least 1");
  if (args.has("validate-data") && args.has("validate-demo-length"))
    throw moa::Error("choose one of --validate-data, --validate-demo-length");
  if (args.has("out-dir")) {
    const std::filesystem::path dir = args.get("out-dir");
    if (std::filesystem::exists(dir) && !std::filesystem::is_directory(dir))
      moa::fail_file(dir.string(), "--out-dir exists and is not a directory");
    std::filesystem::create_directories(dir);
  }
  if (args.has("select-out")) moa::check_writable(args.get("select-out"));
  Setup s = setup_from_args(args);
  const int points = static_cast<int>(points_arg);
  // Plan selection by validation (DESIGN §4): the real answer loss of the model running each
  // plan's sparse attention, on records longer than any profiled length. The records are made
  // (and their length checked against the model's context) before the solves.
  moa::EvalRequest v;
  if (args.has("validate-model")) {
    v.model = args.get("validate-model");
    v.device = args.get("validate-device", "cpu");
    if (args.has("validate-data")) {
      v.ppl = moa::ppl_read_jsonl(args.get("validate-data"));
    } else {
      const int64_t context = moa::config_load(std::filesystem::path(v.model) / "config.json").max_position_embeddings;
      // Default: twice the longest profiled length, within the model's context.
      const int64_t len = args.get_int("validate-demo-length", std::min<int64_t>(2 * s.table.lengths.back(), context / 64 * 64));
      if (len > context)
        throw moa::Error("--validate-demo-length " + std::to_string(len) + " is beyond the model's " + std::to_string(context) +
                         " positions (max_position_embeddings of " + v.model.string() + "/config.json)");
      v.ppl = moa::demo_validation_records(len, static_cast<int>(args.get_int("validate-records", 2)), 99);
    }
  }
  const std::vector<moa::Plan> front = moa::solve_pareto(s.table, s.request, points);
  std::printf("%zu Pareto plans (epsilon-constraint, %d levels per capped length)\n", front.size(), points);
  print_lengths_header(s.table);
  for (size_t i = 0; i < front.size(); ++i) print_plan_row(std::to_string(i), front[i], s.table);
  if (args.has("validate-model")) {
    std::vector<double> losses(front.size());
    const size_t best = moa::select_plan(front, [&](const moa::Plan& p) {
      const double nll = moa::plan_validation_loss(v, p);
      const size_t i = &p - front.data();
      if (i < losses.size()) losses[i] = nll;
      std::printf("  plan %zu: validation answer loss %.5f nats/token\n", i, nll);
      return nll;
    });
    std::printf("selected plan %zu (lowest validation loss %.5f)\n", best, losses[best]);
    if (args.has("select-out")) {
      moa::Plan p = front[best];
      p.provenance["selected_by"] = "validation answer loss " + std::to_string(losses[best]);
      p.provenance["profile"] = args.get("profile");
      moa::plan_write(args.get("select-out"), p, moa::plan_format_from_path(args.get("select-out")));
      std::printf("wrote %s\n", args.get("select-out").c_str());
    }
  }
  if (args.has("out-dir")) {
    const std::filesystem::path dir = args.get("out-dir");
    std::filesystem::create_directories(dir);
    for (size_t i = 0; i < front.size(); ++i) {
      moa::Plan p = front[i];
      p.provenance["profile"] = args.get("profile");
      moa::plan_write(dir / ("plan_" + std::to_string(i) + ".moaplan.json"), p, moa::PlanFormat::moa);
    }
    std::printf("wrote %zu plans to %s\n", front.size(), dir.string().c_str());
  }
  return 0;
}

int run_convert(const Args& args) {
  args.allow_only({"in", "out", "to", "plan-id"});
  const std::filesystem::path in = args.get("in"), out = args.get("out");
  moa::Plan plan;
  if (args.has("plan-id") && moa::plan_format_from_path(in) == moa::PlanFormat::reference_csv) {
    plan = moa::plan_from_csv(moa::read_text_file(in), in.string(), static_cast<int>(args.get_int("plan-id", 0)));
  } else {
    plan = moa::plan_read(in);
  }
  const moa::PlanFormat format = args.has("to") ? moa::plan_format_parse(args.get("to")) : moa::plan_format_from_path(out);
  if (format == moa::PlanFormat::moa && plan.model_hash.empty()) plan.model_hash = "unknown";
  moa::plan_write(out, plan, format);
  std::printf("wrote %s (%s, %d layers x %d %s)\n", out.string().c_str(), moa::plan_format_name(format),
              plan.num_layers, plan.units_per_layer(), plan.granularity == moa::Granularity::head ? "heads" : "KV heads");
  return 0;
}

const char* kSolveUsage =
    "--profile run.moaprof.h5 --budget 0.5[,0.5,0.5] [--max-rules-per-layer K] [--lock L:H=alpha,beta ...]\n"
    "       [--granularity head|kv_head] [--min-fraction F] [--gap 0.001] [--time-limit 60] [--threads 2]\n"
    "       [--alpha-step 1024] [--betas 0,0.125,...] [--length-weights normalized|raw]\n"
    "       [--baseline uniform|streaming|per-layer] [--cbc-log]\n"
    "       --out plan.moaplan.json|plan.json|plan.csv [--format moa|reference|csv]\n\n"
    "  --max-rules-per-layer K  at most K distinct rules per layer (default: no limit; the MoA paper uses 2,\n"
    "                           as Studio does)\n"
    "  --min-fraction F         density at least F x budget at every length too (default: off; e.g. 0.9)\n"
    "  --gap G                  stop within this relative gap of CBC's bound; 0 proves optimality\n"
    "  --length-weights         normalized (default): every length counts equally; raw: sum of losses\n"
    "  --cbc-log                CBC's own log on stdout";

moa::cli::Register reg_solve({"solve", "solve one plan (MILP) from a profile at density budgets", kSolveUsage, run_solve, {}});
moa::cli::Register reg_plans({"plans", "list the Pareto set of plans over the profiled lengths",
                              "--profile run.moaprof.h5 --budget 0.5[,...] [solve options] [--points 3] [--out-dir DIR] "
                              "[--validate-model DIR [--validate-data F | --validate-demo-length L --validate-records R] "
                              "[--validate-device cpu|cuda] --select-out P]",
                              run_plans, {}});
moa::cli::Register reg_convert({"plan convert", "convert plans: ours <-> MoA reference JSON <-> CSV",
                                "--in X --out Y [--to moa|reference|csv] [--plan-id N]", run_convert, {}});

}  // namespace
