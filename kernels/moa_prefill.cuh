#pragma once
// MoA prefill: causal sink + band attention with a band width per head (DESIGN §4).
//
// Block layout (exact): 64-token blocks, nb = ceil(N/64) (the last block may be partial).
// Query block i attends key blocks {0} ∪ [i-k+1, i] where k = band_blocks[layout head],
// clamped here to [1, nb]; inside every kept block a key at position j is attended by the
// query at position i only if j <= i (token-level causality). k >= nb is dense causal attention.
//
// Tensors (all contiguous, row-major, element type `dtype`, 16-byte aligned):
//   q   [B, Hq,  N, D]      k, v [B, Hkv, N, D]      out [B, Hq, N, D]
//   lse [B, Hq, N] float32 (may be null): natural-log log-sum-exp of scale * q·k over the kept keys.
// GQA: query head h reads KV head h / (Hq / Hkv). Hq must be a multiple of Hkv.
// band_blocks: DEVICE int32 array, one entry per layout head: Hkv entries when
//   layout_heads_are_kv (per-KV-head plans), else Hq entries (MHA-expanded plans).
// D in {64, 128}. Accumulation in float32. Only the kept key blocks are loaded or computed.
#include "kernels/types.cuh"

namespace moa::kernels {

// Implementation: `automatic` picks, on Hopper (when kPrefillAutoWgmma): for D = 128 wgmma_tma (when
// kPrefillAutoTma) or wgmma_ws (when kPrefillAutoWs), else wgmma_2cta (when kPrefillAuto2Cta) or
// wgmma; mma.sync elsewhere.
// The environment variable MOA_PREFILL_IMPL (mma_sync | wgmma | wgmma_2cta | wgmma_ws | wgmma_tma |
// auto), read once per process, overrides what `automatic` runs (explicit choices are never overridden).
//   mma_sync   : FA2-style, mma.sync m16n8k16, any sm_80+.
//   wgmma      : wgmma (sm_90a), one CTA per SM (~140 registers).
//   wgmma_2cta : wgmma with registers capped for two CTAs per SM (bench/kernels/NOTES.md v3).
//   wgmma_ws   : warp-specialised (FA3 structure): a cp.async producer warpgroup feeding a 3-stage
//                mbarrier ring of 128-key tiles, two consumer warpgroups in ping-pong (NOTES.md
//                v5, v6); persistent, one CTA per SM over (query tile, head) items (v7).
//                D = 128 only: asked for D = 64 it runs wgmma_2cta.
//   wgmma_tma  : wgmma_ws with a TMA producer: one thread issues bulk tensor copies
//                (cp.async.bulk.tensor, 128B swizzle, zero fill past the sequence end) completing on
//                the ring's mbarriers; same ring, schedule and results; its consumers carry an
//                item's last P V into the next item's first round (MOA_PREFILL_TMA_CARRY=0: off).
//                1-8% faster than wgmma_ws on an H200, short items (narrow bands) 5-12% more
//                (NOTES.md v8, v9). D = 128 only: asked for D = 64 it runs wgmma_2cta.
// All give the same results (up to float rounding order).
enum class PrefillImpl : int { automatic = 0, mma_sync = 1, wgmma = 2, wgmma_2cta = 3, wgmma_ws = 4, wgmma_tma = 5 };
inline constexpr bool kPrefillAutoWgmma = true;
inline constexpr bool kPrefillAuto2Cta = true;  // measured faster (bench/kernels/NOTES.md)
inline constexpr bool kPrefillAutoWs = true;    // v6/v7 measured fastest at D = 128 (NOTES.md)
inline constexpr bool kPrefillAutoTma = true;   // v8 measured faster than wgmma_ws (NOTES.md)

struct PrefillArgs {
  const void* q = nullptr;
  const void* k = nullptr;
  const void* v = nullptr;
  void* out = nullptr;
  float* lse = nullptr;
  const int32_t* band_blocks = nullptr;  // device
  bool layout_heads_are_kv = true;
  int batch = 1, num_q_heads = 1, num_kv_heads = 1, seq_len = 0, head_dim = 128;
  DType dtype = DType::bf16;
  float scale = 1.0f;  // usually 1/sqrt(D)
  PrefillImpl impl = PrefillImpl::automatic;
};

// Validates shapes (throws std::invalid_argument) and launches on `stream` (a cudaStream_t).
void moa_prefill(const PrefillArgs& args, void* stream);

}  // namespace moa::kernels
