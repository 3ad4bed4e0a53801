#pragma once
// What the torch-free kernel benchmarks share: a device buffer, random bf16 inputs written
// through a host staging vector, and the median time of a launch measured with CUDA events.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/device.cuh"

namespace moa::bench {

struct DeviceBuffer {
  void* p = nullptr;
  explicit DeviceBuffer(size_t bytes) { kernels::check_cuda(cudaMalloc(&p, bytes), "cudaMalloc"); }
  ~DeviceBuffer() { cudaFree(p); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

// Random bf16 values with a random sign whose bit pattern is `base` plus a random mantissa
// (`mantissa_mask` bits): base 0x3e80, mask 0x7f gives magnitudes in [0.25, 0.5); base 0x3f00,
// mask 0xff gives [0.5, 2).
inline void fill_bf16_random(void* dst, size_t elems, unsigned seed, uint16_t base, uint16_t mantissa_mask) {
  std::mt19937 rng(seed);
  std::vector<uint16_t> host(std::min<size_t>(elems, size_t(1) << 24));
  for (auto& x : host) {
    const auto magnitude = static_cast<uint16_t>(base + (rng() & mantissa_mask));
    const auto sign = static_cast<uint16_t>((rng() & 1u) << 15);
    x = static_cast<uint16_t>(magnitude | sign);
  }
  for (size_t off = 0; off < elems; off += host.size()) {
    const size_t n = std::min(host.size(), elems - off);
    kernels::check_cuda(cudaMemcpy(static_cast<uint16_t*>(dst) + off, host.data(), n * 2, cudaMemcpyHostToDevice), "fill");
  }
}

// Median over `reps` timed calls of run(i) (i = call index, for rotating inputs) after `warmup`
// untimed calls and a device sync.
template <typename F>
double median_ms(F&& run, int warmup, int reps) {
  cudaEvent_t a, b;
  kernels::check_cuda(cudaEventCreate(&a), "event");
  kernels::check_cuda(cudaEventCreate(&b), "event");
  for (int i = 0; i < warmup; ++i) run(i);
  kernels::check_cuda(cudaDeviceSynchronize(), "sync");
  std::vector<float> t;
  for (int i = 0; i < reps; ++i) {
    kernels::check_cuda(cudaEventRecord(a), "record");
    run(i);
    kernels::check_cuda(cudaEventRecord(b), "record");
    kernels::check_cuda(cudaEventSynchronize(b), "sync");
    float ms = 0;
    kernels::check_cuda(cudaEventElapsedTime(&ms, a, b), "elapsed");
    t.push_back(ms);
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace moa::bench
