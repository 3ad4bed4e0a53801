// MoA prefill, Hopper warp-specialised path with a TMA producer (PrefillImpl::wgmma_tma, sm_90a,
// D = 128): the producer, the tensor maps, the kernel and its launch. The structure, the protocol
// and everything shared with wgmma_ws are in moa_prefill_ws.cuh.
#include "kernels/moa_prefill_ws.cuh"
#include "kernels/tma.cuh"

// The tensor map type and cuTensorMapEncodeTiled's signature (PFN_...): types only, the function
// is looked up in the driver at run time (tensor_map_encoder), so nothing links libcuda.
#include <cuda.h>
#include <cudaTypedefs.h>

#include <stdexcept>
#include <string>
#include <type_traits>

namespace moa::kernels::prefill {
namespace {

// TMA variant: the producer warpgroup keeps one thread, so FA3's split fits: 128 x 24 + 256 x 240
// = 64512 as well. (The cp.async producer needs more than 24: NOTES.md v7.)
constexpr int kTmaProducerRegs = 24;
constexpr int kTmaConsumerRegs = 240;

// ---------------- TMA producer (wgmma_tma_kernel) ----------------
// Thread 0 of warpgroup 0 walks the same items and tiles as the cp.async producer, but moves no
// data itself: per tile it arms the stage's full barrier (count 1) with arrive.expect_tx(the
// tile's bytes) and issues the tile's bulk tensor copies naming that barrier; the phase completes
// when the copy engine has written every byte (complete_tx), which also makes the bytes visible
// to the consumers that wait on it (no proxy fence: the copy engine and wgmma are both the async
// proxy, and the ldmatrix reads of Q are ordered by the mbarrier wait as for any TMA load). The
// other direction, the consumers' reads of a stage or of Q before the copy engine rewrites it, is
// ordered by their release on empty / q_empty and the producer's wait, as in CUTLASS's TMA
// pipelines, which fence nothing there either.
// Invariants beyond the common ones (the tags [T-...] are modelled by ws_protocol_check.py):
//   - Each phase of full[s] / q_full gets exactly one arrival and exactly the bytes it was armed
//     with: kTmaTileBytes = 8 copies of one 64-row x 64-column box, kTmaQBytes = 2 copies of one
//     128-row box (static_asserts below). Too few bytes armed: the phase completes early and the
//     rest lands in the next phase; too many: it never completes (every wait gives up after
//     kMbarTimeoutNs and the results are wrong, see mbar_wait).
//   - Arm before issuing: the transaction count never goes below zero.
//   - Nothing to publish before blocking: copies complete on their own, so the producer may wait
//     on empty / q_empty with copies in flight (the deadlock argument of the cp.async producer
//     holds trivially), and no ticket broadcast: thread 0 draws and uses the ticket, so no named
//     barrier needs the other producer threads, which exit after setmaxnreg. Thread 0 exits after
//     the end marker with copies possibly in flight: they target this CTA's own shared memory and
//     barriers, which live until the consumers (who wait for those copies) are done; no clusters.
//
// Tensor maps (launch_wgmma_tma): 3-D (D, N, heads), i.e. [B * H][N][D] as stored, box
// {64, rows, 1}, CU_TENSOR_MAP_SWIZZLE_128B, OOB fill zero. The sequence dimension is N per
// (batch, head), so a box reaching past row N - 1 is zero-filled there instead of reading the
// next head's rows (a 2-D map over B * H * N rows would do the latter).
//   - Tails: rows >= N of a Q or K/V box are written as zeros; the PTX ISA counts "the amount of
//     data copied" towards complete_tx, which for a tensor copy is the whole box (the elements
//     filled in for out-of-bound ones are written to shared memory like the others), so the armed
//     byte counts do not depend on N. (CUTLASS and FlashAttention-3 arm full boxes for their
//     residue tiles in the same way.)
//   - Holes (tile_block = -1): the half is loaded from row N, a box wholly past the end, which the
//     same rule fills with zeros and counts in full (no rule exempts a box without in-bound
//     elements; if one did, the test cases with holes would time out): the same bytes as any
//     other half, no second code path (a memset by the producer thread would be 16 KB of st.shared per hole plus a proxy
//     fence, and an arrival count that differs per tile). Zeros matter for V only (the hole's
//     scores are set to -inf, P = 0, and 0 * a stale NaN would still be NaN); K gets them too.
//
// Swizzle equivalence. CU_TENSOR_MAP_SWIZZLE_128B (16-byte atomicity) writes box row r, 128 bytes
// (the box's inner dimension: 64 16-bit elements, the most this mode allows), at dst + 128 r with
// its 16-byte chunk c moved to chunk position c ^ (r % 8) (PTX ISA "Swizzling Modes": the pattern
// repeats every 8 rows = 1024 bytes and is anchored at 1024-byte boundaries, i.e. it XORs address
// bits [4,7) with bits [7,10)). panel_offset<ROWS>(r, c) places chunk c of tile row r in panel
// c / 8 at element r * 64 + ((c % 8) ^ (r % 8)) * 8: also 128 bytes per row, the same XOR. A copy
// of rows [r0, r0 + rows) x columns [64 j, 64 j + 64) to panel j's base + 128 r0 therefore writes
// exactly the bytes panel_offset describes iff (r0 + r) % 8 == r % 8 and dst is 1024-aligned
// (then address bits [7,10) of row r are r % 8): r0 is 0 (Q, K/V half 0) or 64 (half 1), and every
// dst is a multiple of 8 KB above smem_raw, whose 1024-byte alignment the wgmma descriptors
// already rely on (base offset 0). It is the layout the cp.async producer writes by hand
// (producer_smem_offset) and the descriptors and ldmatrix read: the consumers are unchanged.
constexpr int kTmaBoxCols = 64;  // elements: one 128-byte swizzle row
constexpr uint32_t kTmaQBoxBytes = kTmaBoxCols * kBM * 2;   // a 128-row box of 16-bit elements
constexpr uint32_t kTmaKvBoxBytes = kTmaBoxCols * kBN * 2;  // a 64-row box (one half of a tile)
template <int D>
constexpr uint32_t kTmaQBytes = (D / kTmaBoxCols) * kTmaQBoxBytes;             // Q: one box per panel
template <int D>
constexpr uint32_t kTmaTileBytes = 2 * 2 * (D / kTmaBoxCols) * kTmaKvBoxBytes;  // K and V x 2 halves x panels
static_assert(kTmaQBytes<128> == kBM * 128 * 2 && kTmaTileBytes<128> == 2 * kTileKeys * 128 * 2,
              "the armed bytes are the Q buffer and the K + V stage");
static_assert(2 * kBN == kTileKeys, "a tile is two 64-row boxes per panel");

template <typename T, int D>
__device__ __forceinline__ void ws_producer_tma(const Params& p, const WsSmem<T>& sm, const ItemOrder& order, int total,
                                                int ticket_slot, const void* map_q, const void* map_k,
                                                const void* map_v) {
  static_assert(sizeof(T) == 2, "box byte counts assume 16-bit elements");
  tma_prefetch_map(map_q);
  tma_prefetch_map(map_k);
  tma_prefetch_map(map_v);
  const uint32_t q_smem = smem_u32(sm.sQ), k_smem = smem_u32(sm.sK), v_smem = smem_u32(sm.sV);
  constexpr uint32_t kPanelBytes = kTileKeys * 128, kStageBytes = kTileKeys * D * sizeof(T);
  int item = blockIdx.x;  // the first wave is static, as for the cp.async producer
  int g = 0;              // CTA tile counter over all items: tile g uses stage g % kStages
  for (int it = 0;; ++it) {
    if (it > 0) {
      // Both consumers took item it-1 (slot read, Q in registers): sQ and the slot may be rewritten.
      mbar_wait(sm.q_empty, (it - 1) & 1);  // [T-qempty]
      if (kDynamicSchedule) {
        const int t = static_cast<int>(atomicAdd(&g_ws_tickets[ticket_slot], 1u));  // [T-draw]
        if (t == total - 1) atomicExch(&g_ws_tickets[ticket_slot], 0u);  // the last draw: reset
        item = static_cast<int>(gridDim.x) + t;
      } else {
        item += gridDim.x;
      }
    }
    if (item >= total) break;  // [T-end]
    int item_tile, item_bh;
    order.decode(item, item_tile, item_bh);
    const CtaWork w(p, item_tile, item_bh);
    sm.slot[0] = w.tile;  // [T-slot] read by the consumers after q_full (released by the arrival below)
    sm.slot[1] = w.bh;
    sm.slot[2] = w.kband;
    // [T-q] Q rows [m0, m0 + 128) of pair bh, one box per 64-wide panel (rows >= N: zeros).
    mbar_arrive_expect_tx(sm.q_full, kTmaQBytes<D>);
#pragma unroll
    for (int j = 0; j < D / kTmaBoxCols; ++j)
      tma_load_3d(q_smem + j * kBM * 128, map_q, sm.q_full, j * kTmaBoxCols, w.m0, w.bh);
    const int kv_bh = w.b * p.hkv + w.hk;
    const int n_tiles = (w.n_iter + 1) / 2;  // >= 1 (the sink)
    for (int i = 0; i < n_tiles; ++i, ++g) {
      const int s = g % kStages;
      // Stage s is free once both consumers released tile g - kStages.
      if (g >= kStages) mbar_wait(sm.empty0 + 8 * s, ((g / kStages) - 1) & 1);  // [T-empty]
      const uint32_t full = sm.full0 + 8 * s, st = s * kStageBytes;
      mbar_arrive_expect_tx(full, kTmaTileBytes<D>);  // [T-issue] tile g: 8 copies, one phase of full[s]
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int kb = tile_block(w, i, h);
        const int row0 = kb < 0 ? p.n : kb * kBN;  // a hole: a box wholly past the end (zeros)
#pragma unroll
        for (int j = 0; j < D / kTmaBoxCols; ++j) {
          const uint32_t dst = st + j * kPanelBytes + h * kBN * 128;  // panel j, rows [64 h, 64 h + 64)
          tma_load_3d(k_smem + dst, map_k, full, j * kTmaBoxCols, row0, kv_bh);
          tma_load_3d(v_smem + dst, map_v, full, j * kTmaBoxCols, row0, kv_bh);
        }
      }
    }
  }
  sm.slot[0] = -1;         // [T-endslot] no more items (the consumers read it after q_full)
  mbar_arrive(sm.q_full);  // [T-endq] a plain arrival: this phase has no bytes
}

// The tensor maps are kernel parameters (param space, 128-byte aligned objects), read by the copy
// engine through their generic addresses.
template <typename T, int D, bool kCarry>
__global__ void __launch_bounds__(kWsThreads, 1)
    wgmma_tma_kernel(const Params p, ItemOrder order, int total, int ticket_slot, const __grid_constant__ CUtensorMap map_q,
                     const __grid_constant__ CUtensorMap map_k, const __grid_constant__ CUtensorMap map_v) {
  static_assert(D == 128, "the consumers' fragments and the smem layout are written for D = 128");
  extern __shared__ __align__(1024) unsigned char smem_raw[];  // panels start on 1024-byte atoms
  const WsSmem<T> sm = ws_smem<T, D>(smem_raw);
  if (threadIdx.x == 0) ws_init_barriers(sm, 1);  // full, q_full: thread 0's arrive.expect_tx
  __syncthreads();  // the last CTA-wide barrier
  const int wg = static_cast<int>(threadIdx.x) >> 7;
  if (wg == 0) {
    setmaxnreg_dec<kTmaProducerRegs>();
    // Threads 1..127 are done: no later barrier counts them (no ticket broadcast with one thread).
    if (threadIdx.x == 0) ws_producer_tma<T, D>(p, sm, order, total, ticket_slot, &map_q, &map_k, &map_v);
  } else {
    setmaxnreg_inc<kTmaConsumerRegs>();
    ws_consumer<T, D, kCarry>(p, sm);
  }
}

// cuTensorMapEncodeTiled, looked up once in the driver through the runtime. CUDA 12.5 added
// cudaGetDriverEntryPointByVersion and CUDA 13 deprecates the unversioned lookup; the version asked
// for (12.0) is the ABI of PFN_cuTensorMapEncodeTiled_v12000, the typedef the call goes through.
PFN_cuTensorMapEncodeTiled_v12000 tensor_map_encoder() {
  static const PFN_cuTensorMapEncodeTiled_v12000 fn = [] {
    void* f = nullptr;
    cudaDriverEntryPointQueryResult found = cudaDriverEntryPointSymbolNotFound;
#if CUDART_VERSION >= 12050
    check_cuda(cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &f, 12000, cudaEnableDefault, &found),
               "cudaGetDriverEntryPointByVersion(cuTensorMapEncodeTiled)");
#else
    check_cuda(cudaGetDriverEntryPoint("cuTensorMapEncodeTiled", &f, cudaEnableDefault, &found),
               "cudaGetDriverEntryPoint(cuTensorMapEncodeTiled)");
#endif
    if (f == nullptr || found != cudaDriverEntryPointSuccess)
      throw std::runtime_error("prefill wgmma_tma: the CUDA driver has no cuTensorMapEncodeTiled (needs 12.0+)");
    return reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(f);
  }();
  return fn;
}

// Tensor map of a [heads][n][D] tensor (Q: heads = B * Hq, K/V: B * Hkv) as 3-D (D, n, heads), so
// that boxes past row n - 1 are zero-filled, never another head's rows; box {64, box_rows, 1},
// 128-byte swizzle (the layout the consumers read: see "Swizzle equivalence" above).
template <typename T, int D>
CUtensorMap rows_tensor_map(const void* base, int n, int heads, int box_rows, const char* what) {
  const CUtensorMapDataType type =
      std::is_same_v<T, __half> ? CU_TENSOR_MAP_DATA_TYPE_FLOAT16 : CU_TENSOR_MAP_DATA_TYPE_BFLOAT16;
  const cuuint64_t dims[3] = {static_cast<cuuint64_t>(D), static_cast<cuuint64_t>(n), static_cast<cuuint64_t>(heads)};
  const cuuint64_t strides[2] = {D * sizeof(T), static_cast<cuuint64_t>(n) * D * sizeof(T)};  // bytes, dims 1, 2
  const cuuint32_t box[3] = {static_cast<cuuint32_t>(kTmaBoxCols), static_cast<cuuint32_t>(box_rows), 1};
  const cuuint32_t element_strides[3] = {1, 1, 1};
  CUtensorMap map;
  // L2 promotion 256 B: a box row is half a 256-byte token row; the other panel's copy wants the rest.
  const CUresult r = tensor_map_encoder()(&map, type, 3, const_cast<void*>(base), dims, strides, box, element_strides,
                                          CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
                                          CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (r != CUDA_SUCCESS)
    throw std::runtime_error(std::string("prefill wgmma_tma: cuTensorMapEncodeTiled(") + what + ") failed with CUresult " +
                             std::to_string(static_cast<int>(r)) + " (tensors must be 16-byte aligned)");
  return map;
}

// MOA_PREFILL_TMA_CARRY=0 runs the consumers without carrying an item's last P V into the next
// item's first round (NOTES.md v9), for measurements; unset, empty or 1: carry. Read once; any
// other value is refused, as MOA_PREFILL_IMPL's are.
bool tma_carry() {
  static const bool on = [] {
    const char* e = std::getenv("MOA_PREFILL_TMA_CARRY");
    const std::string v = e ? e : "";
    if (v.empty() || v == "1") return true;
    if (v == "0") return false;
    throw std::invalid_argument("MOA_PREFILL_TMA_CARRY must be 0 or 1, not '" + v + "'");
  }();
  return on;
}

template <typename T, int D, bool kCarry>
void launch_tma_kernel(const Params& p, int batch, cudaStream_t stream) {
  constexpr size_t smem = kWsSmemBytes<T, D>;
  static_assert(smem <= 227 * 1024, "H100: 227 KB of shared memory per block");
  set_smem_limit_once<wgmma_tma_kernel<T, D, kCarry>>(static_cast<int>(smem), "cudaFuncSetAttribute(prefill wgmma_tma)");
  // Three maps per launch (host-side encoding, microseconds): they hold the tensors' addresses.
  const CUtensorMap map_q = rows_tensor_map<T, D>(p.q, p.n, batch * p.hq, kBM, "q");
  const CUtensorMap map_k = rows_tensor_map<T, D>(p.k, p.n, batch * p.hkv, kBN, "k");
  const CUtensorMap map_v = rows_tensor_map<T, D>(p.v, p.n, batch * p.hkv, kBN, "v");
  const WsLaunch l = ws_launch_shape<T, D>(p, batch);
  wgmma_tma_kernel<T, D, kCarry><<<l.grid, kWsThreads, smem, stream>>>(p, l.order, l.total, l.ticket_slot, map_q, map_k,
                                                                        map_v);
  check_cuda(cudaGetLastError(), "prefill wgmma_tma launch");
}

}  // namespace

template <typename T, int D>
void launch_wgmma_tma(const Params& p, int batch, cudaStream_t stream) {
  static_assert(D == 128, "instantiated for D = 128 only (compile time); D = 64 runs wgmma_2cta");
  if (tma_carry()) launch_tma_kernel<T, D, true>(p, batch, stream);
  else launch_tma_kernel<T, D, false>(p, batch, stream);
}

template void launch_wgmma_tma<__nv_bfloat16, 128>(const Params&, int, cudaStream_t);
template void launch_wgmma_tma<__half, 128>(const Params&, int, cudaStream_t);

}  // namespace moa::kernels::prefill
