// moa eval: retrieval accuracy and perplexity with dense, uniform or MoA-plan attention.
// moa report: a comparison table (Markdown + JSON) of several eval results.
#include <fstream>
#include <iostream>

#include "app/cli/command.h"
#include "app/cli/progress_bar.h"
#include "app/cli/report_figures_cli.h"
#include "core/data/demo_data.h"
#include "core/eval/eval.h"
#include "core/plan/plan_io.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/json_read.h"

namespace {

moa::EvalAttention attention_from(const moa::cli::Args& args) {
  moa::EvalAttention a;
  const int modes = args.has("plan") + args.has("uniform") + args.has("dense");
  if (modes > 1) throw moa::Error("choose one of --plan, --uniform, --dense");
  if (args.has("plan")) {
    a.mode = moa::AttentionMode::plan;
    a.plan = moa::plan_read(args.get("plan"));
    a.plan_file = args.get("plan");
  } else if (args.has("uniform")) {
    a.mode = moa::AttentionMode::uniform;
    a.density = args.get_double("uniform", 1.0);
    if (!(a.density > 0 && a.density <= 1)) throw moa::Error("--uniform: density must be in (0, 1]");
  }
  return a;
}

int run_eval(const moa::cli::Args& args) {
  args.allow_only({"model", "plan", "uniform", "dense", "data", "demo-length", "prompts", "seed", "ppl", "out", "chat",
                   "max-new-tokens", "device", "threads", "limit", "level-by", "quiet"});
  moa::EvalRequest r;
  r.model = args.get("model");
  r.attention = attention_from(args);
  if (!args.has("data") && !args.has("demo-length") && !args.has("ppl"))
    throw moa::Error("give --data longeval.jsonl, --demo-length N and/or --ppl text.jsonl");
  if (args.has("data") && args.has("demo-length")) throw moa::Error("choose one of --data, --demo-length");
  if (!args.has("demo-length") && (args.has("prompts") || args.has("seed")))
    throw moa::Error("--prompts and --seed go with --demo-length");
  if (args.has("data")) r.samples = moa::longeval_read_jsonl(args.get("data"));
  if (args.has("demo-length")) {
    // Studio's live accuracy preview, headless: the same fresh demo-task prompts (length,
    // count, answer depths spread evenly, seed) give the same number.
    const long long length = args.get_int("demo-length", 0);
    const long long prompts = args.get_int("prompts", 4);
    if (length <= static_cast<long long>(moa::kDemoAnswerRoom)) throw moa::Error("--demo-length: too short");
    if (prompts < 1) throw moa::Error("--prompts must be at least 1");
    r.samples = moa::demo_eval_set({static_cast<size_t>(length)}, moa::demo_eval_depths(static_cast<int>(prompts)), 1,
                                   static_cast<uint64_t>(args.get_int("seed", static_cast<long long>(moa::kDemoPreviewSeed))));
  }
  if (args.has("ppl")) r.ppl = moa::ppl_read_jsonl(args.get("ppl"));
  const long long limit = args.get_int("limit", 0);
  if (limit > 0 && static_cast<long long>(r.samples.size()) > limit) r.samples.resize(limit);
  r.chat = args.get("chat", "none");
  const long long max_new = args.get_int("max-new-tokens", 8);
  if (max_new < 1 || max_new > 4096) throw moa::Error("--max-new-tokens must be in [1, 4096]");
  r.max_new_tokens = static_cast<int>(max_new);
  r.device = args.get("device", "cpu");
  r.threads = static_cast<int>(args.get_int("threads", 0));
  const std::string level_by = args.get("level-by", "tokens");
  if (level_by != "tokens" && level_by != "lines") throw moa::Error("--level-by must be tokens or lines (got '" + level_by + "')");
  r.level_by = level_by == "lines" ? moa::LevelBy::Lines : moa::LevelBy::Tokens;
  if (r.attention.plan) moa::cli::note_plan_model(*r.attention.plan, r.attention.plan_file, r.model);
  if (args.has("out")) moa::check_writable(args.get("out"));  // before the work, not after
  const bool quiet = args.has("quiet");
  moa::cli::ProgressBar bar(!quiet);
  auto res = moa::eval_run(r, [&](double f, const std::string& msg) { return bar.update(f, msg); });
  bar.finish();
  // Answers are the model's bytes, not always valid UTF-8: replaced (U+FFFD) in the file.
  if (args.has("out"))
    moa::write_file_atomic(args.get("out"), res.to_json().dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  std::cout << moa::eval_compare_markdown({res});
  return 0;
}

int run_report(const moa::cli::Args& args) {
  args.allow_only({"in", "out", "figures"});
  std::vector<moa::EvalResult> results;
  nlohmann::json all = nlohmann::json::array();
  for (const auto& file : args.positional()) {
    const nlohmann::json j = moa::json_parse_or_fail(moa::read_text_file(file), file);
    // What `moa eval --out` writes; anything else (a plan, {}, []) is refused, not shown as a
    // row of zeros.
    if (!j.is_object() || (!j.contains("retrieval") && !j.contains("perplexity")))
      moa::fail_file(file, "not an eval result (moa eval --out): needs an object with 'retrieval' or 'perplexity'");
    moa::EvalResult r;
    try {
      r.label = j.value("label", file);
      r.mean_density = j.value("mean_density", 1.0);
      if (j.contains("retrieval")) r.retrieval = moa::retrieval_report_from_json(j["retrieval"]);
      if (j.contains("perplexity")) {
        r.ppl = j["perplexity"].value("ppl", 0.0);
        r.ppl_tokens = j["perplexity"].value("tokens", 0);
      }
    } catch (const nlohmann::json::exception& e) {
      moa::fail_file(file, std::string("a field has the wrong type: ") + e.what());
    } catch (const moa::Error& e) {
      moa::fail_file(file, e.what());
    }
    results.push_back(r);
    all.push_back(j);
  }
  if (results.empty()) throw moa::Error("usage: moa report RESULT.json... [--out report.md] [--figures DIR]");
  // The table first: figures need moa-studio (built only with the app), and their failure must
  // not cost the report.
  const std::string md = moa::eval_compare_markdown(results);
  if (args.has("out")) {
    moa::write_file_atomic(args.get("out"), md);
    moa::write_file_atomic(args.get("out") + ".json", all.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  }
  std::cout << md;
  if (args.has("figures")) {
    std::vector<std::filesystem::path> files(args.positional().begin(), args.positional().end());
    if (!moa::cli::report_figures_via_studio(files, args.get("figures")))
      throw moa::Error("the PNG figures could not be drawn" +
                       std::string(args.has("out") ? " (" + args.get("out") + " was written)" : ""));
  }
  return 0;
}

moa::cli::Register reg_eval({"eval", "retrieval accuracy and perplexity with dense, uniform or MoA attention",
                             "--model DIR [--plan plan.json | --uniform DENSITY | --dense] "
                             "[--data longeval.jsonl | --demo-length N [--prompts 4] [--seed 7]] [--ppl text.jsonl] [--out report.json] [--chat none|vicuna|llama3] [--limit N] "
                             "[--max-new-tokens 8] [--device cpu|cuda] [--threads T] [--level-by tokens|lines] [--quiet]",
                             run_eval, {"dense", "quiet"}});
moa::cli::Register reg_report({"report", "compare eval results: Markdown table + combined JSON",
                               "RESULT.json... [--out report.md] [--figures DIR]", run_report, {}});

}  // namespace
