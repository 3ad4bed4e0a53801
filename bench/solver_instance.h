#pragma once
// The solver benchmark instance: a synthetic but structured profile (32 layers x 32 heads,
// lengths 2k/4k/8k). Each head has a locality scale, a far-field floor and a sink weight, so
// its loss falls with the span like real heads do (local heads flatten early, retrieval heads
// keep paying until the span covers the whole input), with multiplicative noise per block.
#include <cmath>
#include <random>

#include "core/profile/profile_store.h"

namespace moa::bench {

inline Profile synthetic_profile(int layers, int heads, int kv_heads, const std::vector<int64_t>& lengths,
                                 uint32_t seed) {
  Profile p;
  p.meta.model_name = "synthetic";
  p.meta.model_hash = "synthetic-" + std::to_string(seed);
  p.meta.num_layers = layers;
  p.meta.num_heads = heads;
  p.meta.num_kv_heads = kv_heads;
  p.meta.head_dim = 128;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  struct Head { double tau_tokens, far, sink, scale; };
  std::vector<Head> kind;
  for (int i = 0; i < layers * heads; ++i)
    kind.push_back({64.0 * std::pow(2.0, 7.0 * u01(rng)), 0.05 * u01(rng) * u01(rng), 5.0 * u01(rng),
                    std::exp(1.5 * (u01(rng) - 0.5))});
  std::lognormal_distribution<double> noise(0.0, 0.2);
  for (int64_t n : lengths) {
    LengthProfile lp;
    lp.length = n;
    lp.samples_target = 1;
    lp.sample_ids = {0};
    lp.sample_loss = {1.0};
    const int64_t nb = n / kBlockSize;
    lp.influence.assign(static_cast<size_t>(layers) * heads * nb * nb, 0.0f);
    for (int l = 0; l < layers; ++l)
      for (int h = 0; h < heads; ++h) {
        const Head& k = kind[static_cast<size_t>(l) * heads + h];
        for (int64_t q = 0; q < nb; ++q)
          for (int64_t c = 0; c <= q; ++c) {
            const double d = static_cast<double>(q - c) * kBlockSize / k.tau_tokens;
            const double v = k.scale * (std::exp(-d) + k.far + (c == 0 ? k.sink : 0.0)) * noise(rng) / nb;
            lp.influence[lp.at(l, h, q, c, heads)] = static_cast<float>(v);
          }
      }
    p.lengths[n] = std::move(lp);
  }
  return p;
}

}  // namespace moa::bench
