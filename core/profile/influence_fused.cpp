// The fused profiler: a no-grad forward that keeps each layer's input (the residual stream),
// then, from the top layer down, each layer is recomputed with autograd from its saved input:
// backward through it gives dO at the attention output and the gradient for the layer below,
// and influence_blocks() pools |E| from Q, K, V, O, LSE and dO. Peak memory: the saved
// residuals plus one layer's activations; N x N is never materialised.
#include <c10/core/GradMode.h>

#include <cmath>

#include "core/compat/torch_compat.h"
#include "core/profile/influence.h"
#include "core/profile/influence_blocks.h"
#include "core/util/error.h"

namespace moa {

namespace {

struct Projected {
  at::Tensor q, k, v;  // [1, H, N, D], rope applied
};

// The attention input of layer l, exactly as LlamaModel::forward computes it.
Projected project(const LlamaModel& m, int64_t l, const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  const auto& c = m.config();
  const auto& w = m.layer(static_cast<int>(l));
  const int64_t N = x.size(1);
  auto [q, k, v] = m.project_qkv(static_cast<int>(l), m.rms_norm(x, w.input_norm));
  Projected p;
  p.q = apply_rope(q.view({1, N, c.num_heads, c.head_dim}).transpose(1, 2), cos, sin);
  p.k = apply_rope(k.view({1, N, c.num_kv_heads, c.head_dim}).transpose(1, 2), cos, sin);
  p.v = v.view({1, N, c.num_kv_heads, c.head_dim}).transpose(1, 2);
  return p;
}

// The rest of layer l after attention: o [1, Hq, N, D] -> the next layer's input.
at::Tensor finish_layer(const LlamaModel& m, int64_t l, const at::Tensor& x, const at::Tensor& o) {
  const auto& w = m.layer(static_cast<int>(l));
  const int64_t N = x.size(1);
  auto y = x + at::linear(o.transpose(1, 2).reshape({1, N, -1}), w.o);
  return y + m.mlp(static_cast<int>(l), m.rms_norm(y, w.post_norm));
}

at::Tensor expand_kv(const at::Tensor& t, int64_t groups) { return groups > 1 ? t.repeat_interleave(groups, 1) : t; }

#ifdef MOA_TORCH_HAS_CUDA
// Differentiable causal attention on CUDA that also returns the row log-sum-exp [1, Hq, N]:
// the flash kernel for half/bfloat16, the memory-efficient kernel otherwise.
std::pair<at::Tensor, at::Tensor> cuda_attention_lse(const Projected& p, double scale) {
  const int64_t G = p.q.size(1) / p.k.size(1), N = p.q.size(2), D = p.q.size(3);
  auto k = expand_kv(p.k, G), v = expand_kv(p.v, G);
  const auto st = p.q.scalar_type();
  if ((st == at::kHalf || st == at::kBFloat16) && D % 8 == 0 && D <= 256) {
    try {
      auto r = at::_scaled_dot_product_flash_attention(p.q, k, v, 0.0, true, false, scale);
      return {std::get<0>(r), std::get<1>(r).narrow(-1, 0, N)};
    } catch (const c10::Error&) {
      // fall through: the efficient kernel covers what flash does not
    }
  }
  auto r = at::_scaled_dot_product_efficient_attention(p.q, k, v, std::nullopt, true, 0.0, true, scale);
  return {std::get<0>(r), std::get<1>(r).narrow(-1, 0, N)};
}
#endif

}  // namespace

InfluenceResult influence_fused(const LlamaModel& model, const InfluenceInput& in, const InfluenceTick& tick, bool pool) {
  const auto& c = model.config();
  const int64_t N = static_cast<int64_t>(in.ids.size()), L = c.num_layers, Hq = c.num_heads, nb = (N + 63) / 64;
  const auto dev = model.device();
  const bool cuda = dev.is_cuda();
#ifndef MOA_TORCH_HAS_CUDA
  if (cuda) throw Error("fused profiler: this build has no CUDA support");
#endif
  const double scale = 1.0 / std::sqrt(static_cast<double>(c.head_dim));
  auto ids = at::tensor(in.ids, at::kLong).view({1, N}).to(dev);
  auto pos = at::arange(N, at::TensorOptions().dtype(at::kLong).device(dev)).view({1, N});
  auto [cos, sin] = model.rope_cos_sin(pos);
  auto ticker = [&](int64_t l, const char* phase) {
    return [&tick, l, phase] {
      if (tick) tick(static_cast<int>(l), phase);
    };
  };

  // Pass 1, no autograd: the input of every layer (and, on the CPU, O and LSE for pass 2).
  std::vector<at::Tensor> xs(L + 1), saved_o(L), saved_lse(L);
  {
    c10::NoGradGuard no_grad;
    auto x = at::embedding(model.embed_tokens(), ids);
    for (int64_t l = 0; l < L; ++l) {
      if (tick) tick(static_cast<int>(l), "forward");
      xs[l] = x;
      auto p = project(model, l, x, cos, sin);
      at::Tensor o;
      if (cuda) {
        const int64_t G = Hq / c.num_kv_heads;
        o = compat::sdpa(p.q, expand_kv(p.k, G), expand_kv(p.v, G), c10::nullopt, true, scale);
      } else {
        auto [oc, lse] = attention_with_lse_cpu(p.q[0], p.k[0], p.v[0], scale, ticker(l, "forward"));
        o = oc.unsqueeze(0);
        saved_o[l] = o;
        saved_lse[l] = lse;
      }
      x = finish_layer(model, l, x, o);
    }
    xs[L] = x;
  }

  InfluenceResult r;
  at::Tensor dx;
  {
    auto top = xs[L].detach().requires_grad_(true);
    auto loss = answer_loss(model, model.rms_norm(top, model.final_norm()), in);
    loss.backward();
    r.loss = loss.item<double>();
    dx = top.grad();
    xs[L] = at::Tensor();
  }

  // Pass 2, top down: recompute layer l with autograd, pool its influence, pass dx down.
  r.pooled = at::zeros({L, Hq, nb, nb}, at::kFloat);
  for (int64_t l = L - 1; l >= 0; --l) {
    if (tick) tick(static_cast<int>(l), "backward");
    auto x = xs[l].detach().requires_grad_(true);
    auto p = project(model, l, x, cos, sin);
    AttentionSaved saved;
    saved.scale = scale;
    InfluenceBlocks blocks;
    if (cuda) {
#ifdef MOA_TORCH_HAS_CUDA
      auto [o, lse] = cuda_attention_lse(p, scale);
      o.retain_grad();
      finish_layer(model, l, x, o).backward(dx);
      saved = {p.q.detach()[0], p.k.detach()[0], p.v.detach()[0], o.detach()[0], lse[0], o.grad()[0], scale};
      if (pool) blocks = influence_blocks(saved, false);
#endif
    } else {
      auto o = saved_o[l].detach().requires_grad_(true);
      finish_layer(model, l, x, o).backward(dx);
      saved = {p.q.detach()[0], p.k.detach()[0], p.v.detach()[0], saved_o[l][0], saved_lse[l], o.grad()[0], scale};
      blocks = influence_blocks(saved, true, ticker(l, "backward"));
      // Attention's own backward, computed with the influence: push dQ, dK, dV into the graph.
      auto cast = [&](const at::Tensor& g) { return g.to(p.q.scalar_type()).unsqueeze(0); };
      ((p.q * cast(blocks.dq)).sum() + (p.k * cast(blocks.dk)).sum() + (p.v * cast(blocks.dv)).sum()).backward();
      saved_o[l] = saved_lse[l] = at::Tensor();
    }
    if (tick) tick(static_cast<int>(l), "backward");  // the layer's backward is done: a cancel point
    if (blocks.pooled.defined()) r.pooled[l].copy_(blocks.pooled.cpu());
    dx = x.grad();
    xs[l] = at::Tensor();
  }
  return r;
}

}  // namespace moa
