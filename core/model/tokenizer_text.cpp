#include "core/model/tokenizer_text.h"

#include <algorithm>
#include <array>

#include "core/model/unicode_tables.h"

namespace moa::tok {
namespace {

template <size_t N>
bool in_ranges(const unicode::CodeRange (&table)[N], char32_t cp) {
  const auto* end = table + N;
  const auto* it = std::upper_bound(table, end, static_cast<uint32_t>(cp),
                                    [](uint32_t v, const unicode::CodeRange& r) { return v < r.lo; });
  return it != table && cp <= (it - 1)->hi;
}

bool is_continuation(uint8_t b) { return (b & 0xC0) == 0x80; }

// Length of the valid UTF-8 sequence at `p` (1..4), or -(length of the maximal invalid
// subpart) when it is not valid. `n` is the number of bytes available.
int utf8_sequence(const uint8_t* p, size_t n) {
  const uint8_t b0 = p[0];
  if (b0 < 0x80) return 1;
  int width = 0;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    width = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    width = 3;
    if (b0 == 0xE0) lo = 0xA0;      // overlong
    if (b0 == 0xED) hi = 0x9F;      // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    width = 4;
    if (b0 == 0xF0) lo = 0x90;      // overlong
    if (b0 == 0xF4) hi = 0x8F;      // past U+10FFFF
  } else {
    return -1;
  }
  if (n < 2 || p[1] < lo || p[1] > hi) return -1;
  for (int i = 2; i < width; ++i) {
    if (static_cast<size_t>(i) >= n || !is_continuation(p[i])) return -i;
  }
  return width;
}

char32_t decode_at(const uint8_t* p, int len) {
  switch (len) {
    case 1: return p[0];
    case 2: return ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
    case 3: return ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
    default:
      return ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
  }
}

}  // namespace

bool utf8_decode(std::string_view text, std::vector<char32_t>& out) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  size_t i = 0, n = text.size();
  while (i < n) {
    int len = utf8_sequence(p + i, n - i);
    if (len < 0) return false;
    out.push_back(decode_at(p + i, len));
    i += static_cast<size_t>(len);
  }
  return true;
}

bool utf8_valid(std::string_view bytes) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  for (size_t i = 0, n = bytes.size(); i < n;) {
    int len = utf8_sequence(p + i, n - i);
    if (len < 0) return false;
    i += static_cast<size_t>(len);
  }
  return true;
}

void utf8_append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string utf8_encode(const std::u32string_view cps) {
  std::string out;
  out.reserve(cps.size());
  for (char32_t c : cps) utf8_append(out, c);
  return out;
}

std::string utf8_lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  for (size_t i = 0, n = bytes.size(); i < n;) {
    int len = utf8_sequence(p + i, n - i);
    if (len > 0) {
      out.append(bytes.substr(i, static_cast<size_t>(len)));
      i += static_cast<size_t>(len);
    } else {
      utf8_append(out, 0xFFFD);
      i += static_cast<size_t>(-len);
    }
  }
  return out;
}

bool is_letter(char32_t cp) {
  if (cp < 0x80) return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
  return in_ranges(unicode::kLetterRanges, cp);
}

bool is_number(char32_t cp) {
  if (cp < 0x80) return cp >= '0' && cp <= '9';
  return in_ranges(unicode::kNumberRanges, cp);
}

bool is_whitespace(char32_t cp) {
  if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
  switch (cp) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

namespace {

// Case-insensitive letter test for the contraction alternative. Oniguruma folds case by
// Unicode CaseFolding, where U+017F LATIN SMALL LETTER LONG S folds to 's'.
bool same_letter_ci(char32_t cp, char lower) {
  if (cp < 0x80) return static_cast<char32_t>(lower) == (cp | 0x20) && is_letter(cp);
  return lower == 's' && cp == 0x17F;
}

bool is_newline(char32_t cp) { return cp == '\r' || cp == '\n'; }

// Each function returns the end of its alternative's match at `i`, or `i` for no match.
size_t match_contraction(std::u32string_view s, size_t i) {
  if (s[i] != '\'' || i + 1 >= s.size()) return i;
  const char32_t a = s[i + 1];
  for (char one : {'s', 't', 'm', 'd'}) {
    if (same_letter_ci(a, one)) return i + 2;
  }
  if (i + 2 < s.size()) {
    const char32_t b = s[i + 2];
    static constexpr std::array<std::pair<char, char>, 3> two{{{'r', 'e'}, {'v', 'e'}, {'l', 'l'}}};
    for (auto [x, y] : two) {
      if (same_letter_ci(a, x) && same_letter_ci(b, y)) return i + 3;
    }
  }
  return i;
}

size_t match_word(std::u32string_view s, size_t i) {  // [^\r\n\p{L}\p{N}]?\p{L}+
  size_t j = i;
  if (!is_letter(s[j])) {
    if (is_newline(s[j]) || is_number(s[j]) || j + 1 >= s.size() || !is_letter(s[j + 1])) return i;
    ++j;
  }
  while (j < s.size() && is_letter(s[j])) ++j;
  return j;
}

size_t match_digits(std::u32string_view s, size_t i) {  // \p{N}{1,3}
  size_t j = i;
  while (j < s.size() && j - i < 3 && is_number(s[j])) ++j;
  return j;
}

bool is_symbol(char32_t c) { return !is_whitespace(c) && !is_letter(c) && !is_number(c); }

size_t match_symbols(std::u32string_view s, size_t i) {  //  ?[^\s\p{L}\p{N}]+[\r\n]*
  size_t j = i;
  if (s[j] == ' ') ++j;
  if (j >= s.size() || !is_symbol(s[j])) return i;
  while (j < s.size() && is_symbol(s[j])) ++j;
  while (j < s.size() && is_newline(s[j])) ++j;
  return j;
}

size_t match_spaces(std::u32string_view s, size_t i) {
  size_t run = i;
  while (run < s.size() && is_whitespace(s[run])) ++run;
  if (run == i) return i;
  // \s*[\r\n]+ : backtracking ends the match just after the last newline of the run.
  for (size_t k = run; k > i; --k) {
    if (is_newline(s[k - 1])) return k;
  }
  // \s+(?!\S) : the whole run at the end of text, else the run minus its last character
  // (which leaves that one to start the next piece with the following word).
  if (run == s.size()) return run;
  if (run - i > 1) return run - 1;
  return run;  // \s+
}

}  // namespace

std::vector<std::pair<size_t, size_t>> split_llama3(const std::u32string_view s) {
  std::vector<std::pair<size_t, size_t>> pieces;
  size_t i = 0;
  while (i < s.size()) {
    size_t end = match_contraction(s, i);
    if (end == i) end = match_word(s, i);
    if (end == i) end = match_digits(s, i);
    if (end == i) end = match_symbols(s, i);
    if (end == i) end = match_spaces(s, i);
    if (end == i) end = i + 1;  // unreachable: every character starts some alternative
    pieces.emplace_back(i, end);
    i = end;
  }
  return pieces;
}

namespace {

// Printable Latin-1 bytes map to themselves; the other 68 bytes to U+0100 upwards, in order.
constexpr int kShifted = 68;

bool printable_byte(char32_t b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); }

struct ByteMap {
  std::array<char32_t, 256> to_char{};
  std::array<uint8_t, kShifted> shifted_to_byte{};
  ByteMap() {
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      if (printable_byte(static_cast<char32_t>(b))) {
        to_char[b] = static_cast<char32_t>(b);
      } else {
        shifted_to_byte[next - 256] = static_cast<uint8_t>(b);
        to_char[b] = next++;
      }
    }
  }
};

const ByteMap& byte_map() {
  static const ByteMap map;
  return map;
}

}  // namespace

char32_t byte_to_char(uint8_t b) { return byte_map().to_char[b]; }

int char_to_byte(char32_t c) {
  if (c < 256) return printable_byte(c) ? static_cast<int>(c) : -1;
  if (c < 256 + kShifted) return byte_map().shifted_to_byte[c - 256];
  return -1;
}

}  // namespace moa::tok
