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
// One arrival that also raises the current phase's expected transaction count by `bytes` (release,
// CTA scope): the phase then completes when every arrival is in and that many bytes of
// asynchronous copies naming this barrier (cp.async.bulk ... mbarrier::complete_tx::bytes) have
// landed. Arm the barrier before issuing the copies, so the count never runs below zero.
__device__ __forceinline__ void mbar_arrive_expect_tx(uint32_t addr, uint32_t bytes) {
  asm volatile("{\n.reg .b64 st;\nmbarrier.arrive.expect_tx.shared::cta.b64 st, [%0], %1;\n}\n" ::"r"(addr), "r"(bytes)
               : "memory");
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
// Set (never cleared) by a wait that gave up; see mbar_wait. One per translation unit: the
// kernels are built without relocatable device code.
__device__ static int g_mbar_timed_out = 0;

// Waits (acquire) until the phase of parity `parity` has completed: parity 0 = the first phase,
// 1 = the second, 0 = the third, ... Every wait in these kernels lasts microseconds; one that lasts
// more than kMbarTimeoutNs is a protocol bug: it sets g_mbar_timed_out and returns, and every
// later wait that does not succeed at once returns too, so a broken kernel finishes (with wrong
// results, which the tests catch) instead of hanging the GPU. (`trap` would be simpler, but
// ptxas then stops honouring setmaxnreg.inc for the consumer warpgroups: spills, C7512.)
inline constexpr uint64_t kMbarTimeoutNs = 10ull * 1000 * 1000 * 1000;
__device__ __forceinline__ void mbar_wait(uint32_t addr, uint32_t parity) {
  if (mbar_try_wait(addr, parity)) return;
  const uint64_t t0 = global_timer_ns();
  while (!mbar_try_wait(addr, parity)) {
    const uint64_t dt = global_timer_ns() - t0;
    if (dt > 1000000 && *static_cast<volatile int*>(&g_mbar_timed_out) != 0) return;  // another wait gave up
    if (dt > kMbarTimeoutNs) {
      atomicExch(&g_mbar_timed_out, 1);
      return;
    }
  }
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
