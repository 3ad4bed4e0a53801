// MoA prefill, Hopper warp-specialised path with a cp.async producer (PrefillImpl::wgmma_ws,
// sm_90a, D = 128): the producer, the kernel and its launch. The structure, the protocol and
// everything shared with wgmma_tma are in moa_prefill_ws.cuh.
#include "kernels/moa_prefill_ws.cuh"

namespace moa::kernels::prefill {
namespace {

// The cp.async producer (wgmma_ws_kernel): all 128 threads of warpgroup 0, as described at the top.
template <typename T, int D>
__device__ __forceinline__ void ws_producer_cp_async(const Params& p, const WsSmem<T>& sm, const ItemOrder& order,
                                                     int total, int ticket_slot) {
  T* const sQ = sm.sQ;
  T* const sK = sm.sK;
  T* const sV = sm.sV;
  const uint32_t full0 = sm.full0, q_full = sm.q_full, q_empty = sm.q_empty, empty0 = sm.empty0;
  volatile int* const slot = sm.slot;
  volatile int* const ticket = sm.ticket;
  const int tid = threadIdx.x;
  const int ptid = tid;
  const uint32_t off = 2u * producer_smem_offset(ptid);  // bytes
  const uint32_t q_smem = smem_u32(sQ) + off, k_smem = smem_u32(sK) + off, v_smem = smem_u32(sV) + off;
  constexpr uint32_t kStageBytes = kTileKeys * D * sizeof(T), kHalfBytes = kBN * 64 * sizeof(T);
  // Up to two tiles in flight: tile g is issued before tile g-1 is published. `pending` (a CTA
  // tile index, -1: none) is issued but not published; pending_q: its group also holds the
  // item's Q, so publishing it publishes Q too (q_full).
  int pending = -1;
  bool pending_q = false;
  // This thread's copies of tile `pending` have landed (caller waited on its group): make them
  // visible to the tensor cores' async proxy, then arrive (release) on the stage's full barrier.
  auto publish = [&]() {
    fence_proxy_async();
    mbar_arrive(full0 + 8 * (pending % kStages));  // [P-pub]
    if (pending_q) mbar_arrive(q_full);            // [P-pubq]
    pending = -1;
  };
  auto flush = [&]() {
    if (pending >= 0) {
      cp_async_wait<0>();
      publish();
    }
  };
  int item = blockIdx.x;  // the first wave is static: nothing to draw before the first loads
  int g = 0;              // CTA tile counter over all items: tile g uses stage g % kStages
  for (int it = 0;; ++it) {
    if (it > 0) {
      // Item boundary: publish everything first (the ring is full here, or the next item's first
      // tile would wait for a stage anyway), then wait until both consumers took item it-1 (slot
      // read, Q in registers): sQ and the slot may be rewritten.
      flush();                                // [P-flush]
      mbar_wait(q_empty, (it - 1) & 1);       // [P-qempty]
      if (kDynamicSchedule) {
        if (ptid == 0) {
          const int t = static_cast<int>(atomicAdd(&g_ws_tickets[ticket_slot], 1u));  // [P-draw]
          if (t == total - 1) atomicExch(&g_ws_tickets[ticket_slot], 0u);  // the last draw: reset
          *ticket = static_cast<int>(gridDim.x) + t;
        }
        __syncwarp();  // warp 0 converged again before the aligned bar.sync
        // Every producer thread has published its copies (flush) before it blocks here. The
        // ticket word is rewritten only at the next boundary, after q_empty of this item, which
        // needs every producer thread's Q arrival (so its read of the ticket) first.
        named_bar_sync(kProducerBarrier, 128);  // [P-bcast]
        item = *ticket;
      } else {
        item += gridDim.x;
      }
    }
    if (item >= total) break;  // [P-end]
    int item_tile, item_bh;
    order.decode(item, item_tile, item_bh);
    const CtaWork w(p, item_tile, item_bh);
    if (ptid == 0) {  // [P-slot] read by the consumers after q_full (released by this thread's Q arrival)
      slot[0] = w.tile;
      slot[1] = w.bh;
      slot[2] = w.kband;
    }
    // Q in a group of its own, published with the item's first tile (pending_q): it needs no
    // stage, only q_empty (above).
    load_rows<kBM / 8>(q_smem, static_cast<const T*>(p.q) + static_cast<size_t>(w.bh) * p.n * D, w.m0, p.n,
                       ptid);  // [P-q]
    cp_async_commit();
    const T* K = static_cast<const T*>(p.k) + (static_cast<size_t>(w.b) * p.hkv + w.hk) * p.n * D;
    const T* V = static_cast<const T*>(p.v) + (static_cast<size_t>(w.b) * p.hkv + w.hk) * p.n * D;
    const int n_tiles = (w.n_iter + 1) / 2;  // >= 1 (the sink)
    for (int i = 0; i < n_tiles; ++i, ++g) {
      if (g >= kStages) {
        // Stage g % kStages is free once both consumers released tile g - kStages. Before blocking
        // every issued tile is published (the consumers may need it to release the stage); when
        // the stage is already free the producer goes straight on.
        const uint32_t empty = empty0 + 8 * (g % kStages);
        const uint32_t parity = ((g / kStages) - 1) & 1;  // phase completed by the release of tile g-kStages
        if (!mbar_test_wait(empty, parity)) {
          flush();                     // [P-flush2]
          mbar_wait(empty, parity);    // [P-empty]
        }
      }
      const uint32_t st = (g % kStages) * kStageBytes;
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int kb = tile_block(w, i, h);
        const int row0 = kb < 0 ? -1 : kb * kBN;
        load_rows<kBN / 8>(k_smem + st + h * kHalfBytes, K, row0, p.n, ptid);
        load_rows<kBN / 8>(v_smem + st + h * kHalfBytes, V, row0, p.n, ptid);
      }
      cp_async_commit();  // [P-issue] tile g: one group
      if (pending >= 0) {
        cp_async_wait<1>();  // every group but tile g's (with Q's when i == 1)
        publish();           // [P-pub-lag]
      }
      pending = g;
      pending_q = i == 0;
    }
  }
  flush();  // [P-flush3]
  if (ptid == 0) slot[0] = -1;  // [P-endslot] no more items (the consumers read it after q_full)
  mbar_arrive(q_full);          // [P-endq]
}

template <typename T, int D>
__global__ void __launch_bounds__(kWsThreads, 1)
    wgmma_ws_kernel(const Params p, ItemOrder order, int total, int ticket_slot) {
  static_assert(D == 128, "one 16-byte chunk per producer thread and 8-row step");
  extern __shared__ __align__(1024) unsigned char smem_raw[];  // panels start on 1024-byte atoms
  const WsSmem<T> sm = ws_smem<T, D>(smem_raw);
  if (threadIdx.x == 0) ws_init_barriers(sm, 128);  // full, q_full: every producer thread
  __syncthreads();  // the last CTA-wide barrier
  // One branch per role (setmaxnreg needs it so): warpgroup 0 produces.
  const int wg = static_cast<int>(threadIdx.x) >> 7;
  if (wg == 0) {
    setmaxnreg_dec<kProducerRegs>();
    ws_producer_cp_async<T, D>(p, sm, order, total, ticket_slot);
  } else {
    setmaxnreg_inc<kConsumerRegs>();
    ws_consumer<T, D>(p, sm);
  }
}

}  // namespace

template <typename T, int D>
void launch_wgmma_ws(const Params& p, int batch, cudaStream_t stream) {
  static_assert(D == 128, "instantiated for D = 128 only (compile time); D = 64 runs wgmma_2cta");
  constexpr size_t smem = kWsSmemBytes<T, D>;
  static_assert(smem <= 227 * 1024, "H100: 227 KB of shared memory per block");
  set_smem_limit_once<wgmma_ws_kernel<T, D>>(static_cast<int>(smem), "cudaFuncSetAttribute(prefill wgmma_ws)");
  const WsLaunch l = ws_launch_shape<T, D>(p, batch);
  wgmma_ws_kernel<T, D><<<l.grid, kWsThreads, smem, stream>>>(p, l.order, l.total, l.ticket_slot);
  check_cuda(cudaGetLastError(), "prefill wgmma_ws launch");
}

template void launch_wgmma_ws<__nv_bfloat16, 128>(const Params&, int, cudaStream_t);
template void launch_wgmma_ws<__half, 128>(const Params&, int, cudaStream_t);

}  // namespace moa::kernels::prefill
