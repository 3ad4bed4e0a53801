// Reading tokenizer.json into Tokenizer::Impl. Every unsupported option is refused by name,
// so a file we would tokenize differently from `tokenizers` never loads silently.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <stdexcept>

#include "core/model/tokenizer_impl.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/json_read.h"

namespace moa {
namespace {

using nlohmann::json;

// The Llama-3 Split pattern, the only Split regex implemented (by hand: no regex library).
constexpr const char* kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// Problems found while reading; the caller turns them into "<file>: <problem>".
struct Bad : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const json& member(const json& obj, const char* key, const std::string& where) {
  if (!obj.is_object()) throw Bad(where + " is not an object");
  auto it = obj.find(key);
  if (it == obj.end()) throw Bad(where + " has no \"" + key + "\"");
  return *it;
}

std::string get_string(const json& obj, const char* key, const std::string& where) {
  const json& v = member(obj, key, where);
  if (!v.is_string()) throw Bad(where + "." + key + " is not a string");
  return v.get<std::string>();
}

bool get_bool(const json& obj, const char* key, bool fallback, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) throw Bad(where + "." + key + " is not a boolean");
  return it->get<bool>();
}

std::string type_of(const json& obj, const std::string& where) { return get_string(obj, "type", where); }

// A string pattern {"String": "..."}; regex patterns are not supported outside Split.
std::string string_pattern(const json& obj, const std::string& where) {
  const json& p = member(obj, "pattern", where);
  if (p.contains("String") && p["String"].is_string()) return p["String"].get<std::string>();
  throw Bad(where + ".pattern: only {\"String\": ...} patterns are supported here");
}

void read_normalizer(const json& n, const std::string& where, std::vector<NormalizerStep>& out) {
  if (n.is_null()) return;
  const std::string type = type_of(n, where);
  if (type == "Sequence") {
    const json& list = member(n, "normalizers", where);
    if (!list.is_array()) throw Bad(where + ".normalizers is not an array");
    for (size_t i = 0; i < list.size(); ++i) read_normalizer(list[i], where + ".normalizers[" + std::to_string(i) + "]", out);
  } else if (type == "Prepend") {
    out.push_back({NormalizerStep::Kind::prepend, get_string(n, "prepend", where), {}});
  } else if (type == "Replace") {
    out.push_back({NormalizerStep::Kind::replace, string_pattern(n, where), get_string(n, "content", where)});
  } else {
    throw Bad(where + ": unsupported normalizer type \"" + type + "\" (supported: Sequence, Prepend, Replace)");
  }
}

void read_pre_tokenizer(const json& p, const std::string& where, std::vector<PreTokenizerStep>& out) {
  if (p.is_null()) return;
  const std::string type = type_of(p, where);
  if (type == "Sequence") {
    const json& list = member(p, "pretokenizers", where);
    if (!list.is_array()) throw Bad(where + ".pretokenizers is not an array");
    for (size_t i = 0; i < list.size(); ++i) read_pre_tokenizer(list[i], where + ".pretokenizers[" + std::to_string(i) + "]", out);
  } else if (type == "Split") {
    const json& pat = member(p, "pattern", where);
    if (!pat.contains("Regex") || !pat["Regex"].is_string() || pat["Regex"].get<std::string>() != kLlama3Pattern) {
      throw Bad(where + ": unsupported Split pattern (only the Llama-3 regex is implemented)");
    }
    const std::string behavior = get_string(p, "behavior", where);
    if (behavior != "Isolated") throw Bad(where + ": unsupported Split behavior \"" + behavior + "\" (supported: Isolated)");
    if (get_bool(p, "invert", false, where)) throw Bad(where + ": Split with invert=true is not supported");
    out.push_back({PreTokenizerStep::Kind::split_llama3});
  } else if (type == "ByteLevel") {
    if (get_bool(p, "use_regex", true, where)) {
      throw Bad(where + ": ByteLevel with use_regex=true (the GPT-2 regex) is not supported");
    }
    out.push_back({PreTokenizerStep::Kind::byte_level, get_bool(p, "add_prefix_space", false, where)});
  } else {
    throw Bad(where + ": unsupported pre_tokenizer type \"" + type + "\" (supported: Sequence, Split, ByteLevel)");
  }
}

void read_decoder(const json& d, const std::string& where, std::vector<DecoderStep>& out) {
  if (d.is_null()) return;
  const std::string type = type_of(d, where);
  DecoderStep step{};
  if (type == "Sequence") {
    const json& list = member(d, "decoders", where);
    if (!list.is_array()) throw Bad(where + ".decoders is not an array");
    for (size_t i = 0; i < list.size(); ++i) read_decoder(list[i], where + ".decoders[" + std::to_string(i) + "]", out);
    return;
  } else if (type == "ByteLevel") {
    step.kind = DecoderStep::Kind::byte_level;
  } else if (type == "Replace") {
    step.kind = DecoderStep::Kind::replace;
    step.pattern = string_pattern(d, where);
    step.content = get_string(d, "content", where);
  } else if (type == "ByteFallback") {
    step.kind = DecoderStep::Kind::byte_fallback;
  } else if (type == "Fuse") {
    step.kind = DecoderStep::Kind::fuse;
  } else if (type == "Strip") {
    step.kind = DecoderStep::Kind::strip;
    step.pattern = get_string(d, "content", where);
    const json& start = member(d, "start", where);
    const json& stop = member(d, "stop", where);
    if (!start.is_number_unsigned() || !stop.is_number_unsigned()) throw Bad(where + ": Strip start/stop must be non-negative integers");
    step.start = start.get<size_t>();
    step.stop = stop.get<size_t>();
  } else {
    throw Bad(where + ": unsupported decoder type \"" + type + "\" (supported: Sequence, ByteLevel, Replace, ByteFallback, Fuse, Strip)");
  }
  out.push_back(std::move(step));
}

std::optional<int32_t> lookup(const Tokenizer::Impl& t, const std::string& token) {
  auto it = t.added_by_content.find(token);
  if (it != t.added_by_content.end()) return t.added[it->second].id;
  return t.model.find(token);
}

void read_post_processor(const json& p, const std::string& where, Tokenizer::Impl& t) {
  if (p.is_null()) return;
  const std::string type = type_of(p, where);
  if (type == "Sequence") {
    const json& list = member(p, "processors", where);
    if (!list.is_array()) throw Bad(where + ".processors is not an array");
    for (size_t i = 0; i < list.size(); ++i) read_post_processor(list[i], where + ".processors[" + std::to_string(i) + "]", t);
  } else if (type == "ByteLevel") {
    // Only adjusts offsets, which we do not report: no effect on ids.
  } else if (type == "TemplateProcessing") {
    const json& single = member(p, "single", where);
    const json& specials = member(p, "special_tokens", where);
    if (!single.is_array()) throw Bad(where + ".single is not an array");
    bool seen_sequence = false;
    for (size_t i = 0; i < single.size(); ++i) {
      const std::string at = where + ".single[" + std::to_string(i) + "]";
      const json& item = single[i];
      if (item.contains("Sequence")) {
        if (seen_sequence) throw Bad(at + ": the sequence appears twice");
        seen_sequence = true;
      } else if (item.contains("SpecialToken")) {
        const std::string name = get_string(item["SpecialToken"], "id", at + ".SpecialToken");
        const json& entry = member(specials, name.c_str(), where + ".special_tokens");
        const json& ids = member(entry, "ids", where + ".special_tokens." + name);
        if (!ids.is_array()) throw Bad(where + ".special_tokens." + name + ".ids is not an array");
        for (const json& id : ids) {
          if (!id.is_number_integer()) throw Bad(where + ".special_tokens." + name + ".ids has a non-integer");
          (seen_sequence ? t.suffix_ids : t.prefix_ids).push_back(id.get<int32_t>());
        }
      } else {
        throw Bad(at + ": expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
      }
    }
  } else {
    throw Bad(where + ": unsupported post_processor type \"" + type + "\" (supported: Sequence, ByteLevel, TemplateProcessing)");
  }
}

void read_model(const json& m, Tokenizer::Impl& t) {
  const std::string where = "model";
  if (!m.is_object()) throw Bad("\"model\" is missing or not an object");
  const std::string type = m.contains("type") ? type_of(m, where) : std::string("BPE");
  if (type != "BPE") throw Bad("unsupported model type \"" + type + "\" (supported: BPE)");
  if (m.contains("dropout") && !m["dropout"].is_null()) throw Bad("model.dropout is set: BPE dropout is not supported");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (m.contains(key) && !m[key].is_null() && !(m[key].is_string() && m[key].get<std::string>().empty())) {
      throw Bad(std::string("model.") + key + " is set: not supported");
    }
  }
  const json& vocab_json = member(m, "vocab", where);
  if (!vocab_json.is_object()) throw Bad("model.vocab is not an object of token -> id");
  std::unordered_map<std::string, int32_t> vocab;
  vocab.reserve(vocab_json.size());
  for (auto it = vocab_json.begin(); it != vocab_json.end(); ++it) {
    if (!it.value().is_number_integer()) throw Bad("model.vocab[\"" + it.key() + "\"] is not an integer id");
    vocab.emplace(it.key(), it.value().get<int32_t>());
  }
  const json& merges_json = member(m, "merges", where);
  if (!merges_json.is_array()) throw Bad("model.merges is not an array");
  std::vector<std::pair<std::string, std::string>> merges;
  merges.reserve(merges_json.size());
  for (size_t i = 0; i < merges_json.size(); ++i) {
    const json& e = merges_json[i];
    if (e.is_string()) {  // "left right" (tokenizers < 0.20)
      const std::string& s = e.get_ref<const std::string&>();
      const size_t sp = s.find(' ');
      if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos) {
        throw Bad("model.merges[" + std::to_string(i) + "] \"" + s + "\" is not two tokens separated by one space");
      }
      merges.emplace_back(s.substr(0, sp), s.substr(sp + 1));
    } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
      merges.emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
    } else {
      throw Bad("model.merges[" + std::to_string(i) + "] is neither \"a b\" nor [\"a\", \"b\"]");
    }
  }
  tok::BpeOptions options;
  if (m.contains("unk_token") && !m["unk_token"].is_null()) options.unk_token = get_string(m, "unk_token", where);
  options.byte_fallback = get_bool(m, "byte_fallback", false, where);
  options.fuse_unk = get_bool(m, "fuse_unk", false, where);
  options.ignore_merges = get_bool(m, "ignore_merges", false, where);
  try {
    t.model = tok::BpeModel(std::move(vocab), merges, std::move(options));
  } catch (const std::invalid_argument& e) {
    throw Bad(e.what());
  }
}

void read_added_tokens(const json& list, Tokenizer::Impl& t) {
  if (list.is_null()) return;
  if (!list.is_array()) throw Bad("added_tokens is not an array");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = "added_tokens[" + std::to_string(i) + "]";
    const json& e = list[i];
    AddedToken a;
    const json& id = member(e, "id", where);
    if (!id.is_number_integer() || id.get<int64_t>() < 0) throw Bad(where + ".id is not a non-negative integer");
    a.id = id.get<int32_t>();
    a.content = get_string(e, "content", where);
    if (a.content.empty()) throw Bad(where + ".content is empty");
    a.special = get_bool(e, "special", false, where);
    a.lstrip = get_bool(e, "lstrip", false, where);
    a.rstrip = get_bool(e, "rstrip", false, where);
    a.normalized = get_bool(e, "normalized", !a.special, where);
    a.single_word = get_bool(e, "single_word", false, where);
    if (t.added_by_id.count(a.id)) throw Bad(where + ": id " + std::to_string(a.id) + " is used by two added tokens");
    if (t.added_by_content.count(a.content)) throw Bad(where + ": \"" + a.content + "\" is added twice");
    if (auto model_id = t.model.find(a.content); model_id && *model_id != a.id) {
      throw Bad(where + ": \"" + a.content + "\" has id " + std::to_string(a.id) + " but the vocabulary says " + std::to_string(*model_id));
    }
    if (const std::string* other = t.model.token(a.id); other && *other != a.content) {
      throw Bad(where + ": id " + std::to_string(a.id) + " is \"" + *other + "\" in the vocabulary, not \"" + a.content + "\"");
    }
    // `tokenizers` does not take the file's id for a token outside the vocabulary: it gives
    // the next free one (vocabulary size, or one past the largest added id). Refuse a file
    // where the two disagree rather than pick one.
    if (!t.model.find(a.content)) {
      int32_t expected = t.model.vocab_count();
      for (const auto& b : t.added) {
        if (b.id >= expected) expected = b.id + 1;
      }
      if (a.id != expected) {
        throw Bad(where + ": \"" + a.content + "\" has id " + std::to_string(a.id) + ", but `tokenizers` would give it id " +
                  std::to_string(expected) + " (added tokens outside the vocabulary must follow it without gaps)");
      }
    }
    t.added_by_id[a.id] = t.added.size();
    t.added_by_content[a.content] = t.added.size();
    t.added.push_back(std::move(a));
  }
}

void finish(Tokenizer::Impl& t) {
  for (auto& index : t.added_by_first_byte) index.assign(256, {});
  for (size_t i = 0; i < t.added.size(); ++i) {
    const auto& a = t.added[i];
    t.added_by_first_byte[a.normalized ? 1 : 0][static_cast<unsigned char>(a.content[0])].push_back(i);
  }
  for (auto& index : t.added_by_first_byte) {
    for (auto& list : index) {
      std::stable_sort(list.begin(), list.end(), [&](size_t a, size_t b) { return t.added[a].content.size() > t.added[b].content.size(); });
    }
  }
  for (const auto& step : t.pre_tokenizer) t.byte_level = t.byte_level || step.kind == PreTokenizerStep::Kind::byte_level;
  for (int32_t id : t.prefix_ids) {
    if (id < 0 || (!t.model.token(id) && !t.added_at(id))) throw Bad("post_processor: special token id " + std::to_string(id) + " is not in the vocabulary");
  }
  for (int32_t id : t.suffix_ids) {
    if (id < 0 || (!t.model.token(id) && !t.added_at(id))) throw Bad("post_processor: special token id " + std::to_string(id) + " is not in the vocabulary");
  }
  if (!t.prefix_ids.empty()) t.bos = t.prefix_ids.front();
  // Files whose post-processor adds nothing (Llama-3's original file) still name their BOS.
  for (const char* name : {"<|begin_of_text|>", "<s>"}) {
    if (!t.bos) t.bos = lookup(t, name);
  }
  for (const char* name : {"<|end_of_text|>", "</s>"}) {
    if (!t.eos) t.eos = lookup(t, name);
  }
}

}  // namespace

Tokenizer Tokenizer::from_file(const std::filesystem::path& path) {
  return from_json(read_text_file(path), path.string());
}

Tokenizer Tokenizer::for_model(const std::filesystem::path& path, int64_t model_vocab_size) {
  Tokenizer t = from_file(path);
  if (t.vocab_size() > model_vocab_size)
    fail_file(path.string(), "has token ids up to " + std::to_string(t.vocab_size() - 1) + " but the model's vocab_size is " +
                                 std::to_string(model_vocab_size) + " (config.json): the tokenizer of another model?");
  return t;
}

Tokenizer Tokenizer::from_json(std::string_view json_text, const std::string& origin) {
  auto impl = std::make_unique<Impl>();
  impl->origin = origin;
  const json root = json_parse_or_fail(json_text, origin);
  try {
    if (!root.is_object()) throw Bad("the top level is not a JSON object");
    read_model(root.contains("model") ? root["model"] : json(), *impl);
    read_added_tokens(root.value("added_tokens", json()), *impl);
    read_normalizer(root.value("normalizer", json()), "normalizer", impl->normalizer);
    read_pre_tokenizer(root.value("pre_tokenizer", json()), "pre_tokenizer", impl->pre_tokenizer);
    read_post_processor(root.value("post_processor", json()), "post_processor", *impl);
    read_decoder(root.value("decoder", json()), "decoder", impl->decoder);
    finish(*impl);
  } catch (const Bad& e) {
    fail_file(origin, e.what());
  } catch (const json::exception& e) {  // e.g. an id that does not fit int32
    fail_file(origin, std::string("unexpected JSON value: ") + e.what());
  }
  return Tokenizer(std::move(impl));
}

}  // namespace moa
