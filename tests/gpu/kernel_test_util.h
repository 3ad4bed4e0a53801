#pragma once
// Helpers for the torch-free kernel tests: device buffers, random 16-bit tensors, poisoning,
// relative errors. Tests compare against the float64 references of kernels/reference.h.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <random>
#include <vector>

#include "kernels/device.cuh"
#include "kernels/reference.h"
#include "kernels/types.cuh"

namespace moa::kernels::test {

#define MOA_SKIP_WITHOUT_GPU()                                              \
  do {                                                                      \
    if (::moa::kernels::device_count() == 0) GTEST_SKIP() << "no CUDA GPU"; \
  } while (0)

// Owning device buffer.
template <typename T>
struct DeviceBuffer {
  T* ptr = nullptr;
  size_t count = 0;
  explicit DeviceBuffer(size_t n) : count(n) {
    check_cuda(cudaMalloc(&ptr, std::max<size_t>(n, 1) * sizeof(T)), "cudaMalloc");
  }
  DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) { upload(host); }
  ~DeviceBuffer() { cudaFree(ptr); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void upload(const std::vector<T>& host) {
    check_cuda(cudaMemcpy(ptr, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice), "upload");
  }
  std::vector<T> download() const {
    std::vector<T> host(count);
    check_cuda(cudaMemcpy(host.data(), ptr, count * sizeof(T), cudaMemcpyDeviceToHost), "download");
    return host;
  }
  // Every byte 0xFF: NaN as bf16, fp16 and float32, so unwritten outputs are caught.
  void poison() { check_cuda(cudaMemset(ptr, 0xFF, count * sizeof(T)), "poison"); }
};

// cudaDeviceSynchronize with a deadline: a kernel that hangs (a barrier protocol bug) ends the test
// process with a message after `seconds` (MOA_KERNEL_TEST_TIMEOUT_S overrides) instead of
// holding the GPU until an outer timeout. A hung context cannot be recovered, hence _Exit.
inline void sync_or_die(const char* what, double seconds = 30.0) {
  if (const char* env = std::getenv("MOA_KERNEL_TEST_TIMEOUT_S")) seconds = std::atof(env);
  const auto t0 = std::chrono::steady_clock::now();
  for (;;) {
    const cudaError_t st = cudaStreamQuery(nullptr);
    if (st != cudaErrorNotReady) {
      check_cuda(st, what);
      check_cuda(cudaDeviceSynchronize(), what);
      return;
    }
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > seconds) {
      std::fprintf(stderr, "\n%s: kernel still running after %.0f s: HANG, exiting\n", what, seconds);
      std::fflush(stderr);
      std::fflush(stdout);
      std::_Exit(124);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

inline uint16_t to_bits(float f, DType t) { return t == DType::bf16 ? ref::float_to_bf16(f) : ref::float_to_f16(f); }
inline double from_bits(uint16_t h, DType t) {
  return t == DType::bf16 ? ref::bf16_to_float(h) : ref::f16_to_float(h);
}

// Random normal tensor (times `amp`), rounded to the storage type; `vals` gets the rounded values.
inline std::vector<uint16_t> random_tensor(size_t n, DType t, std::mt19937& rng, float amp,
                                           std::vector<double>& vals) {
  std::normal_distribution<float> dist(0.f, amp);
  std::vector<uint16_t> bits(n);
  vals.resize(n);
  for (size_t i = 0; i < n; ++i) {
    bits[i] = to_bits(dist(rng), t);
    vals[i] = from_bits(bits[i], t);
  }
  return bits;
}

inline std::vector<double> to_double(const std::vector<uint16_t>& bits, DType t) {
  std::vector<double> v(bits.size());
  for (size_t i = 0; i < bits.size(); ++i) v[i] = from_bits(bits[i], t);
  return v;
}

inline size_t count_nan(const std::vector<double>& v) {
  size_t n = 0;
  for (double x : v) n += std::isnan(x) ? 1 : 0;
  return n;
}

// ‖out − ref‖ / ‖ref‖ (NaN if any output is NaN).
inline double rel_error(const std::vector<double>& out, const std::vector<double>& ref) {
  double num = 0, den = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    num += (out[i] - ref[i]) * (out[i] - ref[i]);
    den += ref[i] * ref[i];
  }
  return std::sqrt(num / std::max(den, 1e-300));
}

inline const char* dtype_name(DType t) { return t == DType::bf16 ? "bf16" : "f16"; }

}  // namespace moa::kernels::test
