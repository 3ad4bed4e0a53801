// The CUDA influence kernel against the CPU reference formula (materialised A, float64) on
// random odd shapes with GQA, bf16/fp16/fp32 inputs; determinism; and the whole fused
// profiler on CUDA against the reference profiler on a tiny model. Skips without a GPU.
// bf16/fp16 with D a multiple of 16 run on tensor cores, the rest on CUDA cores; the kernel's
// own torch-free test (test_kernel_influence.cpp) covers both implementations case by case.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "core/compat/torch_compat.h"
#include "core/profile/influence.h"
#include "core/profile/influence_blocks.h"

namespace {

bool have_gpu() { return moa::compat::cuda_available(); }

struct Case {
  int64_t hq, hkv, n, d;
  at::ScalarType dtype;
};

// Reference: A from the (rounded) inputs in float64, G = dO V^T, E by the formula, pooled.
at::Tensor reference_pooled(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& d_o,
                            double scale, at::Tensor* o_out, at::Tensor* lse_out) {
  const int64_t G = q.size(0) / k.size(0), N = q.size(1);
  auto kk = k.to(at::kDouble).repeat_interleave(G, 0), vv = v.to(at::kDouble).repeat_interleave(G, 0);
  auto s = at::bmm(q.to(at::kDouble), kk.transpose(1, 2)) * scale;
  s = s.masked_fill(at::ones({N, N}, at::kBool).tril().logical_not(), -INFINITY);
  auto a = at::softmax(s, -1);
  *lse_out = at::logsumexp(s, -1);
  *o_out = at::bmm(a, vv);
  auto g = at::bmm(d_o.to(at::kDouble), vv.transpose(1, 2));
  return moa::influence_pool(moa::influence_entries(a, g).abs());
}

}  // namespace

TEST(InfluenceKernel, MatchesCpuReferenceOnOddShapes) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  std::vector<Case> cases = {{4, 2, 131, 40, at::kBFloat16}, {6, 3, 200, 64, at::kHalf}, {8, 2, 257, 128, at::kBFloat16},
                             {3, 1, 77, 24, at::kFloat},     {2, 2, 1, 8, at::kFloat},   {4, 4, 64, 96, at::kBFloat16},
                             // tensor cores: GQA 1/4/8, D 64/128, odd N, both 16-bit types
                             {4, 4, 1, 128, at::kBFloat16},  {8, 1, 63, 64, at::kHalf},  {8, 2, 65, 128, at::kHalf},
                             {8, 8, 200, 64, at::kBFloat16}, {16, 2, 1000, 128, at::kBFloat16}, {8, 2, 1000, 64, at::kHalf},
                             {8, 2, 333, 128, at::kFloat}};
  for (const auto& c : cases) {
    at::manual_seed(c.n);
    const double scale = 1.0 / std::sqrt(static_cast<double>(c.d));
    // Round once to the kernel's dtype; the reference reads the same rounded values. Logits of
    // unit scale: entries with 1 - P below float32 resolution are ill-conditioned in any fp32 kernel.
    auto q = at::randn({c.hq, c.n, c.d}).to(c.dtype), k = at::randn({c.hkv, c.n, c.d}).to(c.dtype);
    auto v = at::randn({c.hkv, c.n, c.d}).to(c.dtype), d_o = (at::randn({c.hq, c.n, c.d}) * 0.01).to(c.dtype);
    at::Tensor o, lse;
    auto ref = reference_pooled(q, k, v, d_o, scale, &o, &lse);
    moa::AttentionSaved s;
    s.q = q.cuda();
    s.k = k.cuda();
    s.v = v.cuda();
    s.d_o = d_o.cuda();
    s.o = o.to(at::kFloat).cuda();  // float32 O so that delta = rowsum(dO*O) is not rounded to bf16
    s.lse = lse.to(at::kFloat).cuda();
    s.scale = scale;
    auto got = moa::influence_blocks(s, false).pooled.cpu();
    auto again = moa::influence_blocks(s, false).pooled.cpu();
    ASSERT_EQ(got.sizes(), ref.sizes());
    EXPECT_TRUE(at::isfinite(got).all().item<bool>());
    EXPECT_TRUE(at::equal(got, again)) << "not deterministic";
    EXPECT_EQ(got.triu(1).abs().sum().item<double>(), 0.0) << "blocks above the diagonal must be 0";
    const double rel = ((got.to(at::kDouble) - ref.to(at::kDouble)).abs().max() / ref.abs().max()).item<double>();
    const double rel_sum = std::abs(got.sum().item<double>() / ref.sum().item<double>() - 1.0);
    const double rel_total =
        ((got.to(at::kDouble) - ref.to(at::kDouble)).abs().sum() / ref.abs().sum()).item<double>();
    std::cout << "Hq=" << c.hq << " Hkv=" << c.hkv << " N=" << c.n << " D=" << c.d << " " << c10::toString(c.dtype)
              << ": max rel err " << rel << ", sum rel err " << rel_sum << ", total abs rel err " << rel_total << "\n";
    EXPECT_LE(rel, 1e-3);
    EXPECT_LE(rel_total, 1e-3);
  }
}

TEST(InfluenceKernel, FusedProfilerOnCudaMatchesReference) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / ("moa_gpu_influence_" + std::to_string(::getpid()));
  auto cfg = moa::config_preset("tiny-llama3");  // 8 query / 2 KV heads, head_dim 32
  cfg.initializer_range = 0.1;
  moa::RandomCheckpointOptions opt;
  opt.seed = 9;
  moa::checkpoint_write_random(cfg, dir, opt);
  auto ck = moa::Checkpoint::open(dir);
  std::mt19937_64 rng(3);
  moa::InfluenceInput in;
  for (int i = 0; i < 320; ++i) in.ids.push_back(static_cast<int64_t>(rng() % cfg.vocab_size));
  in.answer_begin = 300;
  in.answer_end = 320;
  moa::LlamaModel cpu_model(ck, at::kCPU, at::kDouble);
  const auto ref = moa::influence_reference(cpu_model, in, false);
  for (auto dt : {at::kFloat, at::kBFloat16}) {
    moa::LlamaModel gpu_model(ck, at::Device(at::kCUDA, 0), dt);
    const auto fused = moa::influence_fused(gpu_model, in);
    const double rel = ((fused.pooled.to(at::kDouble) - ref.pooled.to(at::kDouble)).abs().sum() /
                        ref.pooled.to(at::kDouble).abs().sum())
                           .item<double>();
    std::cout << c10::toString(dt) << ": loss " << fused.loss << " vs " << ref.loss << ", mean rel err " << rel << "\n";
    EXPECT_TRUE(at::isfinite(fused.pooled).all().item<bool>());
    // float32 end to end is close to float64; bfloat16 activations are ~3 significant digits.
    EXPECT_LT(rel, dt == at::kFloat ? 1e-3 : 0.1);
    EXPECT_NEAR(fused.loss, ref.loss, (dt == at::kFloat ? 1e-4 : 5e-2) * std::abs(ref.loss));
  }
}
