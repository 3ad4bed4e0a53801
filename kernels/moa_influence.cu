// Influence kernel: one thread block per (query block of 64 rows, query head); it walks the
// key blocks 0..qb, and for each computes S and dP for the 64x64 tile in registers (each of
// 256 threads owns 4 rows x 4 columns, interleaved so shared-memory reads are conflict-free),
// D is streamed through shared memory in chunks of 32.
#include "kernels/moa_influence.cuh"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <stdexcept>

#include "kernels/device.cuh"

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

}  // namespace

void influence_blocks(const void* q, const void* k, const void* v, const void* d_o, const float* lse,
                      const float* delta, float* out, const InfluenceShape& shape, InfluenceDType dtype, float scale,
                      void* stream) {
  if (shape.heads_q <= 0 || shape.heads_kv <= 0 || shape.heads_q % shape.heads_kv != 0 || shape.tokens <= 0 ||
      shape.head_dim <= 0)
    throw std::invalid_argument("influence_blocks: invalid shape");
  if ((shape.tokens + kBlock - 1) / kBlock > 2147483647LL) throw std::invalid_argument("influence_blocks: too many blocks");
  auto st = static_cast<cudaStream_t>(stream);
  switch (dtype) {
    case InfluenceDType::F32: launch<float>(q, k, v, d_o, lse, delta, out, shape, scale, st); break;
    case InfluenceDType::F16: launch<__half>(q, k, v, d_o, lse, delta, out, shape, scale, st); break;
    case InfluenceDType::BF16: launch<__nv_bfloat16>(q, k, v, d_o, lse, delta, out, shape, scale, st); break;
  }
}

}  // namespace moa::kernels
