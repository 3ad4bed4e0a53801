#pragma once
// Attention influence of one calibration sample (DESIGN §4), LibTorch side. Not for app/:
// profile.h is the torch-free entry point.
//
// E[i,j] = -A[i,j] * (G[i,j] - sum_n G[i,n] A[i,n]) / (1 - A[i,j]) estimates, to first order,
// how the answer loss changes when entry (i,j) is masked and its row renormalised; rows where
// 1 - A == 0 (row 0 always) use -G*A. Pooled = sum of |E| over 64x64 blocks.
#include <ATen/ATen.h>

#include <functional>
#include <vector>

#include "core/model/llama.h"

namespace moa {

struct InfluenceInput {
  std::vector<int64_t> ids;  // exactly N tokens
  int64_t answer_begin = 0;  // loss = mean cross-entropy of predicting ids[answer_begin, answer_end)
  int64_t answer_end = 0;
};

// Called between layers and attention chunks with the layer and the phase ("forward",
// "backward"); throws (moa::Cancelled) to stop. May be empty.
using InfluenceTick = std::function<void(int layer, const char* phase)>;

struct InfluenceResult {
  double loss = 0;
  at::Tensor pooled;                // [L, Hq, nb, nb] float32 on the CPU, nb = ceil(N/64)
  std::vector<at::Tensor> entries;  // reference with keep_entries: per layer E [Hq, N, N] (signed)
};

// Materialises A per layer and head with autograd (the model's dtype, at least float32;
// float64 for a float64 model). Memory O(L * H * N^2): short lengths, tests, and the naive
// baseline of the benchmark.
InfluenceResult influence_reference(const LlamaModel& model, const InfluenceInput& input, bool keep_entries,
                                    const InfluenceTick& tick = {});

// Never materialises N x N: a no-grad forward keeps each layer's input, then layer by layer
// from the top the layer is recomputed with autograd to get dO (gradient at the attention
// output) and the gradient for the layer below, and influence_blocks() pools |E| from Q, K,
// V, O, the row log-sum-exp and dO. Memory O(L * N * hidden + one layer's activations).
// pool = false runs the same passes without the influence: the benchmark's baseline of one
// forward+backward with per-layer recompute (pooled is then all zero).
InfluenceResult influence_fused(const LlamaModel& model, const InfluenceInput& input, const InfluenceTick& tick = {},
                                bool pool = true);

// The formula on materialised A and G = dL/dA, [..., N, N]; same dtype out.
at::Tensor influence_entries(const at::Tensor& A, const at::Tensor& G);
// Sums |E| [H, N, N] into [H, nb, nb] float32 blocks of 64 (N padded with zeros).
at::Tensor influence_pool(const at::Tensor& abs_entries);

// Mean cross-entropy of the answer tokens from the final-normed hidden states [1, N, hidden],
// in float32 (float64 for a float64 model). Only the answer rows go through the LM head.
at::Tensor answer_loss(const LlamaModel& model, const at::Tensor& hidden, const InfluenceInput& input);

}  // namespace moa
