// MoA prefill, Hopper warp-specialised path (PrefillImpl::wgmma_ws, sm_90a, D = 128): the same
// CTA work as the other paths (CtaWork: 128 query rows, the sink then the band's key blocks,
// 64-key tiles, online softmax, LSE), organised as in FlashAttention-3:
//
//   warpgroup 0 (producer, 40 registers): loads Q once and every K/V tile with cp.async into a
//     kStages-deep ring of shared-memory stages (128B-swizzled panels, as in moa_prefill_sm90.cu).
//     A tile is published on the stage's `full` mbarrier by each of the 128 producer threads once
//     its own copies have landed (cp.async.wait_group, then the generic->async proxy fence, then
//     mbarrier.arrive: the pattern of the other kernels, with an mbarrier instead of bar.sync).
//   warpgroups 1, 2 (consumers, 232 registers): each owns 64 query rows, Q in registers. Round j
//     issues S_j = Q K_j^T and O += P_{j-1} V_{j-1} back to back (intra-warpgroup pipelining: the softmax
//     of S_j then runs while P_{j-1} V_{j-1} is still on the tensor cores), and releases tile j-1
//     on the stage's `empty` mbarrier (one arrival per consumer warp) after both finished.
//   Ping-pong: named barriers 1 and 2 give the two consumers turns at issuing their round's
//     GEMMs, so one warpgroup's softmax overlaps the other's matrix products.
// No CTA-wide barrier after set-up. Protocol invariants (see the comments at each step):
//   - full[s] completes phase u when tile s + u*kStages has landed; empty[s] completes phase u
//     when both consumers have released tile s + u*kStages. Each waiter tracks parity (use & 1);
//     neither barrier can run two phases ahead of a waiter (full needs the previous release,
//     a release needs the previous full).
//   - The producer publishes every issued tile before it blocks on an empty barrier, and a
//     consumer releases tile j-1 before it waits for tile j+1: no wait cycle for any kStages >= 2.
//   - Both consumers run the same number of rounds (same CtaWork), so the turn barriers balance;
//     the last arrival that nobody would wait for is skipped.
#include "kernels/device.cuh"
#include "kernels/launch_util.h"
#include "kernels/mbarrier.cuh"
#include "kernels/moa_prefill_impl.cuh"
#include "kernels/wgmma.cuh"

namespace moa::kernels::prefill {
namespace {

constexpr int kStages = 4;                     // K/V ring depth (4 x 32 KB at D = 128)
constexpr int kConsumers = 2;                  // warpgroups of 64 query rows
constexpr int kWsThreads = 128 * (1 + kConsumers);
// setmaxnreg: 168 x 384 = 64512 registers at entry = 128 x 40 + 256 x 232 after (the split must
// add up: CUTLASS's producer/consumer pair; ptxas allocates each branch within its own count).
constexpr int kProducerRegs = 40;
constexpr int kConsumerRegs = 232;
constexpr int kTurnBarrier = 1;                // named barriers 1 (consumer 0's turn), 2 (consumer 1's)
constexpr int kTurnThreads = 128 * kConsumers;
constexpr int kConsumerWarps = 4 * kConsumers;  // arrivals per release

// Copies rows [row0, row0+ROWS) of a [N, D] matrix into panels, 128 producer threads, 16 bytes
// each per step (consecutive threads: consecutive chunks of a row, coalesced); rows >= n -> zeros.
template <int ROWS, int D, typename T>
__device__ __forceinline__ void load_panels(T* s, const T* g, int row0, int n, int ptid) {
  constexpr int kChunks = D / 8;
  static_assert(ROWS * kChunks % 128 == 0, "whole steps");
#pragma unroll 2  // fully unrolled, the address arithmetic needs more than the producer's 40 registers
  for (int k = 0; k < ROWS * kChunks / 128; ++k) {
    const int i = ptid + 128 * k;
    const int r = i / kChunks, c = i % kChunks;
    const bool ok = row0 + r < n;
    const T* src = g + static_cast<size_t>(ok ? row0 + r : 0) * D + c * 8;
    cp_async_16(smem_u32(s + panel_offset<ROWS>(r, c)), src, ok);
  }
}

// Online softmax of one score tile in base 2 (as softmax_update), except that the O rescale is
// left to the caller: alpha is returned, because O is still being accumulated by P_{j-1} V_{j-1}.
template <int NT>
__device__ __forceinline__ void softmax_scores(float (&s)[NT][4], float (&row_max)[2], float (&row_sum)[2],
                                               float (&alpha)[2], float scale_log2) {
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    float mx = row_max[r];
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) mx = fmaxf(mx, fmaxf(s[nt][2 * r], s[nt][2 * r + 1]));
    mx = quad_max(mx);
    const float base = mx == -INFINITY ? 0.f : mx * scale_log2;
    alpha[r] = fast_exp2(row_max[r] * scale_log2 - base);
    row_max[r] = mx;
    float sum = 0.f;
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) {
      s[nt][2 * r] = fast_exp2(fmaf(s[nt][2 * r], scale_log2, -base));
      s[nt][2 * r + 1] = fast_exp2(fmaf(s[nt][2 * r + 1], scale_log2, -base));
      sum += s[nt][2 * r] + s[nt][2 * r + 1];
    }
    row_sum[r] = row_sum[r] * alpha[r] + sum;  // per-thread partial; quad-reduced at the end
  }
}

template <int DT>
__device__ __forceinline__ void rescale_o(float (&o)[DT][4], const float (&alpha)[2]) {
  if (__all_sync(0xffffffffu, alpha[0] == 1.f && alpha[1] == 1.f)) return;  // warp-uniform, exact
#pragma unroll
  for (int dt = 0; dt < DT; ++dt) {
    o[dt][0] *= alpha[0];
    o[dt][1] *= alpha[0];
    o[dt][2] *= alpha[1];
    o[dt][3] *= alpha[1];
  }
}

template <typename T, int D>
__global__ void __launch_bounds__(kWsThreads, 1) wgmma_ws_kernel(const Params p) {
  extern __shared__ __align__(1024) unsigned char smem_raw[];  // panels start on 1024-byte atoms
  T* sQ = reinterpret_cast<T*>(smem_raw);
  T* sK = sQ + kBM * D;                // [kStages][D/64 panels][kBN][64]
  T* sV = sK + kStages * kBN * D;      // [kStages][D/64 panels][kBN][64]
  uint64_t* bars = reinterpret_cast<uint64_t*>(sV + kStages * kBN * D);  // full[kStages], empty[kStages]
  const uint32_t full0 = smem_u32(bars), empty0 = smem_u32(bars + kStages);

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, wg = warp >> 2;
  if (tid == 0) {
    for (int s = 0; s < kStages; ++s) {
      mbar_init(full0 + 8 * s, 128);            // every producer thread, once per tile
      mbar_init(empty0 + 8 * s, kConsumerWarps);  // lane 0 of every consumer warp, once per tile
    }
    mbar_fence_init();
  }
  __syncthreads();  // the last CTA-wide barrier
  const CtaWork w(p);
  const int n_iter = w.n_iter;  // >= 1 (the sink); the same for both consumers

  if (wg == 0) {
    // ---------------- producer ----------------
    setmaxnreg_dec<kProducerRegs>();
    const int ptid = tid;
    const T* Q = static_cast<const T*>(p.q) + static_cast<size_t>(w.bh) * p.n * D;
    const T* K = static_cast<const T*>(p.k) + (static_cast<size_t>(w.b) * p.hkv + w.hk) * p.n * D;
    const T* V = static_cast<const T*>(p.v) + (static_cast<size_t>(w.b) * p.hkv + w.hk) * p.n * D;
    auto issue = [&](int j) {  // tile j into stage j % kStages, one commit group
      const int st = j % kStages, row0 = w.key_block(j) * kBN;
      load_panels<kBN, D>(sK + st * kBN * D, K, row0, p.n, ptid);
      load_panels<kBN, D>(sV + st * kBN * D, V, row0, p.n, ptid);
      cp_async_commit();
    };
    // This thread's copies of tile j have landed (caller waited on its group): make them visible
    // to the tensor cores' async proxy, then arrive (release) on the stage's full barrier.
    auto publish = [&](int j) {
      fence_proxy_async();
      mbar_arrive(full0 + 8 * (j % kStages));
    };
    load_panels<kBM, D>(sQ, Q, w.m0, p.n, ptid);  // Q joins tile 0's group: full[0] covers it
    // Up to two tiles in flight: tile j is issued before tile j-1 is published. Before blocking on
    // an empty barrier every issued tile is published (the consumers may need it to release the
    // stage); when the stage is already free the producer goes straight on.
    int pending = -1;  // issued, not yet published
    for (int j = 0; j < n_iter; ++j) {
      if (j >= kStages) {
        const uint32_t empty = empty0 + 8 * (j % kStages);
        const uint32_t parity = ((j / kStages) - 1) & 1;  // phase completed by the release of tile j-kStages
        if (!mbar_test_wait(empty, parity)) {
          if (pending >= 0) {
            cp_async_wait<0>();
            publish(pending);
            pending = -1;
          }
          mbar_wait(empty, parity);
        }
      }
      issue(j);
      if (pending >= 0) {
        cp_async_wait<1>();  // every group but tile j's
        publish(pending);
      }
      pending = j;
    }
    cp_async_wait<0>();
    publish(pending);
  } else {
    // ---------------- consumers ----------------
    setmaxnreg_inc<kConsumerRegs>();
    const int c = wg - 1;               // consumer 0: rows [0, 64) of the CTA tile, 1: [64, 128)
    const int t = lane & 3;
    const int row_a = w.m0 + (warp - 4) * 16 + (lane >> 2);  // rows row_a and row_a + 8
    const int my_turn = kTurnBarrier + c, other_turn = kTurnBarrier + (1 - c);
    if (c == 1) named_bar_arrive(kTurnBarrier, kTurnThreads);  // consumer 0 issues first

    float o[D / 8][4];
#pragma unroll
    for (int i = 0; i < D / 8; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.f;
    float row_max[2] = {-INFINITY, -INFINITY};
    float row_sum[2] = {0.f, 0.f};
    uint32_t pf[kBN / 16][4];  // P_{j-1} as wgmma A fragments (16-bit pairs)
#pragma unroll
    for (int i = 0; i < kBN / 16; ++i) pf[i][0] = pf[i][1] = pf[i][2] = pf[i][3] = 0u;

    // Q as wgmma A fragments in registers (S = Q K^T in RS form: per k-step the tensor cores read
    // only K from shared memory, half the bytes of the SS form, which at N = 64 would need about
    // the whole 128 B/clock of shared-memory bandwidth at full tensor rate). Same ldmatrix mapping
    // as the mma.sync path: matrices (rows 0-7 | 8-15) x (k 0-7 | 8-15) of this warp's 16 rows.
    uint32_t qf[D / 16][4];
    mbar_wait(full0, 0);  // Q landed with tile 0 (full[0] cannot complete phase 1 before we release tile 0)
#pragma unroll
    for (int ks = 0; ks < D / 16; ++ks)
      ldmatrix_x4(qf[ks], smem_u32(sQ + panel_offset<kBM>((warp - 4) * 16 + (lane & 15), ks * 2 + (lane >> 4))));

    auto issue_pv = [&](int j) {  // O += P_j V_j, V_j in stage j % kStages
      const uint32_t v_base = smem_u32(sV + (j % kStages) * kBN * D);
      wgmma_fence();  // o was rescaled and pf written by ordinary instructions
#pragma unroll
      for (int kk = 0; kk < kBN / 16; ++kk)
        // N-major B, 128B swizzle: 16 keys = 2048 bytes per k-step; LBO = next 64-wide d panel,
        // SBO = next 8 keys.
        wgmma_rs_tb<T, D>(o, pf[kk], wgmma_desc(v_base + kk * 16 * 128, kBN * 128, 1024));
      wgmma_commit();
    };

    // Round j: S_j, then P_{j-1} V_{j-1} on the tensor cores; softmax of S_j while the latter runs.
    for (int j = 0; j < n_iter; ++j) {
      const int st = j % kStages;
      mbar_wait(full0 + 8 * st, (j / kStages) & 1);  // K_j, V_j (and Q) in shared memory
      float s[kBN / 8][4];
#pragma unroll
      for (int i = 0; i < kBN / 8; ++i) s[i][0] = s[i][1] = s[i][2] = s[i][3] = 0.f;
      fence_regs<kBN / 8>(s);
      fence_regs<D / 8>(o);
      fence_regs<kBN / 16>(pf);
      named_bar_sync(my_turn, kTurnThreads);  // the other consumer has issued its round
      wgmma_fence();
      const uint32_t k_base = smem_u32(sK + st * kBN * D);
#pragma unroll
      for (int ks = 0; ks < D / 16; ++ks) {
        // K-major, 128B swizzle: 16 elements = 32 bytes per k-step inside a panel; 8-row groups 1024 B apart.
        const uint64_t db = wgmma_desc(k_base + (ks >> 2) * kBN * 128 + (ks & 3) * 32, 16, 1024);
        wgmma_rs<T, kBN>(s, qf[ks], db, ks > 0 ? 1 : 0);
      }
      wgmma_commit();
      // One branch for the PV issue and the wait that depends on it: with two branches ptxas
      // would also consider "no PV issued, wait<1>" and serialise the wgmma pipeline (C7514).
      if (j > 0) {
        issue_pv(j - 1);
        named_bar_arrive(other_turn, kTurnThreads);  // the other consumer's turn
        wgmma_wait<1>();  // S_j done; P_{j-1} V_{j-1} may still run
      } else {
        named_bar_arrive(other_turn, kTurnThreads);
        wgmma_wait<0>();
      }
      fence_regs<kBN / 8>(s);

      const int kb = w.key_block(j);
      if (w.needs_mask(kb)) apply_mask<kBN / 8>(s, row_a, kb, w.kband, t);
      // The sink tile comes first and key 0 is visible to every row: row maxima are finite from then on.
      float alpha[2];
      softmax_scores<kBN / 8>(s, row_max, row_sum, alpha, p.scale_log2);

      wgmma_wait<0>();  // P_{j-1} V_{j-1} done: O final for this round, pf free, stage j-1 unused
      fence_regs<D / 8>(o);
      fence_regs<kBN / 16>(pf);
      if (j > 0) {
        __syncwarp();
        if (lane == 0) mbar_arrive(empty0 + 8 * ((j - 1) % kStages));  // release tile j-1 (K and V)
      }
      rescale_o<D / 8>(o, alpha);
#pragma unroll
      for (int kk = 0; kk < kBN / 16; ++kk) {
        pf[kk][0] = pack2<T>(s[2 * kk][0], s[2 * kk][1]);
        pf[kk][1] = pack2<T>(s[2 * kk][2], s[2 * kk][3]);
        pf[kk][2] = pack2<T>(s[2 * kk + 1][0], s[2 * kk + 1][1]);
        pf[kk][3] = pack2<T>(s[2 * kk + 1][2], s[2 * kk + 1][3]);
      }
    }
    // Last round: P_{n-1} V_{n-1} (tile n-1 is never released: the producer has finished).
    fence_regs<D / 8>(o);
    fence_regs<kBN / 16>(pf);
    named_bar_sync(my_turn, kTurnThreads);
    issue_pv(n_iter - 1);
    if (c == 0) named_bar_arrive(other_turn, kTurnThreads);  // consumer 1's last turn; its own arrival would be unmatched
    wgmma_wait<0>();
    fence_regs<D / 8>(o);
    fence_regs<kBN / 16>(pf);
    store_rows<T, D>(p, w.bh, row_a, t, o, row_max, row_sum);
  }
}

}  // namespace

template <typename T, int D>
void launch_wgmma_ws(const Params& p, int batch, cudaStream_t stream) {
  static_assert(D == 128, "instantiated for D = 128 only (compile time); D = 64 runs wgmma_2cta");
  constexpr size_t smem = (kBM + 2 * kStages * kBN) * D * sizeof(T) + 2 * kStages * sizeof(uint64_t);
  set_smem_limit_once<wgmma_ws_kernel<T, D>>(static_cast<int>(smem), "cudaFuncSetAttribute(prefill wgmma_ws)");
  wgmma_ws_kernel<T, D><<<dim3(p.q_tiles, batch * p.hq), kWsThreads, smem, stream>>>(p);
  check_cuda(cudaGetLastError(), "prefill wgmma_ws launch");
}

template void launch_wgmma_ws<__nv_bfloat16, 128>(const Params&, int, cudaStream_t);
template void launch_wgmma_ws<__half, 128>(const Params&, int, cudaStream_t);

}  // namespace moa::kernels::prefill
