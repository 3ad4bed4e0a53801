// The fused decode kernels (kernels/moa_fused_ops.cuh) against the ATen chains they replace in
// the engine's decode step — the very formulas of LlamaModel (rms_norm, apply_rope with
// rope_cos_sin, silu * up) run on the same GPU tensors: odd sizes, bf16 and fp16, poisoned
// outputs with a poisoned guard tail that must stay untouched, rows that are slices of the fused
// projections' wider rows (q|k|v, gate|up) as the engine passes them. RoPE and SiLU * up reproduce ATen
// to the bit in practice; the RMSNorm's float32 statistics (summation order, 1/sqrt vs rsqrt) may
// move a few elements by one or two 16-bit steps. Skipped without CUDA LibTorch + kernels.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/compat/torch_compat.h"
#include "core/model/llama.h"

#ifdef MOA_TORCH_HAS_CUDA
#include "kernels/moa_fused_ops.cuh"
#endif

namespace {

#ifdef MOA_TORCH_HAS_CUDA

using moa::kernels::DType;

DType dtype_of(at::ScalarType t) { return t == at::kBFloat16 ? DType::bf16 : DType::f16; }

// Elements of `got` that differ from `want`, and the largest difference in units of the 16-bit
// type's rounding step at that magnitude (|want| * 2^-7 for bf16, 2^-10 for fp16, floored at 1e-6
// for values near zero). NaN anywhere (the poison) counts as a failure.
struct Diff {
  int64_t differing = 0;
  double max_steps = 0;
  bool nan = false;
};
Diff compare(const at::Tensor& got, const at::Tensor& want) {
  auto g = got.to(at::kCPU, at::kDouble).flatten(), w = want.to(at::kCPU, at::kDouble).flatten();
  const double eps = want.scalar_type() == at::kBFloat16 ? std::ldexp(1.0, -7) : std::ldexp(1.0, -10);
  Diff d;
  d.nan = at::isnan(g).any().item<bool>();
  auto diff = (g - w).abs();
  d.differing = (diff > 0).sum().item<int64_t>();
  auto step = (w.abs() * eps).clamp_min(1e-6);
  d.max_steps = d.differing ? (diff / step).max().item<double>() : 0.0;
  return d;
}

class FusedOps : public ::testing::TestWithParam<at::ScalarType> {
 protected:
  void SetUp() override {
    if (!moa::compat::cuda_available()) GTEST_SKIP() << "no GPU";
  }
  at::TensorOptions opt() const { return at::TensorOptions().dtype(GetParam()).device(at::kCUDA); }
  void* stream() const { return moa::compat::current_cuda_stream(at::Device(at::kCUDA, 0)); }
};

TEST_P(FusedOps, AddRmsNormMatchesTheAtenChain) {
  moa::compat::NoGrad ng;
  at::manual_seed(1);
  for (auto [rows, hidden] : {std::pair{1, 4096}, std::pair{7, 384}, std::pair{237, 100}, std::pair{3, 4097}}) {
    SCOPED_TRACE("rows " + std::to_string(rows) + " hidden " + std::to_string(hidden));
    auto x = (at::randn({rows, hidden}, at::kFloat) * 3).to(opt());
    auto res = at::randn({rows, hidden}, at::kFloat).to(opt());
    auto weight = (at::rand({hidden}, at::kFloat) + 0.5).to(opt());
    const float eps = 1e-5f;
    for (bool with_residual : {false, true}) {
      auto want_x = with_residual ? x + res : x.clone();
      auto h = want_x.to(at::kFloat);
      h = h * at::rsqrt(h.pow(2).mean(-1, true) + eps);  // LlamaModel::rms_norm
      auto want = weight * h.to(GetParam());
      // x with a guard row after it (must stay as it was); the output poisoned, guard row included.
      auto x_guarded = at::cat({x, x.narrow(0, 0, 1)}), got_full = at::full({rows + 1, hidden}, NAN, opt());
      auto got_x = x_guarded.narrow(0, 0, rows), got = got_full.narrow(0, 0, rows);
      moa::kernels::moa_add_rms_norm(got_x.data_ptr(), with_residual ? res.data_ptr() : nullptr, weight.data_ptr(),
                                     got.data_ptr(), rows, hidden, eps, dtype_of(GetParam()), stream());
      EXPECT_TRUE(at::equal(got_x, want_x)) << "the residual add is one rounding, as x + y";
      EXPECT_TRUE(at::equal(x_guarded.narrow(0, rows, 1), x.narrow(0, 0, 1))) << "wrote past x";
      EXPECT_TRUE(at::isnan(got_full.narrow(0, rows, 1)).all().item<bool>()) << "wrote past out";
      const Diff d = compare(got, want);
      EXPECT_FALSE(d.nan);
      EXPECT_LE(d.differing, std::max<int64_t>(2, rows * hidden / 200)) << "elements off the ATen result";
      EXPECT_LE(d.max_steps, 2.01) << "more than two rounding steps";
    }
  }
}

TEST_P(FusedOps, RopeMatchesApplyRope) {
  moa::compat::NoGrad ng;
  at::manual_seed(2);
  moa::ModelConfig cfg = moa::config_preset("llama3-8b");  // llama3 rope scaling: non-trivial inv_freq
  for (auto [rows, heads, dim] : {std::tuple{5, 32, 128}, std::tuple{1, 6, 64}, std::tuple{237, 8, 128}}) {
    SCOPED_TRACE("rows " + std::to_string(rows) + " heads " + std::to_string(heads) + " D " + std::to_string(dim));
    cfg.head_dim = dim;
    auto inv_freq = moa::rope_inv_freq(cfg).to(at::kCUDA);
    // Positions up to 130k: large angles, where float32 cos/sin must agree with ATen's.
    auto pos = at::randint(0, 131072, {rows}, at::TensorOptions().dtype(at::kLong)).to(at::kCUDA);
    auto x = (at::randn({rows, heads, dim}, at::kFloat) * 2).to(opt());
    // rope_cos_sin + apply_rope, as LlamaModel: freqs = pos * inv_freq, emb = cat(freqs, freqs).
    auto freqs = pos.to(at::kFloat).view({rows, 1, 1}) * inv_freq.view({1, 1, -1});
    auto emb = at::cat({freqs, freqs}, -1);
    auto want = moa::apply_rope(x.view({rows, heads, 1, dim}), emb.cos().to(GetParam()), emb.sin().to(GetParam()))
                    .view({rows, heads, dim});
    for (int extra : {0, 3}) {
      // extra = 0: packed rows. extra = 3: each row is a slice of a wider row with 3 more heads
      // after it (the v heads of a fused q|k|v row), which must stay untouched.
      SCOPED_TRACE("extra heads " + std::to_string(extra));
      auto wide = at::cat({x, (at::randn({rows, extra, dim}, at::kFloat)).to(opt())}, 1);
      auto guarded = at::cat({wide, wide.narrow(0, 0, 1)});  // one guard row after the rows
      auto untouched = guarded.clone();
      moa::kernels::moa_rope_rows(guarded.data_ptr(), rows, heads, dim, extra ? size_t((heads + extra) * dim) : 0,
                                  pos.data_ptr<int64_t>(), inv_freq.data_ptr<float>(), dtype_of(GetParam()), stream());
      EXPECT_TRUE(at::equal(guarded.narrow(0, rows, 1), untouched.narrow(0, rows, 1))) << "wrote past the rows";
      EXPECT_TRUE(at::equal(guarded.narrow(1, heads, extra), untouched.narrow(1, heads, extra))) << "wrote past heads";
      const Diff d = compare(guarded.narrow(0, 0, rows).narrow(1, 0, heads), want);
      EXPECT_FALSE(d.nan);
      // cos/sin in float32 on both sides (CUDA's cosf/sinf, ATen's): equal but for the last float
      // bit, which the rounding to 16 bits almost always hides.
      EXPECT_LE(d.differing, std::max<int64_t>(2, rows * heads * dim / 1000));
      EXPECT_LE(d.max_steps, 2.01);
    }
  }
}

TEST_P(FusedOps, SiluMulMatchesTheAtenChain) {
  moa::compat::NoGrad ng;
  at::manual_seed(3);
  for (auto [rows, inter] : {std::pair{1, 1}, std::pair{3, 1001}, std::pair{237, 14336}}) {
    SCOPED_TRACE("rows " + std::to_string(rows) + " inter " + std::to_string(inter));
    // The fused gate|up projection's output: gate in the first `inter` columns of a row, up after.
    auto gate_up = (at::randn({rows, 2 * inter}, at::kFloat) * 4).to(opt());
    auto want = at::silu(gate_up.narrow(1, 0, inter)) * gate_up.narrow(1, inter, inter);
    const int64_t n = int64_t(rows) * inter;
    auto got_full = at::full({n + 64}, NAN, opt());  // poisoned, with a 64-element guard tail
    auto got = got_full.narrow(0, 0, n).view({rows, inter});
    moa::kernels::moa_silu_mul(gate_up.data_ptr(), got.data_ptr(), rows, inter, dtype_of(GetParam()), stream());
    EXPECT_TRUE(at::isnan(got_full.narrow(0, n, 64)).all().item<bool>()) << "wrote past the output";
    const Diff d = compare(got, want);
    EXPECT_FALSE(d.nan);
    EXPECT_LE(d.differing, std::max<int64_t>(2, n / 1000));  // expf vs ATen's exp: last-bit only
    EXPECT_LE(d.max_steps, 2.01);
  }
}

TEST(FusedOpsArgs, BadShapesAreRefused) {
  EXPECT_THROW(moa::kernels::moa_rope_rows(reinterpret_cast<void*>(16), 1, 1, 7, 0, reinterpret_cast<const int64_t*>(16),
                                           reinterpret_cast<const float*>(16), DType::bf16, nullptr),
               std::invalid_argument);
  EXPECT_THROW(moa::kernels::moa_rope_rows(reinterpret_cast<void*>(16), 2, 4, 64, 128,  // stride < heads * D
                                           reinterpret_cast<const int64_t*>(16), reinterpret_cast<const float*>(16),
                                           DType::bf16, nullptr),
               std::invalid_argument);
  EXPECT_THROW(moa::kernels::moa_add_rms_norm(reinterpret_cast<void*>(16), nullptr, reinterpret_cast<void*>(32),
                                              reinterpret_cast<void*>(16), 1, 8, 1e-5f, DType::bf16, nullptr),
               std::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Types, FusedOps, ::testing::Values(at::kBFloat16, at::kHalf),
                         [](const auto& info) { return std::string(info.param == at::kBFloat16 ? "bf16" : "fp16"); });

#else

TEST(FusedOps, SkippedWithoutCuda) { GTEST_SKIP() << "no CUDA LibTorch/kernels in this build"; }

#endif

}  // namespace
