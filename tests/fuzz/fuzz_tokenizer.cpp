// libFuzzer target: tokenizer.json files (the one tokenizer input a user points Studio at). Loading
// either throws moa::Error or gives a tokenizer that encodes and decodes text without failing:
// the first byte chooses how much of the input is the file, the rest is text to encode.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/model/tokenizer.h"
#include "core/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const std::string_view all(reinterpret_cast<const char*>(data) + 1, size - 1);
  // Split: the file is all but the last data[0] % 64 bytes; those are the text.
  const size_t text_len = std::min<size_t>(data[0] % 64, all.size());
  const std::string_view file = all.substr(0, all.size() - text_len), text = all.substr(all.size() - text_len);
  try {
    const moa::Tokenizer t = moa::Tokenizer::from_json(file, "fuzz/tokenizer.json");
    for (const bool special : {false, true}) {
      const std::vector<int32_t> ids = t.encode(text, special);
      for (const int32_t id : ids)
        if (id < 0 || id >= t.vocab_size()) std::abort();
      (void)t.decode(ids, !special);
    }
  } catch (const moa::Error&) {
  }
  return 0;
}
