#pragma once
// Internal to the prefill implementations (moa_prefill.cu: mma.sync, any sm_80+;
// moa_prefill_sm90.cu: wgmma; moa_prefill_sm90_ws.cu / moa_prefill_sm90_tma.cu: warp-specialised
// wgmma with a cp.async or a TMA producer, shared parts in moa_prefill_ws.cuh; sm_90a): parameters,
// CTA work enumeration over the DESIGN §4 block layout, masking, tile loads and the epilogue.
// Included by .cu files only.
#include <cuda_runtime.h>

#include <cmath>

#include "kernels/mma.cuh"

namespace moa::kernels::prefill {

using namespace detail;

constexpr int kBM = 128;  // query rows per CTA (two 64-token layout blocks)
constexpr int kBN = 64;   // keys per tile = one layout block
constexpr int kWarps = 8;
constexpr int kThreads = kWarps * 32;

struct Params {
  const void* q;
  const void* k;
  const void* v;
  void* out;
  float* lse;
  const int32_t* band;
  int kv_layout;
  int hq, hkv, n, nb, q_tiles;
  float scale_log2;  // scale * log2(e): softmax in base 2
  float scale;
};

// What one CTA (or one work item of the persistent wgmma_ws kernel) does: its query tile,
// (batch, head), band width and the key blocks it visits — the sink (block 0) first, then the
// union of its two query blocks' bands [lo, qb1].
struct CtaWork {
  int tile, bh, b, h, hk, kband, m0, qb1, lo, n_iter;
  // Query tile `tile_` of (batch, query head) pair bh_ = b * hq + h; band_raw = that head's entry of
  // the band array (clamped here, so an already clamped kband gives the same work).
  __device__ CtaWork(const Params& p, int tile_, int bh_, int band_raw) {
    tile = tile_;
    bh = bh_;
    b = bh / p.hq;
    h = bh % p.hq;
    hk = h / (p.hq / p.hkv);
    kband = min(max(band_raw, 1), p.nb);
    m0 = tile * kBM;
    qb1 = min(2 * tile + 1, p.nb - 1);
    lo = max(0, 2 * tile - kband + 1);
    n_iter = (lo > 0 ? 1 : 0) + (qb1 - lo + 1);
  }
  __device__ CtaWork(const Params& p, int tile_, int bh_) : CtaWork(p, tile_, bh_, p.band[layout_head(p, bh_)]) {}
  // The non-persistent kernels' grid (q_tiles, batch * hq): longest query tiles first.
  __device__ explicit CtaWork(const Params& p)
      : CtaWork(p, p.q_tiles - 1 - static_cast<int>(blockIdx.x), static_cast<int>(blockIdx.y)) {}
  // Index into p.band of pair bh's band: its KV head (per-KV-head plans) or its query head.
  __device__ static int layout_head(const Params& p, int bh) {
    const int h = bh % p.hq;
    return p.kv_layout ? h / (p.hq / p.hkv) : h;
  }
  __device__ int key_block(int j) const { return lo > 0 ? (j == 0 ? 0 : lo + j - 1) : j; }
  // A tile needs per-element masks iff some row of the CTA sees only part of it: it reaches past
  // the first row (causal edge) or lies below the band of the CTA's last query block.
  __device__ bool needs_mask(int kb) const { return (kb * kBN + kBN - 1 > m0) || (kb != 0 && kb < qb1 - kband + 1); }
};

// Layout rule for one (row, key) pair: token causality + DESIGN §4 block layout.
__device__ __forceinline__ bool keeps(int qi, int kj, int kb, int kband) {
  return kj <= qi && (kb == 0 || kb >= (qi >> 6) - kband + 1);
}

template <int NT>
__device__ __forceinline__ void apply_mask(float (&s)[NT][4], int row_a, int kb, int kband, int t) {
#pragma unroll
  for (int nt = 0; nt < NT; ++nt)
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const int qi = row_a + (e >= 2 ? 8 : 0);
      const int kj = kb * kBN + nt * 8 + 2 * t + (e & 1);
      if (!keeps(qi, kj, kb, kband)) s[nt][e] = -INFINITY;
    }
}

// Copies rows [row0, row0+ROWS) of a [N, D] matrix into a shared tile at offsets layout(r, chunk);
// rows >= n become zeros.
template <int ROWS, int D, typename T, typename Layout>
__device__ __forceinline__ void load_tile(T* s, const T* g, int row0, int n, int tid, Layout layout) {
  constexpr int kChunks = D / 8;
#pragma unroll
  for (int i = tid; i < ROWS * kChunks; i += kThreads) {
    const int r = i / kChunks, c = i % kChunks;
    const bool ok = row0 + r < n;
    const T* src = g + static_cast<size_t>(ok ? row0 + r : 0) * D + c * 8;
    cp_async_16(smem_u32(s + layout(r, c)), src, ok);
  }
}

// Normalise and store this thread's two rows (row_a, row_a + 8) of O; natural-log LSE.
template <typename T, int D>
__device__ __forceinline__ void store_rows(const Params& p, int bh, int row_a, int t, const float (&o)[D / 8][4],
                                           const float (&row_max)[2], const float (&row_sum)[2]) {
  T* O = static_cast<T*>(p.out) + static_cast<size_t>(bh) * p.n * D;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const float l = quad_sum(row_sum[r]);
    const float inv = 1.f / l;
    const int qi = row_a + 8 * r;
    if (qi < p.n) {
#pragma unroll
      for (int dt = 0; dt < D / 8; ++dt)
        *reinterpret_cast<uint32_t*>(O + static_cast<size_t>(qi) * D + dt * 8 + 2 * t) =
            pack2<T>(o[dt][2 * r] * inv, o[dt][2 * r + 1] * inv);
      if (p.lse != nullptr && t == 0) p.lse[static_cast<size_t>(bh) * p.n + qi] = row_max[r] * p.scale + logf(l);
    }
  }
}

// Launchers (T = __nv_bfloat16 or __half; D = 64 or 128).
template <typename T, int D>
void launch_mma_sync(const Params& p, int batch, cudaStream_t stream);
template <typename T, int D>
void launch_wgmma(const Params& p, int batch, bool two_ctas_per_sm, cudaStream_t stream);
template <typename T, int D>  // D = 128 only (moa_prefill_sm90_ws.cu)
void launch_wgmma_ws(const Params& p, int batch, cudaStream_t stream);
template <typename T, int D>  // D = 128 only (moa_prefill_sm90_tma.cu)
void launch_wgmma_tma(const Params& p, int batch, cudaStream_t stream);

}  // namespace moa::kernels::prefill
