// moa train-demo on the CPU, one tiny step per run: the attention shape option (--kv-heads)
// reaches the written checkpoint, a continued run keeps its checkpoint's shape, and a KV-head
// count that does not divide the query heads is refused before any work.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "core/model/checkpoint.h"
#include "core/model/train_demo.h"
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
