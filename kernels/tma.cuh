#pragma once
// Hopper bulk tensor copies (TMA, sm_90): global -> shared memory copies of one box of a tensor
// map, completing on an mbarrier (mbar_arrive_expect_tx in mbarrier.cuh arms it). The tensor map
// (CUtensorMap, built on the host with cuTensorMapEncodeTiled) is passed to the kernel as a
// `const __grid_constant__` parameter; these helpers take its generic address, so this header
// needs no <cuda.h>. Included by .cu files only.
#include <cstdint>

namespace moa::kernels::detail {

// Fetches the tensor map into the copy engine's descriptor cache ahead of its first use.
__device__ __forceinline__ void tma_prefetch_map(const void* map) {
  asm volatile("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<uint64_t>(map)) : "memory");
}

// One box of a 3-D tiled tensor map, starting at coordinates (c0 innermost, c1, c2), into this
// CTA's shared memory at `dst` (shared-window address); when it has landed the copy engine
// performs complete_tx(box bytes) on the mbarrier at `bar`. Elements outside the tensor are
// written as zeros (the map's OOB fill NONE) and count towards the bytes like the others.
// .shared::cluster with this CTA's own addresses: valid without clusters, and assembles with PTX
// ISA 8.0 (the .shared::cta destination needs 8.6).
__device__ __forceinline__ void tma_load_3d(uint32_t dst, const void* map, uint32_t bar, int c0, int c1, int c2) {
  asm volatile(
      "cp.async.bulk.tensor.3d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4}], [%5];\n" ::"r"(dst),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(c0), "r"(c1), "r"(c2), "r"(bar)
      : "memory");
}

}  // namespace moa::kernels::detail
