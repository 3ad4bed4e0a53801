#pragma once
// The element-wise steps of a Llama decode step, fused: each replaces a chain of ATen kernels
// (an RMSNorm is eight of them, a rotary embedding five per tensor) that at decode batch sizes
// cost launches, not bandwidth. Each reproduces the rounding of the ATen chain it replaces
// (core/model/llama.cpp: LlamaModel::rms_norm, apply_rope, silu * up) step by step: 16-bit
// results where ATen rounds to 16 bits, float32 inside. RoPE and SiLU * up come out bit-identical
// to ATen's; the RMSNorm's float32 statistics differ in summation order (and 1/sqrtf here vs
// ATen's rsqrt), which moves a few elements in ten thousand by one or two 16-bit steps.
// Pointers are device pointers; elements bf16 or fp16 (`dtype`). Rows may be slices of the fused
// projections' outputs (q|k|v and gate|up side by side in one row), hence the row layouts below.
#include <cstddef>
#include <cstdint>

#include "kernels/types.cuh"

namespace moa::kernels {

// Optionally x += residual (16-bit result, written back to x), then
// out = weight * T(x * rsqrt(mean(x^2) + eps)) with the statistics in float32.
// x, residual (may be null), out [rows, hidden]; weight [hidden]. out may not alias x.
void moa_add_rms_norm(void* x, const void* residual, const void* weight, void* out, int rows, int hidden, float eps,
                      DType dtype, void* stream);

// Rotary embedding in place, rotate-half convention, one position per row:
// x: rows of `heads` contiguous heads of head_dim, `row_stride` elements apart (0: heads * head_dim;
// e.g. the q and k heads at the front of a fused q|k|v row); positions [rows] (int64);
// inv_freq [head_dim / 2] float32.
// cos/sin of positions[r] * inv_freq[i] are computed in float32 and rounded to 16 bits, then
// x = T(T(x * cos) + T(rotate_half(x) * sin)).
void moa_rope_rows(void* x, int rows, int heads, int head_dim, size_t row_stride, const int64_t* positions,
                   const float* inv_freq, DType dtype, void* stream);

// out = T(T(silu(gate)) * up) for gate_up [rows, 2 * inter], the fused gate|up projection (gate in
// the first `inter` columns of a row, up in the rest); out [rows, inter] contiguous.
void moa_silu_mul(const void* gate_up, void* out, int rows, int inter, DType dtype, void* stream);

}  // namespace moa::kernels
