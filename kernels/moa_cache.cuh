#pragma once
// The heterogeneous KV cache of DESIGN §4: writes from prefill and per-step appends.
//
// Geometry (per layer; one buffer for K and one for V, each [B, T, D] contiguous, T = sum_h S_h):
//   KV head h owns slots [head_offset[h], head_offset[h] + S_h) of the T axis, S_h = head_span[h].
//   Slot s < min(64, S_h) is the static sink: it holds the token at position s.
//   Slots 64 .. S_h-1 are a ring of R_h = S_h - 64 slots: the token at position p >= 64 lives at
//   slot 64 + (p - 64) % R_h, so a later token overwrites the one R_h positions before it.
//   (A head with S_h <= 64 keeps only its first S_h tokens; plans give every head S_h > 64.)
// Per (batch, KV head) the cache keeps `seen[b*Hkv + h]` = number of tokens written so far, i.e.
// the position of the next token. The valid slots are exactly [0, min(seen, S_h)): attention is
// order-free (RoPE is applied before caching), so the decode kernel needs no further bookkeeping.
// head_offset, head_span and seen are DEVICE int32 arrays. Elements are 16-bit (bf16 or fp16: the
// helpers only copy), rows 16-byte aligned; D in {64, 128}.
#include <cstddef>
#include <cstdint>

namespace moa::kernels {

struct CacheGeometryArgs {
  const int32_t* head_offset = nullptr;  // [Hkv] device
  const int32_t* head_span = nullptr;    // [Hkv] device
  int batch = 1, num_kv_heads = 1, total_slots = 0, head_dim = 128;
  int max_span = 0;  // max_h S_h (host value, sizes the grid)
};

// Bytes of one sequence's K+V cache for one layer (16-bit elements).
inline size_t moa_cache_bytes_per_sequence(int total_slots, int head_dim) {
  return static_cast<size_t>(total_slots) * head_dim * 2 * 2;
}

// From prefill K/V [B, Hkv, N, D]: sink = tokens [0, 64), ring = the last min(N-64, R_h) tokens
// at their ring slots; sets seen[b*Hkv+h] = N. Slots past min(N, S_h) are left untouched.
void moa_cache_fill(const CacheGeometryArgs& g, const void* k_src, const void* v_src, int seq_len,
                    void* k_cache, void* v_cache, int32_t* seen, void* stream);

// Appends one token per (batch, KV head) from k_new/v_new at position seen[b*Hkv+h] and increments
// seen. Row b of k_new/v_new holds Hkv contiguous heads of D and starts new_row_stride elements after
// row b-1 (0: Hkv * D, i.e. [B, Hkv, D] contiguous; larger for slices of a fused q|k|v row).
void moa_cache_append(const CacheGeometryArgs& g, const void* k_new, const void* v_new, size_t new_row_stride,
                      void* k_cache, void* v_cache, int32_t* seen, void* stream);

}  // namespace moa::kernels
