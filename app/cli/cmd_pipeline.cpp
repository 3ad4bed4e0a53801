// moa pipeline: the README main job, headless. On the bundled demo model: calibration set
// (the model's own task), profile, solve at each budget, evaluate dense / uniform / MoA at
// equal density, export the plans and the report, print the table.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include "app/cli/command.h"
#include "app/cli/report_figures_cli.h"
#include "core/data/demo_data.h"
#include "core/eval/eval.h"
#include "core/model/checkpoint.h"
#include "core/model/config.h"
#include "core/plan/loss_table.h"
#include "core/plan/plan_io.h"
#include "core/profile/calib_build.h"
#include "core/profile/profile.h"
#include "core/profile/profile_store.h"
#include "core/solve/solve.h"
#include "core/util/error.h"
#include "core/util/files.h"

namespace fs = std::filesystem;

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

fs::path default_model() {
  for (fs::path p : {fs::path("resources/demo-model"), fs::path(MOA_SOURCE_DIR) / "resources/demo-model"})
    if (fs::exists(p / "config.json")) return p;
  throw moa::Error("no demo model found (resources/demo-model); pass --model DIR");
}

struct Stage {
  int index, count;
  std::string name;
  double t0 = now();
  Stage(int i, int n, std::string s) : index(i), count(n), name(std::move(s)) {
    std::cout << "[" << index << "/" << count << "] " << name << "\n" << std::flush;
  }
  ~Stage() { std::printf("      done in %.1f s\n", now() - t0); }
};

moa::ProgressFn bar(const std::string& what) {
  return [what, last = -1.0](double f, const std::string& msg) mutable {
    if (f - last < 0.01 && f < 1.0) return true;
    last = f;
    const int w = 30, fill = static_cast<int>(f * w);
    std::cout << "\r      " << what << " [" << std::string(fill, '#') << std::string(w - fill, '.') << "] "
              << static_cast<int>(f * 100) << "% " << msg.substr(0, 60) << "        " << std::flush;
    if (f >= 1.0) std::cout << "\n";
    return true;
  };
}

int run(const moa::cli::Args& args) {
  args.allow_only({"model", "out", "lengths", "samples", "budgets", "eval-lengths", "eval-prompts", "threads", "seed",
                   "ppl-records", "device", "validate-records", "validate-length"});
  const double t_start = now();
  const fs::path model = args.has("model") ? fs::path(args.get("model")) : default_model();
  const fs::path out = args.get("out", "moa-pipeline");
  const std::vector<int64_t> lengths = moa::cli::parse_length_list(args.get("lengths", "2048,4096"), "--lengths");
  const auto budgets = moa::cli::parse_double_list(args.get("budgets", "0.5,0.25"), "--budgets");
  for (double b : budgets)
    if (!(b > 0.0 && b <= 1.0)) throw moa::Error("--budgets: " + std::to_string(b) + " is not a KV fraction in (0, 1]");
  const auto eval_ll = moa::cli::parse_int_list(args.get("eval-lengths", "2048,4096"), "--eval-lengths");
  const int samples = static_cast<int>(args.get_int("samples", 2));
  const int prompts = static_cast<int>(args.get_int("eval-prompts", 3));
  const int threads = static_cast<int>(args.get_int("threads", std::max(1u, std::thread::hardware_concurrency())));
  const uint64_t seed = static_cast<uint64_t>(args.get_int("seed", 2026));
  const std::string device = args.get("device", "cpu");  // profile and evaluation (cuda: GPU machine)
  const int validate_records = static_cast<int>(args.get_int("validate-records", 0));
  const int64_t validate_length = args.get_int("validate-length", *std::max_element(lengths.begin(), lengths.end()));
  // Checked before any work (the CLI stays torch-free; core checks CUDA where it loads the model).
  if (device != "cpu" && device != "cuda") throw moa::Error("--device must be cpu or cuda (got '" + device + "')");
  if (validate_records < 0) throw moa::Error("--validate-records must be 0 (off) or more");
  if (samples < 1) throw moa::Error("--samples must be at least 1");
  if (prompts < 1) throw moa::Error("--eval-prompts must be at least 1");
  const long long ppl_records = args.get_int("ppl-records", 1);
  if (ppl_records < 1) throw moa::Error("--ppl-records must be at least 1");
  // Lengths beyond the model's context fail only after the stages before them: checked now.
  const int64_t context = moa::config_load(model / "config.json").max_position_embeddings;
  for (int64_t n : lengths)
    if (n > context) throw moa::Error("--lengths: " + std::to_string(n) + " is beyond the model's " + std::to_string(context) + " positions");
  for (long long n : eval_ll)
    if (n >= context) throw moa::Error("--eval-lengths: " + std::to_string(n) + " leaves no room to answer within the model's " +
                                       std::to_string(context) + " positions");
  if (validate_records > 0 && validate_length > context)
    throw moa::Error("--validate-length " + std::to_string(validate_length) + " is beyond the model's " +
                     std::to_string(context) + " positions");
  if (validate_records > 0 && validate_length < *std::min_element(lengths.begin(), lengths.end()))
    throw moa::Error("--validate-length " + std::to_string(validate_length) +
                     " is shorter than every profiled length (validate at a profiled length or longer)");
  // The evaluation prompts and records are made now (cheap, no model): a length too short for
  // the task fails here, not after the calibration, profile and solve stages.
  std::vector<size_t> eval_lengths;
  for (long long n : eval_ll) {
    if (n <= static_cast<long long>(moa::kDemoAnswerRoom)) throw moa::Error("--eval-lengths: " + std::to_string(n) + " is too short");
    eval_lengths.push_back(static_cast<size_t>(n));
  }
  std::vector<moa::LongEvalSample> eval_samples;
  std::vector<moa::PplRecord> eval_ppl, validation_records;
  try {
    eval_samples = moa::demo_eval_set(eval_lengths, moa::demo_eval_depths(prompts), 1, seed + 7);
    eval_ppl = moa::demo_validation_records(static_cast<int64_t>(eval_lengths.front()), static_cast<int>(ppl_records), seed + 11);
  } catch (const moa::Error& e) {
    throw moa::Error(std::string("--eval-lengths: ") + e.what());
  }
  try {
    validation_records = moa::demo_validation_records(validate_length, validate_records, seed + 23);
  } catch (const moa::Error& e) {
    throw moa::Error(std::string("--validate-length: ") + e.what());
  }
  fs::create_directories(out);
  const int stages = 5;

  auto ck = moa::Checkpoint::open(model);
  std::cout << "MoA pipeline on " << ck->dir().string() << " (" << ck->config().num_layers << " layers, "
            << ck->config().num_heads << " heads / " << ck->config().num_kv_heads << " KV heads), output in "
            << out.string() << "\n";

  std::vector<moa::CalibRecord> calib;
  {
    Stage s(1, stages, "calibration set: the demo task, " + std::to_string(samples) + " record(s) per length, answered by the model itself");
    for (int64_t n : lengths) {
      // calib_build_demo: the same records, filled to exactly n tokens with their token ids
      // (the profiler refuses records shorter than the length).
      // Model alignment: the answers are the model's own greedy answers to these prompts.
      moa::DemoCalibAlign align;
      align.model_dir = model;
      align.device = device;
      align.threads = threads;
      auto recs = moa::calib_build_demo({n}, samples, seed + static_cast<uint64_t>(n), &align);
      calib.insert(calib.end(), recs.begin(), recs.end());
    }
    moa::calib_write_jsonl(out / "calib.jsonl", calib);
  }

  const fs::path profile_path = out / "run.moaprof.h5";
  {
    Stage s(2, stages, "profile attention influence at lengths " + args.get("lengths", "2048,4096"));
    moa::ProfileRequest pr;
    pr.model_dir = model;
    pr.records = calib;
    pr.lengths = lengths;
    pr.samples = samples;
    pr.out = profile_path;
    pr.threads = threads;
    pr.device = device;
    pr.overwrite = true;  // the pipeline's own output, from this run's calibration set
    moa::profile_run(pr, bar("profile"));
  }

  std::vector<moa::Plan> plans;
  {
    Stage s(3, stages, "solve: one rule per KV head, mean density <= budget at every length (CBC)");
    const moa::Profile profile = moa::profile_read(profile_path);
    // DESIGN's grid (alpha step 1024) leaves ~9 rules at these short lengths: step 256 instead.
    moa::RuleGridSpec grid = moa::default_grid_spec(lengths);
    grid.alpha_step = 256;
    const auto table = moa::loss_table_build(profile, moa::rule_grid(grid, lengths), moa::Granularity::kv_head);
    std::printf("      %d candidate rules per KV head\n", table.num_rules());
    // MoA's last step (optional, --validate-records R): the Pareto plans of each budget over the
    // profiled lengths, each run on R held-out records at --validate-length with its own sparse
    // attention; the lowest real answer loss wins. Costly on 2 CPU cores, cheap on a GPU.
    moa::EvalRequest validation;
    validation.model = model;
    validation.device = device;
    validation.threads = threads;
    validation.ppl = validation_records;
    for (double b : budgets) {
      moa::SolveRequest req;
      for (int64_t n : lengths) req.budgets[n] = b;
      // Lengths weigh equally, or the hardest one (largest answer loss) dominates the sum.
      req.weights = moa::length_weights_normalized(table);
      const double t_solve = now();
      moa::Plan plan;
      std::string how;
      if (validate_records > 0) {
        const std::vector<moa::Plan> front = moa::solve_pareto(table, req, 4);
        std::vector<double> losses(front.size());
        const size_t best = moa::select_plan(front, [&](const moa::Plan& p) {
          return losses[static_cast<size_t>(&p - front.data())] = moa::plan_validation_loss(validation, p);
        });
        plan = front[best];
        char buf[160];
        std::snprintf(buf, sizeof buf, "plan %zu of %zu Pareto plans, validation answer loss %.4g at %lld tokens", best,
                      front.size(), losses[best], static_cast<long long>(validate_length));
        how = buf;
        plan.provenance["selected_by"] = how;
      } else {
        const auto res = moa::solve_assignment(table, req);
        plan = moa::plan_from_assignment(table, res.assignment, req);
        how = res.proven_optimal ? "optimal" : "gap <= 0.1%";
      }
      char name[32];
      std::snprintf(name, sizeof name, "plan_%02d", static_cast<int>(std::lround(b * 100)));
      moa::plan_write(out / (std::string(name) + ".moaplan.json"), plan, moa::PlanFormat::moa);
      moa::plan_write(out / (std::string(name) + ".reference.json"), plan, moa::PlanFormat::reference_json);
      moa::plan_write(out / (std::string(name) + ".csv"), plan, moa::PlanFormat::reference_csv);
      std::printf("      budget %.2f: density", b);
      for (auto& [n, d] : plan.density) std::printf(" %lld:%.3f", static_cast<long long>(n), d);
      std::printf("  prefill work");  // kept causal pairs: what the prefill kernel's time follows
      for (auto& [n, d] : plan.density) std::printf(" %lld:%.3f", static_cast<long long>(n), moa::plan_work_fraction(plan, n));
      std::printf("  predicted loss");
      for (auto& [n, l] : plan.predicted_loss) std::printf(" %lld:%.4g", static_cast<long long>(n), l);
      std::printf("  (%s, %.2f s)\n", how.c_str(), now() - t_solve);
      plans.push_back(plan);
    }
  }

  std::vector<moa::EvalResult> results;
  {
    Stage s(4, stages, "evaluate dense / uniform / MoA on fresh LongEval prompts");
    moa::EvalRequest base;
    base.model = model;
    base.samples = eval_samples;
    moa::longeval_write_jsonl(out / "longeval.jsonl", base.samples);
    base.ppl = eval_ppl;
    base.threads = threads;
    base.device = device;
    std::vector<moa::EvalAttention> settings(1);
    for (size_t i = 0; i < budgets.size(); ++i) {
      moa::EvalAttention u;
      u.mode = moa::AttentionMode::uniform;
      u.density = budgets[i];
      moa::EvalAttention m;
      m.mode = moa::AttentionMode::plan;
      m.plan = plans[i];
      settings.push_back(u);
      settings.push_back(m);
    }
    for (const auto& a : settings) {
      moa::EvalRequest r = base;
      r.attention = a;
      auto res = moa::eval_run(r, bar(a.label()));
      moa::write_file_atomic(out / ("eval_" + res.label + ".json"), res.to_json().dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
      results.push_back(std::move(res));
    }
  }
  {
    Stage s(5, stages, "export report");
    const std::string md = moa::eval_compare_markdown(results);
    nlohmann::json all = nlohmann::json::array();
    for (const auto& r : results) all.push_back(r.to_json());
    moa::write_file_atomic(out / "report.md", "# MoA pipeline report\n\n" + md);
    moa::write_file_atomic(out / "report.json", all.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    std::vector<fs::path> files;
    for (const auto& r : results) files.push_back(out / ("eval_" + r.label + ".json"));
    const bool figures = moa::cli::report_figures_via_studio(files, out);  // accuracy heatmaps, accuracy vs density
    std::cout << "\n" << md;
    std::printf("\nwrote %s/{calib.jsonl, run.moaprof.h5, plan_*.moaplan.json|reference.json|csv, eval_*.json, report.md, report.json%s}\n",
                out.string().c_str(), figures ? ", *.png" : "");
  }
  std::printf("total %.1f s\n", now() - t_start);
  return 0;
}

moa::cli::Register reg({"pipeline", "the main job: calibrate, profile, solve, evaluate and report on the demo model",
                        "[--model DIR] [--out DIR] [--lengths 2048,4096] [--samples 2] [--budgets 0.5,0.25] "
                        "[--eval-lengths 2048,4096] [--eval-prompts 3] [--ppl-records 1] [--threads T] [--seed S] [--device cpu|cuda] "
                        "[--validate-records R [--validate-length L]]",
                        run, {}});

}  // namespace
