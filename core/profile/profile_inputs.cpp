#include "core/profile/profile_inputs.h"

#include "core/data/byte_vocab.h"
#include "core/model/tokenizer.h"
#include "core/util/error.h"
#include "core/util/files.h"

namespace moa {

CalibTokenizer CalibTokenizer::for_checkpoint(const std::filesystem::path& dir, int64_t vocab_size) {
  CalibTokenizer t;
  const auto file = dir / "tokenizer.json";
  if (std::filesystem::exists(file)) {
    t.tokenizer_ = std::make_shared<const Tokenizer>(Tokenizer::for_model(file, vocab_size));
  } else if (vocab_size < ByteVocab::kSize) {
    fail_file(dir.string(), "no tokenizer.json, and the model's " + std::to_string(vocab_size) +
                                "-token vocabulary is too small for the byte vocabulary (" +
                                std::to_string(ByteVocab::kSize) + " ids)");
  }
  return t;
}

std::vector<int32_t> CalibTokenizer::prefix() const {
  if (!tokenizer_) return {ByteVocab::kBos};
  return tokenizer_->encode("", true);  // the post-processor's BOS, if the file adds one
}

std::vector<int32_t> CalibTokenizer::encode(const std::string& text) const {
  return tokenizer_ ? tokenizer_->encode(text, false) : ByteVocab::encode(text, false);
}

std::string CalibTokenizer::decode(const std::vector<int32_t>& ids) const {
  return tokenizer_ ? tokenizer_->decode(ids, true) : ByteVocab::decode(ids);
}

std::vector<int64_t> CalibTokenizer::stop_ids(const std::vector<int64_t>& config_eos) const {
  std::vector<int64_t> out = config_eos;
  if (!tokenizer_) {
    out.push_back('\n');
    out.push_back(ByteVocab::kEos);
  } else if (auto eos = tokenizer_->eos_id()) {
    out.push_back(*eos);
  }
  return out;
}

std::string CalibTokenizer::name() const { return tokenizer_ ? "tokenizer.json" : "bytes"; }

CalibSequence calib_sequence(const CalibRecord& r, const CalibTokenizer& tok, int64_t length, const std::string& where) {
  if (!r.input_ids.empty() && r.answer_span && static_cast<int64_t>(r.input_ids.size()) == length) {
    CalibSequence s;
    s.input_ids = r.input_ids;
    s.answer_begin = r.answer_span->first;
    s.answer_end = r.answer_span->second;
    if (s.answer_begin < 1) throw Error(where + "answer_span starts at token 0: nothing precedes the answer");
    return s;
  }
  const std::string question = std::string(calib_separator(r.context)) + r.question;
  CalibSequence s;
  try {
    s = calib_assemble(tok.prefix(), tok.encode(r.context), tok.encode(question), tok.encode(r.answer),
                       static_cast<size_t>(length));
  } catch (const Error& e) {
    throw Error(where + e.what());
  }
  if (static_cast<int64_t>(s.input_ids.size()) < length)
    throw Error(where + "the record is " + std::to_string(s.input_ids.size()) + " tokens (" + tok.name() +
                "), shorter than the profile length " + std::to_string(length) +
                ": use longer contexts or a shorter length");
  if (s.answer_begin < 1) throw Error(where + "nothing precedes the answer");
  return s;
}

uint64_t calib_sequence_digest(const CalibSequence& seq) {
  // Bytes spelled out, not memcpy'd: the digest must not depend on the host's byte order.
  std::vector<uint8_t> bytes;
  bytes.reserve(24 + 4 * seq.input_ids.size());
  auto put = [&](uint64_t v, int size) {
    for (int i = 0; i < size; ++i) bytes.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  put(seq.input_ids.size(), 8);
  put(seq.answer_begin, 8);
  put(seq.answer_end, 8);
  for (int32_t id : seq.input_ids) put(static_cast<uint32_t>(id), 4);
  // The standard FNV-1a offset basis, spelled out: fnv1a64's default seed lacks a digit of it
  // (kept there: model hashes in existing files depend on it), and a digest documented as
  // FNV-1a must be reproducible with any FNV-1a implementation.
  return fnv1a64(bytes.data(), bytes.size(), 14695981039346656037ull);
}

std::vector<size_t> calib_select(const std::vector<CalibRecord>& records, int64_t length, int64_t count,
                                 const std::string& source) {
  std::vector<size_t> out;
  for (size_t i = 0; i < records.size() && static_cast<int64_t>(out.size()) < count; ++i)
    if (!records[i].length || *records[i].length == length) out.push_back(i);
  if (static_cast<int64_t>(out.size()) < count)
    fail_file(source, "has " + std::to_string(out.size()) + " calibration records usable at length " +
                          std::to_string(length) + " (built for it or without a length), " + std::to_string(count) +
                          " samples were asked for");
  return out;
}

}  // namespace moa
