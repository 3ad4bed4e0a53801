#pragma once
// Evaluation (DESIGN §3 "evaluate"): retrieval accuracy on LongEval prompts and perplexity on
// a text set, with attention dense, uniform (every head the same sink + window at a given
// density) or as a MoA plan says — truly sparse: the masked reference computes exactly the
// block layout the kernels compute. Torch-free API (the GUI and CLI include it).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/data/longeval.h"
#include "core/data/retrieval_score.h"
#include "core/plan/plan.h"
#include "core/util/progress.h"

namespace moa {

enum class AttentionMode { dense, uniform, plan };

struct EvalAttention {
  AttentionMode mode = AttentionMode::dense;
  double density = 1.0;     // uniform: target KV fraction at every length
  std::optional<Plan> plan;  // plan mode
  std::string plan_file;     // where the plan came from, for messages ("plan" if empty)
  std::string label() const;
};

struct PplRecord {
  std::string text;    // scored whole (every token after the first), or
  std::string prompt;  // prompt + answer: only the answer tokens are scored
  std::string answer;
};

struct EvalRequest {
  std::filesystem::path model;
  EvalAttention attention;
  std::vector<LongEvalSample> samples;  // retrieval prompts
  std::vector<PplRecord> ppl;           // perplexity records
  std::string chat = "none";            // none | vicuna | llama3
  int max_new_tokens = 8;
  std::string device = "cpu";
  int threads = 0;                      // 0: all cores
  LevelBy level_by = LevelBy::Tokens;
};

struct EvalResult {
  std::string label;
  double mean_density = 1.0;  // mean over prompts of the KV fraction actually attended
  RetrievalReport retrieval;
  std::vector<std::string> answers;
  double ppl = 0, nll = 0;
  int64_t ppl_tokens = 0;
  double seconds = 0;
  nlohmann::json to_json() const;
};

EvalResult eval_run(const EvalRequest& request, const ProgressFn& progress = {});

// Plan selection by validation (DESIGN §4, MoA's last step): the answer loss (nats per scored
// token) of the model running `plan`'s sparse attention on `validation`'s perplexity records
// (its model, device and threads; its retrieval samples are ignored).
double plan_validation_loss(const EvalRequest& validation, const Plan& plan);

// Validation records from the demo task: `count` calibration-style records of `length` tokens,
// answer tokens scored.
std::vector<PplRecord> demo_validation_records(int64_t length, int count, uint64_t seed);

// Band blocks per [layer][query head] that an attention setting uses for a sequence of
// `total_length` tokens (prompt + new tokens); empty for dense.
std::vector<std::vector<int64_t>> eval_band_blocks(const EvalAttention& attention, int num_layers, int num_heads,
                                                   int64_t total_length);

// Perplexity records from jsonl: {"text": ...} or {"prompt"/"context"+"question", "answer"}.
std::vector<PplRecord> ppl_read_jsonl(const std::filesystem::path& path);

// A comparison of several results: Markdown table (accuracy overall and per level, density,
// perplexity) and the combined JSON.
std::string eval_compare_markdown(const std::vector<EvalResult>& results);

}  // namespace moa
