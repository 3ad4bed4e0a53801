#include "tests/gui/profile_fixture.h"

#include <cmath>

namespace moa::test {

HeadKind fixture_head_kind(int layer, int head) {
  // Early layers mostly local, later layers hold the retrieval heads, as in real models.
  const unsigned h = static_cast<unsigned>(layer * 131 + head * 71 + layer * head * 7) % 10u;
  if (layer == 0) return h < 7 ? HeadKind::Local : HeadKind::Sink;
  if (h < 4) return HeadKind::Local;
  if (h < 6) return HeadKind::Sink;
  if (h < 8) return HeadKind::Retrieval;
  return HeadKind::Broad;
}

Profile fixture_profile(int layers, int heads, int kv_heads, const std::vector<int64_t>& lengths, int samples) {
  Profile p;
  p.meta.model_name = "fixture";
  p.meta.model_hash = "fixture-0001";
  p.meta.num_layers = layers;
  p.meta.num_heads = heads;
  p.meta.num_kv_heads = kv_heads;
  p.meta.head_dim = 64;
  p.meta.tool_version = "fixture";
  p.meta.compute_dtype = "float32";
  p.meta.implementation = "fused";
  p.meta.device = "cpu";
  for (int64_t n : lengths) {
    LengthProfile lp;
    lp.length = n;
    lp.samples_target = samples;
    for (int s = 0; s < samples; ++s) {
      lp.sample_ids.push_back(s);
      lp.sample_digests.push_back(0xf1f7u + static_cast<uint64_t>(s));  // no real input behind it
      lp.sample_loss.push_back(1.0 + 0.1 * s);
    }
    const int64_t nb = lp.blocks();
    lp.influence.assign(static_cast<size_t>(layers) * heads * nb * nb, 0.0f);
    for (int l = 0; l < layers; ++l)
      for (int h = 0; h < heads; ++h) {
        const HeadKind kind = fixture_head_kind(l, h);
        const double scale = 1.0 + 0.05 * ((l * 7 + h * 3) % 11);
        // Retrieval heads look at a band about 3/8 of the context back.
        const double far_at = 0.375;
        for (int64_t qb = 0; qb < nb; ++qb)
          for (int64_t kb = 0; kb <= qb; ++kb) {
            const double dist = static_cast<double>(qb - kb);
            double v = 1e-4 / (1.0 + dist);  // every head keeps some diffuse mass
            switch (kind) {
              case HeadKind::Local: v += std::exp(-dist / 1.5); break;
              case HeadKind::Sink: v += (kb == 0 ? 0.8 : 0.0) + 0.3 * std::exp(-dist); break;
              case HeadKind::Retrieval: {
                const double target = static_cast<double>(qb) * (1.0 - far_at);
                v += 0.6 * std::exp(-std::abs(static_cast<double>(kb) - target) / 1.0) + 0.2 * std::exp(-dist);
                break;
              }
              case HeadKind::Broad: v += 0.05 + 0.1 * std::exp(-dist / 4.0); break;
            }
            lp.influence[lp.at(l, h, qb, kb, heads)] = static_cast<float>(v * scale * 1e-3);
          }
      }
    p.lengths.emplace(n, std::move(lp));
  }
  return p;
}

void fixture_profile_write(const std::filesystem::path& path, int layers, int heads, int kv_heads,
                           const std::vector<int64_t>& lengths, int samples) {
  profile_write(path, fixture_profile(layers, heads, kv_heads, lengths, samples));
}

}  // namespace moa::test
