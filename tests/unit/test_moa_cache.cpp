// Heterogeneous KV-cache sizes (core/runtime/moa_cache.h): spans, offsets, memory per sequence.
#include <gtest/gtest.h>

#include "core/runtime/moa_cache.h"
#include "core/util/error.h"

TEST(MoaCacheLayout, SpansAreSinkPlusBandCappedAtTotal) {
  // 2 layers x 3 KV heads; total 1000 tokens (16 blocks, the last partial).
  const std::vector<std::vector<int64_t>> band = {{1, 4, 20}, {2, 15, 3}};
  auto c = moa::cache_layout_moa(band, 128, 1000);
  EXPECT_EQ(c.span[0], (std::vector<int32_t>{128, 320, 1000}));  // 64 + 64k, capped at 1000
  EXPECT_EQ(c.span[1], (std::vector<int32_t>{192, 1000, 256}));
  EXPECT_EQ(c.offset[0], (std::vector<int32_t>{0, 128, 448}));
  EXPECT_EQ(c.offset[1], (std::vector<int32_t>{0, 192, 1192}));
  EXPECT_EQ(c.slots, (std::vector<int32_t>{1448, 1448}));
  EXPECT_EQ(c.max_span, (std::vector<int32_t>{1000, 1000}));
  EXPECT_EQ(c.bytes_per_sequence(), (1448 + 1448) * 128 * 2 * 2);
  EXPECT_EQ(c.dense_bytes_per_sequence(), 2 * 3 * 1000 * 128 * 2 * 2);
  // Reads: a head reads min(seen, S_h) slots.
  EXPECT_EQ(c.bytes_read_per_sequence(200), (128 + 200 + 200 + 192 + 200 + 200) * 128 * 2 * 2);
}

TEST(MoaCacheLayout, DenseIsTotalLengthPerHead) {
  auto c = moa::cache_layout_dense(3, 2, 64, 777);
  EXPECT_TRUE(c.dense);
  for (const auto& l : c.span) EXPECT_EQ(l, (std::vector<int32_t>{777, 777}));
  EXPECT_EQ(c.offset[2], (std::vector<int32_t>{0, 777}));
  EXPECT_EQ(c.bytes_per_sequence(), c.dense_bytes_per_sequence());
}

TEST(MoaCacheLayout, KvBandBlocksNeedAgreeingGroups) {
  EXPECT_EQ(moa::kv_band_blocks({{3, 3, 5, 5}}, 2), (std::vector<std::vector<int64_t>>{{3, 5}}));
  EXPECT_THROW(moa::kv_band_blocks({{3, 4, 5, 5}}, 2), moa::Error);
  EXPECT_THROW(moa::kv_band_blocks({{3, 3, 5}}, 2), moa::Error);
  EXPECT_THROW(moa::cache_layout_moa({{0, 2}}, 64, 100), moa::Error);
  EXPECT_THROW(moa::cache_layout_moa({{1, 2}, {1}}, 64, 100), moa::Error);
}

TEST(MoaCacheLayout, UniformBandHitsDensity) {
  // 8192 tokens = 128 blocks; density 0.5 keeps 64 blocks: the sink + 63 band blocks.
  auto band = moa::uniform_band_blocks(2, 2, 0.5, 8192);
  EXPECT_EQ(band[1][1], 63);
  auto c = moa::cache_layout_moa(band, 128, 8192);
  EXPECT_DOUBLE_EQ(static_cast<double>(c.bytes_per_sequence()) / c.dense_bytes_per_sequence(), 0.5);
  EXPECT_EQ(moa::uniform_band_blocks(1, 1, 0.001, 8192)[0][0], 1);
}
