#pragma once
// Per-head summaries of a length's pooled influence, shown in the head grid. Plain C++ (no
// Qt) so it runs in a worker thread while a profile opens.
#include <cstdint>
#include <vector>

#include "core/profile/profile_store.h"

namespace moa::studio {

struct InfluenceSummary {
  int64_t length = 0;
  int num_layers = 0;
  int num_heads = 0;
  int64_t local_blocks = 0;  // width of the local band that "far" is measured against
  // [layer][head]: fraction of the head's influence outside the sink column and the local
  // band (what a narrow sliding window would drop): high = the head looks far back.
  std::vector<float> far_fraction;
  // [layer][head]: total pooled influence (how much the loss depends on this head at all).
  std::vector<float> total;
  // [layer][head]: largest and smallest positive 64x64-block value (lower triangle; smallest
  // is 0 when none is positive): the head detail's colour range, per head or shared.
  std::vector<float> block_max;
  std::vector<float> block_min;
  // [layer][head][k], k = 0..nb: influence a band of k blocks (plus the sink) drops, i.e.
  // the head's predicted loss under any rule with k band blocks at this length. Computed once
  // here, in the worker, so the plan preview prices an edit in O(1) per head.
  std::vector<double> dropped;
  int64_t blocks = 0;
  double droppedAt(int layer, int head, int64_t band_blocks) const {
    return dropped[(static_cast<size_t>(layer) * num_heads + head) * static_cast<size_t>(blocks + 1) +
                   static_cast<size_t>(band_blocks)];
  }
  float at(const std::vector<float>& v, int layer, int head) const {
    return v[static_cast<size_t>(layer) * num_heads + head];
  }
};

// Local band used for the far fraction: N/8 tokens, at least one block.
int64_t summary_local_blocks(int64_t length);

InfluenceSummary influence_summarize(const LengthProfile& lp, int num_layers, int num_heads);

}  // namespace moa::studio
