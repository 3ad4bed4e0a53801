#pragma once
// Training data for the demo model (DESIGN §8), over the byte vocabulary (byte_vocab.h):
// LongEval-style records with random keys and many questions each, asked lines spread over
// depths, plus local text filler (demo_text.h), served by a curriculum of three stages:
//   stage 0: 512-768 tokens, one-word header "Record:", 1-2 questions
//   stage 1: 1024-2048 tokens, the full LongChat header half of the time, 2-4 questions
//   stage 2: 2048-max_len tokens, the full header, 1-2 questions per 1024 tokens (question_density)
// Measured: starting at 1k-8k the model stays at chance; the short start breaks the plateau.
//
// A record's text: header, lines "line <key>: REGISTER_CONTENT is <n>\n", then for each question
// "<LongEval question> <digits>\n". Tokens: BOS, the bytes, EOS. The answer format is the
// one evaluation expects: after "I need the number." the model writes " ", the digits and "\n".
//
// Everything is deterministic from (config.seed, step, row/index).
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/data/calib.h"
#include "core/data/longeval.h"

namespace moa {

struct DemoDataConfig {
  uint64_t seed = 1;
  size_t tokens_per_step = 65536;        // rows per batch = tokens_per_step / stage row length
  size_t max_len = 8192;                 // longest training sequence (stage 2's upper bound)
  std::array<uint64_t, 2> stage_steps = {600, 900};  // steps spent in stage 0, then stage 1
  float answer_weight = 1.0f;            // answer digits and their "\n"
  float other_weight = 0.1f;             // every other token of a retrieval record
  float text_weight = 0.1f;              // local text filler
  double word_key_fraction = 0.25;       // records keyed "adjective-noun" instead of pseudo-words
  bool fill_with_text = true;            // fill row ends with text instead of padding
  double question_density = 1.0;         // stage 2: between this many and twice this many
                                         // questions per 1024 tokens (at least 2 to 4)
  double full_row_fraction = 0.0;        // stage 2: rows holding one record of the full row
                                         // length (the longest retrievals are otherwise rare:
                                         // record lengths are uniform in what is left of a row)
};

struct DemoStage {
  int index = 0;
  size_t min_len = 0, max_len = 0;     // record length in tokens, BOS and EOS included
  int min_questions = 1, max_questions = 1;  // at lengths >= 4096 stage 2 scales these up
  double full_header_fraction = 0.0;
};

DemoStage demo_stage(const DemoDataConfig& config, int stage);
int demo_stage_at(const DemoDataConfig& config, uint64_t step);

struct AnswerSpan {
  size_t begin = 0, end = 0;  // [begin, end): the digits' token positions in ids
  long long value = 0;
};

struct DemoRecord {
  std::vector<int32_t> ids;
  std::vector<float> weights;  // weights[t] weighs the loss of predicting ids[t]; weights[0] = 0
  std::vector<AnswerSpan> answers;
};

// One retrieval record of the given stage: at most `length` tokens and more than length - 64
// (64 bounds one line), so lengths drawn in [min_len + 64, max_len] land inside the stage.
// Fewer questions are asked when `length` has no room for the stage's count.
DemoRecord demo_retrieval_record(const DemoDataConfig& config, int stage, size_t length, uint64_t seed);
// A text record of exactly `length` tokens (BOS + bytes), every byte weighted `weight`.
DemoRecord demo_text_record(size_t length, uint64_t seed, float weight);
// The index-th retrieval record of a step, its length drawn from the step's stage.
DemoRecord demo_record(const DemoDataConfig& config, uint64_t step, uint64_t index);

struct DemoBatch {
  int stage = 0;
  size_t rows = 0, cols = 0;       // cols = the stage's longest record
  std::vector<int32_t> ids;        // rows * cols, row-major; rows packed with records, then
  std::vector<float> weights;      // text filler (or PAD, weight 0). Train on ids[:, :-1] ->
                                   // ids[:, 1:] weighted by weights[:, 1:].
  std::vector<AnswerSpan> answers;  // digits of every answer, as flat indices into ids
  size_t records = 0, answer_tokens = 0;  // answer_tokens counts digits and their "\n"
};

DemoBatch demo_batch(const DemoDataConfig& config, uint64_t step);

// Evaluation for the demo model: fresh LongEval prompts (LongChat header and question) whose
// BOS + prompt + the longest answer (" 50000\n", kDemoAnswerRoom tokens) fit in `length`
// tokens. target_tokens is set to `length`, the level reports group by.
inline constexpr size_t kDemoAnswerRoom = 7;
LongEvalSample demo_eval_sample(size_t length, double depth, uint64_t seed, KeyStyle keys = KeyStyle::PseudoWord);
// Every (length, depth, repeat); the same samples as `moa longeval gen --tokens <lengths>
// --tokenizer bytes --reserve 7 --keys pseudo --seed <seed>` writes.
std::vector<LongEvalSample> demo_eval_set(const std::vector<size_t>& lengths, const std::vector<double>& depths,
                                          int per_depth, uint64_t seed, KeyStyle keys = KeyStyle::PseudoWord);
// Answer depths of `prompts` evaluation prompts, spread evenly from 0 to 1 (0.5 for one).
std::vector<double> demo_eval_depths(int prompts);
// Seed of the prompts Studio's live accuracy preview measures on; `moa eval --demo-length`
// uses the same, so a preview number can be reproduced headless.
inline constexpr uint64_t kDemoPreviewSeed = 7;
// The model input for a prompt (BOS + bytes), the answer text training teaches, and whether a
// generated id ends the answer ("\n" or EOS).
std::vector<int32_t> demo_prompt_ids(const std::string& prompt);
std::string demo_answer_text(long long value);
bool demo_answer_stop(int32_t id);

// Built-in calibration source made of the demo model's own task: LongEval records split into
// context (header + lines) and question, answer " <digits>\n", length = `length`.
std::vector<CalibRecord> demo_calib_records(size_t length, int count, uint64_t seed);

}  // namespace moa
