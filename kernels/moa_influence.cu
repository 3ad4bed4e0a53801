// Influence kernels. Both use one thread block per (query block of 64 rows, query head) that
// walks the key blocks 0..qb and reduces each 64x64 tile's sum of |E| in a fixed order.
//
// Tensor-core path (F16/BF16, D % 16 == 0, D <= 256): 4 warps, each owning 16 query rows.
// S = Q K^T and dP = dO V^T come from mma.sync m16n8k16 (fp32 accumulators); K and V tiles
// of 64 keys stream through row-padded shared memory with cp.async double buffering; Q and
// dO stay in registers as A fragments (D <= 128) or in shared memory (D > 128). P, E and |E|
// are computed on the accumulator fragments; per-thread partials -> warp shuffle -> the 4
// warp sums added in order by thread 0 one tile later (after the next barrier).
//
// CUDA-core path (F32, other D): each of 256 threads owns 4 rows x 4 columns of the tile,
// interleaved so shared-memory reads are conflict-free; D is streamed in chunks of 32.
#include "kernels/moa_influence.cuh"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <stdexcept>

#include "kernels/device.cuh"
#include "kernels/launch_util.h"
#include "kernels/mma.cuh"

namespace moa::kernels {

namespace {

constexpr int kBlock = 64;      // tile rows and columns (the profile's block size)
constexpr int kChunk = 32;      // head-dim elements per shared-memory pass
constexpr int kPitch = kChunk + 1;  // padding: row r's element d sits in bank (r + d) % 32
constexpr int kThreads = 256;   // 16 x 16 threads, 4 x 4 tile entries each

__device__ __forceinline__ float to_float(float x) { return x; }
__device__ __forceinline__ float to_float(__half x) { return __half2float(x); }
__device__ __forceinline__ float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }

// Rows [row0, row0 + 64) x dims [d0, d0 + 32) of a [N, D] matrix into tile[64][kPitch],
// zero outside the matrix. Consecutive threads read consecutive dims (coalesced).
template <class T>
__device__ __forceinline__ void load_tile(float* tile, const T* m, int64_t row0, int64_t rows, int d0, int D) {
  for (int idx = threadIdx.x; idx < kBlock * kChunk; idx += kThreads) {
    const int r = idx / kChunk, d = idx % kChunk;
    const int64_t row = row0 + r;
    float x = 0.f;
    if (row < rows && d0 + d < D) x = to_float(m[row * D + d0 + d]);
    tile[r * kPitch + d] = x;
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads) influence_kernel(const T* __restrict__ q, const T* __restrict__ k,
                                                             const T* __restrict__ v, const T* __restrict__ d_o,
                                                             const float* __restrict__ lse,
                                                             const float* __restrict__ delta, float* __restrict__ out,
                                                             int Hq, int Hkv, int64_t N, int D, float scale) {
  __shared__ float qs[kBlock * kPitch], dos[kBlock * kPitch], ks[kBlock * kPitch], vs[kBlock * kPitch];
  __shared__ float warp_sums[kThreads / 32];
  const int64_t nb = (N + kBlock - 1) / kBlock;
  const int64_t qb = nb - 1 - blockIdx.x;  // heavy (long) rows first
  const int h = blockIdx.y, hk = h / (Hq / Hkv);
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  const T* qh = q + static_cast<int64_t>(h) * N * D;
  const T* doh = d_o + static_cast<int64_t>(h) * N * D;
  const T* kh = k + static_cast<int64_t>(hk) * N * D;
  const T* vh = v + static_cast<int64_t>(hk) * N * D;
  float* out_row = out + (static_cast<int64_t>(h) * nb + qb) * nb;

  // Row statistics of this thread's 4 rows: row r = ty + 16 * i.
  float row_lse[4], row_delta[4];
  int64_t row_index[4];
  for (int i = 0; i < 4; ++i) {
    row_index[i] = qb * kBlock + ty + 16 * i;
    const bool in = row_index[i] < N;
    row_lse[i] = in ? lse[static_cast<int64_t>(h) * N + row_index[i]] : 0.f;
    row_delta[i] = in ? delta[static_cast<int64_t>(h) * N + row_index[i]] : 0.f;
  }

  for (int64_t kb = 0; kb <= qb; ++kb) {
    float s[4][4] = {}, dp[4][4] = {};
    for (int d0 = 0; d0 < D; d0 += kChunk) {
      __syncthreads();  // previous chunk fully consumed
      load_tile(qs, qh, qb * kBlock, N, d0, D);
      load_tile(dos, doh, qb * kBlock, N, d0, D);
      load_tile(ks, kh, kb * kBlock, N, d0, D);
      load_tile(vs, vh, kb * kBlock, N, d0, D);
      __syncthreads();
#pragma unroll 8
      for (int d = 0; d < kChunk; ++d) {
        float qv[4], gv[4], kv[4], vv[4];
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          qv[i] = qs[(ty + 16 * i) * kPitch + d];
          gv[i] = dos[(ty + 16 * i) * kPitch + d];
          kv[i] = ks[(tx + 16 * i) * kPitch + d];
          vv[i] = vs[(tx + 16 * i) * kPitch + d];
        }
#pragma unroll
        for (int i = 0; i < 4; ++i)
#pragma unroll
          for (int j = 0; j < 4; ++j) {
            s[i][j] = fmaf(qv[i], kv[j], s[i][j]);
            dp[i][j] = fmaf(gv[i], vv[j], dp[i][j]);
          }
      }
    }
    float local = 0.f;
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const int64_t col = kb * kBlock + tx + 16 * j;
        if (row_index[i] >= N || col > row_index[i]) continue;  // outside, or above the diagonal
        const float p = __expf(fmaf(s[i][j], scale, -row_lse[i]));
        const float one_minus = 1.f - p;
        const float e = (one_minus > 0.f && row_index[i] > 0) ? p * (dp[i][j] - row_delta[i]) / one_minus : dp[i][j] * p;
        local += fabsf(e);
      }
    // Fixed-order reduction: warp shuffle, then warp 0 sums the 8 warp totals.
    for (int off = 16; off > 0; off >>= 1) local += __shfl_down_sync(0xffffffffu, local, off);
    if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = local;
    __syncthreads();
    if (threadIdx.x == 0) {
      float total = 0.f;
      for (int w = 0; w < kThreads / 32; ++w) total += warp_sums[w];
      out_row[kb] = total;
    }
  }
  // Blocks above the diagonal hold no causal entries.
  for (int64_t kb = qb + 1 + threadIdx.x; kb < nb; kb += kThreads) out_row[kb] = 0.f;
}

template <class T>
void launch(const void* q, const void* k, const void* v, const void* d_o, const float* lse, const float* delta,
            float* out, const InfluenceShape& s, float scale, cudaStream_t stream) {
  const int64_t nb = (s.tokens + kBlock - 1) / kBlock;
  dim3 grid(static_cast<unsigned>(nb), static_cast<unsigned>(s.heads_q));
  influence_kernel<T><<<grid, kThreads, 0, stream>>>(static_cast<const T*>(q), static_cast<const T*>(k),
                                                     static_cast<const T*>(v), static_cast<const T*>(d_o), lse, delta,
                                                     out, s.heads_q, s.heads_kv, s.tokens, s.head_dim, scale);
  check_cuda(cudaGetLastError(), "influence_blocks launch");
}

// ---- Tensor-core path ----
namespace tc {

using namespace detail;

constexpr int kWarps = 4;               // 16 query rows each
constexpr int kThreads = kWarps * 32;
constexpr int kNT = kBlock / 8;         // 8-key n-tiles per 64-key tile
constexpr int kMaxDim = 256;
constexpr float kLog2e = 1.4426950408889634f;

// Q/dO as A fragments in registers (64 registers at D = 128) up to this D, else in shared memory.
template <int D>
constexpr bool kARegs = D <= 128;
template <int D>
constexpr int kTileElems = kBlock * (D + 8);  // one padded [64][D + 8] tile
// K and V, two stages each; plus Q and dO when they stay in shared memory.
template <int D>
constexpr size_t kSmemBytes = (kARegs<D> ? 4 : 6) * kTileElems<D> * 2;

struct Params {
  const void* q;
  const void* k;
  const void* v;
  const void* d_o;
  const float* lse;
  const float* delta;
  float* out;
  int hq, hkv, nb;
  int64_t n;
  float scale_log2;  // scale * log2(e): P = 2^(S * scale_log2 - lse * log2(e))
};

// Rows [row0, row0 + 64) of a [N, D] matrix into a padded tile with cp.async; rows >= n are zeros.
template <int D, typename T>
__device__ __forceinline__ void load_tile(T* s, const T* g, int64_t row0, int64_t n, int tid) {
  constexpr int kChunks = D / 8;  // 16-byte chunks per row
  if constexpr (kThreads % kChunks == 0) {
    // Each thread copies one fixed chunk column of every (kThreads / kChunks)-th row: one source
    // pointer and one destination address, the rest compile-time offsets.
    constexpr int kRowStep = kThreads / kChunks;
    const int c = tid % kChunks, r0 = tid / kChunks;
    const T* src = g + (row0 + r0) * D + c * 8;
    const uint32_t dst = smem_u32(s + padded<D>(r0, c));
#pragma unroll
    for (int i = 0; i < kBlock / kRowStep; ++i) {
      const bool ok = row0 + r0 + i * kRowStep < n;
      cp_async_16(dst + static_cast<uint32_t>(i * kRowStep * (D + 8) * sizeof(T)), ok ? src + i * kRowStep * D : g, ok);
    }
  } else {
#pragma unroll 4
    for (int i = tid; i < kBlock * kChunks; i += kThreads) {
      const int r = i / kChunks, c = i % kChunks;
      const bool ok = row0 + r < n;
      cp_async_16(smem_u32(s + padded<D>(r, c)), ok ? g + (row0 + r) * D + c * 8 : g, ok);
    }
  }
}

// |E| of one (row, key) entry from its raw score s and dP (see moa_influence.cuh).
__device__ __forceinline__ float abs_influence(float s, float dp, float scale_log2, float lse2, float delta,
                                               bool not_row0) {
  const float p = fast_exp2(fmaf(s, scale_log2, -lse2));
  const float one_minus = 1.f - p;
  const float e = (one_minus > 0.f && not_row0) ? __fdividef(p * (dp - delta), one_minus) : dp * p;
  return fabsf(e);
}

template <typename T, int D>
__global__ void __launch_bounds__(kThreads, kARegs<D> ? 3 : 1) influence_tc_kernel(const Params p) {
  extern __shared__ __align__(128) unsigned char smem_raw[];
  __shared__ float warp_sums[2][kWarps];  // [tile parity][warp]
  constexpr int kTile = kTileElems<D>;
  T* sK = reinterpret_cast<T*>(smem_raw);  // [2][64][D + 8]
  T* sV = sK + 2 * kTile;                  // [2][64][D + 8]
  // Q and dO tiles: in their own buffers (D > 128), or staged through stage 1 of K and V,
  // which the first key tile does not use, until they are in registers.
  T* sQ = kARegs<D> ? sK + kTile : sV + 2 * kTile;
  T* sG = kARegs<D> ? sV + kTile : sV + 3 * kTile;

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int qb = p.nb - 1 - static_cast<int>(blockIdx.x);  // heavy (long) rows first
  const int h = blockIdx.y, hk = h / (p.hq / p.hkv);
  const T* Q = static_cast<const T*>(p.q) + static_cast<int64_t>(h) * p.n * D;
  const T* G = static_cast<const T*>(p.d_o) + static_cast<int64_t>(h) * p.n * D;
  const T* K = static_cast<const T*>(p.k) + static_cast<int64_t>(hk) * p.n * D;
  const T* V = static_cast<const T*>(p.v) + static_cast<int64_t>(hk) * p.n * D;
  float* out_row = p.out + (static_cast<int64_t>(h) * p.nb + qb) * p.nb;
  const int64_t q0 = static_cast<int64_t>(qb) * kBlock;

  load_tile<D>(sK, K, 0, p.n, tid);
  load_tile<D>(sV, V, 0, p.n, tid);
  load_tile<D>(sQ, Q, q0, p.n, tid);
  load_tile<D>(sG, G, q0, p.n, tid);
  cp_async_commit();

  // This thread's two rows of every fragment: local rows lr[r] = 16 warp + lane/4 + 8r.
  int lr[2];
  bool row_in[2], not_row0[2];
  float lse2[2], delta[2];
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    lr[r] = warp * 16 + (lane >> 2) + 8 * r;
    const int64_t row = q0 + lr[r];
    row_in[r] = row < p.n;
    not_row0[r] = row > 0;
    lse2[r] = row_in[r] ? p.lse[static_cast<int64_t>(h) * p.n + row] * kLog2e : 0.f;
    delta[r] = row_in[r] ? p.delta[static_cast<int64_t>(h) * p.n + row] : 0.f;
  }
  const int col_lo = 2 * (lane & 3);  // this thread's first column within each 8-key n-tile

  constexpr int kAF = kARegs<D> ? D / 16 : 1;
  uint32_t qf[kAF][4], gf[kAF][4];
  const uint32_t a_off = a_lane_offset_padded<D, T>(warp * 16, lane), b_off = b_lane_offset_padded<D, T>(lane);
  const uint32_t q_addr = smem_u32(sQ) + a_off, g_addr = smem_u32(sG) + a_off;
  if constexpr (kARegs<D>) {
    cp_async_wait<0>();
    __syncthreads();
#pragma unroll
    for (int ks = 0; ks < D / 16; ++ks) {
      load_a_padded<D, T>(qf[ks], q_addr, ks);
      load_a_padded<D, T>(gf[ks], g_addr, ks);
    }
    // No barrier needed here: the first loop iteration's barrier comes before stage 1 is refilled.
  }

  for (int kb = 0; kb <= qb; ++kb) {
    cp_async_wait<0>();
    __syncthreads();  // tile kb visible to all; every warp is done with tile kb-1 (its stage is free)
    if (kb < qb) {
      const int st = (kb + 1) & 1;
      load_tile<D>(sK + st * kTile, K, static_cast<int64_t>(kb + 1) * kBlock, p.n, tid);
      load_tile<D>(sV + st * kTile, V, static_cast<int64_t>(kb + 1) * kBlock, p.n, tid);
    }
    cp_async_commit();
    // Tile kb-1's warp sums were written before the barrier above; the next writes to that
    // parity come after the next barrier.
    if (kb > 0 && tid == 0) {
      const float* w = warp_sums[(kb - 1) & 1];
      out_row[kb - 1] = ((w[0] + w[1]) + w[2]) + w[3];
    }

    const uint32_t stage_bytes = static_cast<uint32_t>((kb & 1) * kTile * sizeof(T));
    const uint32_t k_addr = smem_u32(sK) + stage_bytes + b_off, v_addr = smem_u32(sV) + stage_bytes + b_off;
    float s[kNT][4], dp[kNT][4];
#pragma unroll
    for (int i = 0; i < kNT; ++i)
#pragma unroll
      for (int e = 0; e < 4; ++e) s[i][e] = dp[i][e] = 0.f;
#pragma unroll
    for (int ks = 0; ks < D / 16; ++ks) {
      if constexpr (kARegs<D>) {
        mma_kstep_padded<T, kNT, D>(s, qf[ks], k_addr, ks);
        mma_kstep_padded<T, kNT, D>(dp, gf[ks], v_addr, ks);
      } else {
        load_a_padded<D, T>(qf[0], q_addr, ks);
        mma_kstep_padded<T, kNT, D>(s, qf[0], k_addr, ks);
        load_a_padded<D, T>(gf[0], g_addr, ks);
        mma_kstep_padded<T, kNT, D>(dp, gf[0], v_addr, ks);
      }
    }

    // Fragment layout: s[nt][e] is row lr[e / 2], column 8 nt + col_lo + (e & 1) of the tile.
    float acc[2] = {0.f, 0.f};
    if (kb < qb) {
#pragma unroll
      for (int nt = 0; nt < kNT; ++nt)
#pragma unroll
        for (int e = 0; e < 4; ++e)
          acc[e >> 1] += abs_influence(s[nt][e], dp[nt][e], p.scale_log2, lse2[e >> 1], delta[e >> 1], not_row0[e >> 1]);
    } else {  // diagonal tile: causal mask (columns past N are past every row < N)
#pragma unroll
      for (int nt = 0; nt < kNT; ++nt)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const float x =
              abs_influence(s[nt][e], dp[nt][e], p.scale_log2, lse2[e >> 1], delta[e >> 1], not_row0[e >> 1]);
          if (nt * 8 + col_lo + (e & 1) <= lr[e >> 1]) acc[e >> 1] += x;
        }
    }
    // Rows past N (last query block) are selected out, never multiplied: no NaN can leak.
    float local = (row_in[0] ? acc[0] : 0.f) + (row_in[1] ? acc[1] : 0.f);
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) local += __shfl_xor_sync(0xffffffffu, local, off);
    if (lane == 0) warp_sums[kb & 1][warp] = local;
  }
  __syncthreads();
  if (tid == 0) {
    const float* w = warp_sums[qb & 1];
    out_row[qb] = ((w[0] + w[1]) + w[2]) + w[3];
  }
  // Blocks above the diagonal hold no causal entries.
  for (int kb = qb + 1 + tid; kb < p.nb; kb += kThreads) out_row[kb] = 0.f;
}

int max_smem_optin() {
  int dev = 0, v = 0;
  check_cuda(cudaGetDevice(&dev), "cudaGetDevice");
  check_cuda(cudaDeviceGetAttribute(&v, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev), "cudaDeviceGetAttribute");
  return v;
}

constexpr size_t smem_bytes(int d) { return static_cast<size_t>(d <= 128 ? 4 : 6) * kBlock * (d + 8) * 2; }

template <typename T, int D>
void launch(const Params& p, int hq, cudaStream_t stream) {
  static_assert(kSmemBytes<D> == smem_bytes(D));
  constexpr int bytes = static_cast<int>(kSmemBytes<D>);
  set_smem_limit_once<influence_tc_kernel<T, D>>(bytes, "cudaFuncSetAttribute(influence tensor cores)");
  dim3 grid(static_cast<unsigned>(p.nb), static_cast<unsigned>(hq));
  influence_tc_kernel<T, D><<<grid, kThreads, bytes, stream>>>(p);
  check_cuda(cudaGetLastError(), "influence_blocks launch (tensor cores)");
}

// D (a multiple of 16 in [16, kMaxDim]) -> the instantiation for it.
template <typename T, int D = 16>
void launch_dim(const Params& p, int hq, int d, cudaStream_t stream) {
  if constexpr (D <= kMaxDim) {
    if (d == D) launch<T, D>(p, hq, stream);
    else launch_dim<T, D + 16>(p, hq, d, stream);
  }
}

}  // namespace tc

bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

}  // namespace

bool influence_tensor_cores_supported(const InfluenceShape& shape, InfluenceDType dtype) {
  if (dtype == InfluenceDType::F32 || shape.head_dim % 16 != 0 || shape.head_dim < 16 || shape.head_dim > tc::kMaxDim)
    return false;
  return tc::smem_bytes(shape.head_dim) + 64 <= static_cast<size_t>(tc::max_smem_optin());  // + static warp sums
}

void influence_blocks(const void* q, const void* k, const void* v, const void* d_o, const float* lse,
                      const float* delta, float* out, const InfluenceShape& shape, InfluenceDType dtype, float scale,
                      void* stream, InfluenceImpl impl) {
  if (shape.heads_q <= 0 || shape.heads_kv <= 0 || shape.heads_q % shape.heads_kv != 0 || shape.tokens <= 0 ||
      shape.head_dim <= 0)
    throw std::invalid_argument("influence_blocks: invalid shape");
  if ((shape.tokens + kBlock - 1) / kBlock > 2147483647LL) throw std::invalid_argument("influence_blocks: too many blocks");
  if (shape.heads_q > 65535) throw std::invalid_argument("influence_blocks: too many query heads");
  auto st = static_cast<cudaStream_t>(stream);
  const bool tc_ok = impl != InfluenceImpl::cuda_cores && influence_tensor_cores_supported(shape, dtype) &&
                     aligned16(q) && aligned16(k) && aligned16(v) && aligned16(d_o);
  if (impl == InfluenceImpl::tensor_cores && !tc_ok)
    throw std::invalid_argument("influence_blocks: tensor cores need F16/BF16, D a multiple of 16 up to 256 and "
                                "16-byte aligned inputs");
  if (tc_ok) {
    tc::Params p{q, k, v, d_o, lse, delta, out, shape.heads_q, shape.heads_kv,
                 static_cast<int>((shape.tokens + kBlock - 1) / kBlock), shape.tokens, scale * tc::kLog2e};
    if (dtype == InfluenceDType::BF16) tc::launch_dim<__nv_bfloat16>(p, shape.heads_q, shape.head_dim, st);
    else tc::launch_dim<__half>(p, shape.heads_q, shape.head_dim, st);
    return;
  }
  switch (dtype) {
    case InfluenceDType::F32: launch<float>(q, k, v, d_o, lse, delta, out, shape, scale, st); break;
    case InfluenceDType::F16: launch<__half>(q, k, v, d_o, lse, delta, out, shape, scale, st); break;
    case InfluenceDType::BF16: launch<__nv_bfloat16>(q, k, v, d_o, lse, delta, out, shape, scale, st); break;
  }
}

}  // namespace moa::kernels
