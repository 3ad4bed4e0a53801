#pragma once
// Hugging Face tokenizer.json: the two BPE families Llama-style models use.
//  - byte-level BPE with the Llama-3 pre-tokenizer (Split regex + ByteLevel), ignore_merges;
//  - SentencePiece-style BPE (Llama-2, Vicuna, Mistral): Prepend/Replace "▁" normalizer,
//    byte fallback to <0xNN> tokens, fuse_unk, and the Replace/ByteFallback/Fuse/Strip decoder.
// Semantics follow the Rust `tokenizers` library (what transformers' fast tokenizers run).
// Torch-free: the GUI includes this header.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace moa {

class Tokenizer {
 public:
  // Reads and validates a tokenizer.json. Throws moa::Error "<file>: <problem>" for files
  // that are malformed or use a feature outside the supported set (named in the message).
  static Tokenizer from_file(const std::filesystem::path& path);
  // The tokenizer of a model: its ids must fit the model's embedding (vocab_size in config.json);
  // a tokenizer.json of another model is refused naming the file, before any text is encoded.
  static Tokenizer for_model(const std::filesystem::path& path, int64_t model_vocab_size);
  // Same, from the JSON text; `origin` names the source in error messages.
  static Tokenizer from_json(std::string_view json_text, const std::string& origin);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Text (UTF-8) to ids. Added tokens written in the text (e.g. "<|eot_id|>", "</s>") are split
  // out first and become their ids. add_special_tokens runs the post-processor (BOS for
  // files whose TemplateProcessing says so). Invalid UTF-8 input throws moa::Error.
  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const;
  // Ids to text through the file's decoder. Unknown ids throw moa::Error.
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const;

  std::optional<int32_t> token_to_id(std::string_view token) const;
  std::optional<std::string> id_to_token(int32_t id) const;
  // One past the largest id (model vocabulary plus added tokens).
  int32_t vocab_size() const;
  bool is_special(int32_t id) const;
  // BOS: the first special token the post-processor adds; EOS: "</s>" or "<|end_of_text|>"
  // when the file defines them. Empty where the file has none.
  std::optional<int32_t> bos_id() const;
  std::optional<int32_t> eos_id() const;
  // Which family the file is: "byte_level_bpe" or "sentencepiece_bpe".
  std::string kind() const;

  struct Impl;

 private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace moa
