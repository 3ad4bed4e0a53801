#include "core/profile/influence_blocks.h"

#include <limits>

#include "core/compat/torch_compat.h"
#include "core/util/error.h"
#ifdef MOA_HAVE_CUDA
#include "kernels/moa_influence.cuh"
#endif

namespace moa {

namespace {

at::ScalarType work_type(const at::Tensor& t) { return t.scalar_type() == at::kDouble ? at::kDouble : at::kFloat; }

// Keys visible to query rows [t0, t0 + n): [n, s_end] bool, true on or below the diagonal.
at::Tensor causal_rows(int64_t t0, int64_t n, int64_t s_end, const at::TensorOptions& o) {
  auto qi = at::arange(t0, t0 + n, o.dtype(at::kLong)).unsqueeze(1);
  auto ki = at::arange(0, s_end, o.dtype(at::kLong)).unsqueeze(0);
  return ki <= qi;
}

// [Hq, n, D] rows of a query-like tensor grouped by KV head: [Hkv, G * n, D].
at::Tensor by_kv_head(const at::Tensor& x, int64_t Hkv) {
  return x.reshape({Hkv, x.size(0) / Hkv * x.size(1), x.size(2)});
}

InfluenceBlocks influence_blocks_cpu(const AttentionSaved& a, bool want_grads, const std::function<void()>& tick) {
  const auto wt = work_type(a.q);
  const int64_t Hq = a.q.size(0), N = a.q.size(1), D = a.q.size(2), Hkv = a.k.size(0), nb = (N + 63) / 64;
  auto q = a.q.to(wt), k = a.k.to(wt), v = a.v.to(wt), d_o = a.d_o.to(wt);
  auto lse = a.lse.to(wt);
  auto delta = (d_o * a.o.to(wt)).sum(-1);  // D_i = rowsum(dO_i * O_i)
  InfluenceBlocks r;
  r.pooled = at::zeros({Hq, nb, nb}, q.options());
  if (want_grads) {
    r.dq = at::zeros_like(q);
    r.dk = at::zeros_like(k);
    r.dv = at::zeros_like(v);
  }
  for (int64_t t0 = 0; t0 < N; t0 += kInfluenceChunkRows) {
    if (tick) tick();
    const int64_t n = std::min(kInfluenceChunkRows, N - t0), s_end = t0 + n;
    auto qc = by_kv_head(q.narrow(1, t0, n), Hkv), gc = by_kv_head(d_o.narrow(1, t0, n), Hkv);
    auto kk = k.narrow(1, 0, s_end), vv = v.narrow(1, 0, s_end);
    auto s = at::bmm(qc, kk.transpose(1, 2)).view({Hq, n, s_end}).mul_(a.scale);
    auto p = (s - lse.narrow(1, t0, n).unsqueeze(-1)).exp_();
    p.masked_fill_(causal_rows(t0, n, s_end, q.options()).logical_not(), 0.0);
    auto dp = at::bmm(gc, vv.transpose(1, 2)).view({Hq, n, s_end});
    auto ds = p * (dp - delta.narrow(1, t0, n).unsqueeze(-1));
    auto one_minus = 1.0 - p;
    auto row_ok = (at::arange(t0, t0 + n, at::kLong) > 0).view({1, n, 1});
    auto use_general = (one_minus > 0).logical_and(row_ok);
    auto e = at::where(use_general, ds / at::where(use_general, one_minus, at::ones_like(one_minus)), dp * p);
    // Pool |E| into 64x64 blocks; the chunk starts on a block boundary.
    const int64_t qn = (n + 63) / 64, kn = (s_end + 63) / 64;
    auto abs_e = at::constant_pad_nd(e.abs(), {0, kn * 64 - s_end, 0, qn * 64 - n}, 0.0);
    r.pooled.narrow(1, t0 / 64, qn).narrow(2, 0, kn).copy_(abs_e.view({Hq, qn, 64, kn, 64}).sum({2, 4}));
    if (want_grads) {
      auto ds_kv = ds.view({Hkv, Hq / Hkv * n, s_end});
      r.dq.narrow(1, t0, n).copy_(at::bmm(ds_kv, kk).view({Hq, n, D}).mul_(a.scale));
      r.dk.narrow(1, 0, s_end).add_(at::bmm(ds_kv.transpose(1, 2), qc).mul_(a.scale));
      r.dv.narrow(1, 0, s_end).add_(at::bmm(p.view({Hkv, Hq / Hkv * n, s_end}).transpose(1, 2), gc));
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

std::pair<at::Tensor, at::Tensor> attention_with_lse_cpu(const at::Tensor& q_in, const at::Tensor& k_in,
                                                         const at::Tensor& v_in, double scale,
                                                         const std::function<void()>& tick) {
  const auto wt = work_type(q_in);
  const int64_t Hq = q_in.size(0), N = q_in.size(1), D = q_in.size(2), Hkv = k_in.size(0);
  auto q = q_in.to(wt), k = k_in.to(wt), v = v_in.to(wt);
  auto o = at::empty({Hq, N, D}, q.options());
  auto lse = at::empty({Hq, N}, q.options());
  for (int64_t t0 = 0; t0 < N; t0 += kInfluenceChunkRows) {
    if (tick) tick();
    const int64_t n = std::min(kInfluenceChunkRows, N - t0), s_end = t0 + n;
    auto s = at::bmm(by_kv_head(q.narrow(1, t0, n), Hkv), k.narrow(1, 0, s_end).transpose(1, 2))
                 .view({Hq, n, s_end})
                 .mul_(scale);
    s.masked_fill_(causal_rows(t0, n, s_end, q.options()).logical_not(), -std::numeric_limits<double>::infinity());
    auto l = at::logsumexp(s, -1, true);
    auto p = (s - l).exp_();
    lse.narrow(1, t0, n).copy_(l.squeeze(-1));
    o.narrow(1, t0, n).copy_(at::bmm(p.view({Hkv, Hq / Hkv * n, s_end}), v.narrow(1, 0, s_end)).view({Hq, n, D}));
  }
  return {o.to(q_in.scalar_type()), lse};
}

}  // namespace moa
