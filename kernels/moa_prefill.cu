// MoA prefill kernel: FlashAttention-2 style (online softmax, one pass over the kept key blocks),
// mma.sync m16n8k16 tensor cores, cp.async double-buffered K/V tiles in swizzled shared memory.
//
// One CTA = 128 query rows (two 64-token layout blocks) of one (batch, query head); 8 warps of
// 16 rows each. The CTA visits the union of the key blocks its two query blocks keep: the sink
// (block 0) first, then the band [qb0-k+1, qb0+1]. Per-element masks are applied only on tiles
// that are not fully visible to every row (diagonal tiles, the band's lowest block).
#include "kernels/device.cuh"
#include "kernels/mma.cuh"
#include "kernels/moa_prefill.cuh"

#include <cuda_runtime.h>

#include <cmath>
#include <stdexcept>

namespace moa::kernels {
namespace {

using namespace detail;

constexpr int kBM = 128;  // query rows per CTA
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

// Copies rows [row0, row0+ROWS) of a [N, D] matrix into a swizzled [ROWS][D] tile; rows >= n are zeros.
template <int ROWS, int D, typename T>
__device__ __forceinline__ void load_tile(T* s, const T* g, int row0, int n, int tid) {
  constexpr int kChunks = D / 8;
#pragma unroll
  for (int i = tid; i < ROWS * kChunks; i += kThreads) {
    const int r = i / kChunks, c = i % kChunks;
    const bool ok = row0 + r < n;
    const T* src = g + static_cast<size_t>(ok ? row0 + r : 0) * D + c * 8;
    cp_async_16(smem_u32(s + swz<D>(r, c)), src, ok);
  }
}

template <typename T, int D>
__global__ void __launch_bounds__(kThreads, 1) prefill_kernel(const Params p) {
  extern __shared__ __align__(128) unsigned char smem_raw[];
  T* sQ = reinterpret_cast<T*>(smem_raw);
  T* sK = sQ + kBM * D;        // [2][kBN][D]
  T* sV = sK + 2 * kBN * D;    // [2][kBN][D]

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int g = lane >> 2, t = lane & 3;
  // Reversed tile order: the longest (latest) query tiles start first, the short ones fill the tail.
  const int tile = p.q_tiles - 1 - blockIdx.x;
  const int bh = blockIdx.y;
  const int b = bh / p.hq, h = bh % p.hq;
  const int hk = h / (p.hq / p.hkv);

  const T* Q = static_cast<const T*>(p.q) + static_cast<size_t>(bh) * p.n * D;
  const T* K = static_cast<const T*>(p.k) + (static_cast<size_t>(b) * p.hkv + hk) * p.n * D;
  const T* V = static_cast<const T*>(p.v) + (static_cast<size_t>(b) * p.hkv + hk) * p.n * D;

  int kband = p.band[p.kv_layout ? hk : h];
  kband = min(max(kband, 1), p.nb);
  const int m0 = tile * kBM;
  const int qb0 = 2 * tile, qb1 = min(2 * tile + 1, p.nb - 1);
  const int lo = max(0, qb0 - kband + 1);  // lowest band block any row keeps
  const int n_iter = (lo > 0 ? 1 : 0) + (qb1 - lo + 1);
  auto key_block = [&](int j) { return lo > 0 ? (j == 0 ? 0 : lo + j - 1) : j; };

  load_tile<kBM, D>(sQ, Q, m0, p.n, tid);
  load_tile<kBN, D>(sK, K, key_block(0) * kBN, p.n, tid);
  load_tile<kBN, D>(sV, V, key_block(0) * kBN, p.n, tid);
  cp_async_commit();

  uint32_t qf[D / 16][4];
  float o[D / 8][4];
#pragma unroll
  for (int i = 0; i < D / 8; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.f;
  float row_max[2] = {-INFINITY, -INFINITY};
  float row_sum[2] = {0.f, 0.f};
  const int row_a = m0 + warp * 16 + g;  // this thread's two rows: row_a and row_a + 8

  for (int j = 0; j < n_iter; ++j) {
    cp_async_wait<0>();
    __syncthreads();  // tile j visible to all; every warp is done with tile j-1 (its stage is free)
    if (j + 1 < n_iter) {
      const int st = (j + 1) & 1, kb = key_block(j + 1);
      load_tile<kBN, D>(sK + st * kBN * D, K, kb * kBN, p.n, tid);
      load_tile<kBN, D>(sV + st * kBN * D, V, kb * kBN, p.n, tid);
    }
    cp_async_commit();
    if (j == 0) {
#pragma unroll
      for (int ks = 0; ks < D / 16; ++ks)
        ldmatrix_x4(qf[ks], smem_u32(sQ + swz<D>(warp * 16 + (lane & 15), ks * 2 + (lane >> 4))));
    }
    const T* k_s = sK + (j & 1) * kBN * D;
    const T* v_s = sV + (j & 1) * kBN * D;
    const int kb = key_block(j);

    float s[kBN / 8][4];
    qk_tile<T, kBN / 8, D>(s, qf, k_s, lane);

    // Mask only where some row of the CTA sees part of the tile: the tile reaches past the first
    // row (causal edge) or lies below the band of the CTA's last query block.
    const bool need_mask = (kb * kBN + kBN - 1 > m0) || (kb != 0 && kb < qb1 - kband + 1);
    if (need_mask) {
#pragma unroll
      for (int nt = 0; nt < kBN / 8; ++nt)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int qi = row_a + (e >= 2 ? 8 : 0);
          const int kj = kb * kBN + nt * 8 + 2 * t + (e & 1);
          const bool keep = kj <= qi && (kb == 0 || kb >= (qi >> 6) - kband + 1);
          if (!keep) s[nt][e] = -INFINITY;
        }
    }

    // The sink tile comes first and key 0 is visible to every row: row maxima are finite from then on.
    softmax_update<kBN / 8, D / 8>(s, o, row_max, row_sum, p.scale_log2);
    pv_tile<T, kBN / 8, D>(s, o, v_s, lane);
  }

  // Epilogue: normalise, store rows < N, and the natural-log LSE.
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

template <typename T, int D>
void launch(const Params& p, int batch, cudaStream_t stream) {
  constexpr size_t smem = (kBM + 4 * kBN) * D * sizeof(T);
  static bool configured = false;  // attribute set once per process (per instantiation)
  if (!configured) {
    check_cuda(cudaFuncSetAttribute(prefill_kernel<T, D>, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)),
               "cudaFuncSetAttribute(prefill)");
    configured = true;
  }
  dim3 grid(p.q_tiles, batch * p.hq);
  prefill_kernel<T, D><<<grid, kThreads, smem, stream>>>(p);
  check_cuda(cudaGetLastError(), "prefill_kernel launch");
}

}  // namespace

void moa_prefill(const PrefillArgs& a, void* stream) {
  if (a.head_dim != 64 && a.head_dim != 128) throw std::invalid_argument("moa_prefill: head_dim must be 64 or 128");
  if (a.num_kv_heads <= 0 || a.num_q_heads % a.num_kv_heads != 0)
    throw std::invalid_argument("moa_prefill: num_q_heads must be a positive multiple of num_kv_heads");
  if (a.batch <= 0 || a.seq_len < 0) throw std::invalid_argument("moa_prefill: bad batch or seq_len");
  if (!a.q || !a.k || !a.v || !a.out || !a.band_blocks) throw std::invalid_argument("moa_prefill: null pointer");
  if (a.seq_len == 0) return;
  Params p{};
  p.q = a.q;
  p.k = a.k;
  p.v = a.v;
  p.out = a.out;
  p.lse = a.lse;
  p.band = a.band_blocks;
  p.kv_layout = a.layout_heads_are_kv ? 1 : 0;
  p.hq = a.num_q_heads;
  p.hkv = a.num_kv_heads;
  p.n = a.seq_len;
  p.nb = (a.seq_len + kBlockTokens - 1) / kBlockTokens;
  p.q_tiles = (a.seq_len + kBM - 1) / kBM;
  p.scale = a.scale;
  p.scale_log2 = a.scale * 1.4426950408889634f;
  auto s = static_cast<cudaStream_t>(stream);
  if (a.dtype == DType::bf16) {
    if (a.head_dim == 128) launch<__nv_bfloat16, 128>(p, a.batch, s);
    else launch<__nv_bfloat16, 64>(p, a.batch, s);
  } else {
    if (a.head_dim == 128) launch<__half, 128>(p, a.batch, s);
    else launch<__half, 64>(p, a.batch, s);
  }
}

}  // namespace moa::kernels
