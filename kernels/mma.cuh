#pragma once
// Device helpers shared by the attention kernels: cp.async, ldmatrix, mma.sync m16n8k16 and a
// swizzled shared-memory tile layout. Included by .cu files only.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

namespace moa::kernels::detail {

__device__ __forceinline__ uint32_t smem_u32(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// 16-byte global->shared copy that bypasses L1; when !valid it writes 16 zero bytes instead
// (rows past the sequence end must be zeros, not garbage: 0 * NaN would poison P·V).
__device__ __forceinline__ void cp_async_16(uint32_t dst, const void* src, bool valid) {
  const int n = valid ? 16 : 0;
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(n));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

// D = A(16x16, row) * B(16x8, col) + D, fp32 accumulators.
template <typename T>
__device__ __forceinline__ void mma_16816(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1);

template <>
__device__ __forceinline__ void mma_16816<__nv_bfloat16>(float (&d)[4], const uint32_t (&a)[4], uint32_t b0,
                                                         uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
template <>
__device__ __forceinline__ void mma_16816<__half>(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Two floats -> one 32-bit register of two 16-bit values (lo = first element).
template <typename T>
__device__ __forceinline__ uint32_t pack2(float lo, float hi);
template <>
__device__ __forceinline__ uint32_t pack2<__nv_bfloat16>(float lo, float hi) {
  __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&v);
}
template <>
__device__ __forceinline__ uint32_t pack2<__half>(float lo, float hi) {
  __half2 v = __floats2half2_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&v);
}

// One 16-byte value of 8 elements -> 8 floats.
template <typename T>
__device__ __forceinline__ void unpack8(const uint4& v, float (&f)[8]) {
  const T* e = reinterpret_cast<const T*>(&v);
#pragma unroll
  for (int i = 0; i < 8; ++i) f[i] = static_cast<float>(e[i]);
}

// Element offset of 16-byte chunk `c` of row `r` in a [rows][D] tile. The chunk index is XORed
// with the row's low 3 bits so that the 8 rows one ldmatrix phase reads fall in 8 different
// bank groups (rows are 128 or 256 bytes long, so without it all 8 hit the same banks).
template <int D>
__device__ __forceinline__ int swz(int r, int c) {
  return r * D + ((c ^ (r & 7)) << 3);
}

// Quad (4 lanes sharing a row of an mma fragment) reductions.
__device__ __forceinline__ float quad_max(float x) {
  x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 1));
  return fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}
__device__ __forceinline__ float quad_sum(float x) {
  x += __shfl_xor_sync(0xffffffffu, x, 1);
  return x + __shfl_xor_sync(0xffffffffu, x, 2);
}

// ---- Attention building blocks for one warp owning 16 query rows (mma fragment layout: this
// thread holds rows g = lane/4 and g+8, columns 2*(lane%4) and +1 of each 8-wide n-tile). ----

// S[16 x 8*NT] = Q K^T, Q as A fragments in registers, K tile [8*NT][D] swizzled in shared memory.
template <typename T, int NT, int D>
__device__ __forceinline__ void qk_tile(float (&s)[NT][4], const uint32_t (&qf)[D / 16][4], const T* k_s, int lane) {
#pragma unroll
  for (int i = 0; i < NT; ++i) s[i][0] = s[i][1] = s[i][2] = s[i][3] = 0.f;
#pragma unroll
  for (int ks = 0; ks < D / 16; ++ks) {
#pragma unroll
    for (int np = 0; np < NT / 2; ++np) {
      // 4 matrices: keys [16np, +8) x d-chunks (2ks, 2ks+1), then keys [16np+8, +8) x the same.
      uint32_t kf[4];
      ldmatrix_x4(kf, smem_u32(k_s + swz<D>(np * 16 + ((lane >> 4) << 3) + (lane & 7), ks * 2 + ((lane >> 3) & 1))));
      mma_16816<T>(s[2 * np], qf[ks], kf[0], kf[1]);
      mma_16816<T>(s[2 * np + 1], qf[ks], kf[2], kf[3]);
    }
  }
}

// 2^x in one MUFU instruction (exp2f adds range fix-ups for denormal results, which we flush).
__device__ __forceinline__ float fast_exp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

// Online softmax in base 2 over one tile of raw scores (masked entries = -inf): rescales O and the
// per-thread partial row sums, turns s into unnormalised probabilities. Fully masked rows stay
// finite (guarded), so they contribute nothing instead of NaN. When no row of the warp raised its
// maximum (alpha == 1 everywhere: the common case once a row has seen its largest scores) the
// D/8*4 multiplies of the O rescale are skipped — a warp-uniform branch, exact either way.
template <int NT, int DT>
__device__ __forceinline__ void softmax_update(float (&s)[NT][4], float (&o)[DT][4], float (&row_max)[2],
                                               float (&row_sum)[2], float scale_log2) {
  float alpha[2];
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
  if (!__all_sync(0xffffffffu, alpha[0] == 1.f && alpha[1] == 1.f)) {
#pragma unroll
    for (int dt = 0; dt < DT; ++dt) {
      o[dt][0] *= alpha[0];
      o[dt][1] *= alpha[0];
      o[dt][2] *= alpha[1];
      o[dt][3] *= alpha[1];
    }
  }
}

// O[16 x D] += P[16 x 8*NT] V, V tile [8*NT][D] swizzled in shared memory. The S accumulator
// layout of two neighbouring n-tiles is exactly the A-fragment layout of one 16-key k-step.
template <typename T, int NT, int D>
__device__ __forceinline__ void pv_tile(const float (&s)[NT][4], float (&o)[D / 8][4], const T* v_s, int lane) {
#pragma unroll
  for (int kk = 0; kk < NT / 2; ++kk) {
    uint32_t pf[4];
    pf[0] = pack2<T>(s[2 * kk][0], s[2 * kk][1]);
    pf[1] = pack2<T>(s[2 * kk][2], s[2 * kk][3]);
    pf[2] = pack2<T>(s[2 * kk + 1][0], s[2 * kk + 1][1]);
    pf[3] = pack2<T>(s[2 * kk + 1][2], s[2 * kk + 1][3]);
#pragma unroll
    for (int dp = 0; dp < D / 16; ++dp) {
      // Transposed loads: matrices keys [16kk, +8) / [16kk+8, +8) x d-chunks 2dp, 2dp+1.
      uint32_t vf[4];
      ldmatrix_x4_trans(vf, smem_u32(v_s + swz<D>(kk * 16 + (((lane >> 3) & 1) << 3) + (lane & 7), dp * 2 + (lane >> 4))));
      mma_16816<T>(o[2 * dp], pf, vf[0], vf[1]);
      mma_16816<T>(o[2 * dp + 1], pf, vf[2], vf[3]);
    }
  }
}

// ---- Row-padded tiles: [rows][D + 8] elements, for any D that is a multiple of 16. The row
// pitch is an odd number of 16-byte chunks (D/8 + 1), so the 8 rows one ldmatrix phase reads
// fall in 8 different bank groups without a swizzle (swz<D> needs D to be a multiple of 64). ----

template <int D>
__device__ __forceinline__ int padded(int r, int c) {
  return r * (D + 8) + (c << 3);
}

// Per-lane byte offsets of ldmatrix row addresses in a padded tile (computed once per kernel;
// the k-step and n-tile parts below are compile-time immediates).
// A fragment of rows [row0, row0+16): lanes 0-15 rows 0-15 at k 0-7, lanes 16-31 the same rows
// at k 8-15, so ldmatrix.x4 returns a[0..3] in the PTX A-fragment order (rows 0-7/8-15 x k 0-7,
// then x k 8-15).
template <int D, typename T>
__device__ __forceinline__ uint32_t a_lane_offset_padded(int row0, int lane) {
  return static_cast<uint32_t>(padded<D>(row0 + (lane & 15), lane >> 4) * sizeof(T));
}
// B fragments of two 8-row n-tiles: lanes 0-7 rows 0-7 at k 0-7, lanes 8-15 rows 0-7 at k 8-15,
// lanes 16-31 the same for rows 8-15 -> (b0, b1) of n-tile 0, then of n-tile 1.
template <int D, typename T>
__device__ __forceinline__ uint32_t b_lane_offset_padded(int lane) {
  return static_cast<uint32_t>(padded<D>(((lane >> 4) << 3) + (lane & 7), (lane >> 3) & 1) * sizeof(T));
}

// A fragment for k-step ks; a_addr = smem_u32(tile) + a_lane_offset_padded.
template <int D, typename T>
__device__ __forceinline__ void load_a_padded(uint32_t (&a)[4], uint32_t a_addr, int ks) {
  ldmatrix_x4(a, a_addr + static_cast<uint32_t>(ks * 16 * sizeof(T)));
}

// acc[16 x 8*NT] += A(16 x 16, k-step ks) * B^T, B = rows [0, 8*NT) of a padded [rows][D] tile
// (B's rows are the output columns: keys); b_addr = smem_u32(tile) + b_lane_offset_padded.
// Same fragment mapping as qk_tile.
template <typename T, int NT, int D>
__device__ __forceinline__ void mma_kstep_padded(float (&acc)[NT][4], const uint32_t (&a)[4], uint32_t b_addr, int ks) {
#pragma unroll
  for (int np = 0; np < NT / 2; ++np) {
    uint32_t bf[4];
    ldmatrix_x4(bf, b_addr + static_cast<uint32_t>((np * 16 * (D + 8) + ks * 16) * sizeof(T)));
    mma_16816<T>(acc[2 * np], a, bf[0], bf[1]);
    mma_16816<T>(acc[2 * np + 1], a, bf[2], bf[3]);
  }
}

}  // namespace moa::kernels::detail
