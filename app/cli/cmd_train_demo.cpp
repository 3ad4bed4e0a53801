// moa train-demo: train the bundled demo model (GPU machine) and write its checkpoint.
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli/command.h"
#include "core/model/train_demo.h"
#include "core/util/error.h"
#include "core/util/files.h"

namespace {

int run(const moa::cli::Args& args) {
  args.allow_only({"out", "device", "seed", "steps", "minutes", "tokens-per-step", "max-len", "stage0", "stage1", "lr",
                   "eval-every", "eval-prompts", "shard-mb", "eval-lengths", "init", "start-step", "warmup", "full-row-fraction", "kv-heads", "head-lasso"});
  moa::TrainDemoOptions o;
  o.out = args.get("out");
  o.device = args.get("device", "cuda");
  o.seed = static_cast<uint64_t>(args.get_int("seed", 1));
  o.steps = args.get_int("steps", o.steps);
  o.max_minutes = args.get_double("minutes", 0);
  o.tokens_per_step = static_cast<size_t>(args.get_int("tokens-per-step", static_cast<long long>(o.tokens_per_step)));
  o.max_len = static_cast<size_t>(args.get_int("max-len", static_cast<long long>(o.max_len)));
  o.stage0_steps = static_cast<uint64_t>(args.get_int("stage0", static_cast<long long>(o.stage0_steps)));
  o.stage1_steps = static_cast<uint64_t>(args.get_int("stage1", static_cast<long long>(o.stage1_steps)));
  o.lr = args.get_double("lr", o.lr);
  o.eval_every = args.get_int("eval-every", o.eval_every);
  o.eval_prompts = static_cast<int>(args.get_int("eval-prompts", o.eval_prompts));
  if (args.has("eval-lengths")) {
    o.eval_lengths.clear();
    for (auto v : moa::cli::parse_int_list(args.get("eval-lengths"), "--eval-lengths")) o.eval_lengths.push_back(static_cast<size_t>(v));
  }
  o.init = args.get("init", "");
  o.start_step = static_cast<uint64_t>(args.get_int("start-step", 0));
  o.warmup_steps = args.get_double("warmup", o.warmup_steps);
  o.full_row_fraction = args.get_double("full-row-fraction", 0.0);
  if (o.full_row_fraction < 0 || o.full_row_fraction > 1)
    throw moa::Error("--full-row-fraction must be in [0, 1], got " + args.get("full-row-fraction"));
  o.kv_heads = static_cast<int>(args.get_int("kv-heads", 0));
  if (args.has("kv-heads") && o.kv_heads <= 0) throw moa::Error("--kv-heads must be a positive count, got " + args.get("kv-heads"));
  o.head_lasso = args.get_double("head-lasso", 0.0);
  if (!(o.head_lasso >= 0)) throw moa::Error("--head-lasso must be >= 0, got " + args.get("head-lasso"));
  o.max_shard_bytes = static_cast<uint64_t>(args.get_int("shard-mb", 0)) << 20;
  auto rep = moa::train_demo(o, [](double, const std::string& msg) {
    std::cout << msg << std::endl;
    return true;
  });
  nlohmann::json j = {{"steps", rep.steps}, {"seconds", rep.seconds}, {"final_loss", rep.final_loss},
                      {"final_answer_loss", rep.final_answer_loss}};
  for (auto& [len, acc] : rep.eval_accuracy) j["eval_accuracy"][std::to_string(len)] = acc;
  moa::write_file_atomic(o.out / "train_log.txt", rep.log);
  moa::write_file_atomic(o.out / "train_report.json", j.dump(2) + "\n");
  std::cout << j.dump(2) << "\n";
  return 0;
}

moa::cli::Register reg({"train-demo", "train the bundled demo model (GPU) and write its checkpoint",
                        "--out DIR [--device cuda] [--seed S] [--steps N] [--minutes M] [--tokens-per-step T] "
                        "[--max-len L] [--stage0 S0] [--stage1 S1] [--lr LR] [--eval-every K] [--eval-prompts P] [--eval-lengths 2048,...] "
                        "[--init DIR --start-step S] [--warmup W] [--full-row-fraction F] [--kv-heads K] [--head-lasso W] [--shard-mb M]",
                        run, {}});

}  // namespace
