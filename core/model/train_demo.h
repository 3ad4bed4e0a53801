#pragma once
// `moa train-demo`: trains the bundled demo model (DESIGN §8) from scratch on the synthetic
// curriculum of core/data/demo_data.h and writes a Hugging Face checkpoint. Torch-free API.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/model/config.h"
#include "core/util/progress.h"

namespace moa {

struct TrainDemoOptions {
  std::filesystem::path out;
  std::string device = "cuda";
  uint64_t seed = 1;
  int64_t steps = 4500;
  double max_minutes = 0;          // stop early after this wall time (0: no limit)
  size_t tokens_per_step = 65536;
  size_t max_len = 8192;
  uint64_t stage0_steps = 600, stage1_steps = 900;
  double lr = 1e-3, weight_decay = 0.01, warmup_steps = 100, grad_clip = 1.0;
  int64_t eval_every = 500;        // greedy exact-match on fresh prompts (0: never)
  std::vector<size_t> eval_lengths = {2048, 4096, 8192};
  int eval_prompts = 20;
  uint64_t max_shard_bytes = 0;   // 0: one model.safetensors
  std::filesystem::path init;      // continue from this checkpoint (fine-tuning stage)
  uint64_t start_step = 0;         // data/curriculum step of the first step (with init)
  double full_row_fraction = 0.0;  // stage 2 rows that hold one full-length record (DemoDataConfig)
  int kv_heads = 0;                // KV heads per layer for a fresh model (0: demo_model_config's);
                                   // with init, the checkpoint's shape is kept, or widened to this
                                   // count by copying each KV head to the heads of its group (the
                                   // same function at step 0)
  double head_lasso = 0.0;         // group-lasso weight on each KV head's output path (its V rows
                                   // and its query heads' o_proj columns): prunes heads (0: off)
};

// The demo model's shape: byte-level vocabulary (259), GQA, head dim 64 (kernel-friendly).
ModelConfig demo_model_config();

// A Hugging Face tokenizer.json for the byte vocabulary (ByteLevel BPE, no merges, ids
// 0..255 = bytes, <s>=256, </s>=257, <pad>=258), loadable by `tokenizers` and by ours.
std::string demo_tokenizer_json();

struct TrainDemoReport {
  int64_t steps = 0;
  double seconds = 0;
  double final_loss = 0, final_answer_loss = 0;
  std::vector<std::pair<size_t, double>> eval_accuracy;  // (length, exact-match accuracy)
  std::string log;                                        // one line per logged step
};

TrainDemoReport train_demo(const TrainDemoOptions& options, const ProgressFn& progress = {});

// Writes config.json, generation_config.json, tokenizer.json for the demo model into dir
// (the weights are written by train_demo).
void write_demo_model_files(const std::filesystem::path& dir, const ModelConfig& config);

}  // namespace moa
