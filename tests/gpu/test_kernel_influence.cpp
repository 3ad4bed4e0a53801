// influence_blocks (kernels/moa_influence.cuh) against the float64 reference on random odd
// shapes (ctest label gpu): both implementations (tensor cores, CUDA cores), bf16 and fp16,
// GQA groups 1/4/8, D = 64/128 (the fast ones) and others, poisoned outputs, determinism.
//
// Why a wrong fragment layout fails here: a row mix-up pairs scores with another row's lse and
// delta; an S/dP column mismatch pairs P with the wrong dP; a column permutation shared by S and
// dP moves entries across the causal mask of the diagonal tile (checked block by block below).
// Only a permutation of the key columns inside a full (off-diagonal) tile leaves the result
// unchanged, and there it is harmless: the output is the sum over the tile.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "gpu/kernel_test_util.h"
#include "kernels/moa_influence.cuh"

namespace moa::kernels::test {
namespace {

struct InfluenceCase {
  int hq, hkv, n, d;
  DType dtype;
};

std::string describe(const InfluenceCase& c) {
  return "Hq=" + std::to_string(c.hq) + " Hkv=" + std::to_string(c.hkv) + " N=" + std::to_string(c.n) +
         " D=" + std::to_string(c.d) + " " + dtype_name(c.dtype);
}

const char* impl_name(InfluenceImpl impl) {
  return impl == InfluenceImpl::tensor_cores ? "tensor_cores" : impl == InfluenceImpl::cuda_cores ? "cuda_cores" : "auto";
}

InfluenceShape shape_of(const InfluenceCase& c) {
  InfluenceShape s;
  s.heads_q = c.hq;
  s.heads_kv = c.hkv;
  s.tokens = c.n;
  s.head_dim = c.d;
  return s;
}

InfluenceDType influence_dtype(DType t) { return t == DType::bf16 ? InfluenceDType::BF16 : InfluenceDType::F16; }

// Inputs on host (rounded values) and device, and the float64 reference of the pooled output.
struct Inputs {
  std::vector<uint16_t> qb, kb, vb, gb;
  std::vector<float> lse, delta;
  std::vector<double> ref;
};

Inputs make_inputs(const InfluenceCase& c, unsigned seed) {
  std::mt19937 rng(seed);
  const size_t nq = static_cast<size_t>(c.hq) * c.n * c.d, nkv = static_cast<size_t>(c.hkv) * c.n * c.d;
  Inputs in;
  std::vector<double> q, k, v, g;
  // Logits of unit scale (entries with 1 - P below float32 resolution are ill-conditioned in any
  // fp32 kernel); dO of a different scale than V, so that dP - delta is not O(1) by accident.
  in.qb = random_tensor(nq, c.dtype, rng, 1.0f, q);
  in.kb = random_tensor(nkv, c.dtype, rng, 1.0f, k);
  in.vb = random_tensor(nkv, c.dtype, rng, 1.0f, v);
  in.gb = random_tensor(nq, c.dtype, rng, 0.05f, g);
  const double scale = 1.0 / std::sqrt(static_cast<double>(c.d));
  std::vector<double> lse, delta;
  ref::influence_row_stats(q, k, v, g, c.hq, c.hkv, c.n, c.d, scale, lse, delta);
  // The kernel reads float32 statistics; the reference uses exactly those values.
  in.lse.assign(lse.begin(), lse.end());
  in.delta.assign(delta.begin(), delta.end());
  std::vector<double> lse_f(in.lse.begin(), in.lse.end()), delta_f(in.delta.begin(), in.delta.end());
  ref::influence_blocks(q, k, v, g, lse_f, delta_f, c.hq, c.hkv, c.n, c.d, scale, in.ref);
  return in;
}

// Runs `impl` twice (bitwise equal), checks against the reference, returns the output.
std::vector<float> check_impl(const InfluenceCase& c, const Inputs& in, InfluenceImpl impl) {
  SCOPED_TRACE(describe(c) + " impl=" + impl_name(impl));
  const int nb = (c.n + 63) / 64;
  DeviceBuffer<uint16_t> dq(in.qb), dk(in.kb), dv(in.vb), dg(in.gb);
  DeviceBuffer<float> dlse(in.lse), ddelta(in.delta), dout(static_cast<size_t>(c.hq) * nb * nb);
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.d)));
  auto run = [&] {
    dout.poison();  // NaN everywhere: every block must be written, the zeros above the diagonal too
    influence_blocks(dq.ptr, dk.ptr, dv.ptr, dg.ptr, dlse.ptr, ddelta.ptr, dout.ptr, shape_of(c),
                     influence_dtype(c.dtype), scale, nullptr, impl);
    check_cuda(cudaDeviceSynchronize(), "influence sync");
    return dout.download();
  };
  const std::vector<float> got = run(), again = run();
  EXPECT_EQ(std::memcmp(got.data(), again.data(), got.size() * sizeof(float)), 0) << "not bitwise deterministic";

  double ref_max = 0;
  for (double r : in.ref) ref_max = std::max(ref_max, std::abs(r));
  // Diagonal blocks relative to themselves (a causal-mask or column-layout error moves a large
  // part of one), with a small floor for blocks of one or two entries.
  const double diag_floor = 1e-5 * ref_max;
  double err_sum = 0, ref_sum = 0, err_max = 0, diag_worst = 0;
  size_t nan = 0, nonzero_above = 0;
  for (int h = 0; h < c.hq; ++h)
    for (int qb = 0; qb < nb; ++qb)
      for (int kb = 0; kb < nb; ++kb) {
        const size_t i = (static_cast<size_t>(h) * nb + qb) * nb + kb;
        const double x = got[i], r = in.ref[i];
        if (std::isnan(x)) {
          ++nan;
          continue;
        }
        if (kb > qb) {
          nonzero_above += x != 0.0 ? 1 : 0;
          continue;
        }
        err_sum += std::abs(x - r);
        ref_sum += std::abs(r);
        err_max = std::max(err_max, std::abs(x - r));
        if (kb == qb) diag_worst = std::max(diag_worst, std::abs(x - r) / (std::abs(r) + diag_floor));
      }
  EXPECT_EQ(nan, 0u) << "NaN in the output (unwritten block, or NaN computed)";
  EXPECT_EQ(nonzero_above, 0u) << "blocks above the diagonal must be exactly 0";
  const double rel_total = err_sum / std::max(ref_sum, 1e-300), rel_max = err_max / std::max(ref_max, 1e-300);
  EXPECT_LE(rel_total, 1e-3) << "sum |out - ref| / sum |ref|";
  EXPECT_LE(rel_max, 1e-3) << "max |out - ref| / max |ref|";
  EXPECT_LE(diag_worst, 1e-2) << "worst diagonal block (causal mask) relative error";
  std::printf("[influence %-12s] %-34s total rel err %.2e  max rel err %.2e  diag worst %.2e\n", impl_name(impl),
              describe(c).c_str(), rel_total, rel_max, diag_worst);
  return got;
}

const std::vector<InfluenceCase>& cases() {
  static const std::vector<InfluenceCase> all = {
      // First three: MOA_KERNEL_TEST_QUICK (compute-sanitizer) runs only these.
      {8, 2, 65, 128, DType::bf16},   // GQA 4, one full + one 1-row query block
      {8, 1, 63, 64, DType::f16},     // GQA 8, one partial block
      {2, 1, 130, 192, DType::bf16},  // D > 128: Q and dO from shared memory
      {4, 4, 1, 64, DType::bf16},     // a single token (row 0 only)
      {4, 4, 1, 128, DType::f16},
      {8, 8, 200, 64, DType::bf16},   // MHA
      {8, 2, 200, 128, DType::f16},   // GQA 4
      {16, 2, 1000, 128, DType::bf16},  // GQA 8, long
      {8, 2, 1000, 64, DType::f16},     // GQA 4, long
      {8, 1, 256, 128, DType::f16},     // GQA 8, a multiple of 64
      {4, 2, 77, 32, DType::bf16},      // small D
      {4, 1, 150, 48, DType::f16},      // D / 8 not a power of two (generic tile loads)
      {4, 2, 99, 96, DType::bf16},      // D = 96
      {2, 2, 70, 256, DType::f16},      // the largest tensor-core D
  };
  return all;
}

size_t case_count() {
  return std::getenv("MOA_KERNEL_TEST_QUICK") ? std::min<size_t>(3, cases().size()) : cases().size();
}

// Every case through both implementations (the reference is computed once per case).
TEST(KernelInfluence, MatchesReference) {
  MOA_SKIP_WITHOUT_GPU();
  unsigned seed = 4242;
  for (size_t i = 0; i < case_count(); ++i, ++seed) {
    const auto& c = cases()[i];
    const Inputs in = make_inputs(c, seed);
    if (influence_tensor_cores_supported(shape_of(c), influence_dtype(c.dtype))) {
      const auto tc = check_impl(c, in, InfluenceImpl::tensor_cores);
      const auto automatic = check_impl(c, in, InfluenceImpl::automatic);
      EXPECT_EQ(std::memcmp(tc.data(), automatic.data(), tc.size() * sizeof(float)), 0)
          << describe(c) << ": automatic must pick tensor cores";
    } else {
      std::printf("[influence] %s: tensor cores not supported on this GPU (shared memory)\n", describe(c).c_str());
      EXPECT_GT(c.d, 128) << "D <= 128 must always run on tensor cores";
    }
    check_impl(c, in, InfluenceImpl::cuda_cores);
  }
}

// Same inputs through both implementations: equal up to fp32 rounding (not bitwise).
TEST(KernelInfluence, ImplementationsAgree) {
  MOA_SKIP_WITHOUT_GPU();
  const InfluenceCase c{8, 2, 321, 128, DType::bf16};
  const Inputs in = make_inputs(c, 7);
  const int nb = (c.n + 63) / 64;
  DeviceBuffer<uint16_t> dq(in.qb), dk(in.kb), dv(in.vb), dg(in.gb);
  DeviceBuffer<float> dlse(in.lse), ddelta(in.delta), a(static_cast<size_t>(c.hq) * nb * nb), b(a.count);
  const float scale = static_cast<float>(1.0 / std::sqrt(128.0));
  influence_blocks(dq.ptr, dk.ptr, dv.ptr, dg.ptr, dlse.ptr, ddelta.ptr, a.ptr, shape_of(c), InfluenceDType::BF16, scale,
                   nullptr, InfluenceImpl::tensor_cores);
  influence_blocks(dq.ptr, dk.ptr, dv.ptr, dg.ptr, dlse.ptr, ddelta.ptr, b.ptr, shape_of(c), InfluenceDType::BF16, scale,
                   nullptr, InfluenceImpl::cuda_cores);
  const auto x = a.download(), y = b.download();
  double diff_sum = 0, sum = 0, diff_max = 0, max = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    diff_sum += std::abs(double(x[i]) - y[i]);
    sum += std::abs(double(y[i]));
    diff_max = std::max(diff_max, std::abs(double(x[i]) - y[i]));
    max = std::max(max, std::abs(double(y[i])));
  }
  EXPECT_LE(diff_sum / sum, 1e-3) << "tensor cores vs CUDA cores: sum |a - b| / sum |b|";
  EXPECT_LE(diff_max / max, 1e-3) << "tensor cores vs CUDA cores: max |a - b| / max |b|";
}

// D not a multiple of 16 and F32 inputs fall back to CUDA cores; forcing tensor cores there throws.
TEST(KernelInfluence, FallbackWhereTensorCoresDoNotApply) {
  MOA_SKIP_WITHOUT_GPU();
  const InfluenceCase c{4, 2, 131, 40, DType::bf16};
  EXPECT_FALSE(influence_tensor_cores_supported(shape_of(c), InfluenceDType::BF16));
  EXPECT_FALSE(influence_tensor_cores_supported(shape_of({4, 2, 131, 64, DType::bf16}), InfluenceDType::F32));
  EXPECT_TRUE(influence_tensor_cores_supported(shape_of({4, 2, 131, 64, DType::bf16}), InfluenceDType::F16));
  EXPECT_TRUE(influence_tensor_cores_supported(shape_of({4, 2, 131, 128, DType::bf16}), InfluenceDType::BF16));
  const Inputs in = make_inputs(c, 11);
  check_impl(c, in, InfluenceImpl::automatic);
  DeviceBuffer<uint16_t> dq(in.qb);
  DeviceBuffer<float> dout(16);
  EXPECT_THROW(influence_blocks(dq.ptr, dq.ptr, dq.ptr, dq.ptr, dout.ptr, dout.ptr, dout.ptr, shape_of(c),
                                InfluenceDType::BF16, 1.f, nullptr, InfluenceImpl::tensor_cores),
               std::invalid_argument);
}

}  // namespace
}  // namespace moa::kernels::test
