#pragma once
// Plain C++ types shared by the kernel APIs (no CUDA headers: core/ includes this).
#include <cstdint>

namespace moa::kernels {

// Element type of Q/K/V/O tensors. Accumulation is always float32.
enum class DType : int { bf16 = 0, f16 = 1 };

// DESIGN §4: 64-token blocks; the sink is the first block.
inline constexpr int kBlockTokens = 64;
inline constexpr int kSinkTokens = 64;

}  // namespace moa::kernels
