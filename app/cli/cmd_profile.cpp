// moa profile: attention influence of a checkpoint on a calibration set, to *.moaprof.h5.
#include <chrono>
#include <cstdio>
#include <iostream>

#include "app/cli/command.h"
#include "app/cli/progress_bar.h"
#include "core/profile/profile.h"
#include "core/util/error.h"

namespace {

int run(const moa::cli::Args& args) {
  args.allow_only({"model", "calib", "lengths", "samples", "out", "resume", "overwrite", "device", "implementation",
                   "dtype", "threads", "quiet"});
  moa::ProfileRequest req;
  req.model_dir = args.get("model");
  req.calib_file = args.get("calib");
  if (args.has("lengths")) {
    req.lengths.clear();
    for (long long n : moa::cli::parse_int_list(args.get("lengths"), "--lengths")) req.lengths.push_back(n);
  }
  req.samples = args.get_int("samples", req.samples);
  req.out = args.get("out");
  req.resume = args.has("resume");
  req.overwrite = args.has("overwrite");
  req.device = args.get("device", "cpu");
  req.implementation = moa::profile_implementation_from_name(args.get("implementation", "auto"));
  if (args.has("dtype")) req.dtype = args.get("dtype");
  req.threads = static_cast<int>(args.get_int("threads", 0));
  moa::cli::ProgressBar bar(!args.has("quiet"));
  const auto summary = moa::profile_run(req, [&](double f, const std::string& msg) { return bar.update(f, msg); });
  bar.finish();
  std::cout << "profiled " << summary.samples_done << " samples in " << summary.seconds << " s -> " << req.out.string()
            << "\n";
  return 0;
}

moa::cli::Register reg({"profile", "profile attention influence per layer/head/length (writes *.moaprof.h5)",
                        "--model DIR --calib calib.jsonl [--lengths 2048,4096,8192] [--samples N] --out run.moaprof.h5 "
                        "[--resume | --overwrite] [--device cpu|cuda] [--implementation auto|reference|fused] "
                        "[--dtype float32|bfloat16] [--threads N] [--quiet]\n\n"
                        "An existing --out is refused unless one of these says what to do with it:\n"
                        "  --resume     continue it; its finished samples must come from the same model, calibration\n"
                        "               input (record numbers and token digests), compute dtype (default: float32 on\n"
                        "               cpu, the checkpoint's on cuda), implementation (auto = fused) and device\n"
                        "  --overwrite  replace it (once the new run has its first sample)",
                        run, {"resume", "overwrite", "quiet"}});

}  // namespace
