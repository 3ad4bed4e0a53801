#pragma once
// Internal state of moa::Tokenizer: the tokenizer.json pipeline stages, parsed once.
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/model/tokenizer.h"
#include "core/model/tokenizer_bpe.h"

namespace moa {

struct AddedToken {
  int32_t id = -1;
  std::string content;
  bool special = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
  bool single_word = false;
};

struct NormalizerStep {
  enum class Kind { prepend, replace } kind;
  std::string text;         // prepend: the prefix; replace: the pattern
  std::string replacement;  // replace only
};

struct PreTokenizerStep {
  enum class Kind { split_llama3, byte_level } kind;
  bool add_prefix_space = false;  // byte_level
};

struct DecoderStep {
  enum class Kind { byte_level, replace, byte_fallback, fuse, strip } kind;
  std::string pattern;      // replace: what; strip: the character
  std::string content;      // replace: with what
  size_t start = 0, stop = 0;  // strip: how many at each end
};

struct Tokenizer::Impl {
  std::string origin;  // file name for messages
  tok::BpeModel model;
  std::vector<AddedToken> added;                  // in file order
  std::unordered_map<int32_t, size_t> added_by_id;
  std::unordered_map<std::string, size_t> added_by_content;
  std::vector<NormalizerStep> normalizer;
  std::vector<PreTokenizerStep> pre_tokenizer;
  std::vector<DecoderStep> decoder;
  bool byte_level = false;  // the pre-tokenizer maps bytes to the GPT-2 alphabet
  // Post-processor for one sequence: ids before and after it (TemplateProcessing "single").
  std::vector<int32_t> prefix_ids, suffix_ids;
  std::optional<int32_t> bos, eos;
  // Indices into `added` by the first byte of their content, longest first; [0] for tokens
  // matched on the raw text, [1] for those matched after normalization.
  std::vector<std::vector<size_t>> added_by_first_byte[2];

  const AddedToken* added_at(int32_t id) const;
  // Split on added tokens whose `normalized` flag equals `normalized`.
  void split_added(const std::string& text, bool normalized,
                   std::vector<std::pair<std::string, int32_t>>& pieces) const;
  std::string normalize(const std::string& text) const;
  void encode_segment(const std::string& normalized, std::vector<int32_t>& out) const;
  std::vector<std::string> run_decoder(std::vector<std::string> tokens) const;
};

}  // namespace moa
