#pragma once
// A deterministic corpus of varied strings for the tokenizer equivalence test: hand-picked
// edge cases, then random mixtures of scripts, emoji, combining marks, whitespace runs,
// digits, code, URLs and special tokens, then LongEval line-retrieval prompts.
// The generator is our own (splitmix64 + integer arithmetic only), so every machine and
// compiler produces the same strings. Characters come from blocks assigned long before
// Unicode 14 (the version of our category tables; node's and Oniguruma's may be newer).
#include <cstdint>
#include <string>
#include <vector>

namespace moa::test {

class CorpusRng {
 public:
  explicit CorpusRng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return static_cast<size_t>(next() % n); }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }

 private:
  uint64_t state_;
};

inline void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Strings written out by hand: the cases most likely to break a tokenizer.
inline std::vector<std::string> corpus_edge_cases() {
  return {
      "", " ", "  ", "   ", "\t", "\n", "\r\n", "\n\n\n", " \n ", "\t\t  \n\t", "a\r\nb", "a\rb",
      "Hello world", "Hello, world!", " leading space", "trailing space ", "double  space",
      "I'm here", "you'RE", "they've", "we'll", "it'd", "don't", "DON'T", "O'Neil's", "'s", "''s'",
      "rock 'n' roll", "x'ſ", "'ſ", "l'LL", "'Ve'", "''''",
      "<s>", "</s>", "<unk>", "<s>Hello</s>", "Hello</s> world", "a<s>b", "<s> <s>", "</s></s>",
      "<s", "< s>", "<<s>>", "<0x41>", "▁", "▁▁x", "x▁y", "<|begin_of_text|>", "<|eot_id|>",
      "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>", "<|eot_id", "<|eot_id|><|eot_id|>",
      "<|reserved_special_token_250|>", "<|end_of_text|>x", "text<|begin_of_text|>text",
      "e\u0301", "Z\u0324\u0354\u0367\u0311\u0313", "\u0301start", "a\u0308\u0301\u0323",
      "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7", "\xF0\x9F\x87\xBA\xF0\x9F\x87\xB8",
      "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD", "emoji\xF0\x9F\x98\x80x", "\xE2\x9D\xA4\xEF\xB8\x8F",
      "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7 \xD8\xA8\xD8\xA7\xD9\x84\xD8\xB9\xD8\xA7\xD9\x84\xD9\x85",
      "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D", "\xE0\xA4\xA8\xE0\xA4\xAE\xE0\xA4\xB8\xE0\xA5\x8D\xE0\xA4\xA4\xE0\xA5\x87",
      "\xE4\xBD\xA0\xE5\xA5\xBD\xEF\xBC\x8C\xE4\xB8\x96\xE7\x95\x8C\xE3\x80\x82", "\xE3\x81\x93\xE3\x82\x93\xE3\x81\xAB\xE3\x81\xA1\xE3\x81\xAF",
      "\xEC\x95\x88\xEB\x85\x95\xED\x95\x98\xEC\x84\xB8\xEC\x9A\x94", "\xE0\xB8\xAA\xE0\xB8\xA7\xE0\xB8\xB1\xE0\xB8\xAA\xE0\xB8\x94\xE0\xB8\xB5",
      "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82", "\xCE\x93\xCE\xB5\xCE\xB9\xCE\xAC",
      "1", "12", "123", "1234", "1234567890123", "3.14159", "1,000,000", "-42", "1e-9", "0x1F",
      "\xD9\xA3\xD9\xA4\xD9\xA5", "x\xC2\xB2+y\xC2\xB3", "\xE2\x85\xAB", "\xC2\xBD", "\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93",
      "\xC2\xA0nbsp\xC2\xA0", "ideographic\xE3\x80\x80space", "line\xE2\x80\xA8sep", "nel\xC2\x85x", " \xC2\x85 ",
      "  \xEF\xBB\xBF", "  \xC2\x85", "a  \xC2\x85" "b", "bom\xEF\xBB\xBFx", "\xEF\xBB\xBF", "zw\xE2\x80\x8Bsp", "soft\xC2\xADhyphen", "tab\tsep\tvalues",
      "int main() {\n    return 0;\n}\n", "for (int i = 0; i < n; ++i) { sum += a[i]; }",
      "def f(x):\n\treturn x ** 2  # square\n", "https://example.com/path?q=1&r=two#frag",
      "mailto:someone@example.org", "{\"key\": [1, 2, 3], \"b\": null}", "<div class=\"x\">&amp;</div>",
      "$ ls -la | grep foo > out.txt 2>&1", "C:\\Users\\name\\file.txt", "**bold** _it_ `code`",
      "....", "!!!???", "---===---", "@#$%^&*()", "\xE2\x80\x94" "em dash\xE2\x80\x94", "\xE2\x80\x9Cquoted\xE2\x80\x9D",
      "ALLCAPS", "camelCaseWord", "snake_case_word", "kebab-case-word", "MiXeD123CaSe456",
      "line 1\nline 2\r\nline 3\n", "    indented", "\n\nparagraph", "end\n", "x \n y", "x  \n\n  y",
  };
}

inline std::string corpus_random_text(CorpusRng& rng) {
  static const std::vector<std::string> words = {
      "the", "of", "and", "tokenizer", "attention", "Mixture", "sparse", "Llama", "GPU", "model",
      "héllo", "naïve", "café", "Straße", "Ærø", "über", "señor", "Ölçü", "łódź", "Dvořák",
      "\xD0\xBC\xD0\xB8\xD1\x80", "\xCE\xBB\xCF\x8C\xCE\xB3\xCE\xBF\xCF\x82", "\xE4\xB8\xAD\xE6\x96\x87",
      "\xE6\xB1\x89\xE5\xAD\x97\xE6\xB5\x8B\xE8\xAF\x95", "\xE3\x82\xAB\xE3\x82\xBF\xE3\x82\xAB\xE3\x83\x8A",
      "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4", "\xD8\xA7\xD9\x84\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A\xD8\xA9",
      "\xE0\xA4\xB9\xE0\xA4\xBF\xE0\xA4\x82\xE0\xA4\xA6\xE0\xA5\x80", "\xE0\xB9\x84\xE0\xB8\x97\xE0\xB8\xA2",
      "I'm", "can't", "We'VE", "it's", "you'd", "y'all",
  };
  static const std::vector<std::string> spaces = {" ", " ", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n",
                                                  " \n", "\t\t", " \t ", "\n  ", "    ", "\xC2\xA0", "\xE3\x80\x80"};
  static const std::vector<std::string> puncts = {".", ",", "!", "?", ";", ":", "...", "\"", "'", "(", ")", "[",
                                                  "]", "{", "}", "-", "--", "_", "/", "\\", "#", "$", "%", "&",
                                                  "*", "+", "=", "<", ">", "|", "~", "`", "^", "@", "\xE2\x80\xA6",
                                                  "\xC2\xBF", "\xC2\xA1", "\xE3\x80\x82", "\xEF\xBC\x8C", "\xC2\xB7"};
  static const std::vector<std::string> specials = {"<s>", "</s>", "<unk>", "<|begin_of_text|>", "<|eot_id|>",
                                                    "<|start_header_id|>", "<|end_header_id|>", "<|end_of_text|>",
                                                    "<|reserved_special_token_7|>"};
  static const std::vector<std::string> emoji = {
      "\xF0\x9F\x98\x80", "\xF0\x9F\x9A\x80", "\xF0\x9F\x8E\x89", "\xF0\x9F\x91\x8B\xF0\x9F\x8F\xBE", "\xE2\x9C\x85",
      "\xF0\x9F\x87\xAF\xF0\x9F\x87\xB5", "\xF0\x9F\xA7\xA0", "\xE2\x98\x95", "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB"};
  // Code-point ranges to draw single characters from (blocks stable since Unicode 6).
  static const std::vector<std::pair<char32_t, char32_t>> ranges = {
      {0x21, 0x7E}, {0xA1, 0xFF}, {0x100, 0x17F}, {0x391, 0x3C9}, {0x410, 0x44F}, {0x5D0, 0x5EA},
      {0x621, 0x64A}, {0x660, 0x669}, {0x905, 0x939}, {0x966, 0x96F}, {0xE01, 0xE30}, {0x1100, 0x1112},
      {0x3041, 0x3094}, {0x30A1, 0x30F4}, {0x4E00, 0x4FFF}, {0xAC00, 0xAD00}, {0x2150, 0x2182},
      {0x2460, 0x249B}, {0x2200, 0x22FF}, {0x1F300, 0x1F5FF}, {0x1F600, 0x1F64F}, {0x300, 0x36F},
      {0xFF01, 0xFF5E}, {0x20000, 0x200FF}, {0x1D400, 0x1D4FF}};
  std::string s;
  const size_t parts = 1 + rng.below(14);
  for (size_t p = 0; p < parts; ++p) {
    switch (rng.below(10)) {
      case 0: case 1: case 2: s += rng.pick(words); break;
      case 3: s += rng.pick(spaces); break;
      case 4: s += rng.pick(puncts); break;
      case 5: {  // a number of 1..20 digits
        const size_t n = 1 + rng.below(rng.below(4) == 0 ? 20 : 5);
        for (size_t k = 0; k < n; ++k) s += static_cast<char>('0' + rng.below(10));
        break;
      }
      case 6: s += rng.below(3) == 0 ? rng.pick(specials) : rng.pick(emoji); break;
      case 7: case 8: {
        const auto& [lo, hi] = rng.pick(ranges);
        const size_t n = 1 + rng.below(4);
        for (size_t k = 0; k < n; ++k) append_utf8(s, lo + static_cast<char32_t>(rng.below(hi - lo + 1)));
        break;
      }
      default: s += " " + rng.pick(words); break;
    }
  }
  return s;
}

// LongEval / LongChat line retrieval: "line <adjective-noun>: REGISTER_CONTENT is <n>".
inline std::string corpus_longeval_prompt(CorpusRng& rng, size_t lines) {
  static const std::vector<std::string> adjectives = {"swift", "gentle", "bright", "quiet", "ancient", "lucky",
                                                      "hollow", "crimson", "silent", "brave", "frozen", "golden"};
  static const std::vector<std::string> nouns = {"baker", "river", "falcon", "lantern", "meadow", "harbor",
                                                 "pebble", "violin", "canyon", "orchid", "beacon", "tiger"};
  std::string s =
      "Below is a record of lines I want you to remember. Each line begins with 'line <line index>' and "
      "contains a '<REGISTER_CONTENT>' at the end of the line as a numerical value. For each line index, "
      "memorize its corresponding <REGISTER_CONTENT>. At the end of the record, I will ask you to retrieve "
      "the corresponding <REGISTER_CONTENT> of a certain line index. Now the record start:\n\n";
  std::string asked;
  const size_t target = rng.below(lines);
  for (size_t i = 0; i < lines; ++i) {
    const std::string key = rng.pick(adjectives) + "-" + rng.pick(nouns);
    if (i == target) asked = key;
    s += "line " + key + ": REGISTER_CONTENT is <" + std::to_string(1 + rng.below(49999)) + ">\n";
  }
  s += "Now the record is over. Tell me what is the <REGISTER_CONTENT> in line " + asked +
       "? I need the number.";
  return s;
}

// The whole corpus: edge cases, `random_count` random strings, `prompt_count` short prompts.
inline std::vector<std::string> tokenizer_corpus(size_t random_count = 1000, size_t prompt_count = 40) {
  std::vector<std::string> out = corpus_edge_cases();
  CorpusRng rng(20261125);
  for (size_t i = 0; i < random_count; ++i) out.push_back(corpus_random_text(rng));
  for (size_t i = 0; i < prompt_count; ++i) out.push_back(corpus_longeval_prompt(rng, 1 + rng.below(30)));
  return out;
}

}  // namespace moa::test
