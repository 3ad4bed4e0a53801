// LongEval line retrieval: generation, jsonl in/out (LongChat's own format), scoring.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/data/longeval.h"
#include "core/data/rng.h"
#include "core/data/retrieval_score.h"
#include "core/util/error.h"

namespace {

using namespace moa;

std::vector<std::string> record_lines(const std::string& prompt) {
  std::vector<std::string> out;
  std::istringstream in(prompt);
  for (std::string l; std::getline(in, l);)
    if (l.rfind("line ", 0) == 0) out.push_back(l + "\n");
  return out;
}

std::filesystem::path temp_file(const std::string& name, const std::string& text) {
  auto p = std::filesystem::temp_directory_path() / ("moa_test_longeval_" + name);
  std::ofstream(p) << text;
  return p;
}

size_t bytes_counter(const std::string& s) { return s.size(); }

TEST(Rng, StreamIsXoshiro256StarStarSeededBySplitmix64) {
  // Reference values of xoshiro256** whose state is four splitmix64 outputs from seed 0: data
  // sets made from a seed are the same on every platform and standard library.
  Rng rng(0);
  EXPECT_EQ(rng.next(), 0x99ec5f36cb75f2b4ull);
  EXPECT_EQ(rng.next(), 0xbf6e1f784956452aull);
  EXPECT_EQ(rng.next(), 0x1a5f849d4933e6e0ull);
  for (int i = 0; i < 1000; ++i) {
    const auto v = rng.uniform_int(1, 50000);
    ASSERT_GE(v, 1);
    ASSERT_LE(v, 50000);
  }
}

TEST(LongEvalGenerate, SameSeedSameSampleOtherSeedOther) {
  LongEvalSpec spec;
  spec.num_lines = 50;
  spec.seed = 42;
  const auto a = longeval_generate(spec), b = longeval_generate(spec);
  EXPECT_EQ(a.prompt, b.prompt);
  EXPECT_EQ(a.expected_number, b.expected_number);
  spec.seed = 43;
  EXPECT_NE(longeval_generate(spec).prompt, a.prompt);
}

TEST(LongEvalGenerate, SeedGivesThePinnedSample) {
  // Pinned once: a change to the word lists or to the draw order changes every data set made
  // from a seed, and must be deliberate.
  LongEvalSpec spec;
  spec.num_lines = 3;
  spec.seed = 2026;
  auto s = longeval_generate(spec);
  EXPECT_EQ(s.correct_line, "line peaceful-engine: REGISTER_CONTENT is <9337>\n");
  spec.keys = KeyStyle::PseudoWord;
  s = longeval_generate(spec);
  EXPECT_EQ(s.correct_line, "line pusili-tradex: REGISTER_CONTENT is <16297>\n");
}

TEST(LongEvalGenerate, PromptHasLongChatHeaderLinesAndQuestion) {
  LongEvalSpec spec;
  spec.num_lines = 20;
  spec.seed = 1;
  const auto s = longeval_generate(spec);
  const std::string header =
      "Below is a record of lines I want you to remember. Each line begins with 'line <line index>' and "
      "contains a '<REGISTER_CONTENT>' at the end of the line as a numerical value. For each line index, "
      "memorize its corresponding <REGISTER_CONTENT>. At the end of the record, I will ask you to retrieve "
      "the corresponding <REGISTER_CONTENT> of a certain line index. Now the record start:\n\n";
  ASSERT_EQ(s.prompt.substr(0, header.size()), header);
  const std::string question = "Now the record is over. Tell me what is the <REGISTER_CONTENT> in line " + s.key +
                               "? I need the number.";
  ASSERT_GE(s.prompt.size(), question.size());
  EXPECT_EQ(s.prompt.substr(s.prompt.size() - question.size()), question);
  std::string body;
  for (const auto& l : record_lines(s.prompt)) body += l;
  EXPECT_EQ(header + body + question, s.prompt);
  for (const auto& l : record_lines(s.prompt)) {
    const auto lt = l.find(": REGISTER_CONTENT is <");
    ASSERT_NE(lt, std::string::npos) << l;
    const std::string key = l.substr(5, lt - 5);
    EXPECT_EQ(std::count(key.begin(), key.end(), '-'), 1) << key;
    const long long v = std::stoll(l.substr(lt + 23));
    EXPECT_GE(v, 1);
    EXPECT_LE(v, 50000);
    EXPECT_EQ(l.substr(l.size() - 2), ">\n");
  }
}

TEST(LongEvalGenerate, KeysUniqueWithinPrompt) {
  for (KeyStyle style : {KeyStyle::AdjectiveNoun, KeyStyle::PseudoWord}) {
    LongEvalSpec spec;
    spec.num_lines = 3000;  // ~3% of the adjective-noun pairs: collisions are certain to be drawn
    spec.seed = 9;
    spec.keys = style;
    const auto lines = record_lines(longeval_generate(spec).prompt);
    ASSERT_EQ(lines.size(), 3000u);
    std::set<std::string> keys;
    for (const auto& l : lines) keys.insert(l.substr(0, l.find(':')));
    EXPECT_EQ(keys.size(), lines.size());
  }
}

TEST(LongEvalGenerate, AskedLineSitsExactlyAtTheDepth) {
  EXPECT_EQ(longeval_line_at_depth(11, 0.0), 0);
  EXPECT_EQ(longeval_line_at_depth(11, 0.3), 3);
  EXPECT_EQ(longeval_line_at_depth(11, 1.0), 10);
  EXPECT_EQ(longeval_line_at_depth(101, 0.25), 25);
  EXPECT_EQ(longeval_line_at_depth(1, 0.7), 0);
  EXPECT_THROW(longeval_line_at_depth(10, 1.5), Error);
  for (double depth : {0.0, 0.3, 0.5, 1.0}) {
    LongEvalSpec spec;
    spec.num_lines = 11;
    spec.depth = depth;
    spec.seed = 5;
    const auto s = longeval_generate(spec);
    const auto lines = record_lines(s.prompt);
    EXPECT_EQ(s.line_index, longeval_line_at_depth(11, depth));
    EXPECT_EQ(lines[static_cast<size_t>(s.line_index)], s.correct_line);
    EXPECT_EQ(s.correct_line, longeval_line(s.key, s.expected_number));
    EXPECT_DOUBLE_EQ(longeval_depth(s), s.line_index / 10.0);
  }
}

TEST(LongEvalGenerate, LinesArePrefixStableAcrossLengths) {
  LongEvalSpec spec;
  spec.seed = 3;
  spec.num_lines = 10;
  const auto short_lines = record_lines(longeval_generate(spec).prompt);
  spec.num_lines = 30;
  const auto long_lines = record_lines(longeval_generate(spec).prompt);
  EXPECT_TRUE(std::equal(short_lines.begin(), short_lines.end(), long_lines.begin()));
}

TEST(LongEvalGenerate, ByTokenLengthFillsTheBudget) {
  LongEvalSpec spec;
  spec.target_tokens = 4000;
  spec.depth = 0.8;
  spec.seed = 11;
  const auto s = longeval_generate(spec, bytes_counter);
  EXPECT_EQ(s.target_tokens, 4000u);
  EXPECT_EQ(s.num_tokens, s.prompt.size());
  EXPECT_LE(s.num_tokens, 4000u);
  EXPECT_GT(s.num_tokens, 4000u - 64);  // one more line would not have fit
  EXPECT_THROW(longeval_generate(spec), Error);  // no counter
  // Few tokenizer calls (a real tokenizer on a long prompt is slow), and the reserve is kept free.
  int calls = 0;
  spec.target_tokens = 32768;
  spec.reserve_tokens = 100;
  const auto big = longeval_generate(spec, [&](const std::string& p) { return ++calls, p.size(); });
  EXPECT_LE(calls, 16);
  EXPECT_LE(big.num_tokens, 32668u);
  EXPECT_GT(big.num_tokens, 32668u - 64);
  EXPECT_EQ(big.target_tokens, 32768u);
  spec.reserve_tokens = 0;
  spec.target_tokens = 100;
  EXPECT_THROW(longeval_generate(spec, bytes_counter), Error);  // not even the header fits
}

TEST(LongEvalGenerate, SetCoversLevelsDepthsRepeats) {
  LongEvalSetSpec spec;
  spec.lines = {10, 20};
  spec.depths = {0.0, 0.5, 1.0};
  spec.per_depth = 2;
  spec.seed = 1;
  const auto set = longeval_generate_set(spec);
  ASSERT_EQ(set.size(), 12u);
  EXPECT_EQ(set[0].num_lines, 10);
  EXPECT_EQ(set[11].num_lines, 20);
  EXPECT_EQ(set[11].line_index, 19);
  EXPECT_NE(set[0].prompt, set[1].prompt);
  // A level's samples do not depend on the other levels in the list.
  spec.lines = {20};
  EXPECT_EQ(longeval_generate_set(spec)[0].prompt, set[6].prompt);
}

TEST(LongEvalJsonl, ReadsLongChatFileAsItIs) {
  const auto samples = longeval_read_jsonl(std::string(MOA_TEST_DATA_DIR) + "/longeval_longchat.jsonl");
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].key, "gusty-lantern");
  EXPECT_EQ(samples[0].line_index, 2);
  EXPECT_EQ(samples[0].expected_number, 4711);
  EXPECT_EQ(samples[0].num_lines, 4);
  EXPECT_EQ(samples[0].correct_line, "line gusty-lantern: REGISTER_CONTENT is <4711>\n");
  EXPECT_EQ(record_lines(samples[0].prompt)[2], samples[0].correct_line);
  EXPECT_DOUBLE_EQ(longeval_depth(samples[0]), 2.0 / 3.0);
  EXPECT_EQ(samples[1].key, "3");  // numbered-lines variant: integer key
  EXPECT_EQ(samples[1].expected_number, 25);
}

TEST(LongEvalJsonl, WriteThenReadGivesTheSamples) {
  LongEvalSpec spec;
  spec.target_tokens = 1500;
  spec.seed = 2;
  std::vector<LongEvalSample> in = {longeval_generate(spec, bytes_counter)};
  spec.target_tokens = 0;
  spec.num_lines = 7;
  in.push_back(longeval_generate(spec));
  const auto path = std::filesystem::temp_directory_path() / "moa_test_longeval_roundtrip.jsonl";
  longeval_write_jsonl(path, in);
  const auto out = longeval_read_jsonl(path);
  ASSERT_EQ(out.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(out[i].prompt, in[i].prompt);
    EXPECT_EQ(out[i].key, in[i].key);
    EXPECT_EQ(out[i].line_index, in[i].line_index);
    EXPECT_EQ(out[i].expected_number, in[i].expected_number);
    EXPECT_EQ(out[i].target_tokens, in[i].target_tokens);
    EXPECT_EQ(out[i].num_tokens, in[i].num_tokens);
  }
  // Our file keeps LongChat's field names and shape.
  const auto j = nlohmann::json::parse(longeval_format_line(in[1]));
  EXPECT_TRUE(j["random_idx"].is_array());
  EXPECT_EQ(j["random_idx"][0], in[1].key);
  std::filesystem::remove(path);
}

// The message longeval_read_jsonl refuses `path` with ("" when it reads it).
std::string read_error(const std::filesystem::path& path) {
  try {
    longeval_read_jsonl(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(LongEvalJsonl, MissingFieldNamesFileLineAndField) {
  const auto path = temp_file("missing.jsonl",
                              R"({"random_idx": ["a-b", 0], "expected_number": 1, "num_lines": 1, "correct_line": "x", "prompt": "p"})"
                              "\n"
                              R"({"random_idx": ["a-b", 0], "num_lines": 1, "correct_line": "x", "prompt": "p"})"
                              "\n");
  try {
    longeval_read_jsonl(path);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("line 2"), std::string::npos) << msg;
    EXPECT_NE(msg.find("expected_number"), std::string::npos) << msg;
  }
  const auto bad_idx = temp_file("badidx.jsonl",
                                 R"({"random_idx": ["a-b", 5], "expected_number": 1, "num_lines": 2, "correct_line": "x", "prompt": "p"})");
  EXPECT_THROW(longeval_read_jsonl(bad_idx), Error);
  // 2^32 + 1 lines and index 2^32 are refused, not wrapped to 1 and 0.
  const auto wrap = temp_file("wrap.jsonl",
                              R"({"random_idx": ["a-b", 4294967296], "expected_number": 1, "num_lines": 4294967297, "correct_line": "x", "prompt": "p"})");
  EXPECT_NE(read_error(wrap).find("num_lines"), std::string::npos) << read_error(wrap);
  std::filesystem::remove(wrap);
  // A number no double holds (found by tests/fuzz/fuzz_data.cpp): an error naming the line, not a crash.
  const auto overflow = temp_file("overflow.jsonl",
                                  R"({"random_idx": ["a-b", 0], "expected_number": 47E49999, "num_lines": 1, "correct_line": "x", "prompt": "p"})");
  EXPECT_NE(read_error(overflow).find("not valid JSON"), std::string::npos) << read_error(overflow);
  std::filesystem::remove(overflow);
  std::filesystem::remove(path);
  std::filesystem::remove(bad_idx);
}

TEST(RetrievalScore, LastIntegerDecides) {
  EXPECT_TRUE(longeval_correct("The number is 123.", 123));
  EXPECT_TRUE(longeval_correct("12, no 34", 34));
  EXPECT_FALSE(longeval_correct("12, no 34", 12));
  EXPECT_FALSE(longeval_correct("I don't know.", 5));
  EXPECT_FALSE(longeval_correct("", 5));
  EXPECT_TRUE(longeval_correct(" 00042\n", 42));
  EXPECT_FALSE(longeval_correct("99999999999999999999999999", 5));  // too long: wrong, not an overflow
  EXPECT_EQ(last_integer("line 7: <31>"), "31");
  EXPECT_EQ(last_integer("000"), "0");
  EXPECT_FALSE(last_integer("none").has_value());
}

TEST(RetrievalScore, AccuracyByLevelAndDepthDecile) {
  EXPECT_EQ(depth_decile(0.0), 0);
  EXPECT_EQ(depth_decile(0.3), 3);
  EXPECT_EQ(depth_decile(0.95), 9);
  EXPECT_EQ(depth_decile(1.0), 9);
  EXPECT_EQ(token_bucket(3000), 4096u);
  EXPECT_EQ(token_bucket(100), 256u);

  LongEvalSetSpec spec;
  spec.lines = {10, 20};
  spec.depths = {0.0, 1.0};
  const auto samples = longeval_generate_set(spec);
  std::vector<std::string> answers;
  for (const auto& s : samples) answers.push_back("It is " + std::to_string(s.expected_number) + ".");
  answers[3] = "no idea";  // 20 lines, depth 1
  const auto r = retrieval_score(samples, answers, LevelBy::Lines);
  EXPECT_EQ(r.overall.total, 4);
  EXPECT_EQ(r.overall.correct, 3);
  EXPECT_DOUBLE_EQ(r.by_level.at(10).accuracy(), 1.0);
  EXPECT_DOUBLE_EQ(r.by_level.at(20).accuracy(), 0.5);
  EXPECT_EQ(r.by_depth[9].total, 2);
  EXPECT_EQ(r.by_depth[9].correct, 1);
  EXPECT_EQ(r.by_level_depth.at(20)[9].correct, 0);
  EXPECT_THROW(retrieval_score(samples, {"1"}, LevelBy::Lines), Error);
  EXPECT_THROW(retrieval_score(samples, answers, LevelBy::Tokens), Error);  // no token lengths

  const auto j = retrieval_report_to_json(r);
  EXPECT_DOUBLE_EQ(j["overall"]["accuracy"].get<double>(), 0.75);
  const auto back = retrieval_report_from_json(nlohmann::json::parse(j.dump()));
  EXPECT_EQ(back.by_level.at(20).correct, 1);
  EXPECT_EQ(back.by_level_depth.at(20)[9].total, 1);
  EXPECT_EQ(back.by_depth[0].correct, 2);
}

TEST(RetrievalScore, AnswersFileByIndexOrOrder) {
  const auto ordered = temp_file("answers.jsonl", "{\"answer\": \"7\"}\n{\"output\": \"8\"}\n");
  EXPECT_EQ(longeval_read_answers(ordered, 2), (std::vector<std::string>{"7", "8"}));
  const auto indexed = temp_file("answers_idx.jsonl", "{\"index\": 1, \"answer\": \"b\"}\n{\"index\": 0, \"answer\": \"a\"}\n");
  EXPECT_EQ(longeval_read_answers(indexed, 2), (std::vector<std::string>{"a", "b"}));
  EXPECT_THROW(longeval_read_answers(indexed, 3), Error);  // sample 2 unanswered
  const auto overflow = temp_file("answers_overflow.jsonl", "{\"index\": 1E99999, \"answer\": \"b\"}\n");
  EXPECT_THROW(longeval_read_answers(overflow, 1), Error);  // an error, not an escaping json exception
  std::filesystem::remove(overflow);
  std::filesystem::remove(ordered);
  std::filesystem::remove(indexed);
}

}  // namespace
