// MoA prefill, portable path: FlashAttention-2 style (online softmax, one pass over the kept key
// blocks), mma.sync m16n8k16 tensor cores, cp.async double-buffered K/V tiles in swizzled shared
// memory. Also the public entry point, which picks this path or a wgmma one (moa_prefill_sm90.cu,
// moa_prefill_sm90_ws.cu: wgmma_ws, moa_prefill_sm90_tma.cu: wgmma_tma).
//
// One CTA = 128 query rows (two 64-token layout blocks) of one (batch, query head); 8 warps of
// 16 rows each; Q fragments stay in registers for the whole pass.
#include "kernels/device.cuh"
#include "kernels/launch_util.h"
#include "kernels/moa_prefill.cuh"
#include "kernels/moa_prefill_impl.cuh"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace moa::kernels {
namespace prefill {

template <typename T, int D>
__global__ void __launch_bounds__(kThreads, 1) mma_sync_kernel(const Params p) {
  extern __shared__ __align__(128) unsigned char smem_raw[];
  T* sQ = reinterpret_cast<T*>(smem_raw);
  T* sK = sQ + kBM * D;      // [2][kBN][D]
  T* sV = sK + 2 * kBN * D;  // [2][kBN][D]
  auto layout = [](int r, int c) { return swz<D>(r, c); };

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int t = lane & 3;
  const CtaWork w(p);
  const T* Q = static_cast<const T*>(p.q) + static_cast<size_t>(w.bh) * p.n * D;
  const T* K = static_cast<const T*>(p.k) + (static_cast<size_t>(w.b) * p.hkv + w.hk) * p.n * D;
  const T* V = static_cast<const T*>(p.v) + (static_cast<size_t>(w.b) * p.hkv + w.hk) * p.n * D;

  load_tile<kBM, D>(sQ, Q, w.m0, p.n, tid, layout);
  load_tile<kBN, D>(sK, K, w.key_block(0) * kBN, p.n, tid, layout);
  load_tile<kBN, D>(sV, V, w.key_block(0) * kBN, p.n, tid, layout);
  cp_async_commit();

  uint32_t qf[D / 16][4];
  float o[D / 8][4];
#pragma unroll
  for (int i = 0; i < D / 8; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.f;
  float row_max[2] = {-INFINITY, -INFINITY};
  float row_sum[2] = {0.f, 0.f};
  const int row_a = w.m0 + warp * 16 + (lane >> 2);  // this thread's rows: row_a and row_a + 8

  for (int j = 0; j < w.n_iter; ++j) {
    cp_async_wait<0>();
    __syncthreads();  // tile j visible to all; every warp is done with tile j-1 (its stage is free)
    if (j + 1 < w.n_iter) {
      const int st = (j + 1) & 1, kb = w.key_block(j + 1);
      load_tile<kBN, D>(sK + st * kBN * D, K, kb * kBN, p.n, tid, layout);
      load_tile<kBN, D>(sV + st * kBN * D, V, kb * kBN, p.n, tid, layout);
    }
    cp_async_commit();
    if (j == 0) {
#pragma unroll
      for (int ks = 0; ks < D / 16; ++ks)
        ldmatrix_x4(qf[ks], smem_u32(sQ + swz<D>(warp * 16 + (lane & 15), ks * 2 + (lane >> 4))));
    }
    const int kb = w.key_block(j);
    float s[kBN / 8][4];
    qk_tile<T, kBN / 8, D>(s, qf, sK + (j & 1) * kBN * D, lane);
    if (w.needs_mask(kb)) apply_mask<kBN / 8>(s, row_a, kb, w.kband, t);
    // The sink tile comes first and key 0 is visible to every row: row maxima are finite from then on.
    softmax_update<kBN / 8, D / 8>(s, o, row_max, row_sum, p.scale_log2);
    pv_tile<T, kBN / 8, D>(s, o, sV + (j & 1) * kBN * D, lane);
  }
  store_rows<T, D>(p, w.bh, row_a, t, o, row_max, row_sum);
}

template <typename T, int D>
void launch_mma_sync(const Params& p, int batch, cudaStream_t stream) {
  constexpr size_t smem = (kBM + 4 * kBN) * D * sizeof(T);
  set_smem_limit_once<mma_sync_kernel<T, D>>(static_cast<int>(smem), "cudaFuncSetAttribute(prefill mma_sync)");
  mma_sync_kernel<T, D><<<dim3(p.q_tiles, batch * p.hq), kThreads, smem, stream>>>(p);
  check_cuda(cudaGetLastError(), "prefill mma_sync launch");
}

}  // namespace prefill

namespace {

bool device_has_wgmma() { return detail::cc_major() == 9; }  // the sm_90a build runs on Hopper only

// MOA_PREFILL_IMPL, read once: what `automatic` runs (automatic = not set or "auto").
PrefillImpl env_prefill_impl() {
  static const PrefillImpl impl = [] {
    const char* v = std::getenv("MOA_PREFILL_IMPL");
    const std::string s = v ? v : "";
    if (s.empty() || s == "auto" || s == "automatic") return PrefillImpl::automatic;
    if (s == "mma_sync") return PrefillImpl::mma_sync;
    if (s == "wgmma") return PrefillImpl::wgmma;
    if (s == "wgmma_2cta") return PrefillImpl::wgmma_2cta;
    if (s == "wgmma_ws") return PrefillImpl::wgmma_ws;
    if (s == "wgmma_tma") return PrefillImpl::wgmma_tma;
    throw std::invalid_argument("MOA_PREFILL_IMPL must be auto, mma_sync, wgmma, wgmma_2cta, wgmma_ws or wgmma_tma, not '" +
                                s + "'");
  }();
  return impl;
}

// What `automatic` means for this call (bench/kernels/NOTES.md has the measurements behind it).
PrefillImpl resolve(PrefillImpl impl, int head_dim) {
  if (impl != PrefillImpl::automatic) return impl;
  if (const PrefillImpl env = env_prefill_impl(); env != PrefillImpl::automatic) return env;
  if (!kPrefillAutoWgmma || !device_has_wgmma()) return PrefillImpl::mma_sync;
  if (kPrefillAutoTma && head_dim == 128) return PrefillImpl::wgmma_tma;
  if (kPrefillAutoWs && head_dim == 128) return PrefillImpl::wgmma_ws;
  return kPrefillAuto2Cta ? PrefillImpl::wgmma_2cta : PrefillImpl::wgmma;
}

template <typename T, int D>
void dispatch(const prefill::Params& p, int batch, PrefillImpl impl, cudaStream_t s) {
  switch (resolve(impl, D)) {
    case PrefillImpl::wgmma_ws:
      if constexpr (D == 128) prefill::launch_wgmma_ws<T, D>(p, batch, s);
      else prefill::launch_wgmma<T, D>(p, batch, true, s);  // D = 64: not instantiated (compile time)
      break;
    case PrefillImpl::wgmma_tma:
      if constexpr (D == 128) prefill::launch_wgmma_tma<T, D>(p, batch, s);
      else prefill::launch_wgmma<T, D>(p, batch, true, s);  // D = 64: as wgmma_ws
      break;
    case PrefillImpl::wgmma: prefill::launch_wgmma<T, D>(p, batch, false, s); break;
    case PrefillImpl::wgmma_2cta: prefill::launch_wgmma<T, D>(p, batch, true, s); break;
    default: prefill::launch_mma_sync<T, D>(p, batch, s); break;
  }
}

}  // namespace

void moa_prefill(const PrefillArgs& a, void* stream) {
  if (a.head_dim != 64 && a.head_dim != 128) throw std::invalid_argument("moa_prefill: head_dim must be 64 or 128");
  if (a.num_kv_heads <= 0 || a.num_q_heads % a.num_kv_heads != 0)
    throw std::invalid_argument("moa_prefill: num_q_heads must be a positive multiple of num_kv_heads");
  if (a.batch <= 0 || a.seq_len < 0) throw std::invalid_argument("moa_prefill: bad batch or seq_len");
  if (!a.q || !a.k || !a.v || !a.out || !a.band_blocks) throw std::invalid_argument("moa_prefill: null pointer");
  if (a.seq_len == 0) return;
  prefill::Params p{};
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
  p.q_tiles = (a.seq_len + prefill::kBM - 1) / prefill::kBM;
  p.scale = a.scale;
  p.scale_log2 = a.scale * 1.4426950408889634f;
  auto s = static_cast<cudaStream_t>(stream);
  if (a.dtype == DType::bf16) {
    if (a.head_dim == 128) dispatch<__nv_bfloat16, 128>(p, a.batch, a.impl, s);
    else dispatch<__nv_bfloat16, 64>(p, a.batch, a.impl, s);
  } else {
    if (a.head_dim == 128) dispatch<__half, 128>(p, a.batch, a.impl, s);
    else dispatch<__half, 64>(p, a.batch, a.impl, s);
  }
}

}  // namespace moa::kernels
