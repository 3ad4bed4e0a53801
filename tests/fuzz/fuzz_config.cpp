// libFuzzer target: config.json parsing either succeeds with a self-consistent config or
// throws moa::Error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/model/config.h"
#include "core/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto c = moa::config_parse(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz/config.json");
    if (c.num_heads % c.num_kv_heads != 0 || c.head_dim <= 0 || c.vocab_size <= 0) std::abort();
    auto again = moa::config_parse(moa::config_to_json(c), "fuzz/roundtrip.json");
    if (again.num_layers != c.num_layers || again.rope.type != c.rope.type) std::abort();
  } catch (const moa::Error&) {
  }
  return 0;
}
