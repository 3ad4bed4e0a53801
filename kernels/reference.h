#pragma once
// Float64 CPU references of the kernels in this folder (plain C++, no CUDA). They define the
// semantics the GPU kernels and the CPU masked-reference backend must agree on.
// Layouts and conventions are those of moa_prefill.cuh, moa_decode.cuh, moa_cache.cuh and
// moa_influence.cuh.
#include <cstdint>
#include <vector>

namespace moa::kernels::ref {

// Host conversions between float and the 16-bit storage types (round to nearest even).
uint16_t float_to_bf16(float f);
float bf16_to_float(uint16_t h);
uint16_t float_to_f16(float f);
float f16_to_float(uint16_t h);

// DESIGN §4 block layout: does the query at position i attend the key at position j (j <= i)
// with band width k blocks (k clamped to [1, nb])?
bool layout_keeps(int i, int j, int k, int nb);

// q [B,Hq,N,D], k/v [B,Hkv,N,D] -> out [B,Hq,N,D], lse [B,Hq,N] (natural log).
void prefill(const std::vector<double>& q, const std::vector<double>& k, const std::vector<double>& v,
             int batch, int hq, int hkv, int n, int d, const std::vector<int>& band_blocks,
             bool layout_heads_are_kv, double scale, std::vector<double>& out, std::vector<double>& lse);

// Heterogeneous cache geometry (moa_cache.cuh): head h owns slots [offset[h], offset[h]+span[h])
// of the [B, total_slots, D] buffers; `seen[b*Hkv+h]` = tokens of that sequence written so far.
struct CacheGeometry {
  std::vector<int> offset, span;
  int total_slots = 0;
};
CacheGeometry cache_geometry(const std::vector<int>& spans);
// Slot (within the head) of token position `pos` for a head of span S, or -1 if not stored.
int cache_slot(int pos, int span);
// Number of valid slots: min(seen, span) — the slots [0, valid) hold tokens.
int cache_valid(int seen, int span);

// Fill from prefill K or V [B,Hkv,N,D] (raw 16-bit values) into cache [B,T,D].
void cache_fill(const std::vector<uint16_t>& src, int batch, int hkv, int n, int d, const CacheGeometry& g,
                std::vector<uint16_t>& cache);
// Append one token [B,Hkv,D] at position seen[b*Hkv+h]; increments seen.
void cache_append(const std::vector<uint16_t>& src, int batch, int hkv, int d, const CacheGeometry& g,
                  std::vector<uint16_t>& cache, std::vector<int>& seen);

// Decode: q [B,Hq,D], caches [B,T,D] (as doubles) -> out [B,Hq,D], lse [B,Hq].
void decode(const std::vector<double>& q, const std::vector<double>& kc, const std::vector<double>& vc,
            int batch, int hq, int hkv, int d, const CacheGeometry& g, const std::vector<int>& seen,
            double scale, std::vector<double>& out, std::vector<double>& lse);

// Influence (moa_influence.cuh), B = 1: q, d_o [Hq,N,D], k, v [Hkv,N,D], lse, delta [Hq,N]
// (given, as the kernel gets them) -> out [Hq,nb,nb], nb = ceil(N/64): per 64x64 block the sum
// of |E| over causal entries, E = P (dP - delta) / (1 - P), or dP P where 1 - P <= 0 and in row 0.
void influence_blocks(const std::vector<double>& q, const std::vector<double>& k, const std::vector<double>& v,
                      const std::vector<double>& d_o, const std::vector<double>& lse,
                      const std::vector<double>& delta, int hq, int hkv, int n, int d, double scale,
                      std::vector<double>& out);

// The forward statistics the influence kernel needs, from the same inputs (causal attention):
// lse [Hq,N] (natural log of the scaled scores' sum of exponentials), delta = rowsum(dO * O).
void influence_row_stats(const std::vector<double>& q, const std::vector<double>& k, const std::vector<double>& v,
                         const std::vector<double>& d_o, int hq, int hkv, int n, int d, double scale,
                         std::vector<double>& lse, std::vector<double>& delta);

}  // namespace moa::kernels::ref
