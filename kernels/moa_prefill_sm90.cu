// MoA prefill, Hopper path: the same CTA work as moa_prefill.cu (128 query rows, the sink and the
// band's key blocks, online softmax), but the two matrix products run on wgmma (sm_90a):
//   S = Q K^T : warpgroup wg (4 warps) owns query rows [64wg, 64wg+64); A = Q and B = K both read
//               by the tensor cores straight from shared memory (K-major, 128B swizzle);
//   O += P V  : A = P from registers (the S accumulator re-packed to 16 bits, as for mma.sync),
//               B = V from shared memory read N-major ("transposed"), so V needs no transpose.
// Tiles are stored as 64-element-wide panels (one 128-byte row per token per panel, XOR-swizzled
// in 16-byte chunks by row % 8): exactly the canonical 128B-swizzle layout wgmma expects.
// Loads stay cp.async + one CTA barrier per tile (double-buffered), plus the generic->async proxy
// fence the tensor cores need before reading what cp.async wrote.
#include "kernels/device.cuh"
#include "kernels/launch_util.h"
#include "kernels/moa_prefill_impl.cuh"
#include "kernels/wgmma.cuh"

namespace moa::kernels::prefill {

// MIN_CTAS = 2 caps registers at 128 so two CTAs (16 warps) share an SM; 1 leaves ~150 registers.
template <typename T, int D, int MIN_CTAS>
__global__ void __launch_bounds__(kThreads, MIN_CTAS) wgmma_kernel(const Params p) {
  extern __shared__ __align__(1024) unsigned char smem_raw[];  // panels start on 1024-byte atoms
  T* sQ = reinterpret_cast<T*>(smem_raw);
  T* sK = sQ + kBM * D;      // [2][D/64 panels][kBN][64]
  T* sV = sK + 2 * kBN * D;  // [2][D/64 panels][kBN][64]
  auto q_layout = [](int r, int c) { return panel_offset<kBM>(r, c); };
  auto kv_layout = [](int r, int c) { return panel_offset<kBN>(r, c); };

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int t = lane & 3, wg = warp >> 2;
  const CtaWork w(p);
  const T* Q = static_cast<const T*>(p.q) + static_cast<size_t>(w.bh) * p.n * D;
  const T* K = static_cast<const T*>(p.k) + (static_cast<size_t>(w.b) * p.hkv + w.hk) * p.n * D;
  const T* V = static_cast<const T*>(p.v) + (static_cast<size_t>(w.b) * p.hkv + w.hk) * p.n * D;

  load_tile<kBM, D>(sQ, Q, w.m0, p.n, tid, q_layout);
  load_tile<kBN, D>(sK, K, w.key_block(0) * kBN, p.n, tid, kv_layout);
  load_tile<kBN, D>(sV, V, w.key_block(0) * kBN, p.n, tid, kv_layout);
  cp_async_commit();

  float o[D / 8][4];
#pragma unroll
  for (int i = 0; i < D / 8; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.f;
  float row_max[2] = {-INFINITY, -INFINITY};
  float row_sum[2] = {0.f, 0.f};
  // Warp w of the CTA is warp (w % 4) of warpgroup w / 4: rows 64wg + 16(w%4) + g, as for mma.sync.
  const int row_a = w.m0 + warp * 16 + (lane >> 2);
  const uint32_t q_base = smem_u32(sQ) + wg * 64 * 128;  // this warpgroup's 64 rows in each panel

  for (int j = 0; j < w.n_iter; ++j) {
    cp_async_wait<0>();
    fence_proxy_async();  // make this thread's cp.async writes visible to the tensor cores
    __syncthreads();
    if (j + 1 < w.n_iter) {
      const int st = (j + 1) & 1, kb = w.key_block(j + 1);
      load_tile<kBN, D>(sK + st * kBN * D, K, kb * kBN, p.n, tid, kv_layout);
      load_tile<kBN, D>(sV + st * kBN * D, V, kb * kBN, p.n, tid, kv_layout);
    }
    cp_async_commit();
    const uint32_t k_base = smem_u32(sK + (j & 1) * kBN * D);
    const uint32_t v_base = smem_u32(sV + (j & 1) * kBN * D);
    const int kb = w.key_block(j);

    float s[kBN / 8][4];
#pragma unroll
    for (int i = 0; i < kBN / 8; ++i) s[i][0] = s[i][1] = s[i][2] = s[i][3] = 0.f;
    fence_regs<kBN / 8>(s);
    wgmma_fence();
#pragma unroll
    for (int ks = 0; ks < D / 16; ++ks) {
      // K-major, 128B swizzle: 16 elements = 32 bytes per k-step inside a panel; 8-row groups 1024 B apart.
      const uint64_t da = wgmma_desc(q_base + (ks >> 2) * kBM * 128 + (ks & 3) * 32, 16, 1024);
      const uint64_t db = wgmma_desc(k_base + (ks >> 2) * kBN * 128 + (ks & 3) * 32, 16, 1024);
      wgmma_ss<T, kBN>(s, da, db, ks > 0 ? 1 : 0);
    }
    wgmma_commit();
    wgmma_wait<0>();
    fence_regs<kBN / 8>(s);

    if (w.needs_mask(kb)) apply_mask<kBN / 8>(s, row_a, kb, w.kband, t);
    softmax_update<kBN / 8, D / 8>(s, o, row_max, row_sum, p.scale_log2);

    uint32_t pf[kBN / 16][4];
#pragma unroll
    for (int kk = 0; kk < kBN / 16; ++kk) {
      pf[kk][0] = pack2<T>(s[2 * kk][0], s[2 * kk][1]);
      pf[kk][1] = pack2<T>(s[2 * kk][2], s[2 * kk][3]);
      pf[kk][2] = pack2<T>(s[2 * kk + 1][0], s[2 * kk + 1][1]);
      pf[kk][3] = pack2<T>(s[2 * kk + 1][2], s[2 * kk + 1][3]);
    }
    fence_regs<D / 8>(o);
    wgmma_fence();
#pragma unroll
    for (int kk = 0; kk < kBN / 16; ++kk) {
      // N-major B, 128B swizzle: 16 keys = 2048 bytes per k-step; LBO = next 64-wide d panel,
      // SBO = next 8 keys.
      const uint64_t dv = wgmma_desc(v_base + kk * 16 * 128, kBN * 128, 1024);
      wgmma_rs_tb<T, D>(o, pf[kk], dv);
    }
    wgmma_commit();
    wgmma_wait<0>();
    fence_regs<D / 8>(o);
  }
  store_rows<T, D>(p, w.bh, row_a, t, o, row_max, row_sum);
}

template <typename T, int D, int MIN_CTAS>
void launch_variant(const Params& p, int batch, cudaStream_t stream) {
  constexpr size_t smem = (kBM + 4 * kBN) * D * sizeof(T);
  set_smem_limit_once<wgmma_kernel<T, D, MIN_CTAS>>(static_cast<int>(smem), "cudaFuncSetAttribute(prefill wgmma)");
  wgmma_kernel<T, D, MIN_CTAS><<<dim3(p.q_tiles, batch * p.hq), kThreads, smem, stream>>>(p);
  check_cuda(cudaGetLastError(), "prefill wgmma launch");
}

template <typename T, int D>
void launch_wgmma(const Params& p, int batch, bool two_ctas, cudaStream_t stream) {
  // D=64 fits two CTAs per SM without spills; for D=128 the choice is measured (bench/kernels/NOTES.md).
  if (D == 64 || two_ctas) launch_variant<T, D, 2>(p, batch, stream);
  else launch_variant<T, D, 1>(p, batch, stream);
}

template void launch_wgmma<__nv_bfloat16, 64>(const Params&, int, bool, cudaStream_t);
template void launch_wgmma<__nv_bfloat16, 128>(const Params&, int, bool, cudaStream_t);
template void launch_wgmma<__half, 64>(const Params&, int, bool, cudaStream_t);
template void launch_wgmma<__half, 128>(const Params&, int, bool, cudaStream_t);

}  // namespace moa::kernels::prefill
