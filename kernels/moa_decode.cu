// Split-K decode over the heterogeneous cache (flash-decoding style) on mma.sync tensor cores.
//
// CTA = (split, KV head, batch), 4 warps. The group's G query heads are the first G rows of a
// 16-row A fragment (the other rows are zeros; the tensor cores have time to spare, the kernel is
// bandwidth-bound). Each warp streams its own 32-slot K/V tiles (tile w, w+4, ...) through a
// private 3-stage cp.async ring — no CTA-wide barrier in the loop — and keeps its own online
// softmax state; the 4 warps merge through shared memory at the end.
#include "kernels/device.cuh"
#include "kernels/launch_util.h"
#include "kernels/mma.cuh"
#include "kernels/moa_decode.cuh"

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace moa::kernels {
namespace {

using namespace detail;

constexpr int kWarps = 4;
constexpr int kThreads = kWarps * 32;
constexpr int kTile = 32;    // slots per warp tile
constexpr int kStages = 3;   // cp.async stages per warp
constexpr int kChunkQuantum = kWarps * kTile;

struct Params {
  const void* q;
  size_t q_row_stride;  // elements between the q rows of consecutive sequences
  const void* k;
  const void* v;
  void* out;
  float* lse;
  const int32_t* offset;
  const int32_t* span;
  const int32_t* seen;
  float* part_o;    // [B*Hq][splits][D]
  float* part_lse;  // [B*Hq][splits]
  int hq, hkv, group, total_slots, chunk, splits;
  float scale, scale_log2;
};

template <typename T, int D>
constexpr size_t smem_bytes() {
  return static_cast<size_t>(kWarps) * kStages * 2 * kTile * D * sizeof(T);
}

template <typename T, int D>
__global__ void __launch_bounds__(kThreads) decode_kernel(const Params p) {
  extern __shared__ __align__(128) unsigned char smem_raw[];
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int g = lane >> 2, t = lane & 3;
  const int split = blockIdx.x, hk = blockIdx.y, b = blockIdx.z;
  const int bk = b * p.hkv + hk;
  const int valid = min(p.seen[bk], p.span[hk]);
  const int s0 = split * p.chunk;
  if (s0 >= valid) {
    if (valid == 0 && split == 0) {  // empty sequence: defined output (zeros, lse = -inf)
      for (int i = tid; i < p.group * D; i += kThreads) {
        const size_t row = static_cast<size_t>(b) * p.hq + hk * p.group + i / D;
        if (p.splits == 1) static_cast<T*>(p.out)[row * D + i % D] = T(0.f);
        else p.part_o[(row * p.splits) * D + i % D] = 0.f;
        if (i % D == 0) {
          if (p.splits == 1) { if (p.lse) p.lse[row] = -INFINITY; }
          else p.part_lse[row * p.splits] = -INFINITY;
        }
      }
    }
    return;
  }
  const int s1 = min(valid, s0 + p.chunk);
  const int ntiles = (s1 - s0 + kTile - 1) / kTile;
  const int my_tiles = warp < ntiles ? (ntiles - warp + kWarps - 1) / kWarps : 0;

  const size_t head_row0 = static_cast<size_t>(b) * p.total_slots + p.offset[hk];
  const T* Kc = static_cast<const T*>(p.k) + head_row0 * D;
  const T* Vc = static_cast<const T*>(p.v) + head_row0 * D;
  T* sK = reinterpret_cast<T*>(smem_raw) + static_cast<size_t>(warp) * kStages * 2 * kTile * D;
  T* sV = sK + kStages * kTile * D;

  auto issue = [&](int i, int st) {  // warp-local tile i of this warp -> stage st
    const int r0 = s0 + (warp + i * kWarps) * kTile;
    T* k_s = sK + st * kTile * D;
    T* v_s = sV + st * kTile * D;
#pragma unroll
    for (int x = lane; x < kTile * D / 8; x += 32) {
      const int r = x / (D / 8), c = x % (D / 8);
      const bool ok = r0 + r < s1;
      const size_t src = static_cast<size_t>(ok ? r0 + r : s0) * D + c * 8;
      cp_async_16(smem_u32(k_s + swz<D>(r, c)), Kc + src, ok);
      cp_async_16(smem_u32(v_s + swz<D>(r, c)), Vc + src, ok);
    }
  };
#pragma unroll
  for (int st = 0; st < kStages - 1; ++st) {
    if (st < my_tiles) issue(st, st);
    cp_async_commit();
  }

  // Query rows r < G of the A fragment: a0/a2 hold row g, a1/a3 row g+8.
  uint32_t qf[D / 16][4];
  const T* Q = static_cast<const T*>(p.q) + static_cast<size_t>(b) * p.q_row_stride + static_cast<size_t>(hk) * p.group * D;
#pragma unroll
  for (int ks = 0; ks < D / 16; ++ks)
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int row = g + (i & 1) * 8, col = ks * 16 + 2 * t + (i >> 1) * 8;
      qf[ks][i] = row < p.group ? *reinterpret_cast<const uint32_t*>(Q + row * D + col) : 0u;
    }

  float o[D / 8][4];
#pragma unroll
  for (int i = 0; i < D / 8; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.f;
  float row_max[2] = {-INFINITY, -INFINITY};
  float row_sum[2] = {0.f, 0.f};

  for (int i = 0; i < my_tiles; ++i) {
    if (i + kStages - 1 < my_tiles) issue(i + kStages - 1, (i + kStages - 1) % kStages);
    cp_async_commit();
    cp_async_wait<kStages - 1>();
    __syncwarp();  // the whole tile (all lanes' copies) is visible to the warp
    const int st = i % kStages;
    float s[kTile / 8][4];
    qk_tile<T, kTile / 8, D>(s, qf, sK + st * kTile * D, lane);
    const int r0 = s0 + (warp + i * kWarps) * kTile;
    if (r0 + kTile > s1) {  // only the chunk's last tile is partial
#pragma unroll
      for (int nt = 0; nt < kTile / 8; ++nt)
#pragma unroll
        for (int e = 0; e < 4; ++e)
          if (r0 + nt * 8 + 2 * t + (e & 1) >= s1) s[nt][e] = -INFINITY;
    }
    softmax_update<kTile / 8, D / 8>(s, o, row_max, row_sum, p.scale_log2);
    pv_tile<T, kTile / 8, D>(s, o, sV + st * kTile * D, lane);
    __syncwarp();  // done reading this stage before a later issue overwrites it
  }
  cp_async_wait<0>();

  // Merge the 4 warps' states in shared memory (reusing the tile buffers).
  __syncthreads();
  float* m_o = reinterpret_cast<float*>(smem_raw);  // [4][16][D]
  float* m_max = m_o + kWarps * 16 * D;             // [4][16]
  float* m_sum = m_max + kWarps * 16;               // [4][16]
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int row = g + 8 * r;
    const float l = quad_sum(row_sum[r]);
    if (t == 0) {
      m_max[warp * 16 + row] = row_max[r];
      m_sum[warp * 16 + row] = l;
    }
#pragma unroll
    for (int dt = 0; dt < D / 8; ++dt) {
      m_o[(warp * 16 + row) * D + dt * 8 + 2 * t] = o[dt][2 * r];
      m_o[(warp * 16 + row) * D + dt * 8 + 2 * t + 1] = o[dt][2 * r + 1];
    }
  }
  __syncthreads();
  for (int i = tid; i < p.group * D; i += kThreads) {
    const int row = i / D, d = i % D;
    float mstar = -INFINITY;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) mstar = fmaxf(mstar, m_max[w * 16 + row]);
    float l = 0.f, acc = 0.f;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) {
      const float f = exp2f((m_max[w * 16 + row] - mstar) * p.scale_log2);  // -inf -> 0 (idle warp)
      l += f * m_sum[w * 16 + row];
      acc += f * m_o[(w * 16 + row) * D + d];
    }
    const size_t qrow = static_cast<size_t>(b) * p.hq + hk * p.group + row;
    const float lse = mstar * p.scale + logf(l);
    if (p.splits == 1) {
      static_cast<T*>(p.out)[qrow * D + d] = T(acc / l);
      if (d == 0 && p.lse) p.lse[qrow] = lse;
    } else {
      p.part_o[(qrow * p.splits + split) * D + d] = acc / l;
      if (d == 0) p.part_lse[qrow * p.splits + split] = lse;
    }
  }
}

// One CTA per (batch, query head): merges the used splits of its KV head by log-sum-exp.
template <typename T, int D>
__global__ void __launch_bounds__(D) merge_kernel(const Params p) {
  const size_t qrow = blockIdx.x;
  const int b = static_cast<int>(qrow / p.hq), h = static_cast<int>(qrow % p.hq), hk = h / p.group;
  const int valid = min(p.seen[b * p.hkv + hk], p.span[hk]);
  const int n = max(1, (valid + p.chunk - 1) / p.chunk);  // valid == 0: split 0 wrote zeros / -inf
  const float* lse = p.part_lse + qrow * p.splits;
  float mstar = -INFINITY;
  for (int i = 0; i < n; ++i) mstar = fmaxf(mstar, lse[i]);
  const float base = mstar == -INFINITY ? 0.f : mstar;
  float l = 0.f, acc = 0.f;
  const int d = threadIdx.x;
  for (int i = 0; i < n; ++i) {
    const float f = expf(lse[i] - base);
    l += f;
    acc += f * p.part_o[(qrow * p.splits + i) * D + d];
  }
  static_cast<T*>(p.out)[qrow * D + d] = T(l > 0.f ? acc / l : 0.f);
  if (d == 0 && p.lse) p.lse[qrow] = mstar == -INFINITY ? -INFINITY : base + logf(l);
}

// Chunk (slots per CTA) and split count: about eight waves of CTAs over the largest span, so the
// last, partly filled wave costs little (with one CTA per SM a 2.4-wave grid would lose ~20%),
// but at least 512 slots per CTA so the pipeline fill and the partial-result write stay small.
void plan_splits(const DecodeArgs& a, int& chunk, int& splits) {
  if (a.chunk_slots > 0) {
    if (a.chunk_slots % kChunkQuantum) throw std::invalid_argument("moa_decode: chunk_slots must be a multiple of 128");
    chunk = a.chunk_slots;
  } else {
    const int ctas_per_sm = a.head_dim == 128 ? 1 : 2;  // shared-memory bound
    const int pairs = a.batch * a.num_kv_heads;
    const int want = std::max(1, (8 * sm_count() * ctas_per_sm + pairs - 1) / pairs);
    chunk = (a.max_span + want - 1) / want;
    chunk = std::max(4 * kChunkQuantum, (chunk + kChunkQuantum - 1) / kChunkQuantum * kChunkQuantum);
  }
  splits = std::max(1, (a.max_span + chunk - 1) / chunk);
}

void check_args(const DecodeArgs& a) {
  if (a.head_dim != 64 && a.head_dim != 128) throw std::invalid_argument("moa_decode: head_dim must be 64 or 128");
  if (a.num_kv_heads <= 0 || a.num_q_heads % a.num_kv_heads != 0 || a.num_q_heads / a.num_kv_heads > 16)
    throw std::invalid_argument("moa_decode: num_q_heads must be a multiple of num_kv_heads, groups of at most 16");
  if (a.batch <= 0 || a.total_slots <= 0 || a.max_span <= 0) throw std::invalid_argument("moa_decode: bad shape");
  if (a.q_row_stride != 0 && (a.q_row_stride < static_cast<size_t>(a.num_q_heads) * a.head_dim || a.q_row_stride % 8))
    throw std::invalid_argument("moa_decode: q_row_stride must be >= Hq * D and a multiple of 8");
  if (!a.q || !a.k_cache || !a.v_cache || !a.out || !a.head_offset || !a.head_span || !a.seen)
    throw std::invalid_argument("moa_decode: null pointer");
}

template <typename T, int D>
void launch(const Params& p, int batch, cudaStream_t stream) {
  constexpr size_t smem = smem_bytes<T, D>();
  set_smem_limit_once<decode_kernel<T, D>>(static_cast<int>(smem), "cudaFuncSetAttribute(decode)");
  decode_kernel<T, D><<<dim3(p.splits, p.hkv, batch), kThreads, smem, stream>>>(p);
  check_cuda(cudaGetLastError(), "decode_kernel launch");
  if (p.splits > 1) {
    merge_kernel<T, D><<<batch * p.hq, D, 0, stream>>>(p);
    check_cuda(cudaGetLastError(), "decode merge_kernel launch");
  }
}

}  // namespace

size_t moa_decode_workspace_bytes(const DecodeArgs& a) {
  check_args(a);
  int chunk = 0, splits = 0;
  plan_splits(a, chunk, splits);
  if (splits == 1) return 0;
  return static_cast<size_t>(a.batch) * a.num_q_heads * splits * (a.head_dim + 1) * sizeof(float);
}

void moa_decode(const DecodeArgs& a, void* stream) {
  check_args(a);
  Params p{};
  plan_splits(a, p.chunk, p.splits);
  if (p.splits > 1) {
    const size_t need = static_cast<size_t>(a.batch) * a.num_q_heads * p.splits * (a.head_dim + 1) * sizeof(float);
    if (!a.workspace || a.workspace_bytes < need) throw std::invalid_argument("moa_decode: workspace too small");
    p.part_o = static_cast<float*>(a.workspace);
    p.part_lse = p.part_o + static_cast<size_t>(a.batch) * a.num_q_heads * p.splits * a.head_dim;
  }
  p.q = a.q;
  p.q_row_stride = a.q_row_stride ? a.q_row_stride : static_cast<size_t>(a.num_q_heads) * a.head_dim;
  p.k = a.k_cache;
  p.v = a.v_cache;
  p.out = a.out;
  p.lse = a.lse;
  p.offset = a.head_offset;
  p.span = a.head_span;
  p.seen = a.seen;
  p.hq = a.num_q_heads;
  p.hkv = a.num_kv_heads;
  p.group = a.num_q_heads / a.num_kv_heads;
  p.total_slots = a.total_slots;
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
