#pragma once
// The one dispatch point between the profiler and kernels/moa_influence (DESIGN §2): pooled
// |E| from one layer's saved attention tensors. CUDA tensors go to the CUDA kernel; CPU
// tensors to a chunked LibTorch version of the same tile algorithm, which can also return the
// attention backward (dQ, dK, dV) since it computes dS anyway.
#include <ATen/ATen.h>

#include <functional>
#include <utility>

namespace moa {

struct AttentionSaved {
  at::Tensor q;    // [Hq, N, D], rope applied
  at::Tensor k, v;  // [Hkv, N, D]
  at::Tensor o;    // [Hq, N, D] attention output
  at::Tensor lse;  // [Hq, N] natural-log log-sum-exp of scale * q.k over the causal row
  at::Tensor d_o;  // [Hq, N, D] gradient of the loss at o
  double scale = 1.0;
};

struct InfluenceBlocks {
  at::Tensor pooled;      // [Hq, nb, nb] float32, nb = ceil(N / 64)
  at::Tensor dq, dk, dv;  // CPU with want_grads only: gradients at q, k, v
};

// `tick` is called between chunks (CPU) and may throw to cancel.
InfluenceBlocks influence_blocks(const AttentionSaved& saved, bool want_grads, const std::function<void()>& tick = {});

// Causal attention and its row log-sum-exp on the CPU, chunked over query rows (memory
// O(chunk * N)); no autograd. q [Hq, N, D], k/v [Hkv, N, D] -> (o in q's dtype, lse float32
// or float64 for float64 input).
std::pair<at::Tensor, at::Tensor> attention_with_lse_cpu(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                                         double scale, const std::function<void()>& tick = {});

// Query rows per chunk of the CPU paths (a multiple of 64).
inline constexpr int64_t kInfluenceChunkRows = 256;

}  // namespace moa
