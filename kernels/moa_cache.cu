// Cache write helpers: pure copies of 16-byte chunks (dtype-agnostic); ring convention in moa_cache.cuh.
#include "kernels/device.cuh"
#include "kernels/moa_cache.cuh"

#include <cuda_runtime.h>

#include <stdexcept>

namespace moa::kernels {
namespace {

// Slot within the head of the token at `pos`, or -1 when the head does not keep it.
__device__ __forceinline__ int slot_of(int pos, int span) {
  const int sink = min(64, span), ring = span - sink;
  if (pos < sink) return pos;
  if (pos < 64 || ring == 0) return -1;
  return 64 + (pos - 64) % ring;
}

// Inverse for the fill: which prefill token (of n) ends up in `slot`, or -1.
__device__ __forceinline__ int token_of(int slot, int span, int n) {
  if (slot < 64) return slot < n ? slot : -1;
  const int ring = span - 64, r = slot - 64;
  const int last = n - 1 - 64 - r;  // positions 64 + r + m*ring <= n-1
  if (last < 0) return -1;
  return 64 + r + (last / ring) * ring;
}

__global__ void fill_kernel(const uint4* k_src, const uint4* v_src, uint4* k_cache, uint4* v_cache,
                            const int32_t* offset, const int32_t* span, int32_t* seen, int hkv, int total_slots,
                            int chunks, int n) {
  const int bh = blockIdx.y, b = bh / hkv, h = bh % hkv;
  const int idx = blockIdx.x * blockDim.x + threadIdx.x;
  const int slot = idx / chunks, c = idx % chunks;
  const int s_h = span[h];
  if (idx == 0) seen[bh] = n;
  if (slot >= s_h) return;
  const int tok = token_of(slot, s_h, n);
  if (tok < 0) return;
  const size_t src = (static_cast<size_t>(bh) * n + tok) * chunks + c;
  const size_t dst = (static_cast<size_t>(b) * total_slots + offset[h] + slot) * chunks + c;
  k_cache[dst] = k_src[src];
  v_cache[dst] = v_src[src];
}

__global__ void append_kernel(const uint4* k_new, const uint4* v_new, size_t new_row_chunks, uint4* k_cache,
                              uint4* v_cache, const int32_t* offset, const int32_t* span, int32_t* seen, int hkv,
                              int total_slots, int chunks) {
  const int bh = blockIdx.x, b = bh / hkv, h = bh % hkv;
  const int pos = seen[bh];
  const int slot = slot_of(pos, span[h]);
  for (int c = threadIdx.x; c < chunks; c += blockDim.x) {
    if (slot < 0) break;
    const size_t dst = (static_cast<size_t>(b) * total_slots + offset[h] + slot) * chunks + c;
    const size_t src = b * new_row_chunks + static_cast<size_t>(h) * chunks + c;
    k_cache[dst] = k_new[src];
    v_cache[dst] = v_new[src];
  }
  __syncthreads();  // every thread has read `pos` before it moves on
  if (threadIdx.x == 0) seen[bh] = pos + 1;
}

void check_geometry(const CacheGeometryArgs& g) {
  if (g.head_dim != 64 && g.head_dim != 128) throw std::invalid_argument("moa_cache: head_dim must be 64 or 128");
  if (!g.head_offset || !g.head_span || g.batch <= 0 || g.num_kv_heads <= 0 || g.total_slots <= 0 || g.max_span <= 0)
    throw std::invalid_argument("moa_cache: bad geometry");
}

}  // namespace

void moa_cache_fill(const CacheGeometryArgs& g, const void* k_src, const void* v_src, int seq_len, void* k_cache,
                    void* v_cache, int32_t* seen, void* stream) {
  check_geometry(g);
  if (seq_len < 0) throw std::invalid_argument("moa_cache_fill: seq_len < 0");
  const int chunks = g.head_dim / 8;
  const int threads = 256;
  dim3 grid((g.max_span * chunks + threads - 1) / threads, g.batch * g.num_kv_heads);
  fill_kernel<<<grid, threads, 0, static_cast<cudaStream_t>(stream)>>>(
      static_cast<const uint4*>(k_src), static_cast<const uint4*>(v_src), static_cast<uint4*>(k_cache),
      static_cast<uint4*>(v_cache), g.head_offset, g.head_span, seen, g.num_kv_heads, g.total_slots, chunks, seq_len);
  check_cuda(cudaGetLastError(), "moa_cache_fill launch");
}

void moa_cache_append(const CacheGeometryArgs& g, const void* k_new, const void* v_new, size_t new_row_stride,
                      void* k_cache, void* v_cache, int32_t* seen, void* stream) {
  check_geometry(g);
  const int chunks = g.head_dim / 8;
  const size_t packed = static_cast<size_t>(g.num_kv_heads) * g.head_dim;
  if (new_row_stride == 0) new_row_stride = packed;
  if (new_row_stride < packed || new_row_stride % 8)
    throw std::invalid_argument("moa_cache_append: new_row_stride must be >= Hkv * D and a multiple of 8");
  append_kernel<<<g.batch * g.num_kv_heads, chunks, 0, static_cast<cudaStream_t>(stream)>>>(
      static_cast<const uint4*>(k_new), static_cast<const uint4*>(v_new), new_row_stride / 8, static_cast<uint4*>(k_cache),
      static_cast<uint4*>(v_cache), g.head_offset, g.head_span, seen, g.num_kv_heads, g.total_slots, chunks);
  check_cuda(cudaGetLastError(), "moa_cache_append launch");
}

}  // namespace moa::kernels
