// The reference profiler: attention probabilities materialised per layer, kept in the
// autograd graph, and their gradients read back after one backward pass.
#include <c10/core/GradMode.h>

#include <cmath>
#include <limits>

#include "core/profile/influence.h"
#include "core/util/error.h"

namespace moa {

namespace {

// Causal attention that keeps A = softmax(QK^T * scale + causal) for the gradient.
class MaterialisingAttention : public AttentionBackend {
 public:
  MaterialisingAttention(at::ScalarType work, const InfluenceTick& tick) : work_(work), tick_(tick) {}

  at::Tensor attend(const AttentionCall& c) override {
    if (tick_) tick_(c.layer, "forward");
    if (c.q_start != 0 || c.key_valid.defined() || c.q.size(0) != 1)
      throw Error("reference profiler: expects one unpadded sequence without a cache");
    const int64_t Hq = c.q.size(1), T = c.q.size(2), G = Hq / c.k.size(1);
    auto q = c.q.to(work_), k = c.k.to(work_), v = c.v.to(work_);
    if (G > 1) {
      k = k.repeat_interleave(G, 1);
      v = v.repeat_interleave(G, 1);
    }
    auto scores = at::matmul(q, k.transpose(-2, -1)) * c.scale;
    auto causal = at::ones({T, T}, scores.options().dtype(at::kBool)).tril();
    scores = scores.masked_fill(causal.logical_not(), -std::numeric_limits<double>::infinity());
    auto A = at::softmax(scores, -1);  // [1, Hq, T, T]
    // Layer 0's A depends on no weight that needs a gradient: make it a leaf that does, so
    // the whole graph above it is recorded. Later layers' A are intermediate: keep their grad.
    if (A.requires_grad()) A.retain_grad();
    else A.requires_grad_(true);
    probs.push_back(A);
    return at::matmul(A, v).to(c.q.scalar_type());
  }
  const char* name() const override { return "materialising"; }

  std::vector<at::Tensor> probs;

 private:
  at::ScalarType work_;
  const InfluenceTick& tick_;
};

}  // namespace

at::Tensor influence_entries(const at::Tensor& A, const at::Tensor& G) {
  auto ga = (G * A).sum(-1, true);
  auto one_minus = 1.0 - A;
  auto general = -A * (G - ga) / at::where(one_minus > 0, one_minus, at::ones_like(one_minus));
  // 1 - A == 0: the row has one entry (row 0) or every other entry underflowed; masking it
  // removes the whole row's mass, to first order -G*A.
  return at::where(one_minus > 0, general, -G * A);
}

at::Tensor influence_pool(const at::Tensor& abs_entries) {
  const int64_t H = abs_entries.size(0), N = abs_entries.size(1), nb = (N + 63) / 64, P = nb * 64;
  auto x = abs_entries.to(at::kDouble);
  if (P != N) x = at::constant_pad_nd(x, {0, P - N, 0, P - N}, 0.0);
  return x.view({H, nb, 64, nb, 64}).sum({2, 4}).to(at::kFloat);
}

at::Tensor answer_loss(const LlamaModel& model, const at::Tensor& hidden, const InfluenceInput& in) {
  const int64_t a0 = in.answer_begin, a1 = in.answer_end, N = static_cast<int64_t>(in.ids.size());
  if (a0 < 1 || a1 <= a0 || a1 > N) throw Error("profiler: answer span [" + std::to_string(a0) + ", " +
                                                std::to_string(a1) + ") outside the " + std::to_string(N) + " tokens");
  // Row t predicts token t+1: the answer tokens are predicted by rows [a0-1, a1-1).
  auto h = hidden.select(0, 0).narrow(0, a0 - 1, a1 - a0);
  auto logits = at::linear(h, model.lm_head());
  logits = logits.to(logits.scalar_type() == at::kDouble ? at::kDouble : at::kFloat);
  std::vector<int64_t> target(in.ids.begin() + a0, in.ids.begin() + a1);
  auto t = at::tensor(target, at::kLong).to(logits.device()).unsqueeze(1);
  return -at::log_softmax(logits, -1).gather(1, t).mean();
}

InfluenceResult influence_reference(const LlamaModel& model, const InfluenceInput& in, bool keep_entries,
                                    const InfluenceTick& tick) {
  const int64_t N = static_cast<int64_t>(in.ids.size());
  const auto dev = model.device();
  const auto work = model.dtype() == at::kDouble ? at::kDouble : at::kFloat;
  MaterialisingAttention attention(work, tick);
  auto ids = at::tensor(in.ids, at::kLong).view({1, N}).to(dev);
  auto pos = at::arange(N, at::TensorOptions().dtype(at::kLong).device(dev)).view({1, N});
  ForwardOptions fo;
  fo.return_hidden = true;
  auto hidden = model.forward(ids, pos, nullptr, attention, fo);
  auto loss = answer_loss(model, hidden, in);
  loss.backward();
  InfluenceResult r;
  r.loss = loss.item<double>();
  std::vector<at::Tensor> pooled;
  for (size_t l = 0; l < attention.probs.size(); ++l) {
    if (tick) tick(static_cast<int>(l), "backward");
    const auto& A = attention.probs[l];
    c10::NoGradGuard no_grad;
    auto G = A.grad();
    if (!G.defined()) G = at::zeros_like(A);  // no path to the loss (cannot happen in a Llama)
    auto E = influence_entries(A.detach().select(0, 0), G.select(0, 0));
    pooled.push_back(influence_pool(E.abs()).cpu());
    if (keep_entries) r.entries.push_back(E.cpu());
  }
  r.pooled = at::stack(pooled);
  return r;
}

}  // namespace moa
