// Solver benchmark (issue 6): 32 layers x 32 heads x the default rule grid x 3 lengths
// (2k/4k/8k) on a synthetic structured profile. Cold solve to gap <= 0.1% (target <= 10 s),
// re-solve after locking one head / changing one budget (target <= 1 s), the K = 2 variant,
// a GQA (per-KV-head) variant and the Pareto set. CBC's own reported time and gap are
// captured from its log next to our wall-clock numbers. Writes bench/results/solver.json.
//
//   bench_solver [--out bench/results/solver.json] [--threads 2] [--prove]
//   bench_solver --write-profile demo.moaprof.h5 [--layers 4 --heads 8 --kv-heads 2]
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "bench/solver_instance.h"
#include "core/solve/solve.h"
#include "core/util/files.h"

using namespace moa;
using nlohmann::json;

namespace {

std::string arg(int argc, char** argv, const std::string& key, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == "--" + key) return argv[i + 1];
  return fallback;
}
bool flag(int argc, char** argv, const std::string& key) {
  for (int i = 1; i < argc; ++i)
    if (argv[i] == "--" + key) return true;
  return false;
}

// Runs fn with stdout redirected to a file and returns what CBC printed there.
template <class Fn>
std::string capture_stdout(Fn&& fn) {
  std::fflush(stdout);
  char path[] = "/tmp/moa_cbc_log_XXXXXX";
  const int fd = mkstemp(path);
  const int saved = dup(1);
  dup2(fd, 1);
  try {
    fn();
  } catch (...) {
    std::fflush(stdout);
    dup2(saved, 1);
    close(saved);
    close(fd);
    unlink(path);
    throw;
  }
  std::fflush(stdout);
  dup2(saved, 1);
  close(saved);
  close(fd);
  std::string log = read_text_file(path);
  unlink(path);
  return log;
}

// CBC's "Total time (CPU seconds): x (Wallclock seconds): y" and its "Gap:" line.
json cbc_report(const std::string& log) {
  json j;
  std::smatch m;
  static const std::regex total(R"(Total time \(CPU seconds\):\s+([0-9.]+)\s+\(Wallclock seconds\):\s+([0-9.]+))");
  static const std::regex gap(R"(\nGap:\s+([0-9.eE+-]+))");
  static const std::regex result(R"(Result - ([^\n]+))");
  if (std::regex_search(log, m, total)) {
    j["cbc_cpu_s"] = std::stod(m[1]);
    j["cbc_wall_s"] = std::stod(m[2]);
  }
  if (std::regex_search(log, m, gap)) j["cbc_gap"] = std::stod(m[1]);
  if (std::regex_search(log, m, result)) j["cbc_result"] = m[1].str();
  return j;
}

json run(const std::string& name, const LossTable& t, const SolveRequest& req, PlanSolver* warm) {
  SolveRequest logged = req;
  logged.log_level = 1;
  SolveResult r;
  const std::string log = capture_stdout([&] { r = warm ? warm->solve(logged) : solve_assignment(t, logged); });
  json j = cbc_report(log);
  j["case"] = name;
  j["our_wall_s"] = r.wall_seconds;
  j["our_cbc_call_s"] = r.solve_seconds;
  j["our_gap"] = r.gap;
  j["optimal_within_gap"] = r.proven_optimal;
  j["nodes"] = r.nodes;
  j["objective"] = r.objective;
  j["violations"] = assignment_violations(t, req, r.assignment).size();
  std::printf("%-34s ours %7.3f s (CBC call %7.3f s) | CBC reports %6.2f s CPU, %6.2f s wall, gap %s | our gap %.5f%% nodes %d\n",
              name.c_str(), r.wall_seconds, r.solve_seconds, j.value("cbc_cpu_s", -1.0), j.value("cbc_wall_s", -1.0),
              j.contains("cbc_gap") ? j["cbc_gap"].dump().c_str() : "?", 100 * r.gap, r.nodes);
  std::fflush(stdout);
  return j;
}

int write_profile(int argc, char** argv) {
  const int layers = std::stoi(arg(argc, argv, "layers", "4"));
  const int heads = std::stoi(arg(argc, argv, "heads", "8"));
  const int kv = std::stoi(arg(argc, argv, "kv-heads", "2"));
  const Profile p = bench::synthetic_profile(layers, heads, kv, {1024, 2048}, 3);
  profile_write(arg(argc, argv, "write-profile", ""), p);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (flag(argc, argv, "write-profile")) return write_profile(argc, argv);
  const std::string out = arg(argc, argv, "out", "bench/results/solver.json");
  const int threads = std::stoi(arg(argc, argv, "threads", "2"));
  const std::vector<int64_t> lengths = {2048, 4096, 8192};
  json report;
  auto t0 = std::chrono::steady_clock::now();
  const Profile mha = bench::synthetic_profile(32, 32, 32, lengths, 1);
  const auto grid = default_rule_grid(lengths);
  const LossTable table = loss_table_build(mha, grid, Granularity::head);
  report["instance"] = {{"layers", 32}, {"heads", 32}, {"rules", grid.size()}, {"lengths", lengths},
                        {"binaries", 32 * 32 * grid.size()}, {"seed", 1},
                        {"profile_and_table_build_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()}};
  report["machine"] = "2-core CPU shared with other developers";
  report["threads"] = threads;
  std::printf("instance: 32 x 32 heads, %zu rules, 3 lengths (%zu binaries), threads %d\n", grid.size(),
              32 * 32 * grid.size(), threads);

  SolveRequest req;
  req.budgets = {{2048, 0.5}, {4096, 0.5}, {8192, 0.5}};
  req.threads = threads;
  req.relative_gap = 1e-3;
  json cases = json::array();
  PlanSolver solver(table);
  cases.push_back(run("cold, gap<=0.1%", table, req, &solver));
  SolveRequest locked = req;
  locked.locks.push_back({5, 7, Rule{0, 1}});  // force one head dense
  cases.push_back(run("re-solve after locking one head", table, locked, &solver));
  SolveRequest rebudget = locked;
  rebudget.budgets[8192] = 0.45;
  cases.push_back(run("re-solve after changing one budget", table, rebudget, &solver));
  SolveRequest bounded = req;
  bounded.min_fraction = 0.9;
  cases.push_back(run("cold, min fraction 0.9", table, bounded, nullptr));

  SolveRequest k2 = req;
  k2.max_rules_per_layer = 2;
  PlanSolver solver_k2(table);
  cases.push_back(run("cold, K=2 rules per layer", table, k2, &solver_k2));
  SolveRequest k2_locked = k2;
  k2_locked.locks.push_back({5, 7, Rule{0, 1}});
  cases.push_back(run("K=2 re-solve after locking one head", table, k2_locked, &solver_k2));

  // DESIGN §7 speaks of ~50 rules: a finer grid (alpha step 256) gives 72.
  RuleGridSpec fine_spec = default_grid_spec(lengths);
  fine_spec.alpha_step = 256;
  const LossTable fine = loss_table_build(mha, rule_grid(fine_spec, lengths), Granularity::head);
  cases.push_back(run("fine grid (alpha step 256, " + std::to_string(fine.num_rules()) + " rules), cold", fine, req, nullptr));

  const Profile gqa = bench::synthetic_profile(32, 32, 8, lengths, 2);
  const LossTable kv_table = loss_table_build(gqa, grid, Granularity::kv_head);
  cases.push_back(run("GQA 32x8 KV heads, cold", kv_table, req, nullptr));

  if (flag(argc, argv, "prove")) {
    SolveRequest exact = req;
    exact.relative_gap = 0.0;
    exact.time_limit_s = 300;
    cases.push_back(run("cold, proven optimum (gap 0)", table, exact, nullptr));
  }
  report["cases"] = cases;

  auto tp = std::chrono::steady_clock::now();
  const std::vector<Plan> front = solve_pareto(table, req, 3);
  const double pareto_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - tp).count();
  report["pareto"] = {{"points_per_capped_length", 3}, {"plans", front.size()}, {"wall_s", pareto_s}};
  std::printf("Pareto set (3 levels x 2 capped lengths): %zu plans in %.2f s\n", front.size(), pareto_s);

  std::filesystem::create_directories(std::filesystem::path(out).parent_path());
  write_file_atomic(out, report.dump(2) + "\n");
  std::printf("wrote %s\n", out.c_str());
  return 0;
}
