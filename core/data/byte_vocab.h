#pragma once
// The demo model's vocabulary: byte-level. Ids 0..255 are the bytes of the UTF-8 text, so any
// text (LongEval files from other tools included) encodes without unknown tokens; three
// special ids follow. vocab size 259. The model may pad its embedding table beyond kSize.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace moa {

struct ByteVocab {
  static constexpr int32_t kBos = 256;  // starts every sequence (position 0)
  static constexpr int32_t kEos = 257;  // ends a training record
  static constexpr int32_t kPad = 258;  // fills rows of a batch; loss weight 0
  static constexpr int32_t kSize = 259;

  static bool is_byte(int32_t id) { return id >= 0 && id < 256; }

  static std::vector<int32_t> encode(std::string_view text, bool add_bos) {
    std::vector<int32_t> ids;
    ids.reserve(text.size() + (add_bos ? 1 : 0));
    if (add_bos) ids.push_back(kBos);
    for (unsigned char c : text) ids.push_back(static_cast<int32_t>(c));
    return ids;
  }

  // Bytes only; special ids are dropped.
  static std::string decode(const std::vector<int32_t>& ids) {
    std::string out;
    out.reserve(ids.size());
    for (int32_t id : ids)
      if (is_byte(id)) out.push_back(static_cast<char>(id));
    return out;
  }
};

}  // namespace moa
