// moa_cache_fill / moa_cache_append (bit-exact against the reference ring convention) and
// moa_decode (float64 reference) on random odd shapes (ctest label gpu).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "gpu/kernel_test_util.h"
#include "kernels/moa_cache.cuh"
#include "kernels/moa_decode.cuh"

namespace moa::kernels::test {
namespace {

struct Geometry {
  ref::CacheGeometry host;
  std::vector<int32_t> offset, span;
  int max_span = 0;
  explicit Geometry(const std::vector<int>& spans) : host(ref::cache_geometry(spans)) {
    offset.assign(host.offset.begin(), host.offset.end());
    span.assign(host.span.begin(), host.span.end());
    max_span = *std::max_element(spans.begin(), spans.end());
  }
};

struct CacheCase {
  int batch, hkv, n, d, appends;
  std::vector<int> spans;
};

TEST(KernelCache, FillAndAppendFollowTheRingConvention) {
  MOA_SKIP_WITHOUT_GPU();
  const std::vector<CacheCase> cases = {
      {2, 3, 300, 64, 5, {40, 128, 1000}},   // a head shorter than the sink; N between spans
      {3, 2, 10, 128, 70, {65, 200}},        // N < 64, appends cross the sink and wrap a 1-slot ring
      {1, 4, 2000, 128, 3, {64, 130, 777, 4096}},
  };
  std::mt19937 rng(7);
  for (const auto& c : cases) {
    SCOPED_TRACE("N=" + std::to_string(c.n) + " D=" + std::to_string(c.d));
    Geometry g(c.spans);
    const size_t cache_elems = static_cast<size_t>(c.batch) * g.host.total_slots * c.d;
    std::vector<double> dummy;
    auto ksrc = random_tensor(static_cast<size_t>(c.batch) * c.hkv * c.n * c.d, DType::bf16, rng, 1.f, dummy);
    auto vsrc = random_tensor(ksrc.size(), DType::bf16, rng, 1.f, dummy);
    std::vector<uint16_t> kref(cache_elems, 0xFFFF), vref(cache_elems, 0xFFFF);
    ref::cache_fill(ksrc, c.batch, c.hkv, c.n, c.d, g.host, kref);
    ref::cache_fill(vsrc, c.batch, c.hkv, c.n, c.d, g.host, vref);
    std::vector<int> seen_ref(static_cast<size_t>(c.batch) * c.hkv, c.n);

    DeviceBuffer<uint16_t> dk(cache_elems), dv(cache_elems), dks(ksrc), dvs(vsrc);
    DeviceBuffer<int32_t> doff(g.offset), dspan(g.span), dseen(static_cast<size_t>(c.batch) * c.hkv);
    dk.poison();
    dv.poison();
    dseen.poison();
    CacheGeometryArgs ga;
    ga.head_offset = doff.ptr;
    ga.head_span = dspan.ptr;
    ga.batch = c.batch;
    ga.num_kv_heads = c.hkv;
    ga.total_slots = g.host.total_slots;
    ga.head_dim = c.d;
    ga.max_span = g.max_span;
    moa_cache_fill(ga, dks.ptr, dvs.ptr, c.n, dk.ptr, dv.ptr, dseen.ptr, nullptr);
    for (int step = 0; step < c.appends; ++step) {
      auto kn = random_tensor(static_cast<size_t>(c.batch) * c.hkv * c.d, DType::bf16, rng, 1.f, dummy);
      auto vn = random_tensor(kn.size(), DType::bf16, rng, 1.f, dummy);
      std::vector<int> seen_copy = seen_ref;
      ref::cache_append(kn, c.batch, c.hkv, c.d, g.host, kref, seen_ref);
      ref::cache_append(vn, c.batch, c.hkv, c.d, g.host, vref, seen_copy);
      // Odd steps take K/V from wider rows (slices of a fused q|k|v row, as the engine passes
      // them): 8 poison elements after each sequence's Hkv * D, which must not reach the cache.
      const size_t packed = static_cast<size_t>(c.hkv) * c.d, stride = step % 2 ? packed + 8 : packed;
      auto widen = [&](const std::vector<uint16_t>& t) {
        std::vector<uint16_t> w(static_cast<size_t>(c.batch) * stride, 0xFFFF);
        for (int b = 0; b < c.batch; ++b) std::copy_n(&t[b * packed], packed, &w[b * stride]);
        return w;
      };
      DeviceBuffer<uint16_t> dkn(widen(kn)), dvn(widen(vn));
      moa_cache_append(ga, dkn.ptr, dvn.ptr, step % 2 ? stride : 0, dk.ptr, dv.ptr, dseen.ptr, nullptr);
      check_cuda(cudaDeviceSynchronize(), "append sync");
    }
    EXPECT_EQ(dk.download(), kref);
    EXPECT_EQ(dv.download(), vref);
    const auto seen = dseen.download();
    EXPECT_EQ(std::vector<int>(seen.begin(), seen.end()), seen_ref);
  }
}

struct DecodeCase {
  int batch, hq, hkv, d;
  DType dtype;
  std::vector<int> spans;
  int chunk_slots;    // 0 = automatic
  int q_row_pad = 0;  // > 0: q rows q_row_pad poison (NaN) elements apart, as slices of a fused q|k|v row
};

void run_decode(const DecodeCase& c, unsigned seed) {
  const std::string name = "B=" + std::to_string(c.batch) + " Hq=" + std::to_string(c.hq) + " Hkv=" +
                           std::to_string(c.hkv) + " D=" + std::to_string(c.d) + " " + dtype_name(c.dtype) +
                           " chunk=" + std::to_string(c.chunk_slots) +
                           (c.q_row_pad ? " q pad " + std::to_string(c.q_row_pad) : "");
  SCOPED_TRACE(name);
  std::mt19937 rng(seed);
  Geometry g(c.spans);
  const size_t cache_elems = static_cast<size_t>(c.batch) * g.host.total_slots * c.d;
  std::vector<double> q, kc, vc;
  auto qb = random_tensor(static_cast<size_t>(c.batch) * c.hq * c.d, c.dtype, rng, 1.5f, q);
  auto kb = random_tensor(cache_elems, c.dtype, rng, 1.f, kc);
  auto vb = random_tensor(cache_elems, c.dtype, rng, 1.f, vc);
  // Tokens seen per (b, head): empty, shorter than the sink, inside the span, far past it.
  std::vector<int32_t> seen(static_cast<size_t>(c.batch) * c.hkv);
  for (size_t i = 0; i < seen.size(); ++i) {
    const int s = c.spans[i % c.hkv];
    const int kind = static_cast<int>(rng() % 4);
    seen[i] = kind == 0 ? static_cast<int>(rng() % 64) : kind == 1 ? 1 + static_cast<int>(rng() % s)
                                                         : s + static_cast<int>(rng() % (3 * s));
  }
  seen[0] = std::max(seen[0], 1);
  if (seen.size() > 2) seen[1] = 0;  // an empty sequence: zeros and lse = -inf by contract

  const size_t q_row = static_cast<size_t>(c.hq) * c.d, q_stride = q_row + c.q_row_pad;
  std::vector<uint16_t> q_wide(static_cast<size_t>(c.batch) * q_stride, c.dtype == DType::bf16 ? 0x7FC0 : 0x7E00);
  for (int b = 0; b < c.batch; ++b) std::copy_n(&qb[b * q_row], q_row, &q_wide[b * q_stride]);
  DeviceBuffer<uint16_t> dq(q_wide), dk(kb), dv(vb), dout(qb.size());
  DeviceBuffer<float> dlse(static_cast<size_t>(c.batch) * c.hq);
  DeviceBuffer<int32_t> doff(g.offset), dspan(g.span), dseen(seen);
  DecodeArgs a;
  a.q = dq.ptr;
  a.q_row_stride = c.q_row_pad ? q_stride : 0;
  a.k_cache = dk.ptr;
  a.v_cache = dv.ptr;
  a.out = dout.ptr;
  a.lse = dlse.ptr;
  a.head_offset = doff.ptr;
  a.head_span = dspan.ptr;
  a.seen = dseen.ptr;
  a.batch = c.batch;
  a.num_q_heads = c.hq;
  a.num_kv_heads = c.hkv;
  a.head_dim = c.d;
  a.total_slots = g.host.total_slots;
  a.max_span = g.max_span;
  a.dtype = c.dtype;
  a.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.d)));
  a.chunk_slots = c.chunk_slots;
  const size_t ws_bytes = moa_decode_workspace_bytes(a);
  DeviceBuffer<float> ws(ws_bytes / sizeof(float) + 1);
  ws.poison();
  a.workspace = ws.ptr;
  a.workspace_bytes = ws_bytes;
  dout.poison();
  dlse.poison();
  moa_decode(a, nullptr);
  check_cuda(cudaDeviceSynchronize(), "decode sync");

  std::vector<double> ref_out, ref_lse;
  ref::decode(q, kc, vc, c.batch, c.hq, c.hkv, c.d, g.host, std::vector<int>(seen.begin(), seen.end()), a.scale,
              ref_out, ref_lse);
  // The reference of an empty sequence is 0/0: the contract says zeros and -inf.
  const int group = c.hq / c.hkv;
  for (int b = 0; b < c.batch; ++b)
    for (int h = 0; h < c.hq; ++h)
      if (ref::cache_valid(seen[static_cast<size_t>(b) * c.hkv + h / group], c.spans[h / group]) == 0) {
        std::fill_n(&ref_out[(static_cast<size_t>(b) * c.hq + h) * c.d], c.d, 0.0);
        ref_lse[static_cast<size_t>(b) * c.hq + h] = -INFINITY;
      }
  const auto out = to_double(dout.download(), c.dtype);
  const auto lse_f = dlse.download();
  EXPECT_EQ(count_nan(out), 0u);
  const double err = rel_error(out, ref_out);
  EXPECT_LE(err, 1e-2) << "relative error " << err;
  double lse_err = 0;
  for (size_t i = 0; i < lse_f.size(); ++i) {
    ASSERT_FALSE(std::isnan(lse_f[i])) << "lse " << i;
    if (std::isinf(ref_lse[i])) {
      EXPECT_TRUE(std::isinf(lse_f[i]) && lse_f[i] < 0) << "lse " << i;
      continue;
    }
    lse_err = std::max(lse_err, std::abs(lse_f[i] - ref_lse[i]));
  }
  EXPECT_LE(lse_err, 2e-3);
  std::printf("[decode] %-52s ws %zu B  rel err %.2e  lse max err %.2e\n", name.c_str(), ws_bytes, err, lse_err);
}

TEST(KernelDecode, MatchesReferenceOnHeterogeneousCaches) {
  MOA_SKIP_WITHOUT_GPU();
  const std::vector<DecodeCase> cases = {
      {3, 4, 4, 64, DType::bf16, {40, 128, 333, 1000}, 0},        // MHA, a head shorter than the sink
      {2, 8, 2, 128, DType::bf16, {700, 3000}, 0},                // GQA 4
      {2, 8, 2, 64, DType::f16, {100, 2100}, 256, 8},             // q rows 8 apart (fused q|k|v), split
      {2, 8, 2, 128, DType::bf16, {700, 3000}, 128},              // GQA 4, forced many splits
      {4, 8, 1, 128, DType::f16, {5000}, 256},                    // GQA 8, fp16
      {3, 16, 2, 64, DType::f16, {100, 2100}, 0},                 // GQA 8, D=64
      {2, 32, 8, 128, DType::bf16, {65, 128, 256, 511, 1024, 2047, 4000, 9000}, 0},  // Llama-3 shape
      {1, 16, 1, 128, DType::bf16, {1500}, 384},                  // group of 16 (rows g+8 used)
      {3, 32, 8, 128, DType::bf16, {65, 300, 700, 1024, 2047, 64, 129, 4000}, 0, 16 * 128},  // q in q|k|v rows
  };
  // MOA_KERNEL_TEST_QUICK: the first 3 cases only (compute-sanitizer runs are ~100x slower; a
  // strided q among them).
  const size_t count = std::getenv("MOA_KERNEL_TEST_QUICK") ? std::min<size_t>(3, cases.size()) : cases.size();
  unsigned seed = 99;
  for (size_t i = 0; i < count; ++i) run_decode(cases[i], seed++);
}

}  // namespace
}  // namespace moa::kernels::test
