#pragma once
// Pooled attention influence without materialising N x N (DESIGN §4): for one sequence,
// recomputes P = exp(scale * Q K^T - lse) tile by tile, dP = dO V^T, dS = P * (dP - delta),
// E = -dS / (1 - P) (-dP * P where 1 - P == 0, row 0 always), and writes per (query head,
// query block, key block) the sum of |E| over the 64x64 tile (causal; blocks above the
// diagonal are written as 0). GQA: query head h reads KV head h / (Hq / Hkv).
// fp32 accumulation; each output is reduced by one thread block in a fixed order, so
// results are bitwise deterministic. Plain C++ API: raw device pointers + shapes + stream.
#include <cstdint>

namespace moa::kernels {

enum class InfluenceDType { F32, F16, BF16 };

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
                      float scale, void* stream);

}  // namespace moa::kernels
