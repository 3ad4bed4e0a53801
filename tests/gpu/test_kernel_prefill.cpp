// moa_prefill against the float64 reference on random odd shapes (ctest label gpu).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "gpu/kernel_test_util.h"
#include "kernels/moa_prefill.cuh"

namespace moa::kernels::test {
namespace {

struct PrefillCase {
  int batch, hq, hkv, n, d;
  DType dtype;
  bool kv_layout;
  std::vector<int> bands;  // one per layout head; empty = random in [0, nb+2]
};

std::string describe(const PrefillCase& c) {
  return "B=" + std::to_string(c.batch) + " Hq=" + std::to_string(c.hq) + " Hkv=" + std::to_string(c.hkv) +
         " N=" + std::to_string(c.n) + " D=" + std::to_string(c.d) + " " + dtype_name(c.dtype) +
         (c.kv_layout ? " per-kv" : " per-q");
}

const char* const kImplName[] = {"auto", "mma_sync", "wgmma", "wgmma_2cta", "wgmma_ws", "wgmma_tma"};

// moa_prefill on 16-bit q, k, v (poisoned outputs); out and lse come back as doubles.
void run_prefill(const PrefillCase& c, const std::vector<int>& bands, PrefillImpl impl, double scale,
                 const std::vector<uint16_t>& qb, const std::vector<uint16_t>& kb, const std::vector<uint16_t>& vb,
                 std::vector<double>& out, std::vector<double>& lse) {
  DeviceBuffer<uint16_t> dq(qb), dk(kb), dv(vb), dout(qb.size());
  DeviceBuffer<float> dlse(static_cast<size_t>(c.batch) * c.hq * c.n);
  std::vector<int32_t> bands32(bands.begin(), bands.end());
  DeviceBuffer<int32_t> dband(bands32);
  dout.poison();
  dlse.poison();

  PrefillArgs a;
  a.q = dq.ptr;
  a.k = dk.ptr;
  a.v = dv.ptr;
  a.out = dout.ptr;
  a.lse = dlse.ptr;
  a.band_blocks = dband.ptr;
  a.layout_heads_are_kv = c.kv_layout;
  a.batch = c.batch;
  a.num_q_heads = c.hq;
  a.num_kv_heads = c.hkv;
  a.seq_len = c.n;
  a.head_dim = c.d;
  a.dtype = c.dtype;
  a.scale = static_cast<float>(scale);
  a.impl = impl;
  moa_prefill(a, nullptr);
  sync_or_die("prefill sync");
  out = to_double(dout.download(), c.dtype);
  const auto lse_f = dlse.download();
  lse.assign(lse_f.begin(), lse_f.end());
}

void run_case(const PrefillCase& c, unsigned seed, PrefillImpl impl) {
  SCOPED_TRACE(describe(c) + " impl=" + kImplName[static_cast<int>(impl)]);
  std::mt19937 rng(seed);
  const int nb = (c.n + 63) / 64;
  std::vector<int> bands = c.bands;
  const int layout_heads = c.kv_layout ? c.hkv : c.hq;
  if (bands.empty()) {
    std::uniform_int_distribution<int> pick(0, nb + 2);  // includes 0 (clamped to 1) and > nb (dense)
    for (int i = 0; i < layout_heads; ++i) bands.push_back(pick(rng));
  }
  ASSERT_EQ(static_cast<int>(bands.size()), layout_heads);
  const size_t nq = static_cast<size_t>(c.batch) * c.hq * c.n * c.d;
  const size_t nkv = static_cast<size_t>(c.batch) * c.hkv * c.n * c.d;
  std::vector<double> q, k, v;
  auto qb = random_tensor(nq, c.dtype, rng, 1.5f, q);  // amplitude > 1: some peaky rows
  auto kb = random_tensor(nkv, c.dtype, rng, 1.0f, k);
  auto vb = random_tensor(nkv, c.dtype, rng, 1.0f, v);
  const double scale = 1.0 / std::sqrt(static_cast<double>(c.d));
  std::vector<double> out, lse;
  run_prefill(c, bands, impl, scale, qb, kb, vb, out, lse);

  std::vector<double> ref_out, ref_lse;
  ref::prefill(q, k, v, c.batch, c.hq, c.hkv, c.n, c.d, bands, c.kv_layout, scale, ref_out, ref_lse);
  EXPECT_EQ(count_nan(out), 0u) << "output not fully written (or NaN)";
  EXPECT_EQ(count_nan(lse), 0u) << "lse not fully written (or NaN)";
  const double err = rel_error(out, ref_out);
  EXPECT_LE(err, 1e-2) << "relative error " << err;
  double lse_err = 0;
  for (size_t i = 0; i < lse.size(); ++i) lse_err = std::max(lse_err, std::abs(lse[i] - ref_lse[i]));
  EXPECT_LE(lse_err, 2e-3) << "max |lse - ref|";
  std::printf("[prefill %-10s] %-52s rel err %.2e  lse max err %.2e\n", kImplName[static_cast<int>(impl)], describe(c).c_str(), err,
              lse_err);
}

void check_impl(PrefillImpl impl) {
  const std::vector<PrefillCase> cases = {
      {2, 4, 4, 200, 64, DType::bf16, true, {1, 2, 3, 100}},      // MHA, band 1 and >= nb
      {1, 8, 2, 333, 128, DType::bf16, false, {}},                // GQA 4, per-query-head plan
      {2, 8, 1, 130, 128, DType::f16, true, {2}},                 // GQA 8, fp16
      {3, 4, 1, 37, 64, DType::f16, true, {1}},                   // shorter than the sink
      {1, 4, 1, 1, 128, DType::bf16, true, {1}},                  // a single token
      {2, 8, 2, 320, 128, DType::bf16, true, {0, 3}},             // exact multiple of 64, band 0 -> 1
      {1, 16, 2, 1000, 128, DType::bf16, true, {}},               // GQA 8, random bands
      {2, 8, 8, 517, 64, DType::bf16, false, {}},                 // D=64, random per-head bands
      {1, 8, 2, 700, 64, DType::f16, true, {1, 11}},              // D=64 fp16 GQA 4
      {1, 4, 2, 2100, 128, DType::bf16, true, {100, 5}},          // 33 key blocks: the K/V ring wraps ~8 times
      // wgmma_ws / wgmma_tma pair layout blocks into 128-key tiles (odd block counts leave a masked
      // hole, which wgmma_tma zero-fills with a box wholly past the sequence end):
      {2, 4, 1, 37, 128, DType::f16, true, {1}},                  // shorter than the sink, D=128: one half-empty tile
      {1, 8, 4, 770, 128, DType::bf16, true, {1, 2, 3, 14}},      // 13 blocks (odd, partial last): bands 1-3, dense
      {1, 6, 3, 450, 128, DType::f16, false, {1, 1, 2, 3, 4, 8}},  // 450 = 3.5 tiles of 128, per-query-head bands
      {2, 4, 2, 190, 128, DType::bf16, true, {1, 2}},             // 3 blocks: CTA 1 has one query block only
      // The cases above have fewer work items (query tiles x batch x heads) than an H100 has SMs:
      // one item per persistent wgmma_ws CTA. These have more: several items per CTA, with the K/V
      // ring, Q buffer and turn barriers carried across items of different lengths (1..8 tiles).
      {2, 32, 8, 1000, 128, DType::bf16, true, {17, 1, 3, 16, 8, 2, 5, 100}},  // 512 items, dense and narrow heads
      {3, 16, 4, 450, 128, DType::f16, false, {}},                // 192 items, per-query-head random bands
  };
  // MOA_KERNEL_TEST_QUICK: the first 3 cases only (compute-sanitizer runs are ~100x slower).
  const size_t count = std::getenv("MOA_KERNEL_TEST_QUICK") ? std::min<size_t>(3, cases.size()) : cases.size();
  unsigned seed = 1234;
  for (size_t i = 0; i < count; ++i, ++seed)
    run_case(cases[i], seed, impl);
}

// One test per implementation, so a failure names the implementation (`automatic` is wgmma_tma for
// D = 128 and wgmma_2cta for D = 64 on Hopper; wgmma_ws and wgmma_tma asked for D = 64 run wgmma_2cta).
TEST(KernelPrefill, MmaSyncMatchesReference) {
  MOA_SKIP_WITHOUT_GPU();
  check_impl(PrefillImpl::mma_sync);
}
TEST(KernelPrefill, WgmmaMatchesReference) {
  MOA_SKIP_WITHOUT_GPU();
  check_impl(PrefillImpl::wgmma);
}
TEST(KernelPrefill, Wgmma2CtaMatchesReference) {
  MOA_SKIP_WITHOUT_GPU();
  check_impl(PrefillImpl::wgmma_2cta);
}
TEST(KernelPrefill, WgmmaWsMatchesReference) {
  MOA_SKIP_WITHOUT_GPU();
  check_impl(PrefillImpl::wgmma_ws);
}
TEST(KernelPrefill, AutomaticMatchesReference) {
  MOA_SKIP_WITHOUT_GPU();
  check_impl(PrefillImpl::automatic);
}
// The TMA producer (last: a protocol failure sets its file's mbarrier time-out flag for the rest
// of the process, and `automatic`, above, runs this kernel too). Its swizzle: a wrong one
// fails every D = 128 case; its armed byte counts: too many make every wait give up after
// kMbarTimeoutNs (10 s) and the case fail, too few complete tiles early (wrong results); tails and
// holes (boxes partly or wholly past row N, zero-filled): the odd lengths and odd block counts;
// the item hand-over: the multi-item cases.
TEST(KernelPrefill, WgmmaTmaMatchesReference) {
  MOA_SKIP_WITHOUT_GPU();
  check_impl(PrefillImpl::wgmma_tma);
}

// A NaN in one sequence's K or V stays in the rows that read it: every other (sequence, head)
// and every other 128-row query tile of the poisoned heads is finite and right, and rows whose
// reference is NaN are NaN (not hidden). The persistent kernels run several items per CTA (512
// items here) and wgmma_tma's consumers carry an item's O into the next item's first round, which
// may be another sequence's or the same head's next tile: the NaN must not ride along. Within the
// query tile of the NaN key, rows that share a loaded key tile with it may be NaN too (0 * NaN on
// the tensor cores, as in any flash kernel); with bands 1 and 2 no other tile loads its key block.
TEST(KernelPrefill, NonFiniteInputsStayInTheirHeads) {
  MOA_SKIP_WITHOUT_GPU();
  const PrefillCase c{2, 32, 8, 1000, 128, DType::bf16, true, {17, 1, 3, 16, 8, 2, 5, 100}};
  std::mt19937 rng(4321);
  std::vector<double> q, k, v;
  auto qb = random_tensor(static_cast<size_t>(c.batch) * c.hq * c.n * c.d, c.dtype, rng, 1.5f, q);
  auto kb = random_tensor(static_cast<size_t>(c.batch) * c.hkv * c.n * c.d, c.dtype, rng, 1.0f, k);
  auto vb = random_tensor(static_cast<size_t>(c.batch) * c.hkv * c.n * c.d, c.dtype, rng, 1.0f, v);
  const uint16_t nan_bits = 0x7FC0;  // bf16 quiet NaN
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto poison_row = [&](std::vector<uint16_t>& bits, std::vector<double>& vals, int b, int kvh, int key) {
    const size_t at = ((static_cast<size_t>(b) * c.hkv + kvh) * c.n + key) * c.d;
    for (int x = 0; x < c.d; ++x) bits[at + x] = nan_bits, vals[at + x] = nan;
  };
  // V of key 500 in (sequence 0, KV head 1; band 1: query rows 500-511 read it) and K of key 700
  // in (sequence 1, KV head 5; band 2: rows 700-767).
  poison_row(vb, v, 0, 1, 500);
  poison_row(kb, k, 1, 5, 700);
  // The 128-row query tile holding the NaN key in the poisoned (sequence, head)s, else -1.
  auto poisoned_tile = [&](int b, int h) {
    const int kvh = h / (c.hq / c.hkv);
    return b == 0 && kvh == 1 ? 500 / 128 : b == 1 && kvh == 5 ? 700 / 128 : -1;
  };

  const double scale = 1.0 / std::sqrt(static_cast<double>(c.d));
  std::vector<double> ref_out, ref_lse;
  ref::prefill(q, k, v, c.batch, c.hq, c.hkv, c.n, c.d, c.bands, c.kv_layout, scale, ref_out, ref_lse);
  for (PrefillImpl impl : {PrefillImpl::mma_sync, PrefillImpl::wgmma, PrefillImpl::wgmma_2cta, PrefillImpl::wgmma_ws,
                           PrefillImpl::wgmma_tma, PrefillImpl::automatic}) {
    SCOPED_TRACE(describe(c) + " impl=" + kImplName[static_cast<int>(impl)]);
    std::vector<double> out, lse;
    run_prefill(c, c.bands, impl, scale, qb, kb, vb, out, lse);

    size_t ref_nan_rows = 0, hidden_nan = 0, clean_not_finite = 0;
    double num = 0, den = 0, lse_err = 0;
    for (int b = 0; b < c.batch; ++b)
      for (int h = 0; h < c.hq; ++h)
        for (int i = 0; i < c.n; ++i) {
          const size_t row = (static_cast<size_t>(b) * c.hq + h) * c.n + i;
          const bool ref_nan = std::isnan(ref_lse[row]) || std::isnan(ref_out[row * c.d]);
          ref_nan_rows += ref_nan ? 1 : 0;
          if (i / 128 == poisoned_tile(b, h)) {
            for (int x = 0; x < c.d && ref_nan; ++x)
              hidden_nan += std::isnan(ref_out[row * c.d + x]) && !std::isnan(out[row * c.d + x]) ? 1 : 0;
            continue;
          }
          clean_not_finite += std::isfinite(lse[row]) ? 0 : 1;
          lse_err = std::max(lse_err, std::abs(lse[row] - ref_lse[row]));
          for (int x = 0; x < c.d; ++x) {
            const double o = out[row * c.d + x], r = ref_out[row * c.d + x];
            clean_not_finite += std::isfinite(o) ? 0 : 1;
            num += (o - r) * (o - r);
            den += r * r;
          }
        }
    // 4 query heads x 12 rows (V) + 4 x 68 rows (K) have a NaN reference.
    EXPECT_EQ(ref_nan_rows, 4u * 12 + 4u * 68) << "the reference does not see the poison as planned";
    EXPECT_EQ(hidden_nan, 0u) << "NaN reference values that came out finite";
    EXPECT_EQ(clean_not_finite, 0u) << "non-finite values in rows that never read the NaN";
    const double err = std::sqrt(num / std::max(den, 1e-300));
    EXPECT_LE(err, 1e-2) << "relative error of the clean rows";
    EXPECT_LE(lse_err, 2e-3) << "max |lse - ref| of the clean rows";
    std::printf("[prefill %-10s] NaN isolation: clean rows rel err %.2e, lse max err %.2e\n",
                kImplName[static_cast<int>(impl)], err, lse_err);
  }
}

TEST(KernelPrefill, RejectsBadShapes) {
  MOA_SKIP_WITHOUT_GPU();
  PrefillArgs a;
  a.head_dim = 96;
  EXPECT_THROW(moa_prefill(a, nullptr), std::invalid_argument);
  a.head_dim = 128;
  a.num_q_heads = 6;
  a.num_kv_heads = 4;
  EXPECT_THROW(moa_prefill(a, nullptr), std::invalid_argument);
}

}  // namespace
}  // namespace moa::kernels::test
