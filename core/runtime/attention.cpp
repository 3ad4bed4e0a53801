#include "core/runtime/attention.h"

#include <limits>

#include "core/compat/torch_compat.h"
#include "core/util/error.h"

namespace moa {

namespace {

// Token positions of cache indices [i0, i1) per batch row: [B, i1 - i0].
at::Tensor positions(const AttentionCall& c, int64_t i0, int64_t i1, const at::Device& dev) {
  auto idx = at::arange(i0, i1, at::TensorOptions().dtype(at::kLong).device(dev)).unsqueeze(0);
  if (c.pad.defined()) return idx - c.pad.to(dev).unsqueeze(1);
  return idx.expand({c.q.size(0), i1 - i0});
}

at::Tensor causal_valid_mask(const AttentionCall& c, int64_t t0, int64_t t1) {
  const int64_t S = c.k.size(2);
  const auto dev = c.q.device();
  auto qi = at::arange(c.q_start + t0, c.q_start + t1, at::TensorOptions().dtype(at::kLong).device(dev));
  auto ki = at::arange(0, S, at::TensorOptions().dtype(at::kLong).device(dev));
  auto m = (ki.unsqueeze(0) <= qi.unsqueeze(1)).unsqueeze(0).unsqueeze(0);  // [1,1,T,S]
  if (c.key_valid.defined()) m = m & c.key_valid.to(dev).unsqueeze(1).unsqueeze(1);
  return m;
}

// Causal limit in place: row r of the chunk (cache index q_start + t0 + r) may not see keys after
// itself; only the chunk's last n keys can lie after a row (scores end at key q_start + t1).
void fill_future_keys(const AttentionCall& c, const at::Tensor& scores, int64_t t0, int64_t t1) {
  const int64_t n = t1 - t0, first = c.q_start + t0, keys = scores.size(-1) - first;
  if (n <= 1 || keys <= 1) return;
  auto future = at::ones({n, keys}, at::TensorOptions().dtype(at::kBool)).triu(1);
  scores.narrow(-1, first, keys).masked_fill_(future, -std::numeric_limits<float>::infinity());
}

}  // namespace

at::Tensor attention_masked_chunked(const AttentionCall& c, const MaskFn& mask_fn, int64_t chunk_rows,
                                    const MaskFillFn& fill) {
  const int64_t B = c.q.size(0), Hq = c.q.size(1), T = c.q.size(2), D = c.q.size(3);
  const int64_t Hkv = c.k.size(1), S = c.k.size(2), G = Hq / Hkv;
  auto kf = c.k.to(at::kFloat), vf = c.v.to(at::kFloat);
  // Out-of-place ops only: the profiler and CPU training differentiate through this.
  std::vector<at::Tensor> outs;
  for (int64_t t0 = 0; t0 < T; t0 += chunk_rows) {
    const int64_t t1 = std::min(T, t0 + chunk_rows), n = t1 - t0;
    const int64_t s_end = std::min(S, c.q_start + t1);  // causal: later keys are never needed
    // [B, Hkv, G*n, D] x [B, Hkv, D, s_end] without expanding K/V for GQA.
    // The scale goes on the [n, D] query rows rather than on the [n, s] scores (one pass less).
    auto qc = (c.q.narrow(2, t0, n).to(at::kFloat) * c.scale).reshape({B, Hkv, G * n, D});
    auto scores = at::matmul(qc, kf.narrow(2, 0, s_end).transpose(-2, -1));
    scores = scores.view({B, Hq, n, s_end});
    if (fill && !scores.requires_grad() && !c.key_valid.defined() && !c.pad.defined()) {
      fill(c, scores, t0, t1);
    } else {
      auto m = mask_fn(c, t0, t1).narrow(-1, 0, s_end);
      scores = at::where(m, scores, at::full({}, -std::numeric_limits<float>::infinity(), scores.options()));
    }
    at::Tensor p;
    if (!c.key_valid.defined()) {
      // Without padding every row sees at least itself (causal, and every layout keeps the
      // diagonal block), so the fused softmax is safe: one pass instead of five.
      p = at::softmax(scores, -1);
    } else {
      auto rowmax = std::get<0>(scores.max(-1, true)).detach();
      rowmax = at::where(at::isinf(rowmax), at::zeros_like(rowmax), rowmax);  // rows with no key
      p = (scores - rowmax).exp();
      auto denom = p.sum(-1, true);
      p = p / at::where(denom > 0, denom, at::ones_like(denom));
    }
    outs.push_back(at::matmul(p.view({B, Hkv, G * n, s_end}), vf.narrow(2, 0, s_end)).view({B, Hq, n, D}));
  }
  auto out = outs.size() == 1 ? outs[0] : at::cat(outs, 2);
  return out.to(c.q.scalar_type());
}

at::Tensor DenseAttention::attend(const AttentionCall& c) {
  const int64_t T = c.q.size(2), S = c.k.size(2);
  if (c.q.is_cuda() && compat::has_sdpa) {
    const int64_t G = c.q.size(1) / c.k.size(1);
    auto k = G > 1 ? c.k.repeat_interleave(G, 1) : c.k;
    auto v = G > 1 ? c.v.repeat_interleave(G, 1) : c.v;
    if (!c.key_valid.defined() && T == S) return compat::sdpa(c.q, k, v, c10::nullopt, true, c.scale);
    if (!c.key_valid.defined() && T == 1) return compat::sdpa(c.q, k, v, c10::nullopt, false, c.scale);
    return compat::sdpa(c.q, k, v, causal_valid_mask(c, 0, T), false, c.scale);
  }
  return attention_masked_chunked(c, causal_valid_mask, 256, fill_future_keys);
}

MaskedSparseAttention::MaskedSparseAttention(std::vector<std::vector<int64_t>> band_blocks, bool per_kv_head)
    : band_blocks_(std::move(band_blocks)), per_kv_head_(per_kv_head) {
  for (const auto& layer : band_blocks_)
    for (int64_t k : layer)
      if (k < 1) throw Error("masked sparse attention: band blocks must be >= 1");
}

const std::vector<int64_t>& MaskedSparseAttention::layer_bands(const AttentionCall& c) const {
  if (c.layer < 0 || c.layer >= static_cast<int>(band_blocks_.size()))
    throw Error("masked sparse attention: no band sizes for layer " + std::to_string(c.layer));
  const auto& per_head = band_blocks_[c.layer];
  const int64_t heads = per_kv_head_ ? c.k.size(1) : c.q.size(1);
  if (static_cast<int64_t>(per_head.size()) != heads)
    throw Error("masked sparse attention: layer " + std::to_string(c.layer) + " has " + std::to_string(per_head.size()) +
                " band sizes, the model has " + std::to_string(heads) + (per_kv_head_ ? " KV heads" : " heads"));
  return per_head;
}

void MaskedSparseAttention::mask_fill(const AttentionCall& c, const at::Tensor& scores, int64_t t0, int64_t t1) const {
  const auto& per_head = layer_bands(c);
  const int64_t group = per_kv_head_ ? c.q.size(1) / c.k.size(1) : 1;  // query heads per band entry
  const int64_t keys = scores.size(-1), first = c.q_start + t0, last = c.q_start + t1;  // row positions [first, last)
  const float ninf = -std::numeric_limits<float>::infinity();
  const bool decode = (t1 - t0 == 1 && c.q.size(2) == 1 && c.q_start > 0);
  for (size_t e = 0; e < per_head.size(); ++e) {
    auto heads = scores.narrow(1, static_cast<int64_t>(e) * group, group);
    const int64_t band = per_head[e];
    if (decode) {
      // The cache's keys: the sink and the last 64 * band tokens; keys [64, first - 64 * band] are not held.
      const int64_t end = std::min(keys, first - 64 * band + 1);
      if (end > 64) heads.narrow(-1, 64, end - 64).fill_(ninf);
      continue;
    }
    // Prefill rows, per query block: keys between the sink block and the band's first block.
    for (int64_t qb = first / 64; qb * 64 < last; ++qb) {
      const int64_t r0 = std::max(first, qb * 64) - first, r1 = std::min(last, qb * 64 + 64) - first;
      const int64_t band_start = std::min(keys, (qb - band + 1) * 64);
      if (band_start > 64) heads.narrow(2, r0, r1 - r0).narrow(-1, 64, band_start - 64).fill_(ninf);
    }
  }
  if (!decode) fill_future_keys(c, scores, t0, t1);
}

at::Tensor MaskedSparseAttention::mask(const AttentionCall& c, int64_t t0, int64_t t1) const {
  const int64_t Hq = c.q.size(1), Hkv = c.k.size(1), S = c.k.size(2), T = c.q.size(2);
  const auto& per_head = layer_bands(c);
  const auto dev = c.q.device();
  auto band = at::tensor(per_head, at::TensorOptions().dtype(at::kLong)).to(dev);
  if (per_kv_head_) band = band.repeat_interleave(Hq / Hkv);
  band = band.view({1, Hq, 1, 1});
  auto qp = positions(c, c.q_start + t0, c.q_start + t1, dev).unsqueeze(1).unsqueeze(-1);  // [B,1,n,1]
  auto kp = positions(c, 0, S, dev).unsqueeze(1).unsqueeze(1);                              // [B,1,1,S]
  at::Tensor allowed;
  const bool decode = (T == 1 && c.q_start > 0);
  if (decode) {
    // Decode rows read the heterogeneous cache: the sink and the last 64 * band tokens (the ring).
    allowed = (kp < 64) | (kp > qp - band * 64);
  } else {
    // Prefill rows: the sink block, and keys from the band's first block on (as mask_fill).
    allowed = (kp < 64) | (kp >= (at::div(qp, 64, "floor") - band + 1) * 64);
  }
  return allowed & (kp <= qp) & (kp >= 0) & causal_valid_mask(c, t0, t1);
}

at::Tensor MaskedSparseAttention::attend(const AttentionCall& c) {
  return attention_masked_chunked(
      c, [this](const AttentionCall& call, int64_t t0, int64_t t1) { return mask(call, t0, t1); }, 256,
      [this](const AttentionCall& call, const at::Tensor& scores, int64_t t0, int64_t t1) {
        mask_fill(call, scores, t0, t1);
      });
}

}  // namespace moa
