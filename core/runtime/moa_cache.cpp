#include "core/runtime/moa_cache.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/util/error.h"

namespace moa {

namespace {
constexpr int64_t kSink = 64, kBlock = 64;

void finish_offsets(CacheLayout& c) {
  c.offset.assign(c.num_layers, std::vector<int32_t>(c.num_kv_heads, 0));
  c.slots.assign(c.num_layers, 0);
  c.max_span.assign(c.num_layers, 0);
  for (int l = 0; l < c.num_layers; ++l) {
    int64_t at = 0;
    for (int h = 0; h < c.num_kv_heads; ++h) {
      c.offset[l][h] = static_cast<int32_t>(at);
      at += c.span[l][h];
      c.max_span[l] = std::max(c.max_span[l], c.span[l][h]);
    }
    if (at > INT32_MAX) throw Error("KV cache: layer " + std::to_string(l) + " needs more than 2^31 slots");
    c.slots[l] = static_cast<int32_t>(at);
  }
}
}  // namespace

int64_t CacheLayout::bytes_per_sequence(int element_bytes) const {
  int64_t slots_total = 0;
  for (int32_t s : slots) slots_total += s;
  return slots_total * head_dim * 2 * element_bytes;
}

int64_t CacheLayout::dense_bytes_per_sequence(int element_bytes) const {
  return static_cast<int64_t>(num_layers) * num_kv_heads * total_length * head_dim * 2 * element_bytes;
}

int64_t CacheLayout::bytes_read_per_sequence(int64_t seen, int element_bytes) const {
  int64_t tokens = 0;
  for (const auto& layer : span)
    for (int32_t s : layer) tokens += std::min<int64_t>(seen, s);
  return tokens * head_dim * 2 * element_bytes;
}

CacheLayout cache_layout_moa(const std::vector<std::vector<int64_t>>& band, int head_dim, int64_t total_length) {
  if (band.empty() || band[0].empty()) throw Error("KV cache: no band blocks");
  if (total_length <= 0) throw Error("KV cache: total length must be positive");
  CacheLayout c;
  c.num_layers = static_cast<int>(band.size());
  c.num_kv_heads = static_cast<int>(band[0].size());
  c.head_dim = head_dim;
  c.total_length = total_length;
  c.span.assign(c.num_layers, std::vector<int32_t>(c.num_kv_heads, 0));
  for (int l = 0; l < c.num_layers; ++l) {
    if (static_cast<int>(band[l].size()) != c.num_kv_heads)
      throw Error("KV cache: layer " + std::to_string(l) + " has " + std::to_string(band[l].size()) +
                  " band sizes, layer 0 has " + std::to_string(c.num_kv_heads));
    for (int h = 0; h < c.num_kv_heads; ++h) {
      if (band[l][h] < 1) throw Error("KV cache: band blocks of layer " + std::to_string(l) + " head " + std::to_string(h) + " < 1");
      c.span[l][h] = static_cast<int32_t>(std::min(kSink + kBlock * band[l][h], total_length));
    }
  }
  finish_offsets(c);
  return c;
}

CacheLayout cache_layout_dense(int num_layers, int num_kv_heads, int head_dim, int64_t total_length) {
  if (num_layers <= 0 || num_kv_heads <= 0 || total_length <= 0) throw Error("KV cache: bad dense shape");
  CacheLayout c;
  c.num_layers = num_layers;
  c.num_kv_heads = num_kv_heads;
  c.head_dim = head_dim;
  c.total_length = total_length;
  c.dense = true;
  c.span.assign(num_layers, std::vector<int32_t>(num_kv_heads, static_cast<int32_t>(total_length)));
  finish_offsets(c);
  return c;
}

std::vector<std::vector<int64_t>> kv_band_blocks(const std::vector<std::vector<int64_t>>& q, int num_kv_heads) {
  std::vector<std::vector<int64_t>> out(q.size());
  for (size_t l = 0; l < q.size(); ++l) {
    const int hq = static_cast<int>(q[l].size());
    if (num_kv_heads <= 0 || hq % num_kv_heads != 0)
      throw Error("band blocks: layer " + std::to_string(l) + " has " + std::to_string(hq) +
                  " query heads, not a multiple of " + std::to_string(num_kv_heads) + " KV heads");
    const int g = hq / num_kv_heads;
    for (int h = 0; h < num_kv_heads; ++h) {
      for (int i = 1; i < g; ++i)
        if (q[l][h * g + i] != q[l][h * g])
          throw Error("band blocks: layer " + std::to_string(l) + " KV head " + std::to_string(h) +
                      ": its query heads have different bands; the per-KV-head cache needs a kv_head plan");
      out[l].push_back(q[l][h * g]);
    }
  }
  return out;
}

std::vector<std::vector<int64_t>> uniform_band_blocks(int num_layers, int num_kv_heads, double density,
                                                      int64_t total_length) {
  const int64_t blocks = (total_length + kBlock - 1) / kBlock;
  const int64_t k = std::max<int64_t>(1, std::llround(density * static_cast<double>(blocks)) - 1);
  return std::vector<std::vector<int64_t>>(num_layers, std::vector<int64_t>(num_kv_heads, k));
}

}  // namespace moa
