// Evaluation: attention settings turn into the right band blocks, sparse attention really
// changes what the model sees, and the bundled demo model answers LongEval prompts.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/data/demo_data.h"
#include "core/model/checkpoint.h"
#include "core/eval/eval.h"
#include "core/plan/rule.h"

namespace fs = std::filesystem;

namespace {
const fs::path kDemo = fs::path(MOA_SOURCE_DIR) / "resources/demo-model";

moa::Plan uniform_plan(int layers, int heads, int kv, moa::Rule rule) {
  moa::Plan p;
  p.granularity = moa::Granularity::kv_head;
  p.num_layers = layers;
  p.num_heads = heads;
  p.num_kv_heads = kv;
  p.rules.assign(layers, std::vector<moa::Rule>(kv, rule));
  p.budgets[2048] = 0.5;
  return p;
}
}  // namespace

TEST(Eval, LabelsNameTheSettingAndAPlansBudget) {
  moa::EvalAttention a;
  EXPECT_EQ(a.label(), "dense");
  a.mode = moa::AttentionMode::uniform;
  a.density = 0.25;
  EXPECT_EQ(a.label(), "uniform@0.25");
  a.mode = moa::AttentionMode::plan;
  a.plan = uniform_plan(2, 4, 2, moa::Rule{1024, 0.25});  // budget 0.5 at 2048
  EXPECT_EQ(a.label(), "moa@0.50");
  a.plan->budgets.clear();  // as read from the MoA reference format
  EXPECT_EQ(a.label(), "moa");
}

TEST(Eval, BandBlocksForEachAttentionSetting) {
  moa::EvalAttention dense;
  EXPECT_TRUE(moa::eval_band_blocks(dense, 2, 4, 4096).empty());
  moa::EvalAttention u;
  u.mode = moa::AttentionMode::uniform;
  u.density = 0.25;
  auto b = moa::eval_band_blocks(u, 2, 4, 4096);  // 64 blocks: 16 attended = sink + 15
  ASSERT_EQ(b.size(), 2u);
  ASSERT_EQ(b[0].size(), 4u);
  EXPECT_EQ(b[1][3], 15);
  moa::EvalAttention m;
  m.mode = moa::AttentionMode::plan;
  m.plan = uniform_plan(2, 4, 2, moa::Rule{1024, 0.25});  // span 1024 + N/4 -> (1024 + 1024)/64 = 32 blocks
  b = moa::eval_band_blocks(m, 2, 4, 4096);
  EXPECT_EQ(b[0][0], moa::rule_band_blocks(moa::Rule{1024, 0.25}, 4096));
  EXPECT_EQ(b[0][0], 32);
}

TEST(Eval, DemoModelAnswersDenseAndAFullSpanPlanAgrees) {
  ASSERT_TRUE(fs::exists(kDemo / "model.safetensors")) << kDemo;
  moa::EvalRequest r;
  r.model = kDemo;
  r.samples = moa::demo_eval_set({2048}, {0.0, 1.0}, 1, 31337);
  r.threads = 2;
  auto dense = moa::eval_run(r);
  EXPECT_EQ(dense.retrieval.overall.total, 2);
  EXPECT_EQ(dense.retrieval.overall.correct, 2) << dense.answers[0] << " | " << dense.answers[1];
  EXPECT_DOUBLE_EQ(dense.mean_density, 1.0);
  // A plan whose band covers everything is dense attention, token for token.
  r.attention.mode = moa::AttentionMode::plan;
  const moa::ModelConfig c = moa::Checkpoint::open(kDemo)->config();
  r.attention.plan = uniform_plan(static_cast<int>(c.num_layers), static_cast<int>(c.num_heads),
                                  static_cast<int>(c.num_kv_heads), moa::Rule{0, 1.0});
  auto full = moa::eval_run(r);
  EXPECT_EQ(full.answers, dense.answers);
  // A one-block band (sink + the current block) cannot see the asked line at depth 0.
  r.attention.mode = moa::AttentionMode::uniform;
  r.attention.density = 0.01;
  auto tiny = moa::eval_run(r);
  EXPECT_LT(tiny.mean_density, 0.15);
  EXPECT_LT(tiny.retrieval.overall.correct, 2);
}

TEST(Eval, AnswerOnlyPerplexityIsFiniteAndLowerForTheRightAnswer) {
  moa::EvalRequest r;
  r.model = kDemo;
  r.threads = 2;
  auto rec = moa::demo_calib_records(2048, 1, 5)[0];
  const std::string prompt = moa::calib_prompt(rec.context, rec.question);
  r.ppl = {{"", prompt, rec.answer}};
  auto right = moa::eval_run(r);
  r.ppl = {{"", prompt, " 99999\n"}};
  auto wrong = moa::eval_run(r);
  EXPECT_GT(right.ppl_tokens, 0);
  EXPECT_TRUE(std::isfinite(right.nll));
  EXPECT_LT(right.nll, wrong.nll);
}
