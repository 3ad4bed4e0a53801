#pragma once
// Hopper synchronisation helpers for warp-specialised kernels (sm_90): shared-memory mbarriers
// (phase-parity waits), named CTA barriers (bar.sync / bar.arrive with a thread count) and
// setmaxnreg. Included by .cu files only.
#include <cstdint>

namespace moa::kernels::detail {

// ---- mbarrier (one 64-bit word in shared memory; `addr` is its shared-window address) ----

__device__ __forceinline__ void mbar_init(uint32_t addr, uint32_t count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(addr), "r"(count) : "memory");
}
// Makes the initialisation visible to the other threads (and the async proxy) before first use;
// follow it with a CTA barrier.
__device__ __forceinline__ void mbar_fence_init() {
  asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
}
// One arrival (release semantics at CTA scope).
__device__ __forceinline__ void mbar_arrive(uint32_t addr) {
  asm volatile("{\n.reg .b64 st;\nmbarrier.arrive.shared::cta.b64 st, [%0];\n}\n" ::"r"(addr) : "memory");
}
__device__ __forceinline__ bool mbar_try_wait(uint32_t addr, uint32_t parity) {
  uint32_t ok;
  asm volatile(
      "{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\nselp.u32 %0, 1, 0, p;\n}\n"
      : "=r"(ok)
      : "r"(addr), "r"(parity)
      : "memory");
  return ok != 0;
}
// Non-blocking: has the phase of parity `parity` completed?
__device__ __forceinline__ bool mbar_test_wait(uint32_t addr, uint32_t parity) {
  uint32_t ok;
  asm volatile(
      "{\n.reg .pred p;\nmbarrier.test_wait.parity.shared::cta.b64 p, [%1], %2;\nselp.u32 %0, 1, 0, p;\n}\n"
      : "=r"(ok)
      : "r"(addr), "r"(parity)
      : "memory");
  return ok != 0;
}
__device__ __forceinline__ uint64_t global_timer_ns() {
  uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}
// Waits (acquire) until the phase of parity `parity` has completed: parity 0 = the first phase,
// 1 = the second, 0 = the third, ... A wait that lasts more than kMbarTimeoutNs traps (the launch
// fails with an error instead of hanging the GPU: every wait in these kernels lasts microseconds).
inline constexpr uint64_t kMbarTimeoutNs = 10ull * 1000 * 1000 * 1000;
__device__ __forceinline__ void mbar_wait(uint32_t addr, uint32_t parity) {
  if (mbar_try_wait(addr, parity)) return;
  const uint64_t t0 = global_timer_ns();
  while (!mbar_try_wait(addr, parity))
    if (global_timer_ns() - t0 > kMbarTimeoutNs) __trap();
}

// ---- named barriers (ids 1..15; 0 is __syncthreads). `threads` counts every thread that
// syncs or arrives, a multiple of 32. bar.arrive does not wait. ----
__device__ __forceinline__ void named_bar_sync(int id, int threads) {
  asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}
__device__ __forceinline__ void named_bar_arrive(int id, int threads) {
  asm volatile("bar.arrive %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}

// ---- per-warpgroup register budget (sm_90a; needs a register cap at kernel entry, i.e.
// __launch_bounds__(threads, 1), and all warps of the warpgroup executing it) ----
template <int N>
__device__ __forceinline__ void setmaxnreg_inc() {
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(N));
}
template <int N>
__device__ __forceinline__ void setmaxnreg_dec() {
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(N));
}

}  // namespace moa::kernels::detail
