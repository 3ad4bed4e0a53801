#pragma once
// Token sequences of calibration records for one checkpoint and length. Torch-free.
//
// Tokenizer: the checkpoint directory's tokenizer.json; without one, the byte vocabulary of
// the demo model (core/data/byte_vocab.h) when the model's vocabulary holds it.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/data/calib.h"

namespace moa {

class Tokenizer;

class CalibTokenizer {
 public:
  static CalibTokenizer for_checkpoint(const std::filesystem::path& dir, int64_t vocab_size);
  std::vector<int32_t> prefix() const;                    // what starts every sequence (BOS)
  std::vector<int32_t> encode(const std::string& text) const;  // no special tokens
  std::string decode(const std::vector<int32_t>& ids) const;
  // Ids that end a generated answer: EOS (and "\n" for the byte vocabulary: demo answers are
  // one line).
  std::vector<int64_t> stop_ids(const std::vector<int64_t>& config_eos) const;
  std::string name() const;  // "tokenizer.json" or "bytes"

 private:
  std::shared_ptr<const Tokenizer> tokenizer_;  // null: byte vocabulary
};

// The record as exactly `length` tokens: its cached input_ids/answer_span when they are exactly
// that long, else prefix + middle-truncated context + question + answer (calib_assemble).
// Throws moa::Error starting with `where` when the assembled record is shorter than `length`
// (the context is too short) or question + answer alone exceed it.
CalibSequence calib_sequence(const CalibRecord& record, const CalibTokenizer& tokenizer, int64_t length,
                             const std::string& where);

// 64-bit FNV-1a over exactly what the model sees of a sample: the token count, answer_begin
// and answer_end (int64 little-endian), then every token id (int32 little-endian). Stored per
// sample in profiles (docs/formats.md), so a resume notices another calibration file, an
// edited record, or another tokenizer or chat template.
uint64_t calib_sequence_digest(const CalibSequence& seq);

// Indices of the records usable at `length`: those built for it (field `length`), and those
// without a length. Throws when fewer than `count` (naming the file and the length).
std::vector<size_t> calib_select(const std::vector<CalibRecord>& records, int64_t length, int64_t count,
                                 const std::string& source);

}  // namespace moa
