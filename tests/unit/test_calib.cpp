// Calibration records: jsonl in/out, middle truncation, prompt assembly.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <numeric>

#include "core/data/calib.h"
#include "core/util/error.h"

namespace {

using namespace moa;

std::vector<int32_t> iota_ids(int n, int32_t start = 0) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), start);
  return v;
}

std::filesystem::path temp_file(const std::string& name, const std::string& text) {
  auto p = std::filesystem::temp_directory_path() / ("moa_test_calib_" + name);
  std::ofstream(p) << text;
  return p;
}

TEST(MiddleTruncate, KeepsHeadAndTailExactly) {
  const auto ids = iota_ids(10);
  EXPECT_EQ(middle_truncate(ids, 5), (std::vector<int32_t>{0, 1, 2, 8, 9}));
  EXPECT_EQ(middle_truncate(ids, 4), (std::vector<int32_t>{0, 1, 8, 9}));
  EXPECT_EQ(middle_truncate(ids, 1), (std::vector<int32_t>{0}));
  EXPECT_TRUE(middle_truncate(ids, 0).empty());
  EXPECT_EQ(middle_truncate(ids, 10), ids);
  EXPECT_EQ(middle_truncate(ids, 50), ids);
}

TEST(CalibAssemble, FitsMaxLenAndSpansTheAnswer) {
  const std::vector<int32_t> bos = {1};
  const auto context = iota_ids(100, 1000);
  const std::vector<int32_t> question = {7, 8, 9}, answer = {40, 41};
  const auto s = calib_assemble(bos, context, question, answer, 20);
  ASSERT_EQ(s.input_ids.size(), 20u);
  EXPECT_EQ(s.context_dropped, 86u);  // 20 - 1 - 3 - 2 = 14 context tokens kept
  EXPECT_EQ(s.answer_begin, 18u);
  EXPECT_EQ(s.answer_end, 20u);
  EXPECT_EQ(std::vector<int32_t>(s.input_ids.begin() + 18, s.input_ids.end()), answer);
  EXPECT_EQ(s.input_ids[0], 1);
  EXPECT_EQ(s.input_ids[1], 1000);   // context head
  EXPECT_EQ(s.input_ids[7], 1006);   // 7 head tokens
  EXPECT_EQ(s.input_ids[8], 1093);   // then the last 7
  EXPECT_EQ(s.input_ids[14], 1099);
  EXPECT_EQ(s.input_ids[15], 7);
  // Short contexts are kept whole.
  const auto whole = calib_assemble(bos, iota_ids(5), question, answer, 64);
  EXPECT_EQ(whole.input_ids.size(), 11u);
  EXPECT_EQ(whole.context_dropped, 0u);
  EXPECT_THROW(calib_assemble(bos, context, question, answer, 5), Error);
  EXPECT_THROW(calib_assemble(bos, context, question, {}, 50), Error);
}

TEST(CalibPrompt, SeparatorOnlyWhenContextLacksNewline) {
  EXPECT_EQ(calib_prompt("some text", "Why?"), "some text\nWhy?");
  EXPECT_EQ(calib_prompt("line a: x\n", "Why?"), "line a: x\nWhy?");
  EXPECT_EQ(calib_prompt("", "Why?"), "Why?");
}

TEST(CalibJsonl, WriteThenRead) {
  CalibRecord a;
  a.context = "A long document.";
  a.question = "What is it?";
  a.answer = "A document.";
  a.length = 2048;
  a.input_ids = {1, 5, 6, 7, 8};
  a.answer_span = std::make_pair(size_t{3}, size_t{5});
  CalibRecord b;
  b.context = "ctx";
  b.question = "q";
  b.answer = "ans";
  const auto path = std::filesystem::temp_directory_path() / "moa_test_calib_roundtrip.jsonl";
  calib_write_jsonl(path, {a, b});
  const auto out = calib_read_jsonl(path);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].context, a.context);
  EXPECT_EQ(out[0].answer, a.answer);
  EXPECT_EQ(out[0].length, 2048);
  EXPECT_EQ(out[0].input_ids, a.input_ids);
  EXPECT_EQ(out[0].answer_span, a.answer_span);
  EXPECT_FALSE(out[1].length.has_value());
  EXPECT_TRUE(out[1].input_ids.empty());
  EXPECT_FALSE(out[1].answer_span.has_value());
  std::filesystem::remove(path);
}

TEST(CalibJsonl, ErrorsNameFileLineAndField) {
  const auto no_answer = temp_file("noanswer.jsonl", "{\"context\": \"c\", \"question\": \"q\", \"extra\": 1}\n");
  try {
    calib_read_jsonl(no_answer);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(no_answer.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("line 1"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'answer'"), std::string::npos) << msg;
  }
  // Builder input: documents with questions, the model writes the answers.
  CalibReadOptions input;
  input.require_answer = false;
  EXPECT_EQ(calib_read_jsonl(no_answer, input).at(0).answer, "");

  const auto bad_span = temp_file("badspan.jsonl",
                                  "{\"context\": \"c\", \"question\": \"q\", \"answer\": \"a\", \"input_ids\": [1, 2], "
                                  "\"answer_span\": [1, 3]}\n");
  EXPECT_THROW(calib_read_jsonl(bad_span), Error);
  const auto bad_ids = temp_file("badids.jsonl",
                                 "{\"context\": \"c\", \"question\": \"q\", \"answer\": \"a\", \"input_ids\": [1, -2]}\n");
  EXPECT_THROW(calib_read_jsonl(bad_ids), Error);
  const auto not_json = temp_file("notjson.jsonl", "{\"context\": \n");
  EXPECT_THROW(calib_read_jsonl(not_json), Error);
  // A number no double holds (found by tests/fuzz/fuzz_data.cpp): an error naming the line, not a crash.
  const auto overflow = temp_file("overflow.jsonl", "{\"context\": \"c\", \"question\": \"q\", \"answer\": \"a\", \"length\": 47E49999}\n");
  try {
    calib_read_jsonl(overflow);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 1"), std::string::npos) << e.what();
  }
  for (const auto& p : {no_answer, bad_span, bad_ids, not_json, overflow}) std::filesystem::remove(p);
}

}  // namespace
