#pragma once
// Text helpers shared by the tokenizer stages: UTF-8 <-> code points, the Unicode classes the
// Llama-3 pre-tokenizer regex uses, and GPT-2's byte <-> printable-character map.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace moa::tok {

// Code points of valid UTF-8; returns false (and leaves `out` partial) on invalid input.
bool utf8_decode(std::string_view text, std::vector<char32_t>& out);
void utf8_append(std::string& out, char32_t cp);
std::string utf8_encode(const std::u32string_view cps);
// Bytes to text the way Rust's String::from_utf8_lossy does: each maximal invalid subpart
// becomes one U+FFFD. Byte-level decoders need this for ids that split a character.
std::string utf8_lossy(std::string_view bytes);
bool utf8_valid(std::string_view bytes);

bool is_letter(char32_t cp);      // \p{L}
bool is_number(char32_t cp);      // \p{N}
// \s as Oniguruma (the regex engine of `tokenizers`) defines it for Unicode text:
// U+0009..U+000D, U+0020, U+0085 and the Zs/Zl/Zp characters. (JavaScript's \s differs:
// it has U+FEFF and lacks U+0085.)
bool is_whitespace(char32_t cp);

// Splits text into the pieces of the Llama-3 Split pre-tokenizer regex
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// (behavior "Isolated": every match is a piece, and text between matches too).
// Pieces are [begin, end) code-point index pairs into `cps`.
std::vector<std::pair<size_t, size_t>> split_llama3(const std::u32string_view cps);

// GPT-2 byte-level alphabet: every byte maps to a printable character, so BPE never sees
// spaces or control bytes. byte_to_char(b) is that character; char_to_byte returns -1 for
// characters outside the alphabet.
char32_t byte_to_char(uint8_t b);
int char_to_byte(char32_t c);

}  // namespace moa::tok
