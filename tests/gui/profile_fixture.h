#pragma once
// Profiles with a known head structure, written through the real profile store: local heads
// (mass on the diagonal), sink heads (column 0), retrieval heads (a far band of key blocks),
// and broad heads (near uniform). Lets GUI tests and screenshots check what they draw.
#include <cstdint>
#include <filesystem>
#include <vector>

#include "core/profile/profile_store.h"

namespace moa::test {

enum class HeadKind { Local, Sink, Retrieval, Broad };

// Kind of (layer, head) in fixture profiles: deterministic, mixed across the grid.
HeadKind fixture_head_kind(int layer, int head);

Profile fixture_profile(int layers, int heads, int kv_heads, const std::vector<int64_t>& lengths,
                        int samples = 4);
void fixture_profile_write(const std::filesystem::path& path, int layers, int heads, int kv_heads,
                           const std::vector<int64_t>& lengths, int samples = 4);

}  // namespace moa::test
