// moa calib build: model-aligned calibration sets (the dense model answers), or --demo for the
// demo model's built-in source.
#include <iostream>

#include "app/cli/command.h"
#include "app/cli/progress_bar.h"
#include "core/profile/calib_build.h"
#include "core/util/error.h"
#include "core/util/files.h"

namespace {

int run_build(const moa::cli::Args& args) {
  args.allow_only({"model", "input", "lengths", "out", "max-new-tokens", "device", "demo", "count", "seed", "quiet"});
  std::vector<int64_t> lengths = {2048, 4096, 8192};
  if (args.has("lengths")) {
    // The profiler pools 64x64 blocks: a record of another length could not be profiled.
    lengths = moa::cli::parse_length_list(args.get("lengths"), "--lengths");
  }
  const std::string out = args.get("out");
  moa::check_writable(out);  // before the work, not after
  std::vector<moa::CalibRecord> records;
  if (args.has("demo")) {
    if (args.has("input")) throw moa::Error("--demo takes no --input (its records are built in)");
    // With --model, the answers are that model's own (model alignment); without, the true ones.
    moa::DemoCalibAlign align;
    if (args.has("model")) {
      align.model_dir = args.get("model");
      align.device = args.get("device", "cpu");
    }
    moa::cli::ProgressBar bar(!args.has("quiet"));
    const long long count = args.get_int("count", 8);
    if (count < 1 || count > 100000) throw moa::Error("--count must be in [1, 100000] (records per length)");
    records = moa::calib_build_demo(lengths, static_cast<int>(count),
                                    static_cast<uint64_t>(args.get_int("seed", 1)), args.has("model") ? &align : nullptr,
                                    [&](double f, const std::string& m) { return bar.update(f, m); });
    bar.finish();
  } else {
    moa::CalibBuildRequest req;
    req.model_dir = args.get("model");
    req.input = args.get("input");
    req.lengths = lengths;
    req.max_new_tokens = args.get_int("max-new-tokens", req.max_new_tokens);
    req.device = args.get("device", "cpu");
    moa::cli::ProgressBar bar(!args.has("quiet"));
    auto result = moa::calib_build(req, [&](double f, const std::string& m) { return bar.update(f, m); });
    bar.finish();
    if (result.skipped_short)
      std::cerr << "skipped " << result.skipped_short << " (document, length) pairs too short for the length\n";
    records = std::move(result.records);
  }
  moa::calib_write_jsonl(out, records);
  std::cout << "wrote " << records.size() << " calibration records to " << out << "\n";
  return 0;
}

moa::cli::Register reg({"calib build",
                        "build a model-aligned calibration set (the model answers; contexts fit each length)",
                        "(--model DIR --input docs.jsonl | --demo [--model DIR] [--count N] [--seed S]) [--lengths 2048,4096,8192] "
                        "--out calib.jsonl [--max-new-tokens 32] [--device cpu|cuda] [--quiet]",
                        run_build, {"demo", "quiet"}});

}  // namespace
