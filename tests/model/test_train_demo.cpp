// moa train-demo on the CPU, one tiny step per run: the attention shape option (--kv-heads)
// reaches the written checkpoint, a continued run keeps its checkpoint's shape, and a KV-head
// count that does not divide the query heads is refused before any work; widening a trained
// checkpoint's KV heads keeps its function exactly; the head lasso is applied and logged.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "core/model/checkpoint.h"
#include "core/model/llama.h"
#include "core/model/train_demo.h"
#include "core/runtime/attention.h"
#include "expect_error.h"

namespace fs = std::filesystem;

namespace {

moa::TrainDemoOptions tiny(const fs::path& out) {
  moa::TrainDemoOptions o;
  o.out = out;
  o.device = "cpu";
  o.steps = 1;
  o.tokens_per_step = 768;  // one stage 0 row of 768 tokens
  o.max_len = 1024;
  o.stage0_steps = 10;
  o.eval_every = 0;
  o.eval_lengths.clear();  // no greedy evaluation (minutes on a CPU at 8k)
  o.warmup_steps = 1;
  return o;
}

}  // namespace

TEST(TrainDemo, KvHeadsOptionShapesTheCheckpointAndContinuationKeepsIt) {
  const fs::path dir = fs::temp_directory_path() / ("moa_train_demo_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  auto o = tiny(dir / "mha");
  o.kv_heads = 6;  // the demo model's 6 query heads, each with its own K/V (MHA)
  const auto rep = moa::train_demo(o);
  EXPECT_EQ(rep.steps, 1);
  EXPECT_TRUE(std::isfinite(rep.final_loss));
  auto ck = moa::Checkpoint::open(dir / "mha");
  EXPECT_EQ(ck->config().num_kv_heads, 6);
  EXPECT_EQ(ck->config().num_heads, moa::demo_model_config().num_heads);
  EXPECT_EQ(ck->tensor("model.layers.0.self_attn.k_proj.weight").shape,
            (std::vector<int64_t>{6 * 64, moa::demo_model_config().hidden_size}));

  // Continuing: the checkpoint's shape wins over the (default) option.
  auto c = tiny(dir / "continued");
  c.init = dir / "mha";
  c.start_step = 1;
  moa::train_demo(c);
  EXPECT_EQ(moa::Checkpoint::open(dir / "continued")->config().num_kv_heads, 6);

  auto bad = tiny(dir / "bad");
  bad.kv_heads = 4;
  const std::string msg = moa_test::error_of([&] { moa::train_demo(bad); });
  EXPECT_NE(msg.find("--kv-heads must divide"), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(dir / "bad" / "model.safetensors"));
  fs::remove_all(dir);
}

TEST(TrainDemo, WideningKvHeadsKeepsTheLogits) {
  const fs::path dir = fs::temp_directory_path() / ("moa_train_widen_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  // A GQA demo-shaped checkpoint (random weights, 2 KV heads per layer for 6 query heads).
  auto g = tiny(dir / "gqa");
  g.kv_heads = 2;
  g.steps = 0;
  moa::train_demo(g);
  auto o = tiny(dir / "mha");
  o.init = dir / "gqa";
  o.kv_heads = 6;  // one KV head per query head
  o.steps = 0;     // the widened copy itself
  moa::train_demo(o);
  auto wide = moa::Checkpoint::open(dir / "mha");
  auto orig = moa::Checkpoint::open(dir / "gqa");
  ASSERT_EQ(orig->config().num_kv_heads, 2);
  ASSERT_EQ(wide->config().num_kv_heads, 6);

  // 300 byte ids: both models must give the same logits (copies of K/V, nothing else changed).
  auto ids = at::randint(0, 256, {1, 300}, at::kLong);
  auto pos = at::arange(300, at::kLong).unsqueeze(0);
  moa::DenseAttention dense;
  const at::Tensor a = moa::LlamaModel(orig, at::kCPU).forward(ids, pos, nullptr, dense);
  const at::Tensor b = moa::LlamaModel(wide, at::kCPU).forward(ids, pos, nullptr, dense);
  const double rel = ((a - b).abs().max() / a.abs().max()).item<double>();
  EXPECT_LT(rel, 1e-5) << "widened logits differ by " << rel;

  // Widening to a count that is no multiple of the checkpoint's is refused, naming the checkpoint.
  auto bad = tiny(dir / "bad");
  bad.init = dir / "gqa";
  bad.kv_heads = 3;
  const std::string msg = moa_test::error_of([&] { moa::train_demo(bad); });
  EXPECT_NE(msg.find("cannot widen"), std::string::npos) << msg;
  EXPECT_NE(msg.find("gqa"), std::string::npos) << msg;

  // One step with the head lasso: the per-head output norms are logged, and a negative weight is refused.
  auto lasso = tiny(dir / "lasso");
  lasso.init = dir / "mha";
  lasso.head_lasso = 0.01;
  const auto rep = moa::train_demo(lasso);
  EXPECT_NE(rep.log.find("head output norms"), std::string::npos) << rep.log;
  EXPECT_TRUE(std::isfinite(rep.final_loss));
  auto neg = tiny(dir / "neg");
  neg.head_lasso = -1;
  EXPECT_NE(moa_test::error_of([&] { moa::train_demo(neg); }).find("--head-lasso"), std::string::npos);
  fs::remove_all(dir);
}
