// The fused (layer-wise recompute, tiled) profiler against the reference that materialises A,
// on the CPU: same loss, same pooled influence; cancellation from the tick.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "core/profile/influence.h"
#include "core/profile/influence_blocks.h"
#include "core/util/progress.h"

namespace fs = std::filesystem;

namespace {

std::shared_ptr<moa::Checkpoint> tiny(uint64_t seed) {
  auto d = fs::temp_directory_path() / ("moa_fused_" + std::to_string(::getpid())) / std::to_string(seed);
  auto cfg = moa::config_preset("tiny");
  cfg.initializer_range = 0.15;
  moa::RandomCheckpointOptions opt;
  opt.seed = seed;
  moa::checkpoint_write_random(cfg, d, opt);
  return moa::Checkpoint::open(d);
}

moa::InfluenceInput random_input(int64_t N, int64_t vocab, uint64_t seed) {
  std::mt19937_64 rng(seed);
  moa::InfluenceInput in;
  for (int64_t t = 0; t < N; ++t) in.ids.push_back(static_cast<int64_t>(rng() % vocab));
  in.answer_begin = N - 9;
  in.answer_end = N;
  return in;
}

double rel_err(const at::Tensor& a, const at::Tensor& b) {
  return ((a.to(at::kDouble) - b.to(at::kDouble)).abs().max() / b.to(at::kDouble).abs().max()).item<double>();
}

}  // namespace

TEST(InfluenceFused, MatchesReferenceInFloat64AcrossChunks) {
  auto ck = tiny(2);
  moa::LlamaModel model(ck, at::kCPU, at::kDouble);
  // 300 tokens: two query chunks of the CPU path, a partial last block.
  const auto in = random_input(300, ck->config().vocab_size, 3);
  const auto ref = moa::influence_reference(model, in, false);
  const auto fused = moa::influence_fused(model, in);
  EXPECT_NEAR(fused.loss, ref.loss, 1e-12 * std::abs(ref.loss));
  ASSERT_EQ(fused.pooled.sizes(), ref.pooled.sizes());
  EXPECT_LT(rel_err(fused.pooled, ref.pooled), 1e-6);  // float32 storage of the pooled sums
  EXPECT_TRUE(at::isfinite(fused.pooled).all().item<bool>());
}

TEST(InfluenceFused, MatchesReferenceInFloat32) {
  auto ck = tiny(4);
  moa::LlamaModel model(ck, at::kCPU);
  const auto in = random_input(192, ck->config().vocab_size, 5);
  const auto ref = moa::influence_reference(model, in, false);
  const auto fused = moa::influence_fused(model, in);
  EXPECT_NEAR(fused.loss, ref.loss, 1e-5 * std::abs(ref.loss));
  EXPECT_LT(rel_err(fused.pooled, ref.pooled), 2e-3);
}

TEST(InfluenceFused, AttentionWithLseMatchesSoftmax) {
  at::manual_seed(1);
  auto q = at::randn({6, 70, 16}, at::kDouble), k = at::randn({3, 70, 16}, at::kDouble), v = at::randn({3, 70, 16}, at::kDouble);
  auto [o, lse] = moa::attention_with_lse_cpu(q, k, v, 0.25);
  auto kk = k.repeat_interleave(2, 0), vv = v.repeat_interleave(2, 0);
  auto s = at::bmm(q, kk.transpose(1, 2)) * 0.25;
  s = s.masked_fill(at::ones({70, 70}, at::kBool).tril().logical_not(), -INFINITY);
  EXPECT_LT(rel_err(o, at::bmm(at::softmax(s, -1), vv)), 1e-12);
  EXPECT_LT(rel_err(lse, at::logsumexp(s, -1)), 1e-12);
}

TEST(InfluenceFused, TickCancelsBetweenLayers) {
  auto ck = tiny(6);
  moa::LlamaModel model(ck, at::kCPU);
  const auto in = random_input(128, ck->config().vocab_size, 7);
  int calls = 0;
  EXPECT_THROW(moa::influence_fused(model, in,
                                    [&](int layer, const char* phase) {
                                      if (++calls == 3) throw moa::Cancelled();
                                    }),
               moa::Cancelled);
  EXPECT_EQ(calls, 3);
}
