#pragma once
// MoA's model-aligned calibration set (issue 4): the dense model answers the questions of long
// documents itself (greedy), contexts are middle-truncated to fit each length exactly, and each
// record keeps its token ids and the answer's span for the profiler. Torch-free header.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/data/calib.h"
#include "core/util/progress.h"

namespace moa {

struct CalibBuildRequest {
  std::filesystem::path model_dir;
  std::filesystem::path input;  // jsonl: context, question, optional answer (kept as given)
  std::vector<int64_t> lengths = {2048, 4096, 8192};
  int64_t max_new_tokens = 32;
  std::string device = "cpu";
};

struct CalibBuildResult {
  std::vector<CalibRecord> records;  // by length, then input order
  int64_t skipped_short = 0;         // (document, length) pairs too short to fill the length
};

// Throws when a length ends up with no record at all.
CalibBuildResult calib_build(const CalibBuildRequest& request, const ProgressFn& progress);

// Model alignment for the demo source: the answers become the dense model's own greedy answers
// (MoA's "model alignment"; with the true answers, the few records the model gets wrong have
// large gradients and dominate the mean influence).
struct DemoCalibAlign {
  std::filesystem::path model_dir;
  std::string device = "cpu";
  int threads = 0;  // CPU threads (0: all)
};

// The demo model's built-in source (demo_calib_records), tokenised with the byte vocabulary:
// `count` records per length, each exactly that many tokens, with input_ids and answer_span.
// With `align`, each answer is what that model answers greedily to exactly the record's prompt.
std::vector<CalibRecord> calib_build_demo(const std::vector<int64_t>& lengths, int count, uint64_t seed,
                                          const DemoCalibAlign* align = nullptr, const ProgressFn& progress = {});

}  // namespace moa
