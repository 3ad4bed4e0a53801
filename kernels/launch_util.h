#pragma once
// Host-side launch helpers shared by the kernel .cu files (internal).
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/device.cuh"

namespace moa::kernels::detail {

inline int current_device() {
  int dev = 0;
  check_cuda(cudaGetDevice(&dev), "cudaGetDevice");
  return dev;
}

// Raises a kernel's dynamic shared-memory limit once per (thread, device): attributes are per
// device, and a per-thread cache needs no locking (setting it twice is harmless).
// The kernel is a template argument so that every kernel gets its own cache (kernels share types).
template <auto Kernel>
void set_smem_limit_once(int bytes, const char* what) {
  thread_local uint64_t done = 0;  // one bit per device
  const int dev = current_device();
  if (dev < 64 && (done >> dev & 1u)) return;
  check_cuda(cudaFuncSetAttribute(Kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes), what);
  if (dev < 64) done |= uint64_t(1) << dev;
}

// A device attribute of the current device, cached per (thread, device).
inline int device_attribute(cudaDeviceAttr attr, int slot) {
  thread_local int cache[2][64] = {};
  const int dev = current_device();
  if (dev < 64 && cache[slot][dev] != 0) return cache[slot][dev];
  int v = 0;
  check_cuda(cudaDeviceGetAttribute(&v, attr, dev), "cudaDeviceGetAttribute");
  if (dev < 64) cache[slot][dev] = v;
  return v;
}
inline int sm_count() { return device_attribute(cudaDevAttrMultiProcessorCount, 0); }
inline int cc_major() { return device_attribute(cudaDevAttrComputeCapabilityMajor, 1); }

}  // namespace moa::kernels::detail
