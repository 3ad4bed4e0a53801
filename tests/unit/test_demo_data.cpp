// The demo model's training data: curriculum bounds, answer spans and weights, determinism,
// batches, evaluation prompts.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core/data/byte_vocab.h"
#include "core/data/demo_data.h"
#include "core/data/demo_text.h"
#include "core/data/longeval.h"
#include "core/util/error.h"

namespace {

using namespace moa;

std::string text_of(const DemoRecord& r, size_t begin, size_t end) {
  return ByteVocab::decode(std::vector<int32_t>(r.ids.begin() + static_cast<std::ptrdiff_t>(begin),
                                                r.ids.begin() + static_cast<std::ptrdiff_t>(end)));
}

// Steps of each stage under the default schedule.
const DemoDataConfig kConfig{};
uint64_t step_in_stage(int stage) { return stage == 0 ? 0 : stage == 1 ? kConfig.stage_steps[0] : 100000; }

TEST(ByteVocab, BytesThenSpecials) {
  const auto ids = ByteVocab::encode("A\xff", true);
  EXPECT_EQ(ids, (std::vector<int32_t>{ByteVocab::kBos, 65, 255}));
  EXPECT_EQ(ByteVocab::decode({ByteVocab::kBos, 104, 105, ByteVocab::kEos, ByteVocab::kPad}), "hi");
  EXPECT_GE(ByteVocab::kBos, 256);
  EXPECT_EQ(ByteVocab::kSize, 259);
}

TEST(DemoCurriculum, StageBoundariesFollowTheSchedule) {
  EXPECT_EQ(demo_stage_at(kConfig, 0), 0);
  EXPECT_EQ(demo_stage_at(kConfig, kConfig.stage_steps[0] - 1), 0);
  EXPECT_EQ(demo_stage_at(kConfig, kConfig.stage_steps[0]), 1);
  EXPECT_EQ(demo_stage_at(kConfig, kConfig.stage_steps[0] + kConfig.stage_steps[1]), 2);
  EXPECT_THROW(demo_stage(kConfig, 3), Error);
}

TEST(DemoCurriculum, RecordLengthsAndQuestionsWithinStageBounds) {
  for (int stage = 0; stage < 3; ++stage) {
    const DemoStage st = demo_stage(kConfig, stage);
    int full_headers = 0;
    for (uint64_t i = 0; i < 24; ++i) {
      const DemoRecord r = demo_record(kConfig, step_in_stage(stage), i);
      ASSERT_GE(r.ids.size(), st.min_len) << "stage " << stage;
      ASSERT_LE(r.ids.size(), st.max_len) << "stage " << stage;
      ASSERT_EQ(r.weights.size(), r.ids.size());
      EXPECT_EQ(r.ids.front(), ByteVocab::kBos);
      EXPECT_EQ(r.ids.back(), ByteVocab::kEos);
      const int q = static_cast<int>(r.answers.size());
      EXPECT_GE(q, 1);
      if (stage == 0) {
        EXPECT_LE(q, 2);
      } else if (stage == 1) {
        EXPECT_LE(q, 4);
      } else {
        EXPECT_GE(q, std::max<int>(2, static_cast<int>(r.ids.size() / 1024)) - 1);
      }
      const std::string text = ByteVocab::decode(r.ids);
      const bool full = text.rfind(std::string(kLongEvalHeader), 0) == 0;
      full_headers += full;
      if (!full) {
        EXPECT_EQ(text.rfind("Record:\n", 0), 0u);
      }
    }
    if (stage == 0) {
      EXPECT_EQ(full_headers, 0);
    } else if (stage == 2) {
      EXPECT_EQ(full_headers, 24);
    }
  }
}

TEST(DemoRecord, AnswerSpansPointAtTheAskedLinesDigits) {
  const DemoRecord r = demo_retrieval_record(kConfig, 2, 8192, 77);
  const std::string text = ByteVocab::decode(r.ids);  // position t of r.ids is text[t - 1]
  ASSERT_GE(r.answers.size(), 8u);
  const std::string ask = "? I need the number. ";
  std::set<size_t> answer_positions;
  for (const auto& a : r.answers) {
    ASSERT_LT(a.begin, a.end);
    EXPECT_EQ(text_of(r, a.begin, a.end), std::to_string(a.value));
    EXPECT_EQ(r.ids[a.end], '\n');
    EXPECT_EQ(text_of(r, a.begin - ask.size(), a.begin), ask);
    // The question's key names the line holding this value.
    const size_t q_end = a.begin - 1 - ask.size() + 1;  // position of '?'
    const std::string before = text_of(r, 1, q_end);
    const std::string key = before.substr(before.rfind("in line ") + 8);
    EXPECT_NE(text.find(longeval_line(key, a.value)), std::string::npos) << key;
    for (size_t t = a.begin; t <= a.end; ++t) {
      EXPECT_FLOAT_EQ(r.weights[t], kConfig.answer_weight);
      answer_positions.insert(t);
    }
  }
  EXPECT_FLOAT_EQ(r.weights[0], 0.0f);
  for (size_t t = 1; t < r.ids.size(); ++t)
    if (!answer_positions.count(t)) {
      ASSERT_FLOAT_EQ(r.weights[t], kConfig.other_weight) << t;
    }
}

TEST(DemoRecord, AskedLinesSpreadOverDepths) {
  const DemoRecord r = demo_retrieval_record(kConfig, 2, 8192, 5);
  const std::string text = ByteVocab::decode(r.ids);
  const size_t first_line = text.find("line "), last_line = text.rfind("REGISTER_CONTENT is <");
  size_t top = text.size(), bottom = 0;
  for (const auto& a : r.answers) {
    const size_t at = text.find(": REGISTER_CONTENT is <" + std::to_string(a.value) + ">");
    top = std::min(top, at);
    bottom = std::max(bottom, at);
  }
  const double span = static_cast<double>(last_line - first_line);
  EXPECT_LT((top - first_line) / span, 0.2);
  EXPECT_GT((bottom - first_line) / span, 0.8);
}

TEST(DemoRecord, TheFinalLinesAreAskedToo) {
  // Regression: lines added from the reserve's slack were never asked, so the model learned
  // that the end of a long record is never the answer (it failed at depth 1.0 at 8k).
  int last_asked = 0, records = 0;
  for (uint64_t seed = 0; seed < 100; ++seed) {
    const DemoRecord r = demo_retrieval_record(kConfig, 2, 8192, seed);
    const std::string text = ByteVocab::decode(r.ids);
    const size_t at = text.rfind("REGISTER_CONTENT is <");
    ASSERT_NE(at, std::string::npos);
    const long long last_value = std::stoll(text.substr(at + 21));
    bool asked = false;
    for (const auto& a : r.answers) asked |= a.value == last_value;
    last_asked += asked;
    ++records;
  }
  // The last of ~8 lines in the final stratum: about one record in eight.
  EXPECT_GE(last_asked, records / 25) << last_asked << " of " << records;
}

TEST(DemoBatch, DeterministicFromSeedAndStep) {
  DemoDataConfig cfg;
  cfg.tokens_per_step = 4096;
  const DemoBatch a = demo_batch(cfg, 3), b = demo_batch(cfg, 3), c = demo_batch(cfg, 4);
  EXPECT_EQ(a.ids, b.ids);
  EXPECT_EQ(a.weights, b.weights);
  EXPECT_NE(a.ids, c.ids);
  cfg.seed = 2;
  EXPECT_NE(demo_batch(cfg, 3).ids, a.ids);
}

TEST(DemoBatch, FullRowFractionGivesOneFullLengthRecordPerRow) {
  DemoDataConfig cfg;
  cfg.tokens_per_step = 4 * cfg.max_len;
  const uint64_t step = step_in_stage(2);
  const DemoBatch mixed = demo_batch(cfg, step);
  EXPECT_GT(mixed.records, mixed.rows);  // uniform lengths: usually several records per row
  cfg.full_row_fraction = 1.0;
  const DemoBatch full = demo_batch(cfg, step);
  EXPECT_EQ(full.records, full.rows);
  ASSERT_EQ(full.rows, 4u);
  for (size_t row = 0; row < full.rows; ++row) {
    // The record fills the row: at most one line of slack (64 tokens) is left for text.
    const auto row_begin = full.ids.begin() + static_cast<std::ptrdiff_t>(row * full.cols);
    const auto eos = std::find(row_begin + 1, row_begin + static_cast<std::ptrdiff_t>(full.cols), ByteVocab::kEos);
    ASSERT_NE(eos, row_begin + static_cast<std::ptrdiff_t>(full.cols));
    EXPECT_GT(eos - row_begin, static_cast<std::ptrdiff_t>(full.cols) - 64);
  }
  // Stages 0 and 1 are untouched by the option.
  DemoDataConfig plain = cfg;
  plain.full_row_fraction = 0.0;
  EXPECT_EQ(demo_batch(cfg, step_in_stage(0)).ids, demo_batch(plain, step_in_stage(0)).ids);
  EXPECT_EQ(demo_batch(cfg, step_in_stage(1)).ids, demo_batch(plain, step_in_stage(1)).ids);
}

TEST(DemoBatch, RowsPackedToTheStageLength) {
  DemoDataConfig cfg;
  cfg.tokens_per_step = 16384;
  for (int stage = 0; stage < 3; ++stage) {
    const DemoBatch b = demo_batch(cfg, step_in_stage(stage));
    const DemoStage st = demo_stage(cfg, stage);
    EXPECT_EQ(b.stage, stage);
    EXPECT_EQ(b.cols, st.max_len);
    EXPECT_EQ(b.rows, std::max<size_t>(1, 16384 / st.max_len));
    ASSERT_EQ(b.ids.size(), b.rows * b.cols);
    ASSERT_EQ(b.weights.size(), b.ids.size());
    EXPECT_GE(b.records, b.rows);
    EXPECT_GT(b.answer_tokens, 0u);
    for (size_t row = 0; row < b.rows; ++row) EXPECT_EQ(b.ids[row * b.cols], ByteVocab::kBos);
    ASSERT_FALSE(b.answers.empty());
    size_t answer_tokens = 0;
    for (const auto& a : b.answers) {
      const std::vector<int32_t> digits(b.ids.begin() + static_cast<std::ptrdiff_t>(a.begin),
                                        b.ids.begin() + static_cast<std::ptrdiff_t>(a.end));
      EXPECT_EQ(ByteVocab::decode(digits), std::to_string(a.value));
      EXPECT_EQ(b.ids[a.end], '\n');
      EXPECT_FLOAT_EQ(b.weights[a.begin], cfg.answer_weight);
      answer_tokens += a.end - a.begin + 1;
    }
    EXPECT_EQ(answer_tokens, b.answer_tokens);
    for (size_t i = 0; i < b.ids.size(); ++i) {
      ASSERT_TRUE(b.ids[i] >= 0 && b.ids[i] < ByteVocab::kSize);
      if (b.ids[i] == ByteVocab::kPad) {
        ASSERT_EQ(b.weights[i], 0.0f);
      }
    }
  }
}

TEST(DemoText, ExactLengthLocalText) {
  Rng rng(3);
  const std::string t = demo_text(3000, rng);
  ASSERT_EQ(t.size(), 3000u);
  for (char c : t) ASSERT_TRUE(c == '\n' || (c >= 32 && c < 127)) << int(c);
  EXPECT_NE(t.find("count by "), std::string::npos);
  const DemoRecord r = demo_text_record(100, 9, 0.5f);
  EXPECT_EQ(r.ids.size(), 100u);
  EXPECT_FLOAT_EQ(r.weights[5], 0.5f);
}

TEST(DemoEval, PromptAndAnswerFitTheLength) {
  for (size_t length : {2048u, 4096u}) {
    const LongEvalSample s = demo_eval_sample(length, 0.25, 8);
    const auto ids = demo_prompt_ids(s.prompt);
    EXPECT_EQ(ids.front(), ByteVocab::kBos);
    EXPECT_LE(ids.size() + demo_answer_text(s.expected_number).size(), length);
    EXPECT_LE(ids.size() + kDemoAnswerRoom, length);
    EXPECT_GT(ids.size() + kDemoAnswerRoom + 64, length);
    EXPECT_EQ(s.target_tokens, length);
    EXPECT_EQ(s.prompt.rfind(std::string(kLongEvalHeader), 0), 0u);
    EXPECT_EQ(s.line_index, longeval_line_at_depth(s.num_lines, 0.25));
  }
  EXPECT_EQ(demo_answer_text(31337), " 31337\n");
  EXPECT_TRUE(demo_answer_stop('\n'));
  EXPECT_TRUE(demo_answer_stop(ByteVocab::kEos));
  EXPECT_FALSE(demo_answer_stop('3'));
  const auto set = demo_eval_set({2048}, {0.0, 1.0}, 2, 1);
  ASSERT_EQ(set.size(), 4u);
  LongEvalSetSpec spec;  // what `moa longeval gen --tokens 2048 --tokenizer bytes --reserve 7 --keys pseudo` does
  spec.tokens = {2048};
  spec.reserve_tokens = kDemoAnswerRoom;
  spec.depths = {0.0, 1.0};
  spec.per_depth = 2;
  spec.seed = 1;
  spec.keys = KeyStyle::PseudoWord;
  const auto cli = longeval_generate_set(spec, [](const std::string& p) { return p.size() + 1; });
  for (size_t i = 0; i < set.size(); ++i) EXPECT_EQ(cli[i].prompt, set[i].prompt);
  EXPECT_EQ(set[0].target_tokens, 2048u);
  EXPECT_EQ(set[3].line_index, set[3].num_lines - 1);
  EXPECT_NE(set[0].prompt, set[1].prompt);
}

TEST(DemoCalib, RecordsJoinBackToTheEvalPrompt) {
  const auto records = demo_calib_records(2048, 3, 4);
  ASSERT_EQ(records.size(), 3u);
  for (const auto& r : records) {
    const std::string prompt = calib_prompt(r.context, r.question);
    EXPECT_EQ(prompt.rfind(std::string(kLongEvalHeader), 0), 0u);
    EXPECT_EQ(prompt.substr(prompt.size() - r.question.size()), r.question);
    EXPECT_LE(prompt.size() + 1 + r.answer.size(), 2048u);
    EXPECT_EQ(r.answer.front(), ' ');
    EXPECT_EQ(r.answer.back(), '\n');
    EXPECT_EQ(r.length, 2048);
  }
}

}  // namespace
