// Encoding and decoding: the tokenizer.json pipeline (added tokens -> normalizer ->
// pre-tokenizer -> BPE -> post-processor, and the decoder chain back).
#include "core/model/tokenizer.h"

#include <algorithm>
#include <cctype>

#include "core/model/tokenizer_impl.h"
#include "core/model/tokenizer_text.h"
#include "core/util/error.h"

namespace moa {

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

const AddedToken* Tokenizer::Impl::added_at(int32_t id) const {
  auto it = added_by_id.find(id);
  return it == added_by_id.end() ? nullptr : &added[it->second];
}

namespace {

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Start of the character that ends just before byte `pos` (pos > 0; text is valid UTF-8).
size_t prev_char_start(const std::string& s, size_t pos) {
  size_t b = pos - 1;
  while (b > 0 && is_continuation(s[b])) --b;
  return b;
}

char32_t decode_one(const std::string& s, size_t begin, size_t end) {
  std::vector<char32_t> cps;
  tok::utf8_decode(std::string_view(s).substr(begin, end - begin), cps);
  return cps.empty() ? 0 : cps.front();
}

char32_t char_before(const std::string& s, size_t pos) { return decode_one(s, prev_char_start(s, pos), pos); }

// The character starting at byte `pos`; its byte length goes to `len`.
char32_t char_at(const std::string& s, size_t pos, size_t* len = nullptr) {
  size_t e = pos + 1;
  while (e < s.size() && is_continuation(s[e])) ++e;
  if (len) *len = e - pos;
  return decode_one(s, pos, e);
}

bool is_word_char(char32_t c) { return c == '_' || tok::is_letter(c) || tok::is_number(c); }

}  // namespace

void Tokenizer::Impl::split_added(const std::string& text, bool normalized,
                                  std::vector<std::pair<std::string, int32_t>>& pieces) const {
  const auto& index = added_by_first_byte[normalized ? 1 : 0];
  size_t emitted = 0;  // start of the plain text not yet pushed
  size_t i = 0;
  while (i < text.size()) {
    const AddedToken* hit = nullptr;
    for (size_t k : index[static_cast<unsigned char>(text[i])]) {  // longest first
      if (text.compare(i, added[k].content.size(), added[k].content) == 0) {
        hit = &added[k];
        break;
      }
    }
    if (!hit) {
      ++i;
      continue;
    }
    size_t start = i, stop = i + hit->content.size();
    if (hit->single_word) {
      const bool alone_left = start == 0 || !is_word_char(char_before(text, start));
      const bool alone_right = stop == text.size() || !is_word_char(char_at(text, stop));
      if (!alone_left || !alone_right) {
        i = stop;  // like `tokenizers`, matching resumes after the discarded match
        continue;
      }
    }
    if (hit->lstrip) {  // the token swallows the whitespace before it
      while (start > emitted && tok::is_whitespace(char_before(text, start))) start = prev_char_start(text, start);
    }
    if (hit->rstrip) {  // ... and after it
      size_t len = 0;
      while (stop < text.size() && tok::is_whitespace(char_at(text, stop, &len))) stop += len;
    }
    if (start > emitted) pieces.emplace_back(text.substr(emitted, start - emitted), -1);
    pieces.emplace_back(std::string(), hit->id);
    emitted = i = stop;
  }
  if (emitted < text.size()) pieces.emplace_back(text.substr(emitted), -1);
}

std::string Tokenizer::Impl::normalize(const std::string& text) const {
  std::string s = text;
  for (const auto& step : normalizer) {
    if (s.empty()) break;  // Prepend leaves an empty string empty; so does Replace
    if (step.kind == NormalizerStep::Kind::prepend) {
      s = step.text + s;
    } else if (!step.text.empty()) {
      std::string out;
      out.reserve(s.size());
      size_t pos = 0;
      for (size_t hit; (hit = s.find(step.text, pos)) != std::string::npos; pos = hit + step.text.size()) {
        out.append(s, pos, hit - pos);
        out += step.replacement;
      }
      out.append(s, pos, std::string::npos);
      s = std::move(out);
    }
  }
  return s;
}

void Tokenizer::Impl::encode_segment(const std::string& normalized, std::vector<int32_t>& out) const {
  std::vector<std::string> words{normalized};
  for (const auto& step : pre_tokenizer) {
    std::vector<std::string> next;
    next.reserve(words.size());
    for (const std::string& w : words) {
      if (step.kind == PreTokenizerStep::Kind::split_llama3) {
        std::vector<char32_t> cps;
        tok::utf8_decode(w, cps);
        const std::u32string_view view(cps.data(), cps.size());
        for (auto [b, e] : tok::split_llama3(view)) next.push_back(tok::utf8_encode(view.substr(b, e - b)));
      } else {
        std::string mapped;
        mapped.reserve(w.size() * 2 + 2);
        if (step.add_prefix_space && (w.empty() || w[0] != ' ')) tok::utf8_append(mapped, tok::byte_to_char(' '));
        for (unsigned char b : w) tok::utf8_append(mapped, tok::byte_to_char(b));
        next.push_back(std::move(mapped));
      }
    }
    words = std::move(next);
  }
  for (const std::string& w : words) model.tokenize(w, out);
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  if (!tok::utf8_valid(text)) fail_file(impl_->origin, "encode: the text is not valid UTF-8");
  std::vector<int32_t> ids;
  if (add_special_tokens) ids = impl_->prefix_ids;
  std::vector<std::pair<std::string, int32_t>> raw, normalized;
  impl_->split_added(std::string(text), false, raw);
  for (const auto& [piece, id] : raw) {
    if (id >= 0) {
      ids.push_back(id);
      continue;
    }
    // Each stretch between added tokens is normalized on its own (so Prepend adds "▁" to
    // every stretch, as `tokenizers` does), then split on the normalized added tokens.
    normalized.clear();
    impl_->split_added(impl_->normalize(piece), true, normalized);
    for (const auto& [npiece, nid] : normalized) {
      if (nid >= 0) {
        ids.push_back(nid);
      } else {
        impl_->encode_segment(npiece, ids);
      }
    }
  }
  if (add_special_tokens) ids.insert(ids.end(), impl_->suffix_ids.begin(), impl_->suffix_ids.end());
  return ids;
}

std::vector<std::string> Tokenizer::Impl::run_decoder(std::vector<std::string> tokens) const {
  for (const auto& step : decoder) {
    switch (step.kind) {
      case DecoderStep::Kind::byte_level: {
        // Characters of the byte alphabet back to bytes; a token with any other character
        // (an added token such as "<|eot_id|>" is plain ASCII, so this is rare) keeps its text.
        std::string bytes;
        for (const std::string& t : tokens) {
          std::vector<char32_t> cps;
          tok::utf8_decode(t, cps);
          std::string mapped;
          bool ok = true;
          for (char32_t c : cps) {
            const int b = tok::char_to_byte(c);
            if (b < 0) {
              ok = false;
              break;
            }
            mapped.push_back(static_cast<char>(b));
          }
          bytes += ok ? mapped : t;
        }
        tokens = {tok::utf8_lossy(bytes)};
        break;
      }
      case DecoderStep::Kind::replace:
        for (std::string& t : tokens) {
          std::string out;
          size_t pos = 0;
          for (size_t hit; !step.pattern.empty() && (hit = t.find(step.pattern, pos)) != std::string::npos;
               pos = hit + step.pattern.size()) {
            out.append(t, pos, hit - pos);
            out += step.content;
          }
          out.append(t, pos, std::string::npos);
          t = std::move(out);
        }
        break;
      case DecoderStep::Kind::byte_fallback: {
        // Runs of <0xNN> tokens become their UTF-8 text, or one U+FFFD per byte if invalid.
        std::vector<std::string> out;
        std::string run;
        size_t run_len = 0;
        auto flush = [&] {
          if (run_len == 0) return;
          if (tok::utf8_valid(run)) {
            out.push_back(run);
          } else {
            for (size_t k = 0; k < run_len; ++k) out.emplace_back("\xEF\xBF\xBD");
          }
          run.clear();
          run_len = 0;
        };
        for (std::string& t : tokens) {
          const bool is_byte = t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>' &&
                               std::isxdigit(static_cast<unsigned char>(t[3])) && std::isxdigit(static_cast<unsigned char>(t[4]));
          if (is_byte) {
            run.push_back(static_cast<char>(std::stoi(t.substr(3, 2), nullptr, 16)));
            ++run_len;
          } else {
            flush();
            out.push_back(std::move(t));
          }
        }
        flush();
        tokens = std::move(out);
        break;
      }
      case DecoderStep::Kind::fuse: {
        std::string all;
        for (const std::string& t : tokens) all += t;
        tokens = {std::move(all)};
        break;
      }
      case DecoderStep::Kind::strip:
        for (std::string& t : tokens) {
          std::vector<char32_t> cps, content;
          tok::utf8_decode(t, cps);
          tok::utf8_decode(step.pattern, content);
          if (content.size() != 1) break;  // `tokenizers` strips one character
          size_t b = 0, e = cps.size();
          while (b < e && b < step.start && cps[b] == content[0]) ++b;
          while (e > b && cps.size() - e < step.stop && cps[e - 1] == content[0]) --e;
          t = tok::utf8_encode(std::u32string_view(cps.data() + b, e - b));
        }
        break;
    }
  }
  return tokens;
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    if (const AddedToken* a = impl_->added_at(id)) {
      if (!(skip_special_tokens && a->special)) tokens.push_back(a->content);
    } else if (const std::string* t = impl_->model.token(id)) {
      tokens.push_back(*t);
    } else {
      fail_file(impl_->origin, "decode: id " + std::to_string(id) + " is not in the vocabulary");
    }
  }
  if (impl_->decoder.empty()) {  // `tokenizers` joins with spaces when there is no decoder
    std::string out;
    for (size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
    return out;
  }
  std::string out;
  for (const std::string& t : impl_->run_decoder(std::move(tokens))) out += t;
  return out;
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  auto it = impl_->added_by_content.find(std::string(token));
  if (it != impl_->added_by_content.end()) return impl_->added[it->second].id;
  return impl_->model.find(token);
}

std::optional<std::string> Tokenizer::id_to_token(int32_t id) const {
  if (const AddedToken* a = impl_->added_at(id)) return a->content;
  if (const std::string* t = impl_->model.token(id)) return *t;
  return std::nullopt;
}

int32_t Tokenizer::vocab_size() const {
  int32_t n = impl_->model.size();
  for (const auto& a : impl_->added) n = std::max(n, a.id + 1);
  return n;
}

bool Tokenizer::is_special(int32_t id) const {
  const AddedToken* a = impl_->added_at(id);
  return a && a->special;
}

std::optional<int32_t> Tokenizer::bos_id() const { return impl_->bos; }
std::optional<int32_t> Tokenizer::eos_id() const { return impl_->eos; }

std::string Tokenizer::kind() const { return impl_->byte_level ? "byte_level_bpe" : "sentencepiece_bpe"; }

}  // namespace moa
