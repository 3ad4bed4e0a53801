#pragma once
// The attention-influence profiler (DESIGN §4, issue 5): runs calibration records through a
// checkpoint, measures how much masking each attention entry would change the answer loss,
// pools |E| into 64x64 blocks per layer and query head, and writes the running mean over
// samples to a *.moaprof.h5 file after every sample (resumable).
// Torch-free: the GUI includes this header.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/data/calib.h"
#include "core/util/progress.h"

namespace moa {

enum class ProfileImplementation {
  Auto,       // fused on both devices (the reference only fits short lengths)
  Reference,  // materialises A = softmax(QK^T/sqrt(d)) with autograd: small N, tests, baseline
  Fused,      // layer-wise recompute; E from Q, K, V, O, LSE and dO tile by tile (CUDA kernel
              // on GPU, chunked LibTorch on CPU): memory O(N) per head, never N x N
};

struct ProfileRequest {
  std::filesystem::path model_dir;
  std::filesystem::path calib_file;   // calibration jsonl; ignored when `records` is non-empty
  std::vector<CalibRecord> records;   // records given directly (e.g. demo_calib_records)
  std::vector<int64_t> lengths = {2048, 4096, 8192};  // tokens per sample, multiples of 64
  int64_t samples = 8;                // samples per length
  std::filesystem::path out;          // *.moaprof.h5
  // An existing `out` is an error unless one of these says what to do with it (a finished
  // profile can be hours of work). Without a file there, both start a new one.
  bool resume = false;                // continue it: same model, settings and calibration input
  bool overwrite = false;             // replace it once the model has loaded (a failed load keeps it)
  std::string device = "cpu";         // "cpu" | "cuda"
  ProfileImplementation implementation = ProfileImplementation::Auto;
  std::optional<std::string> dtype;   // "float32" | "bfloat16" | ...; default: checkpoint's
                                      // dtype on CUDA, float32 on CPU
  int threads = 0;                    // CPU threads for LibTorch; 0 = hardware concurrency
};

struct ProfileSummary {
  int64_t samples_done = 0;     // samples computed by this call (resumed ones not counted)
  double seconds = 0;           // wall time of this call
};

// Runs the request. Progress: fraction of all (length, sample) pairs, with a message naming
// the length, sample and layer; returning false from `progress` stops the run within about
// a second (checked between layers and attention chunks) by throwing moa::Cancelled; the
// file then holds every completed sample and resumes with request.resume = true.
// Errors (moa::Error, naming the file): `out` exists and neither resume nor overwrite is set
// (or both are), length not a multiple of 64 or beyond the model's max_position_embeddings,
// a calibration record that is shorter than the length once assembled, too few records; on
// resume, a profile file from another model (content hash), schema version 1 (no digests),
// another compute dtype, implementation or device, or samples from other calibration input
// (record number or input digest).
ProfileSummary profile_run(const ProfileRequest& request, const ProgressFn& progress);

// Parses "auto" | "reference" | "fused".
ProfileImplementation profile_implementation_from_name(const std::string& name);

}  // namespace moa
