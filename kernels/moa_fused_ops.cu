// Fused element-wise steps of the decode loop (see moa_fused_ops.cuh for the rounding contract).
#include "kernels/device.cuh"
#include "kernels/moa_fused_ops.cuh"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <type_traits>

namespace moa::kernels {
namespace {

template <typename T>
__device__ __forceinline__ float to_f(T v) {
  if constexpr (std::is_same_v<T, __nv_bfloat16>) return __bfloat162float(v);
  else return __half2float(v);
}
template <typename T>
__device__ __forceinline__ T from_f(float v) {
  if constexpr (std::is_same_v<T, __nv_bfloat16>) return __float2bfloat16_rn(v);
  else return __float2half_rn(v);
}
// A float rounded to T and back: the value ATen holds after an op with a 16-bit result.
template <typename T>
__device__ __forceinline__ float round_t(float v) { return to_f<T>(from_f<T>(v)); }

constexpr int kNormThreads = 256;

// One CTA per row. Pass 1: the residual add (stored) and the float32 sum of squares of the
// rounded sum; pass 2 re-reads the row (L1/L2-resident: a few KB) and writes the normed row.
template <typename T>
__global__ void __launch_bounds__(kNormThreads) add_rms_norm_kernel(T* x, const T* residual, const T* weight, T* out,
                                                                     int hidden, float eps) {
  const size_t base = static_cast<size_t>(blockIdx.x) * hidden;
  float ss = 0.f;
  for (int i = threadIdx.x; i < hidden; i += kNormThreads) {
    float v = to_f(x[base + i]);
    if (residual) {
      v = round_t<T>(v + to_f(residual[base + i]));
      x[base + i] = from_f<T>(v);
    }
    ss += v * v;
  }
  __shared__ float warp_sums[kNormThreads / 32];
  for (int o = 16; o > 0; o >>= 1) ss += __shfl_xor_sync(0xffffffffu, ss, o);
  if ((threadIdx.x & 31) == 0) warp_sums[threadIdx.x >> 5] = ss;
  __syncthreads();
  float total = 0.f;
#pragma unroll
  for (int w = 0; w < kNormThreads / 32; ++w) total += warp_sums[w];
  // ATen: h * rsqrt(mean + eps) with mean = sum / hidden, both in float32.
  const float inv = 1.0f / sqrtf(total / static_cast<float>(hidden) + eps);
  for (int i = threadIdx.x; i < hidden; i += kNormThreads) {
    const float normed = round_t<T>(to_f(x[base + i]) * inv);  // h.to(T)
    out[base + i] = from_f<T>(to_f(weight[i]) * normed);        // weight * h
  }
}

// One thread per (row, head, i < head_dim / 2): rotates the pair (i, i + half) in place.
template <typename T>
__global__ void rope_rows_kernel(T* x, int rows, int heads, int half, size_t row_stride, const int64_t* positions,
                                 const float* inv_freq) {
  const size_t idx = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const size_t total = static_cast<size_t>(rows) * heads * half;
  if (idx >= total) return;
  const int i = static_cast<int>(idx % half);
  const size_t rh = idx / half;             // row * heads + head
  const int row = static_cast<int>(rh / heads), head = static_cast<int>(rh % heads);
  // ATen: freqs = positions.float() * inv_freq (float32); cos/sin in float32, then .to(T).
  const float angle = static_cast<float>(positions[row]) * inv_freq[i];
  const float c = round_t<T>(cosf(angle)), s = round_t<T>(sinf(angle));
  T* v = x + row * row_stride + static_cast<size_t>(head) * (2 * half);
  const float x1 = to_f(v[i]), x2 = to_f(v[i + half]);
  // out = x * cos + rotate_half(x) * sin, rotate_half(x) = cat(-x2, x1); each product rounded.
  v[i] = from_f<T>(round_t<T>(x1 * c) + round_t<T>(-x2 * s));
  v[i + half] = from_f<T>(round_t<T>(x2 * c) + round_t<T>(x1 * s));
}

// One thread per output element (row r, column c): gate = gate_up[r, c], up = gate_up[r, inter + c].
template <typename T>
__global__ void silu_mul_kernel(const T* gate_up, T* out, int rows, int inter) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<size_t>(rows) * inter) return;
  const size_t r = i / inter, c = i % inter;
  const T* row = gate_up + r * (2 * static_cast<size_t>(inter));
  const float g = to_f(row[c]);
  const float a = round_t<T>(g / (1.0f + expf(-g)));  // at::silu: float32 inside, T out
  out[i] = from_f<T>(a * to_f(row[inter + c]));
}

unsigned blocks_for(size_t n, int threads) { return static_cast<unsigned>((n + threads - 1) / threads); }

}  // namespace

void moa_add_rms_norm(void* x, const void* residual, const void* weight, void* out, int rows, int hidden, float eps,
                      DType dtype, void* stream) {
  if (rows <= 0 || hidden <= 0) throw std::invalid_argument("moa_add_rms_norm: empty shape");
  if (!x || !weight || !out || out == x) throw std::invalid_argument("moa_add_rms_norm: null or aliased pointer");
  auto s = static_cast<cudaStream_t>(stream);
  if (dtype == DType::bf16)
    add_rms_norm_kernel<__nv_bfloat16><<<rows, kNormThreads, 0, s>>>(
        static_cast<__nv_bfloat16*>(x), static_cast<const __nv_bfloat16*>(residual),
        static_cast<const __nv_bfloat16*>(weight), static_cast<__nv_bfloat16*>(out), hidden, eps);
  else
    add_rms_norm_kernel<__half><<<rows, kNormThreads, 0, s>>>(static_cast<__half*>(x), static_cast<const __half*>(residual),
                                                             static_cast<const __half*>(weight), static_cast<__half*>(out),
                                                             hidden, eps);
  check_cuda(cudaGetLastError(), "moa_add_rms_norm launch");
}

void moa_rope_rows(void* x, int rows, int heads, int head_dim, size_t row_stride, const int64_t* positions,
                   const float* inv_freq, DType dtype, void* stream) {
  if (rows <= 0 || heads <= 0 || head_dim <= 0 || head_dim % 2)
    throw std::invalid_argument("moa_rope_rows: bad shape (head_dim must be even)");
  if (row_stride == 0) row_stride = static_cast<size_t>(heads) * head_dim;
  if (row_stride < static_cast<size_t>(heads) * head_dim)
    throw std::invalid_argument("moa_rope_rows: row_stride shorter than heads * head_dim");
  if (!x || !positions || !inv_freq) throw std::invalid_argument("moa_rope_rows: null pointer");
  const int half = head_dim / 2;
  const size_t n = static_cast<size_t>(rows) * heads * half;
  auto s = static_cast<cudaStream_t>(stream);
  if (dtype == DType::bf16)
    rope_rows_kernel<__nv_bfloat16><<<blocks_for(n, 256), 256, 0, s>>>(static_cast<__nv_bfloat16*>(x), rows, heads, half,
                                                                        row_stride, positions, inv_freq);
  else
    rope_rows_kernel<__half><<<blocks_for(n, 256), 256, 0, s>>>(static_cast<__half*>(x), rows, heads, half,
                                                                 row_stride, positions, inv_freq);
  check_cuda(cudaGetLastError(), "moa_rope_rows launch");
}

void moa_silu_mul(const void* gate_up, void* out, int rows, int inter, DType dtype, void* stream) {
  if (rows <= 0 || inter <= 0) throw std::invalid_argument("moa_silu_mul: empty shape");
  if (!gate_up || !out) throw std::invalid_argument("moa_silu_mul: null pointer");
  const size_t n = static_cast<size_t>(rows) * inter;
  auto s = static_cast<cudaStream_t>(stream);
  if (dtype == DType::bf16)
    silu_mul_kernel<__nv_bfloat16><<<blocks_for(n, 256), 256, 0, s>>>(static_cast<const __nv_bfloat16*>(gate_up),
                                                                       static_cast<__nv_bfloat16*>(out), rows, inter);
  else
    silu_mul_kernel<__half><<<blocks_for(n, 256), 256, 0, s>>>(static_cast<const __half*>(gate_up),
                                                                static_cast<__half*>(out), rows, inter);
  check_cuda(cudaGetLastError(), "moa_silu_mul launch");
}

}  // namespace moa::kernels
