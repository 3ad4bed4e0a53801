#include "core/profile/influence_blocks.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/compat/torch_compat.h"
#include "core/util/error.h"
#ifdef MOA_HAVE_CUDA
#include "kernels/moa_influence.cuh"
#endif

namespace moa {

namespace {

at::ScalarType work_type(const at::Tensor& t) { return t.scalar_type() == at::kDouble ? at::kDouble : at::kFloat; }

// [Hq, n, D] rows of a query-like tensor grouped by KV head: [Hkv, G * n, D].
at::Tensor by_kv_head(const at::Tensor& x, int64_t Hkv) {
  return x.reshape({Hkv, x.size(0) / Hkv * x.size(1), x.size(2)});
}

// One pass over a chunk's scores and dP ([Hq, n, s_end], rows t0..t0+n-1): turns s into P and
// dp into dS in place (zero above the diagonal) and adds |E| of every 64x64 block to pooled
// [Hq, nb, nb]. Tasks are (head, 64-row block): each owns its pooled row, so the sums do not
// depend on the thread count.
template <class T>
void chunk_influence(T* s, T* dp, const T* lse, const T* delta, T* pooled, int64_t Hq, int64_t N, int64_t nb,
                     int64_t t0, int64_t n, int64_t s_end, double scale) {
  const int64_t qn = (n + 63) / 64, kn = (s_end + 63) / 64;
  at::parallel_for(0, Hq * qn, 1, [&](int64_t begin, int64_t end) {
    std::vector<T> acc(static_cast<size_t>(kn));
    for (int64_t task = begin; task < end; ++task) {
      const int64_t h = task / qn, rb = task % qn;
      std::fill(acc.begin(), acc.end(), T(0));
      for (int64_t r = rb * 64; r < std::min(n, rb * 64 + 64); ++r) {
        const int64_t i = t0 + r;
        T* srow = s + (h * n + r) * s_end;
        T* grow = dp + (h * n + r) * s_end;
        const T l = lse[h * N + i], d = delta[h * N + i], sc = static_cast<T>(scale);
        const int64_t last = std::min(i, s_end - 1);
        for (int64_t j = 0; j <= last; ++j) {
          const T p = std::exp(srow[j] * sc - l), g = grow[j], ds = p * (g - d), om = T(1) - p;
          const T e = (i > 0 && om > T(0)) ? ds / om : g * p;
          acc[j >> 6] += std::abs(e);
          srow[j] = p;
          grow[j] = ds;
        }
        for (int64_t j = last + 1; j < s_end; ++j) srow[j] = grow[j] = T(0);
      }
      T* out = pooled + (h * nb + t0 / 64 + rb) * nb;
      for (int64_t kb = 0; kb < kn; ++kb) out[kb] += acc[kb];
    }
  });
}

InfluenceBlocks influence_blocks_cpu(const AttentionSaved& a, bool want_grads, const std::function<void()>& tick) {
  const auto wt = work_type(a.q);
  const int64_t Hq = a.q.size(0), N = a.q.size(1), D = a.q.size(2), Hkv = a.k.size(0), nb = (N + 63) / 64;
  auto q = a.q.to(wt).contiguous(), k = a.k.to(wt).contiguous(), v = a.v.to(wt).contiguous();
  auto d_o = a.d_o.to(wt).contiguous();
  auto lse = a.lse.to(wt).contiguous();
  auto delta = (d_o * a.o.to(wt)).sum(-1).contiguous();  // D_i = rowsum(dO_i * O_i)
  InfluenceBlocks r;
  r.pooled = at::zeros({Hq, nb, nb}, q.options());
  if (want_grads) {
    r.dq = at::zeros_like(q);
    r.dk = at::zeros_like(k);
    r.dv = at::zeros_like(v);
  }
  // Two score-sized buffers reused by every chunk (no allocation churn in the loop).
  const int64_t C = std::min(kInfluenceChunkRows, N);
  auto s_buf = at::empty({Hq * C * N}, q.options()), dp_buf = at::empty({Hq * C * N}, q.options());
  for (int64_t t0 = 0; t0 < N; t0 += kInfluenceChunkRows) {
    if (tick) tick();
    const int64_t n = std::min(kInfluenceChunkRows, N - t0), s_end = t0 + n, G = Hq / Hkv;
    auto qc = by_kv_head(q.narrow(1, t0, n), Hkv), gc = by_kv_head(d_o.narrow(1, t0, n), Hkv);
    auto kk = k.narrow(1, 0, s_end), vv = v.narrow(1, 0, s_end);
    auto s = s_buf.narrow(0, 0, Hq * n * s_end).view({Hkv, G * n, s_end});
    auto dp = dp_buf.narrow(0, 0, Hq * n * s_end).view({Hkv, G * n, s_end});
    at::bmm_out(s, qc, kk.transpose(1, 2));
    at::bmm_out(dp, gc, vv.transpose(1, 2));
    if (wt == at::kDouble)
      chunk_influence<double>(s.data_ptr<double>(), dp.data_ptr<double>(), lse.data_ptr<double>(),
                              delta.data_ptr<double>(), r.pooled.data_ptr<double>(), Hq, N, nb, t0, n, s_end, a.scale);
    else
      chunk_influence<float>(s.data_ptr<float>(), dp.data_ptr<float>(), lse.data_ptr<float>(), delta.data_ptr<float>(),
                             r.pooled.data_ptr<float>(), Hq, N, nb, t0, n, s_end, a.scale);
    if (want_grads) {  // s now holds P, dp holds dS
      r.dq.narrow(1, t0, n).copy_(at::bmm(dp, kk).view({Hq, n, D}).mul_(a.scale));
      r.dk.narrow(1, 0, s_end).add_(at::bmm(dp.transpose(1, 2), qc).mul_(a.scale));
      r.dv.narrow(1, 0, s_end).add_(at::bmm(s.transpose(1, 2), gc));
    }
  }
  r.pooled = r.pooled.to(at::kFloat);
  return r;
}

#ifdef MOA_HAVE_CUDA
InfluenceBlocks influence_blocks_cuda(const AttentionSaved& a) {
  const int64_t Hq = a.q.size(0), N = a.q.size(1), D = a.q.size(2), Hkv = a.k.size(0), nb = (N + 63) / 64;
  const auto st = a.q.scalar_type();
  kernels::InfluenceDType dt;
  if (st == at::kBFloat16) dt = kernels::InfluenceDType::BF16;
  else if (st == at::kHalf) dt = kernels::InfluenceDType::F16;
  else if (st == at::kFloat) dt = kernels::InfluenceDType::F32;
  else throw Error(std::string("influence kernel: unsupported dtype ") + c10::toString(st));
  auto q = a.q.contiguous(), k = a.k.to(st).contiguous(), v = a.v.to(st).contiguous(), d_o = a.d_o.to(st).contiguous();
  auto lse = a.lse.to(at::kFloat).contiguous();
  auto delta = (a.d_o.to(at::kFloat) * a.o.to(at::kFloat)).sum(-1).contiguous();
  InfluenceBlocks r;
  r.pooled = at::empty({Hq, nb, nb}, q.options().dtype(at::kFloat));
  kernels::InfluenceShape shape;
  shape.heads_q = static_cast<int>(Hq);
  shape.heads_kv = static_cast<int>(Hkv);
  shape.tokens = N;
  shape.head_dim = static_cast<int>(D);
  kernels::influence_blocks(q.data_ptr(), k.data_ptr(), v.data_ptr(), d_o.data_ptr(), lse.data_ptr<float>(),
                            delta.data_ptr<float>(), r.pooled.data_ptr<float>(), shape, dt,
                            static_cast<float>(a.scale), compat::current_cuda_stream(q.device()));
  return r;
}
#endif

}  // namespace

InfluenceBlocks influence_blocks(const AttentionSaved& a, bool want_grads, const std::function<void()>& tick) {
  if (a.q.dim() != 3 || a.k.dim() != 3 || a.q.size(0) % a.k.size(0) != 0 || a.q.size(1) != a.k.size(1))
    throw Error("influence_blocks: q must be [Hq, N, D] and k/v [Hkv, N, D] with Hq a multiple of Hkv");
  if (a.q.is_cuda()) {
    if (want_grads) throw Error("influence_blocks: on CUDA the attention backward comes from autograd");
#ifdef MOA_HAVE_CUDA
    return influence_blocks_cuda(a);
#else
    throw Error("influence_blocks: CUDA tensors but this build has no CUDA kernels");
#endif
  }
  return influence_blocks_cpu(a, want_grads, tick);
}

namespace {

// Scores [Hq, n, s_end] of rows t0..t0+n-1 -> causal softmax P in place, and each row's lse.
// Rows are independent and live in cache: max, exp-sum and scale in three short passes.
template <class T>
void chunk_softmax(T* s, T* lse, int64_t Hq, int64_t N, int64_t t0, int64_t n, int64_t s_end, double scale) {
  at::parallel_for(0, Hq * n, 16, [&](int64_t begin, int64_t end) {
    const T sc = static_cast<T>(scale);
    for (int64_t row = begin; row < end; ++row) {
      const int64_t h = row / n, i = t0 + row % n, last = std::min(i, s_end - 1);
      T* x = s + row * s_end;
      T mx = -std::numeric_limits<T>::infinity();
      for (int64_t j = 0; j <= last; ++j) mx = std::max(mx, x[j] * sc);
      T sum = 0;
      for (int64_t j = 0; j <= last; ++j) sum += (x[j] = std::exp(x[j] * sc - mx));
      const T inv = T(1) / sum;
      for (int64_t j = 0; j <= last; ++j) x[j] *= inv;
      for (int64_t j = last + 1; j < s_end; ++j) x[j] = T(0);
      lse[h * N + i] = mx + std::log(sum);
    }
  });
}

}  // namespace

std::pair<at::Tensor, at::Tensor> attention_with_lse_cpu(const at::Tensor& q_in, const at::Tensor& k_in,
                                                         const at::Tensor& v_in, double scale,
                                                         const std::function<void()>& tick) {
  const auto wt = work_type(q_in);
  const int64_t Hq = q_in.size(0), N = q_in.size(1), D = q_in.size(2), Hkv = k_in.size(0), G = Hq / Hkv;
  auto q = q_in.to(wt).contiguous(), k = k_in.to(wt).contiguous(), v = v_in.to(wt).contiguous();
  auto o = at::empty({Hq, N, D}, q.options());
  auto lse = at::empty({Hq, N}, q.options());
  const int64_t C = std::min(kInfluenceChunkRows, N);
  auto s_buf = at::empty({Hq * C * N}, q.options());
  for (int64_t t0 = 0; t0 < N; t0 += kInfluenceChunkRows) {
    if (tick) tick();
    const int64_t n = std::min(kInfluenceChunkRows, N - t0), s_end = t0 + n;
    auto s = s_buf.narrow(0, 0, Hq * n * s_end).view({Hkv, G * n, s_end});
    at::bmm_out(s, by_kv_head(q.narrow(1, t0, n), Hkv), k.narrow(1, 0, s_end).transpose(1, 2));
    if (wt == at::kDouble)
      chunk_softmax<double>(s.data_ptr<double>(), lse.data_ptr<double>(), Hq, N, t0, n, s_end, scale);
    else
      chunk_softmax<float>(s.data_ptr<float>(), lse.data_ptr<float>(), Hq, N, t0, n, s_end, scale);
    o.narrow(1, t0, n).copy_(at::bmm(s, v.narrow(1, 0, s_end)).view({Hq, n, D}));
  }
  return {o.to(q_in.scalar_type()), lse};
}

}  // namespace moa
