#pragma once
// A deliberately plain float64 Llama forward (loops over std::vector, no torch), written
// from the transformers definitions, to check the LibTorch model independently.
#include <cmath>
#include <cstring>
#include <vector>

#include "core/model/checkpoint.h"

namespace naive {

using Mat = std::vector<double>;  // row-major

inline Mat weights(const moa::Checkpoint& ck, const std::string& name) {
  auto t = ck.tensor(name);
  int64_t n = 1;
  for (auto d : t.shape) n *= d;
  Mat m(n);
  for (int64_t i = 0; i < n; ++i) {
    float f;
    std::memcpy(&f, t.data + 4 * i, 4);
    m[i] = f;
  }
  return m;
}

// y[T, out] = x[T, in] * W[out, in]^T
inline Mat linear(const Mat& x, const Mat& w, int64_t T, int64_t in, int64_t out) {
  Mat y(T * out, 0.0);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t o = 0; o < out; ++o) {
      double s = 0;
      for (int64_t i = 0; i < in; ++i) s += x[t * in + i] * w[o * in + i];
      y[t * out + o] = s;
    }
  return y;
}

inline Mat rmsnorm(const Mat& x, const Mat& w, int64_t T, int64_t H, double eps) {
  Mat y(x.size());
  for (int64_t t = 0; t < T; ++t) {
    double ss = 0;
    for (int64_t i = 0; i < H; ++i) ss += x[t * H + i] * x[t * H + i];
    const double r = 1.0 / std::sqrt(ss / H + eps);
    for (int64_t i = 0; i < H; ++i) y[t * H + i] = w[i] * x[t * H + i] * r;
  }
  return y;
}

inline std::vector<double> inv_freq(const moa::ModelConfig& c) {
  std::vector<double> f(c.head_dim / 2);
  for (size_t i = 0; i < f.size(); ++i) {
    double v = 1.0 / std::pow(c.rope.theta, 2.0 * i / c.head_dim);
    if (c.rope.type == moa::RopeType::Linear) v /= c.rope.factor;
    if (c.rope.type == moa::RopeType::Llama3) {
      const double wl = 2 * M_PI / v, lo = c.rope.original_max_position / c.rope.low_freq_factor,
                   hi = c.rope.original_max_position / c.rope.high_freq_factor;
      if (wl > lo) v /= c.rope.factor;
      else if (wl >= hi) {
        const double s = (c.rope.original_max_position / wl - c.rope.low_freq_factor) /
                         (c.rope.high_freq_factor - c.rope.low_freq_factor);
        v = (1 - s) * v / c.rope.factor + s * v;
      }
    }
    f[i] = v;
  }
  return f;
}

// allowed(h, i, j): may query i of head h attend key j (j <= i is checked by the caller too).
template <class Allowed>
Mat forward(const moa::Checkpoint& ck, const std::vector<int64_t>& ids, Allowed allowed) {
  const auto& c = ck.config();
  const int64_t T = ids.size(), H = c.hidden_size, Hq = c.num_heads, Hkv = c.num_kv_heads, D = c.head_dim,
                I = c.intermediate_size, V = c.vocab_size;
  const Mat emb = weights(ck, "model.embed_tokens.weight");
  Mat x(T * H);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t i = 0; i < H; ++i) x[t * H + i] = emb[ids[t] * H + i];
  const auto freq = inv_freq(c);
  auto rope = [&](Mat& m, int64_t heads) {
    for (int64_t t = 0; t < T; ++t)
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t i = 0; i < D / 2; ++i) {
          double* v = &m[(t * heads + h) * D];
          const double a = t * freq[i], x1 = v[i], x2 = v[i + D / 2];
          v[i] = x1 * std::cos(a) - x2 * std::sin(a);
          v[i + D / 2] = x2 * std::cos(a) + x1 * std::sin(a);
        }
  };
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    Mat h = rmsnorm(x, weights(ck, p + "input_layernorm.weight"), T, H, c.rms_norm_eps);
    Mat q = linear(h, weights(ck, p + "self_attn.q_proj.weight"), T, H, Hq * D);
    Mat k = linear(h, weights(ck, p + "self_attn.k_proj.weight"), T, H, Hkv * D);
    Mat v = linear(h, weights(ck, p + "self_attn.v_proj.weight"), T, H, Hkv * D);
    rope(q, Hq);
    rope(k, Hkv);
    Mat att(T * Hq * D, 0.0);
    for (int64_t hq = 0; hq < Hq; ++hq) {
      const int64_t hk = hq / (Hq / Hkv);
      for (int64_t i = 0; i < T; ++i) {
        std::vector<double> s(T, -INFINITY);
        double mx = -INFINITY;
        for (int64_t j = 0; j <= i; ++j) {
          if (!allowed(l, hq, i, j)) continue;
          double d = 0;
          for (int64_t e = 0; e < D; ++e) d += q[(i * Hq + hq) * D + e] * k[(j * Hkv + hk) * D + e];
          s[j] = d / std::sqrt(static_cast<double>(D));
          mx = std::max(mx, s[j]);
        }
        double z = 0;
        for (int64_t j = 0; j <= i; ++j) z += std::isinf(s[j]) ? 0 : std::exp(s[j] - mx);
        for (int64_t j = 0; j <= i; ++j) {
          if (std::isinf(s[j])) continue;
          const double pr = std::exp(s[j] - mx) / z;
          for (int64_t e = 0; e < D; ++e) att[(i * Hq + hq) * D + e] += pr * v[(j * Hkv + hk) * D + e];
        }
      }
    }
    Mat o = linear(att, weights(ck, p + "self_attn.o_proj.weight"), T, Hq * D, H);
    for (size_t i = 0; i < x.size(); ++i) x[i] += o[i];
    Mat h2 = rmsnorm(x, weights(ck, p + "post_attention_layernorm.weight"), T, H, c.rms_norm_eps);
    Mat g = linear(h2, weights(ck, p + "mlp.gate_proj.weight"), T, H, I);
    Mat u = linear(h2, weights(ck, p + "mlp.up_proj.weight"), T, H, I);
    for (size_t i = 0; i < g.size(); ++i) g[i] = g[i] / (1 + std::exp(-g[i])) * u[i];
    Mat d = linear(g, weights(ck, p + "mlp.down_proj.weight"), T, I, H);
    for (size_t i = 0; i < x.size(); ++i) x[i] += d[i];
  }
  Mat xn = rmsnorm(x, weights(ck, "model.norm.weight"), T, H, c.rms_norm_eps);
  const Mat head = weights(ck, c.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight");
  return linear(xn, head, T, H, V);
}

}  // namespace naive
