#pragma once
// The BPE model of tokenizer.json: vocabulary, ranked merges, byte fallback, unknown token.
// Merging follows `tokenizers`: a min-heap of candidate pairs ordered by (rank, position)
// over a linked list of symbols, so one word of n characters costs O(n log n).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace moa::tok {

struct BpeOptions {
  std::optional<std::string> unk_token;
  bool byte_fallback = false;
  bool fuse_unk = false;
  bool ignore_merges = false;
};

class BpeModel {
 public:
  BpeModel() = default;
  // Throws std::invalid_argument describing the first inconsistency (the caller adds the
  // file name): a merge naming a token outside the vocabulary, duplicate ids, ...
  BpeModel(std::unordered_map<std::string, int32_t> vocab,
           const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options);

  // Appends the ids of one pre-tokenized word (UTF-8).
  void tokenize(std::string_view word, std::vector<int32_t>& out) const;

  std::optional<int32_t> find(std::string_view token) const;
  const std::string* token(int32_t id) const;  // nullptr when id is not in the model
  int32_t size() const { return static_cast<int32_t>(tokens_.size()); }  // largest id + 1
  int32_t vocab_count() const { return static_cast<int32_t>(vocab_.size()); }
  // The byte a "<0xNN>" token stands for, or -1.
  int byte_of(int32_t id) const;

 private:
  struct Merge {
    uint32_t rank;
    int32_t new_id;
  };
  static uint64_t pair_key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  const Merge* find_merge(int32_t a, int32_t b) const;

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> vocab_;
  std::vector<std::string> tokens_;  // by id; empty string for holes
  std::vector<bool> present_;
  std::unordered_map<uint64_t, Merge> merges_;
  std::vector<int32_t> byte_ids_;    // 256 entries, -1 when the <0xNN> token is missing
  std::unordered_map<int32_t, int> id_bytes_;
  std::optional<int32_t> unk_id_;
  BpeOptions options_;
};

}  // namespace moa::tok
