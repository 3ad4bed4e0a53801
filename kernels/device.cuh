#pragma once
// Device queries for the host side: how many GPUs, what they are. Plain C++ API.
#include <string>

namespace moa::kernels {

// Number of usable CUDA devices; 0 when there is no driver or no GPU (never throws).
int device_count();

struct DeviceInfo {
  std::string name;
  int sm_count = 0;
  int major = 0, minor = 0;
  size_t total_memory = 0;
  size_t shared_memory_per_block_optin = 0;
};
DeviceInfo device_info(int device);

// Throws moa::Error-compatible std::runtime_error with the CUDA error text.
void check_cuda(int status, const char* what);

}  // namespace moa::kernels
