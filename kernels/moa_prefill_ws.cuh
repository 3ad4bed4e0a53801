#pragma once
// MoA prefill, Hopper warp-specialised path (PrefillImpl::wgmma_ws and wgmma_tma, sm_90a, D = 128):
// the same work as the other paths (CtaWork: 128 query rows, the sink then the band's key blocks,
// online softmax, LSE), organised as in FlashAttention-3, with 128-key tiles (NOTES.md v6): a tile
// is two 64-key layout blocks, not necessarily adjacent (the sink and the band's first block), each
// masked on its own; an odd block count leaves tile 0 with a zero-filled, fully masked half.
// Two kernels share everything but the producer (NOTES.md v8): wgmma_ws_kernel loads with
// cp.async from all 128 producer threads, wgmma_tma_kernel with bulk tensor copies (TMA) issued by
// one producer thread; both run the same consumers (ws_consumer) on the same shared-memory layout.
//
// Persistent (NOTES.md v7): min(#SMs, #items) CTAs, one per SM; a work item is one (query tile,
// batch * head) pair, heaviest first. CTA c does item c, then the items its producer draws from a
// ticket counter (kDynamicSchedule; static c + G, c + 2G, ... otherwise), so the next item's Q
// and first K/V tiles load while the consumers finish the current one and store it.
//
//   warpgroup 0 (producer, 40 registers): per item, Q into the Q buffer, then every K/V tile with
//     cp.async into a kStages-deep ring of shared-memory stages (128B-swizzled panels, as in
//     moa_prefill_sm90.cu). The ring runs on over item boundaries: the CTA's g-th tile (counted
//     over all its items) uses stage g % kStages. A tile is published on the stage's `full`
//     mbarrier by each of the 128 producer threads once its own copies have landed
//     (cp.async.wait_group, then the generic->async proxy fence, then mbarrier.arrive: the
//     pattern of the other kernels, with an mbarrier instead of bar.sync); Q is published with
//     the item's first tile, on `q_full`, after the item slot (tile, bh, band) is written.
//     TMA variant (24 registers): thread 0 alone does the same walk; per tile it arms `full`
//     with mbarrier.arrive.expect_tx(64 KB) and issues 8 bulk tensor copies that complete those
//     bytes on it (Q: expect_tx(32 KB) on `q_full`, 2 copies); the other 127 threads exit. See
//     "TMA producer" below for its invariants, the swizzle and the zero fill.
//   warpgroups 1, 2 (consumers, 232 registers; 240 in the TMA variant): per item, wait q_full,
//     read the slot, load their 64 query rows (one layout block) of Q into registers, arrive on
//     `q_empty` (one arrival per consumer thread). Round i issues S_i = Q K_i^T (m64n128k16) and
//     O += P_{i-1} V_{i-1} back to back (intra-warpgroup pipelining: the softmax of S_i then runs
//     while P_{i-1} V_{i-1} is still on the tensor cores), and releases tile i-1 on the stage's
//     `empty` mbarrier (one arrival per consumer warp) after both finished; the last round's P V
//     is followed by the release of the item's last tile (the producer needs the stage for the
//     next items) and the store of O and LSE. Slot = -1 after q_full: no more items.
//     Carry (kCarry, the TMA kernel; NOTES.md v9): an item's last P V is issued in the next
//     item's round 0 beside its S_0, then the item's last tile is released and its O stored;
//     only the CTA's last item has a lone last turn (see ws_consumer).
//   Ping-pong: named barriers 1 and 2 give the two consumers turns at issuing their round's
//     GEMMs, so one warpgroup's softmax overlaps the other's matrix products.
// No CTA-wide barrier after set-up. Protocol invariants (see the comments at each step; the tags
// [P-...] / [C-...] / [T-...] name the steps that bench/kernels/ws_protocol_check.py models; [T-...]
// are the TMA producer's):
//   - full[s] completes phase u when tile s + u*kStages has landed; empty[s] completes phase u
//     when both consumers have released tile s + u*kStages. q_full completes phase k when item k
//     (the CTA's k-th) is announced and its Q landed (phase #items: the end marker); q_empty
//     completes phase k when both consumers took item k. Each waiter tracks parity (u & 1);
//     no barrier can run two phases ahead of a waiter: full needs the previous release, a release
//     needs the previous full, q_full phase k + 1 needs q_empty phase k, which needs q_full phase k.
//     (Arrivals per phase: full and q_full 128 with cp.async, one per producer thread, and 1 with
//     TMA, thread 0's arrive.expect_tx, the phase then also waiting for the armed bytes; empty 8,
//     one per consumer warp; q_empty 256, one per consumer thread.)
//   - A producer thread publishes every tile it has issued before it blocks (on an empty
//     barrier, on q_empty, or on the producers' ticket barrier), and a consumer releases tile g-1
//     before it waits for tile g+1 (and, without carry, an item's last tile before it waits for
//     the next item): no wait cycle for any kStages >= 2. (Q, issued before the item's first
//     tile, may be unpublished while the producer waits for that tile's stage: the stage's
//     release does not need it, a consumer takes Q only after releasing every tile up to the
//     previous item's second-to-last, and the first tile of the item needs only tiles up to
//     g_last + 1 - kStages <= g_last - 1 released.) With TMA the copy engine publishes
//     (complete_tx) without the producer thread: nothing is held back.
//   - Q and the slot are rewritten only after q_empty (both consumers took the previous item).
//   - Both consumers run the same rounds (same items, same CtaWork): each takes n_tiles + 1 turns
//     per item (with carry n_tiles, plus one after the CTA's last item), alternating, consumer 0
//     first; consumer 1 always passes the turn back, and consumer 0 takes its last pass after the
//     loop, so the turn barriers balance.
//
// This header holds what both kernels share (constants, masking and softmax helpers, the item
// order and tickets, the shared-memory layout, the consumers, the launch shape); the producers,
// kernels and launches are in moa_prefill_sm90_ws.cu (cp.async) and moa_prefill_sm90_tma.cu (TMA).
// Everything is in an unnamed namespace: each of the two files gets its own copy (its own ticket
// counters too).
#include "kernels/device.cuh"
#include "kernels/launch_util.h"
#include "kernels/mbarrier.cuh"
#include "kernels/moa_prefill_impl.cuh"
#include "kernels/wgmma.cuh"

#include <algorithm>
#include <atomic>
#include <cstdlib>

namespace moa::kernels::prefill {
namespace {

constexpr int kTileKeys = 128;                 // keys per tile: two 64-key layout blocks (halves)
constexpr int kStages = 3;                     // K/V ring depth (3 x 64 KB at D = 128; Q 32 KB; 224 KB)
constexpr int kConsumers = 2;                  // warpgroups of 64 query rows
constexpr int kWsThreads = 128 * (1 + kConsumers);
// setmaxnreg: 168 x 384 = 64512 registers at entry = 128 x 40 + 256 x 232 after (the split must
// add up: CUTLASS's producer/consumer pair; ptxas allocates each branch within its own count).
constexpr int kProducerRegs = 40;
constexpr int kConsumerRegs = 232;
constexpr int kTurnBarrier = 1;                // named barriers 1 (consumer 0's turn), 2 (consumer 1's)
constexpr int kTurnThreads = 128 * kConsumers;
constexpr int kConsumerWarps = 4 * kConsumers;  // arrivals per release
constexpr int kProducerBarrier = 3;            // named barrier 3: the producer warpgroup (ticket broadcast)


// Tile i of a CTA holds two layout blocks (halves h = 0, 1): the CTA's visiting order (the sink,
// then the band; CtaWork::key_block) paired from its end, so that the last tile is the diagonal
// pair (qb0, qb1); with an odd count, tile 0's first half is a hole (-1: zero-filled, masked).
__device__ __forceinline__ int tile_block(const CtaWork& w, int i, int h) {
  const int pos = 2 * i - (w.n_iter & 1) + h;
  return pos < 0 ? -1 : w.key_block(pos);
}

// Producer thread ptid copies 16-byte chunk pc = ptid % 16 of rows pr + 8k (pr = ptid / 16, k = 0..)
// of a 128-row tile stored as two 64-wide panels, 128B-swizzled (panel_offset<128>). Because every
// row this thread touches has the same row % 8 (= pr), the swizzled offset is one base plus
// 1024 bytes per k, and the global address one base plus 8 rows per k: 2 instructions per copy.
static_assert(kTileKeys == kBM, "Q and K/V tiles share the producer's swizzled offsets");
__device__ __forceinline__ int producer_smem_offset(int ptid) {
  const int pr = ptid >> 4, pc = ptid & 15;
  return (pc >> 3) * kTileKeys * 64 + pr * 64 + (((pc & 7) ^ pr) << 3);  // elements
}
// Rows [row0, row0 + 8 * STEPS) of a [n, D = 128] matrix into tile rows starting at dst's row;
// rows >= n (and every row when row0 < 0: a hole) become zeros.
template <int STEPS, typename T>
__device__ __forceinline__ void load_rows(uint32_t dst, const T* g, int row0, int n, int ptid) {
  const int row = row0 + (ptid >> 4);
  const T* src = g + static_cast<ptrdiff_t>(row0 < 0 ? 0 : row) * 128 + (ptid & 15) * 8;
#pragma unroll
  for (int k = 0; k < STEPS; ++k) {
    const bool ok = row0 >= 0 && row + 8 * k < n;
    cp_async_16(dst + 1024 * k, ok ? src + 8 * k * 128 : g, ok);
  }
}

// Online softmax of one score tile in base 2 (as softmax_update), except that the O rescale is
// left to the caller: alpha is returned, because O is still being accumulated by P_{i-1} V_{i-1}.
// Two partial maxima / sums per row halve the dependent chains (32 elements per row and thread).
template <int NT>
__device__ __forceinline__ void softmax_scores(float (&s)[NT][4], float (&row_max)[2], float (&row_sum)[2],
                                               float (&alpha)[2], float scale_log2) {
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    float m0 = row_max[r], m1 = row_max[r];
#pragma unroll
    for (int nt = 0; nt < NT; nt += 2) {
      m0 = fmaxf(m0, fmaxf(s[nt][2 * r], s[nt][2 * r + 1]));
      m1 = fmaxf(m1, fmaxf(s[nt + 1][2 * r], s[nt + 1][2 * r + 1]));
    }
    const float mx = quad_max(fmaxf(m0, m1));
    const float base = mx == -INFINITY ? 0.f : mx * scale_log2;
    alpha[r] = fast_exp2(row_max[r] * scale_log2 - base);
    row_max[r] = mx;
    float sum0 = 0.f, sum1 = 0.f;
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) {
      s[nt][2 * r] = fast_exp2(fmaf(s[nt][2 * r], scale_log2, -base));
      s[nt][2 * r + 1] = fast_exp2(fmaf(s[nt][2 * r + 1], scale_log2, -base));
      (nt & 1 ? sum1 : sum0) += s[nt][2 * r] + s[nt][2 * r + 1];
    }
    row_sum[r] = row_sum[r] * alpha[r] + (sum0 + sum1);  // per-thread partial; quad-reduced at the end
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

// Masks half H (score columns [64 H, 64 H + 64)) of a tile holding layout block kb (-1: a hole,
// all masked) for this thread's rows row_a, row_a + 8.
template <int H, int NT>
__device__ __forceinline__ void mask_half(float (&s)[NT][4], int row_a, int kb, int kband, int t) {
#pragma unroll
  for (int nt = H * 8; nt < H * 8 + 8; ++nt)
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const int qi = row_a + (e >= 2 ? 8 : 0);
      const int kj = kb * kBN + (nt - H * 8) * 8 + 2 * t + (e & 1);
      if (kb < 0 || !keeps(qi, kj, kb, kband)) s[nt][e] = -INFINITY;
    }
}
// Does block kb (-1: hole) drop any (row, key) pair of query block qb? Fully kept: below the
// diagonal and the sink or inside the band.
__device__ __forceinline__ bool half_needs_mask(int kb, int qb, int kband) {
  return kb < 0 || kb >= qb || (kb != 0 && kb < qb - kband + 1);
}

// Work items = (query tile, batch * head) pairs, heaviest first within chunks of heads: the chunk's
// longest tiles of all its heads, then the next tile index, ... (within a tile index the heads
// interleave, so one CTA's consecutive items rarely share a band width). A chunk holds as many
// (batch, head) pairs as have K/V that fits in a share of L2 (launch_wgmma_ws): with every head in
// flight at once, 32k tokens of 8 KV heads (128 MB of K/V) would stream from HBM again and again.
// Heads are chunked in bh order, so a chunk is whole GQA groups of one sequence where it can be.
struct ItemOrder {
  int n_bh, chunk_bh, q_tiles;
  __device__ void decode(int item, int& tile, int& bh) const {
    const int per_chunk = chunk_bh * q_tiles;
    const int chunk = item / per_chunk, r = item - chunk * per_chunk;
    const int first = chunk * chunk_bh, size = min(chunk_bh, n_bh - first);  // the last chunk may be short
    tile = q_tiles - 1 - r / size;
    bh = first + r % size;
  }
};

// Schedule of the persistent grid (G = gridDim.x CTAs, one per SM): CTA c starts with item c;
// then, dynamic (kDynamicSchedule), it draws a ticket t from a counter and does item G + t: the
// greedy list schedule (each CTA takes the heaviest item left when its producer is ready for it),
// which balances heterogeneous per-head band widths that no static order can (NOTES.md v7); or,
// static, items c + G, c + 2G, ... (no counter).
constexpr bool kDynamicSchedule = true;
// Ticket counters, one per launch slot (slot = launch count mod kTicketSlots, chosen on the host).
// Zero at module load; a launch draws exactly `total` tickets (one per item after the first wave
// plus one past the end per CTA), and the draw of ticket total - 1, the last one, resets the
// counter, so the slot is zero again for its next launch without a memset. Two launches share a
// counter only if kTicketSlots launches start while one of them is still running.
constexpr int kTicketSlots = 1024;
__device__ unsigned g_ws_tickets[kTicketSlots];  // per file: its two kernels (bf16, fp16) share it, as the host count
int next_ticket_slot() {
  static std::atomic<unsigned> launches{0};  // 2^32 is a multiple of kTicketSlots: wraps cleanly
  return static_cast<int>(launches.fetch_add(1, std::memory_order_relaxed) % kTicketSlots);
}

// Shared memory of both kernels (dynamic, from a 1024-byte aligned base: every panel starts on a
// 128B-swizzle atom, as the wgmma descriptors and the TMA swizzle need):
//   Q [D/64 panels][kBM][64], K and V [kStages][D/64 panels][kTileKeys][64] each,
//   full[kStages], empty[kStages], q_full, q_empty (mbarriers), the item slot (3 ints), the ticket.
template <typename T>
struct WsSmem {
  T* sQ;
  T* sK;
  T* sV;
  uint32_t full0, empty0, q_full, q_empty;  // shared-window addresses; full[s] = full0 + 8 s
  // The current item for the consumers: {query tile (-1: no more items), bh, clamped band}.
  volatile int* slot;
  volatile int* ticket;  // cp.async producer warpgroup only: thread 0's draw for the others
};
template <typename T, int D>
__device__ __forceinline__ WsSmem<T> ws_smem(unsigned char* raw) {
  WsSmem<T> sm;
  sm.sQ = reinterpret_cast<T*>(raw);
  sm.sK = sm.sQ + kBM * D;
  sm.sV = sm.sK + kStages * kTileKeys * D;
  uint64_t* bars = reinterpret_cast<uint64_t*>(sm.sV + kStages * kTileKeys * D);
  sm.full0 = smem_u32(bars);
  sm.empty0 = smem_u32(bars + kStages);
  sm.q_full = smem_u32(bars + 2 * kStages);
  sm.q_empty = smem_u32(bars + 2 * kStages + 1);
  sm.slot = reinterpret_cast<volatile int*>(bars + 2 * kStages + 2);
  sm.ticket = sm.slot + 3;
  return sm;
}
// Thread 0, before the CTA's only __syncthreads. `publishers`: arrivals that complete a phase of
// full[s] and of q_full (128: every cp.async producer thread; 1: the TMA thread's arrive.expect_tx).
template <typename T>
__device__ __forceinline__ void ws_init_barriers(const WsSmem<T>& sm, uint32_t publishers) {
  for (int s = 0; s < kStages; ++s) {
    mbar_init(sm.full0 + 8 * s, publishers);        // once per tile
    mbar_init(sm.empty0 + 8 * s, kConsumerWarps);  // lane 0 of every consumer warp, once per tile
  }
  mbar_init(sm.q_full, publishers);   // once per item (Q landed) and once at the end
  mbar_init(sm.q_empty, kTurnThreads);  // every consumer thread, once per item (its Q rows in registers)
  mbar_fence_init();
}

// The consumers (both kernels): warpgroups 1 and 2, as described at the top.
// kCarry (NOTES.md v9): an item's last P V is not issued alone in a turn of its own but together
// with the next item's first S (the round that had no P V to issue), and the item's O is stored
// after that round's wait; only the CTA's very last item ends with a lone P V turn. Per item a
// consumer then takes n_tiles turns, not n_tiles + 1, each with two GEMMs. The next item's Q is
// taken (q_full, slot, ldmatrix, q_empty) after the item's last S has completed (qf is free) and
// before its last tile is released: no wait cycle, since the next item's Q is published by the
// producer once tile g_last - kStages + 1 (released in the previous rounds) frees a stage.
template <typename T, int D, bool kCarry = false>
__device__ __forceinline__ void ws_consumer(const Params& p, const WsSmem<T>& sm) {
  T* const sQ = sm.sQ;
  T* const sK = sm.sK;
  T* const sV = sm.sV;
  const uint32_t full0 = sm.full0, empty0 = sm.empty0, q_full = sm.q_full, q_empty = sm.q_empty;
  volatile int* const slot = sm.slot;
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, wg = warp >> 2;
  const int c = wg - 1;               // consumer 0: rows [0, 64) of the item's tile (query block qb0), 1: [64, 128)
  const int t = lane & 3;
  const int my_turn = kTurnBarrier + c, other_turn = kTurnBarrier + (1 - c);
  if (c == 1) named_bar_arrive(kTurnBarrier, kTurnThreads);  // [C-init] consumer 0 issues first

  uint32_t pf[kTileKeys / 16][4];  // P_{i-1} as wgmma A fragments (16-bit pairs)
#pragma unroll
  for (int i = 0; i < kTileKeys / 16; ++i) pf[i][0] = pf[i][1] = pf[i][2] = pf[i][3] = 0u;

  // O += P V_g, V_g in stage g % kStages. first (g is its item's first tile): O = P V_g, the
  // tensor cores do not read O's old contents, so nothing of the previous item (not even a NaN
  // from its Q, K or V) reaches this one, and no zeroing or select touches O in the loop. (A
  // run-time scale-d costs nothing: HGMMA takes it as a uniform predicate, NOTES.md v11.)
  auto issue_pv = [&](float (&o)[D / 8][4], int g, bool first) {
    // N-major B, 128B swizzle: 16 keys = 2048 bytes per k-step; LBO = next 64-wide d panel,
    // SBO = next 8 keys.
    const WgmmaDescIter vd(smem_u32(sV + (g % kStages) * kTileKeys * D), kTileKeys * 128, 1024);
    wgmma_fence();  // o was rescaled and pf written by ordinary instructions
#pragma unroll
    for (int kk = 0; kk < kTileKeys / 16; ++kk)
      wgmma_rs_tb<T, D>(o, pf[kk], vd.at(kk * 16 * 128), kk > 0 || !first ? 1 : 0);
    wgmma_commit();
  };

  float o[D / 8][4];  // written by each item's first P V (issue_pv's first); zeroed once for tidiness
#pragma unroll
  for (int i = 0; i < D / 8; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.f;
  float row_max[2] = {-INFINITY, -INFINITY};
  float row_sum[2] = {0.f, 0.f};
  // kCarry: the previous item, whose last P V is still to issue (its O in `o`) and store.
  bool have_prev = false, prev_single = false;  // prev_single: its only tile is its last
  float prev_max[2] = {0.f, 0.f}, prev_sum[2] = {1.f, 1.f};
  int prev_bh = 0, prev_row_a = 0;

  // A turn with the P V of an item's last tile g_last alone, then its release (the producer needs
  // the stage back for the next items' tiles) and the store of the item's rows (bh, row_a), while
  // the other consumer runs: every item's end without kCarry, the CTA's last item's with it.
  auto last_turn = [&](int g_last, bool single, int bh, int rows) {
    fence_regs<D / 8>(o);
    fence_regs<kTileKeys / 16>(pf);
    named_bar_sync(my_turn, kTurnThreads);  // [C-turn-last]
    issue_pv(o, g_last, single);
    // Always passed on: consumer 0's next turn (its next item's round 0, or the sync after the
    // loop) takes consumer 1's.
    named_bar_arrive(other_turn, kTurnThreads);  // [C-pass-last]
    wgmma_wait<0>();
    fence_regs<D / 8>(o);
    fence_regs<kTileKeys / 16>(pf);
    __syncwarp();
    if (lane == 0) mbar_arrive(empty0 + 8 * (g_last % kStages));  // [C-rel-last]
    store_rows<T, D>(p, bh, rows, t, o, row_max, row_sum);
  };

  int g0 = 0;  // CTA tile index of the item's first tile (the producer's g at its i = 0)
  for (int it = 0;; ++it) {
    mbar_wait(q_full, it & 1);  // [C-qfull] item it announced and its Q landed (or: no more items)
    const int tile = slot[0];
    if (tile < 0) break;        // [C-end]
    const CtaWork w(p, tile, slot[1], slot[2]);
    const int n_tiles = (w.n_iter + 1) / 2;  // the same for both consumers
    const int row_a = w.m0 + (warp - 4) * 16 + (lane >> 2);  // rows row_a and row_a + 8
    const int my_qb = 2 * w.tile + c;

    // Q as wgmma A fragments in registers (S = Q K^T in RS form: per k-step the tensor cores read
    // only K from shared memory). Same ldmatrix mapping as the mma.sync path: matrices
    // (rows 0-7 | 8-15) x (k 0-7 | 8-15) of this warp's 16 rows.
    uint32_t qf[D / 16][4];
#pragma unroll
    for (int ks = 0; ks < D / 16; ++ks)
      ldmatrix_x4(qf[ks], smem_u32(sQ + panel_offset<kBM>((warp - 4) * 16 + (lane & 15), ks * 2 + (lane >> 4))));
    // [C-qempty] this thread read the slot and its part of Q: both may be rewritten. Every thread
    // arrives (not one lane per warp after __syncwarp): each ldmatrix read is then ordered before
    // the producer's cp.async rewrite of Q by its own thread's release, which compute-sanitizer's
    // racecheck also sees (with per-warp arrivals it reported these reads as hazards).
    mbar_arrive(q_empty);

    if (kCarry && have_prev) {  // o holds the previous item until this item's round 0 stores it
      prev_max[0] = row_max[0], prev_max[1] = row_max[1];
      prev_sum[0] = row_sum[0], prev_sum[1] = row_sum[1];
    }
    row_max[0] = row_max[1] = -INFINITY;
    row_sum[0] = row_sum[1] = 0.f;

    // Round i (tile g = g0 + i): S_i, then P_{i-1} V_{i-1} on the tensor cores; softmax of S_i
    // while the latter runs.
    for (int i = 0; i < n_tiles; ++i) {
      const int g = g0 + i, st = g % kStages;
      mbar_wait(full0 + 8 * st, (g / kStages) & 1);  // [C-full] K_g, V_g in shared memory
      // Not zeroed: the first k-step of S_i is issued with scale-d = 0 and does not read s.
      float s[kTileKeys / 8][4];
      fence_regs<D / 8>(o);
      fence_regs<kTileKeys / 16>(pf);
      named_bar_sync(my_turn, kTurnThreads);  // [C-turn] the other consumer has issued its round
      wgmma_fence();
      // K-major, 128B swizzle: 16 elements = 32 bytes per k-step inside a panel; 8-row groups 1024 B apart.
      const WgmmaDescIter kd(smem_u32(sK + st * kTileKeys * D), 16, 1024);
#pragma unroll
      for (int ks = 0; ks < D / 16; ++ks)
        wgmma_rs<T, kTileKeys>(s, qf[ks], kd.at((ks >> 2) * kTileKeys * 128 + (ks & 3) * 32), ks > 0 ? 1 : 0);
      wgmma_commit();
      // One branch for the PV issue and the wait that depends on it: with two branches ptxas
      // would also consider "no PV issued, wait<1>" and serialise the wgmma pipeline (C7514).
      // P V of tile g - 1: this item's previous tile, or (kCarry, i = 0) the previous item's last.
      const bool pv = i > 0 || (kCarry && have_prev);
      if (pv) {
        issue_pv(o, g - 1, i == 1 || (i == 0 && prev_single));
        named_bar_arrive(other_turn, kTurnThreads);  // [C-pass] the other consumer's turn
        wgmma_wait<1>();  // S_i done; P_{i-1} V_{i-1} may still run
      } else {
        named_bar_arrive(other_turn, kTurnThreads);  // [C-pass]
        wgmma_wait<0>();
      }
      fence_regs<kTileKeys / 8>(s);

      const int kb0 = tile_block(w, i, 0), kb1 = tile_block(w, i, 1);
      if (half_needs_mask(kb0, my_qb, w.kband)) mask_half<0>(s, row_a, kb0, w.kband, t);
      if (half_needs_mask(kb1, my_qb, w.kband)) mask_half<1>(s, row_a, kb1, w.kband, t);
      // The sink (in tile 0) is visible to every row: row maxima are finite from tile 0 on.
      float alpha[2];
      softmax_scores<kTileKeys / 8>(s, row_max, row_sum, alpha, p.scale_log2);

      wgmma_wait<0>();  // P_{i-1} V_{i-1} done: O final for this round, pf free, tile g-1 unused
      fence_regs<D / 8>(o);
      fence_regs<kTileKeys / 16>(pf);
      if (pv) {
        __syncwarp();
        if (lane == 0) mbar_arrive(empty0 + 8 * ((g - 1) % kStages));  // [C-rel] release tile g-1 (K and V)
      }
      if (kCarry && i == 0 && have_prev) {  // the previous item's O is final: store it
        store_rows<T, D>(p, prev_bh, prev_row_a, t, o, prev_max, prev_sum);
      }
      // Round 0: alpha = 0 (row_max was -inf), and o is rewritten by this item's first P V
      // (issue_pv's first) whatever it holds.
      rescale_o<D / 8>(o, alpha);
#pragma unroll
      for (int kk = 0; kk < kTileKeys / 16; ++kk) {
        pf[kk][0] = pack2<T>(s[2 * kk][0], s[2 * kk][1]);
        pf[kk][1] = pack2<T>(s[2 * kk][2], s[2 * kk][3]);
        pf[kk][2] = pack2<T>(s[2 * kk + 1][0], s[2 * kk + 1][1]);
        pf[kk][3] = pack2<T>(s[2 * kk + 1][2], s[2 * kk + 1][3]);
      }
    }
    if constexpr (kCarry) {  // its last P V and store go with the next item's round 0 (or below)
      have_prev = true;
      prev_single = n_tiles == 1;
      prev_bh = w.bh;
      prev_row_a = row_a;
      g0 += n_tiles;
      continue;
    }
    last_turn(g0 + n_tiles - 1, n_tiles == 1, w.bh, row_a);
    g0 += n_tiles;
  }
  if (kCarry && have_prev) last_turn(g0 - 1, prev_single, prev_bh, prev_row_a);  // the CTA's last item
  // Consumer 1 passed the turn after its last PV; nobody issues after it: consumer 0 takes that
  // turn here, so both turn barriers end with no pending arrival.
  if (c == 0) named_bar_sync(my_turn, kTurnThreads);  // [C-exit]
}

// K/V bytes a chunk of heads may keep in flight: 32 MB of the H100's 50 MB L2 (NOTES.md v7);
// MOA_PREFILL_WS_L2_MB overrides it for measurements (0: one chunk, every head in flight).
double l2_share_bytes() {
  static const double bytes = [] {
    const char* e = std::getenv("MOA_PREFILL_WS_L2_MB");
    const double mb = e && *e ? std::atof(e) : 32.0;
    return mb > 0 ? mb * (1 << 20) : 1e300;
  }();
  return bytes;
}

// Launch shape of both kernels: items, their order (chunks of heads, ItemOrder) and the grid.
struct WsLaunch {
  ItemOrder order;
  int total, grid, ticket_slot;
};
template <typename T, int D>
WsLaunch ws_launch_shape(const Params& p, int batch) {
  const int n_bh = batch * p.hq;
  const int total = p.q_tiles * n_bh;  // work items
  // Chunk of heads (ItemOrder): whole GQA groups whose K/V fit in kL2ShareBytes (at least one group).
  const int group = p.hq / p.hkv;
  const double kv_bytes_per_group = 2.0 * p.n * D * sizeof(T);
  const double fit = l2_share_bytes() / kv_bytes_per_group;
  const int groups = fit >= n_bh ? n_bh : std::max(1, static_cast<int>(fit));
  const ItemOrder order{n_bh, std::min(n_bh, groups * group), p.q_tiles};
  const int grid = std::min(sm_count(), total);  // persistent: one CTA per SM (224 KB each)
  const int slot = kDynamicSchedule ? next_ticket_slot() : 0;
  return {order, total, grid, slot};
}

// Q, the K/V ring, 2 kStages + 2 mbarriers, the item slot and the ticket (4 ints).
template <typename T, int D>
constexpr size_t kWsSmemBytes =
    (kBM + 2 * kStages * kTileKeys) * D * sizeof(T) + (2 * kStages + 2) * sizeof(uint64_t) + 4 * sizeof(int);

}  // namespace
}  // namespace moa::kernels::prefill
