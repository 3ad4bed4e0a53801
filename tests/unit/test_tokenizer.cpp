// Tokenizer features on small hand-made tokenizer.json fixtures (tests/data/tokenizer/).
// Expected ids were produced once by Hugging Face `tokenizers` 0.23.2 on the same files
// (tests/tokenizer_reference.mjs's library), and the reasons are spelled out beside them.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "core/model/chat_template.h"
#include "core/model/tokenizer.h"
#include "core/model/tokenizer_text.h"
#include "core/util/error.h"
#include "core/util/files.h"

namespace {

using Ids = std::vector<int32_t>;
using nlohmann::json;
const std::filesystem::path kData = std::filesystem::path(MOA_TEST_DATA_DIR) / "tokenizer";

const moa::Tokenizer& byte_level() {
  static const moa::Tokenizer t = moa::Tokenizer::from_file(kData / "bytelevel_tiny.json");
  return t;
}
const moa::Tokenizer& spm() {
  static const moa::Tokenizer t = moa::Tokenizer::from_file(kData / "spm_tiny.json");
  return t;
}

json fixture(const char* name) { return json::parse(moa::read_text_file(kData / name)); }

// The error message of loading `j`, or "" when it loads.
std::string load_error(const json& j) {
  try {
    moa::Tokenizer::from_json(j.dump(), "bad.json");
  } catch (const moa::Error& e) {
    return e.what();
  }
  return "";
}

// The Llama-3 Split pieces of `text`, as UTF-8 strings.
std::vector<std::string> llama3_pieces(const std::string& text) {
  std::vector<char32_t> cps;
  EXPECT_TRUE(moa::tok::utf8_decode(text, cps));
  const std::u32string_view view(cps.data(), cps.size());
  std::vector<std::string> out;
  for (auto [b, e] : moa::tok::split_llama3(view)) out.push_back(moa::tok::utf8_encode(view.substr(b, e - b)));
  return out;
}

using Pieces = std::vector<std::string>;

TEST(TokenizerText, Llama3SplitFollowsTheRegexAlternatives) {
  // Contractions (case-insensitive), letters with one leading non-letter, digits by three.
  EXPECT_EQ(llama3_pieces("Hello world's 12345"), (Pieces{"Hello", " world", "'s", " ", "123", "45"}));
  EXPECT_EQ(llama3_pieces("WE'LL I'M"), (Pieces{"WE", "'LL", " I", "'M"}));
  // Whitespace: a run ending in newlines ends after the last newline; a run before a word
  // leaves its last space to the word; a run at the end stays whole.
  EXPECT_EQ(llama3_pieces("a  \n\n x"), (Pieces{"a", "  \n\n", " x"}));
  EXPECT_EQ(llama3_pieces("a    b"), (Pieces{"a", "   ", " b"}));
  EXPECT_EQ(llama3_pieces("a   "), (Pieces{"a", "   "}));
  // Symbols take one leading space and trailing newlines.
  EXPECT_EQ(llama3_pieces("x = {};\n\ny"), (Pieces{"x", " =", " {};\n\n", "y"}));
  // \p{N} covers other scripts' digits and Nl/No; combining marks are neither L nor N.
  EXPECT_EQ(llama3_pieces("\xD9\xA3\xD9\xA4\xD9\xA5\xD9\xA6"), (Pieces{"\xD9\xA3\xD9\xA4\xD9\xA5", "\xD9\xA6"}));
  EXPECT_EQ(llama3_pieces("e\xCC\x81t\xC3\xA9"), (Pieces{"e", "\xCC\x81t\xC3\xA9"}));
  EXPECT_EQ(llama3_pieces(""), (Pieces{}));
}

TEST(TokenizerText, UnicodeClassesAndWhitespace) {
  using namespace moa::tok;
  EXPECT_TRUE(is_letter(U'\u00E9'));
  EXPECT_TRUE(is_letter(U'\u4E2D'));
  EXPECT_TRUE(is_letter(U'\u0627'));
  EXPECT_FALSE(is_letter(U'\u0301'));  // combining acute (Mn)
  EXPECT_FALSE(is_letter(U'_'));
  EXPECT_TRUE(is_number(U'\u0663'));   // Arabic-Indic three (Nd)
  EXPECT_TRUE(is_number(U'\u2165'));   // Roman numeral six (Nl)
  EXPECT_TRUE(is_number(U'\u00BD'));   // one half (No)
  EXPECT_FALSE(is_number(U'x'));
  // Oniguruma's \s: NEL yes, BOM no (the reverse of JavaScript's).
  EXPECT_TRUE(is_whitespace(0x85));
  EXPECT_TRUE(is_whitespace(0x3000));
  EXPECT_FALSE(is_whitespace(0xFEFF));
  EXPECT_FALSE(is_whitespace(0x200B));
}

TEST(TokenizerText, Utf8AndByteAlphabet) {
  using namespace moa::tok;
  EXPECT_EQ(utf8_lossy("ok"), "ok");
  EXPECT_EQ(utf8_lossy("\xE2\x82"), "\xEF\xBF\xBD");                 // truncated: one U+FFFD
  EXPECT_EQ(utf8_lossy("\xFF\xFE"), "\xEF\xBF\xBD\xEF\xBF\xBD");   // two invalid bytes: two
  EXPECT_EQ(utf8_lossy("a\xF0\x9F\x98" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(utf8_lossy("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_FALSE(utf8_valid("\xC0\xAF"));  // overlong
  EXPECT_EQ(byte_to_char(' '), U'\u0120');   // "Ġ"
  EXPECT_EQ(byte_to_char('\n'), U'\u010A');  // "Ċ"
  EXPECT_EQ(byte_to_char('A'), U'A');
  for (int b = 0; b < 256; ++b) EXPECT_EQ(char_to_byte(byte_to_char(static_cast<uint8_t>(b))), b);
  EXPECT_EQ(char_to_byte(U'\u4E2D'), -1);
}

TEST(TokenizerByteLevel, MergesByRankAndIgnoreMerges) {
  const auto& t = byte_level();
  EXPECT_EQ(t.kind(), "byte_level_bpe");
  // "the" has no leading space, so "Ġthe" cannot form: t + he. "hello" merges fully;
  // "Ġworld" has no merge path and comes only from ignore_merges (a whole-word vocab hit).
  EXPECT_EQ(t.encode("the hello world", false), (Ids{116, 257, 32, 257, 259, 111, 265}));
  EXPECT_EQ(t.encode(" the", false), (Ids{258}));
  // Digits in groups of three; "é" is two bytes, two byte-alphabet tokens.
  EXPECT_EQ(t.encode("123123 1234", false), (Ids{261, 261, 32, 261, 52}));
  EXPECT_EQ(t.encode("\xC3\xA9", false), (Ids{195, 169}));
}

TEST(TokenizerByteLevel, AddPrefixSpaceAppliesToEveryPiece) {
  json j = fixture("bytelevel_tiny.json");
  j["pre_tokenizer"]["pretokenizers"][1]["add_prefix_space"] = true;
  const auto t = moa::Tokenizer::from_json(j.dump(), "prefix_space.json");
  // Every split piece without a leading space gets one, here "the" and "x" as well.
  EXPECT_EQ(t.encode("the hello", false), (Ids{258, 32, 257, 259, 111}));
  EXPECT_EQ(t.encode("x<|eot|>the", false), (Ids{32, 120, 267, 258}));
  EXPECT_EQ(t.encode(" the", false), (Ids{258}));
}

TEST(TokenizerByteLevel, PostProcessorAddsBos) {
  const auto& t = byte_level();
  EXPECT_EQ(t.encode(" the", true), (Ids{266, 258}));
  EXPECT_EQ(t.encode("", true), (Ids{266}));
  EXPECT_EQ(t.encode("", false), (Ids{}));
  EXPECT_EQ(t.bos_id(), 266);
  EXPECT_FALSE(t.eos_id().has_value());
}

TEST(TokenizerByteLevel, AddedTokensLongestMatchFirst) {
  const auto& t = byte_level();
  // "<|eot|>x" (268) is longer than "<|eot|>" (267) and wins where both match.
  EXPECT_EQ(t.encode("hello<|eot|>x<|eot|>", false), (Ids{264, 268, 267}));
  EXPECT_EQ(t.encode("<|eot|>x<|eot|>xx", false), (Ids{268, 268, 120}));
  EXPECT_EQ(t.encode("x <|bos|> y", false), (Ids{120, 32, 266, 32, 121}));
}

TEST(TokenizerByteLevel, AddedTokenStripAndSingleWord) {
  const auto& t = byte_level();
  // "[L]" has lstrip: it swallows the whitespace before it; "[R]" (rstrip) the whitespace after.
  EXPECT_EQ(t.encode("a [L] b", false), (Ids{97, 269, 32, 98}));
  EXPECT_EQ(t.encode("a   [L]b", false), (Ids{97, 269, 98}));
  EXPECT_EQ(t.encode("a [R]   b", false), (Ids{97, 32, 270, 98}));
  // "cat" is single_word: only where no letter, digit or '_' touches it.
  EXPECT_EQ(t.encode("a cat b", false), (Ids{97, 32, 271, 32, 98}));
  EXPECT_EQ(t.encode("cat", false), (Ids{271}));
  EXPECT_EQ(t.encode("bobcat", false), (Ids{98, 111, 98, 99, 97, 116}));
  EXPECT_EQ(t.encode("cats", false), (Ids{99, 97, 116, 115}));
  EXPECT_EQ(t.encode("cat_", false), (Ids{99, 97, 116, 95}));
}

TEST(TokenizerByteLevel, DecodeIsLosslessAndSkipsOnlySpecials) {
  const auto& t = byte_level();
  for (const char* s : {"the hello world", "  tabs\tand\nnewlines\r\n", "\xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x98\x80", ""}) {
    EXPECT_EQ(t.decode(t.encode(s, false), false), s);
  }
  EXPECT_EQ(t.decode({266, 264, 268, 267}, false), "<|bos|>hello<|eot|>x<|eot|>");
  EXPECT_EQ(t.decode({266, 264, 268, 267}, true), "hello<|eot|>x");  // "<|eot|>x" is not special
  // A lone byte of a multi-byte character decodes to U+FFFD, as Rust's from_utf8_lossy.
  EXPECT_EQ(t.decode({195}, false), "\xEF\xBF\xBD");
  EXPECT_EQ(t.decode({97, 195}, false), "a\xEF\xBF\xBD");
}

TEST(TokenizerByteLevel, LookupsAndErrors) {
  const auto& t = byte_level();
  EXPECT_EQ(t.vocab_size(), 272);
  EXPECT_EQ(t.token_to_id("hello"), 264);
  EXPECT_EQ(t.token_to_id("<|eot|>"), 267);
  EXPECT_FALSE(t.token_to_id("nope").has_value());
  EXPECT_EQ(t.id_to_token(258), "\xC4\xA0the");  // "Ġthe"
  EXPECT_FALSE(t.id_to_token(5000).has_value());
  EXPECT_TRUE(t.is_special(267));
  EXPECT_FALSE(t.is_special(268));
  EXPECT_THROW(t.decode({5000}, false), moa::Error);
  EXPECT_THROW(t.encode("bad \xFF utf8", false), moa::Error);
}

TEST(TokenizerSentencePiece, PrependReplaceAndMerges) {
  const auto& t = spm();
  EXPECT_EQ(t.kind(), "sentencepiece_bpe");
  // "ab" -> "▁ab": a+b first (rank 0), then ▁+ab. A leading space gives "▁▁ab".
  EXPECT_EQ(t.encode("ab", true), (Ids{1, 265}));
  EXPECT_EQ(t.encode("ab ab", true), (Ids{1, 265, 265}));
  EXPECT_EQ(t.encode(" ab", true), (Ids{1, 259, 265}));
  EXPECT_EQ(t.encode("abcc", true), (Ids{1, 265, 266}));
  EXPECT_EQ(t.encode("  ", true), (Ids{1, 259, 259, 259}));
  EXPECT_EQ(t.encode("", true), (Ids{1}));
  EXPECT_EQ(t.bos_id(), 1);
  EXPECT_EQ(t.eos_id(), 2);
}

TEST(TokenizerSentencePiece, ByteFallback) {
  const auto& t = spm();
  // "é" is not in the vocabulary: its UTF-8 bytes <0xC3><0xA9>. So is "e" here.
  EXPECT_EQ(t.encode("a\xC3\xA9", false), (Ids{267, 198, 172}));
  EXPECT_EQ(t.encode("e\xE2\x82\xAC" "x", false), (Ids{259, 104, 229, 133, 175, 123}));
  EXPECT_EQ(t.decode({267, 198, 172}, false), "a\xC3\xA9");
  // Byte tokens that are not valid UTF-8 become one U+FFFD each.
  EXPECT_EQ(t.decode({267, 198}, false), "a\xEF\xBF\xBD");
  EXPECT_EQ(t.decode({267, 229, 133}, false), "a\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(TokenizerSentencePiece, SpecialTokensSplitBeforeNormalizing) {
  const auto& t = spm();
  // Each stretch between special tokens gets its own "▁" (the legacy Llama behaviour).
  EXPECT_EQ(t.encode("<s>ab</s> c", true), (Ids{1, 1, 265, 2, 259, 268}));
  EXPECT_EQ(t.decode({1, 1, 265, 2, 259, 268}, false), "<s><s> ab</s>  c");
  EXPECT_EQ(t.decode({1, 1, 265, 2, 259, 268}, true), "ab  c");
  // The Strip decoder removes one leading space only.
  EXPECT_EQ(t.decode(t.encode(" ab", false), false), " ab");
}

TEST(TokenizerSentencePiece, UnknownTokensFuse) {
  json j = fixture("spm_tiny.json");
  j["model"]["byte_fallback"] = false;
  const auto t = moa::Tokenizer::from_json(j.dump(), "no_fallback.json");
  // Without byte fallback "é€" is two unknown characters, fused into one <unk>.
  EXPECT_EQ(t.encode("a\xC3\xA9\xE2\x82\xAC" "a", false), (Ids{267, 0, 260}));
  j["model"]["fuse_unk"] = false;
  const auto t2 = moa::Tokenizer::from_json(j.dump(), "no_fuse.json");
  EXPECT_EQ(t2.encode("a\xC3\xA9\xE2\x82\xAC" "a", false), (Ids{267, 0, 0, 260}));
}

TEST(TokenizerErrors, FileProblemsNameTheFile) {
  try {
    moa::Tokenizer::from_file(kData / "does_not_exist.json");
    FAIL() << "no error";
  } catch (const moa::Error& e) {
    EXPECT_NE(std::string(e.what()).find("does_not_exist.json"), std::string::npos) << e.what();
  }
  try {
    moa::Tokenizer::from_json("{\"model\": ", "truncated.json");
    FAIL() << "no error";
  } catch (const moa::Error& e) {
    EXPECT_NE(std::string(e.what()).find("truncated.json: not valid JSON"), std::string::npos) << e.what();
  }
  try {  // JSON's grammar allows numbers no double holds: nlohmann throws out_of_range, not parse_error
    moa::Tokenizer::from_json("{\"model\": 47E49999}", "overflow.json");
    FAIL() << "no error";
  } catch (const moa::Error& e) {
    EXPECT_NE(std::string(e.what()).find("overflow.json: not valid JSON"), std::string::npos) << e.what();
  }
}

TEST(TokenizerErrors, MalformedOrUnsupportedFilesAreRefusedByName) {
  struct Case {
    const char* fixture;
    std::function<void(json&)> edit;
    const char* expected;  // part of the message
  };
  const std::vector<Case> cases = {
      {"spm_tiny.json", [](json& j) { j = json::array(); }, "not a JSON object"},
      {"spm_tiny.json", [](json& j) { j.erase("model"); }, "\"model\" is missing"},
      {"spm_tiny.json", [](json& j) { j["model"]["type"] = "Unigram"; }, "unsupported model type \"Unigram\""},
      {"spm_tiny.json", [](json& j) { j["model"]["dropout"] = 0.1; }, "dropout"},
      {"spm_tiny.json", [](json& j) { j["model"]["vocab"]["ab"] = "x"; }, "model.vocab[\"ab\"] is not an integer"},
      {"spm_tiny.json", [](json& j) { j["model"]["vocab"]["zz"] = 259; }, "id 259 is used by both"},
      {"spm_tiny.json", [](json& j) { j["model"]["vocab"]["zz"] = 1470000000; }, "id 1470000000 is far beyond the"},
      {"spm_tiny.json", [](json& j) { j["model"]["merges"].push_back("q r"); }, "model.merges[5] \"q r\": q is not in the vocabulary"},
      {"spm_tiny.json", [](json& j) { j["model"]["merges"].push_back("abc"); }, "not two tokens"},
      {"spm_tiny.json", [](json& j) { j["model"]["unk_token"] = "<nope>"; }, "unk_token"},
      {"spm_tiny.json", [](json& j) { j["normalizer"] = {{"type", "NFKC"}}; }, "unsupported normalizer type \"NFKC\""},
      {"spm_tiny.json", [](json& j) { j["decoder"]["decoders"][0] = {{"type", "Metaspace"}}; }, "decoder.decoders[0]: unsupported decoder type"},
      {"spm_tiny.json", [](json& j) { j["added_tokens"][1]["id"] = 5; }, "added_tokens[1]: \"<s>\" has id 5 but the vocabulary says 1"},
      {"spm_tiny.json", [](json& j) { j["added_tokens"][1].erase("content"); }, "added_tokens[1] has no \"content\""},
      {"spm_tiny.json", [](json& j) { j["post_processor"]["special_tokens"]["<s>"]["ids"] = {9999}; }, "special token id 9999"},
      {"spm_tiny.json", [](json& j) { j["post_processor"]["type"] = "BertProcessing"; }, "unsupported post_processor type"},
      {"bytelevel_tiny.json", [](json& j) { j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "\\s+"; }, "unsupported Split pattern"},
      {"bytelevel_tiny.json", [](json& j) { j["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Removed"; }, "unsupported Split behavior"},
      {"bytelevel_tiny.json", [](json& j) { j["pre_tokenizer"]["pretokenizers"][1]["use_regex"] = true; }, "use_regex=true"},
      {"bytelevel_tiny.json", [](json& j) { j["pre_tokenizer"] = {{"type", "Whitespace"}}; }, "unsupported pre_tokenizer type \"Whitespace\""},
      {"bytelevel_tiny.json", [](json& j) { j["added_tokens"][2]["id"] = 300; }, "but `tokenizers` would give it id 268"},
      {"bytelevel_tiny.json", [](json& j) { j["added_tokens"][3]["content"] = "<|bos|>"; }, "added twice"},
  };
  for (const Case& c : cases) {
    json j = fixture(c.fixture);
    c.edit(j);
    const std::string message = load_error(j);
    EXPECT_EQ(message.rfind("bad.json: ", 0), 0u) << "expected an error naming the file for: " << c.expected << ", got: " << message;
    EXPECT_NE(message.find(c.expected), std::string::npos) << "message: " << message;
  }
}

TEST(ChatTemplates, VicunaV11) {
  EXPECT_EQ(moa::chat_vicuna_v1_1("What is 2+2?"),
            "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, "
            "detailed, and polite answers to the user's questions. USER: What is 2+2? ASSISTANT:");
  EXPECT_EQ(moa::apply_chat_template(moa::ChatTemplate::vicuna_v1_1, "x"), moa::chat_vicuna_v1_1("x"));
}

TEST(ChatTemplates, Llama3Instruct) {
  EXPECT_EQ(moa::chat_llama3_instruct("Hi"),
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(moa::apply_chat_template(moa::chat_template_from_name("llama3"), "Hi"), moa::chat_llama3_instruct("Hi"));
  EXPECT_EQ(moa::apply_chat_template(moa::ChatTemplate::none, "Hi"), "Hi");
  EXPECT_THROW(moa::chat_template_from_name("chatml"), moa::Error);
}

TEST(ChatTemplates, SpecialTokensOfTheTemplateAreSplitOut) {
  // The Vicuna template through a SentencePiece tokenizer: text, no stray specials; BOS from
  // the post-processor. Special-token text inside a prompt is still a special token.
  const auto ids = spm().encode(moa::chat_vicuna_v1_1("ab</s>"), true);
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids.front(), 1);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 2), 1);
}

}  // namespace
