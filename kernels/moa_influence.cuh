#pragma once
// Pooled attention influence without materialising N x N (DESIGN §4): for one sequence,
// recomputes P = exp(scale * Q K^T - lse) tile by tile, dP = dO V^T, dS = P * (dP - delta),
// E = -dS / (1 - P) (-dP * P where 1 - P == 0, row 0 always), and writes per (query head,
// query block, key block) the sum of |E| over the 64x64 tile (causal; blocks above the
// diagonal are written as 0). GQA: query head h reads KV head h / (Hq / Hkv).
// fp32 accumulation; each output is reduced by one thread block in a fixed order, so
// results are bitwise deterministic. Plain C++ API: raw device pointers + shapes + stream.
//
// Two implementations: tensor cores (mma.sync m16n8k16, fp32 accumulation) for F16/BF16 inputs
// with D a multiple of 16 (D <= 256, 16-byte aligned pointers), and fp32 CUDA cores for F32
// inputs and any other D. Both are deterministic; they differ by fp32 rounding only.
#include <cstdint>

namespace moa::kernels {

enum class InfluenceDType { F32, F16, BF16 };

// automatic: tensor cores where supported, else CUDA cores. tensor_cores where unsupported throws
// std::invalid_argument. (Forcing one is for tests and benchmarks.)
enum class InfluenceImpl { automatic, cuda_cores, tensor_cores };

struct InfluenceShape {
  int heads_q = 0;
  int heads_kv = 0;
  int64_t tokens = 0;  // N (any positive value; blocks = ceil(N / 64))
  int head_dim = 0;    // D (any positive value)
};

// q, d_o: [Hq, N, D]; k, v: [Hkv, N, D]; contiguous, all of dtype `dtype`.
// lse: [Hq, N] float32, natural-log log-sum-exp of the scaled scores of each row.
// delta: [Hq, N] float32, rowsum(dO * O).
// out: [Hq, nb, nb] float32, nb = ceil(N / 64). stream: cudaStream_t (nullptr = default).
void influence_blocks(const void* q, const void* k, const void* v, const void* d_o, const float* lse,
                      const float* delta, float* out, const InfluenceShape& shape, InfluenceDType dtype,
                      float scale, void* stream, InfluenceImpl impl = InfluenceImpl::automatic);

// Whether `automatic` runs on tensor cores for this shape and dtype on the current GPU (D > 128
// needs up to 198 KiB of shared memory per block), given 16-byte aligned pointers.
bool influence_tensor_cores_supported(const InfluenceShape& shape, InfluenceDType dtype);

}  // namespace moa::kernels
