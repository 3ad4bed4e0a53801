#pragma once
// The one place that knows LibTorch versions differ: Debian's 1.13 (CPU) and the
// LibTorch inside PyTorch 2.11 (CUDA) on the GPU machine.
#include <ATen/ATen.h>
#include <string>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <torch/version.h>

#include "core/util/error.h"

// MOA_TORCH_CUDA is set by CMake when the LibTorch found was built with CUDA
// (Debian's CPU build ships c10/cuda headers that do not compile, so no __has_include).
#if defined(MOA_TORCH_CUDA) && defined(MOA_HAVE_CUDA)
#include <c10/cuda/CUDAStream.h>
#define MOA_TORCH_HAS_CUDA 1
#endif

namespace moa::compat {

// Autograd off for a scope (at::NoGradGuard exists in 1.13 only).
struct NoGrad {
  c10::AutoGradMode guard{false};
};

constexpr int torch_major = TORCH_VERSION_MAJOR;
constexpr int torch_minor = TORCH_VERSION_MINOR;
constexpr bool has_sdpa = (TORCH_VERSION_MAJOR >= 2);

// Scaled-dot-product attention with an optional boolean mask (true = attend) or causal flag.
// 2.x: at::scaled_dot_product_attention (fused backends). 1.13: explicit float32 softmax.
inline at::Tensor sdpa(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                       const c10::optional<at::Tensor>& mask, bool causal, double scale) {
#if TORCH_VERSION_MAJOR >= 2
  return at::scaled_dot_product_attention(q, k, v, mask, 0.0, causal && !mask.has_value(), scale);
#else
  auto scores = at::matmul(q.to(at::kFloat), k.to(at::kFloat).transpose(-2, -1)) * scale;
  if (mask.has_value()) {
    scores = scores.masked_fill(mask->logical_not(), -std::numeric_limits<float>::infinity());
  } else if (causal) {
    const int64_t t = q.size(-2), s = k.size(-2);
    auto m = at::ones({t, s}, q.options().dtype(at::kBool)).tril(s - t);
    scores = scores.masked_fill(m.logical_not(), -std::numeric_limits<float>::infinity());
  }
  return at::matmul(at::softmax(scores, -1), v.to(at::kFloat)).to(q.scalar_type());
#endif
}

// Current CUDA stream as an opaque handle for kernels/ (nullptr = default stream).
inline void* current_cuda_stream([[maybe_unused]] const at::Device& device) {
#ifdef MOA_TORCH_HAS_CUDA
  return static_cast<void*>(c10::cuda::getCurrentCUDAStream(device.index()).stream());
#else
  return nullptr;
#endif
}

inline bool cuda_available() {
#ifdef MOA_TORCH_HAS_CUDA
  return at::hasCUDA();
#else
  return false;
#endif
}

// Debian's LibTorch 1.13 has no float16 matrix multiply on CPU ("addmm_impl_cpu_" not
// implemented for 'Half'); PyTorch 2.x has one. Probed once rather than assumed from the version.
inline bool cpu_half_matmul() {
  static const bool ok = [] {
    try {
      const at::Tensor a = at::ones({2, 2}, at::TensorOptions().dtype(at::kHalf));
      (void)at::mm(a, a);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }();
  return ok;
}

// The one parser of a --device option: "cpu" or "cuda" (GPU 0), the latter only where this
// build and machine have CUDA. `who` prefixes the error ("profile: device must be ...").
inline at::Device parse_device(const std::string& name, const std::string& who) {
  if (name == "cpu") return at::Device(at::kCPU);
  if (name != "cuda") throw Error(who + ": device must be cpu or cuda (got '" + name + "')");
  if (!cuda_available()) throw Error(who + ": device cuda, but no CUDA in this build or machine");
  return at::Device(at::kCUDA, 0);
}

}  // namespace moa::compat
