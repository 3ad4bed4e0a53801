#include "core/data/retrieval_score.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/json_read.h"

namespace moa {
namespace {

nlohmann::json cell_json(const AccuracyCell& c) {
  return {{"total", c.total}, {"correct", c.correct}, {"accuracy", c.accuracy()}};
}

AccuracyCell cell_from(const nlohmann::json& j) {
  AccuracyCell c;
  c.total = j.at("total").get<long long>();
  c.correct = j.at("correct").get<long long>();
  return c;
}

}  // namespace

std::optional<std::string> last_integer(std::string_view text) {
  size_t end = text.size();
  while (end > 0 && !(text[end - 1] >= '0' && text[end - 1] <= '9')) --end;
  if (end == 0) return std::nullopt;
  size_t begin = end;
  while (begin > 0 && text[begin - 1] >= '0' && text[begin - 1] <= '9') --begin;
  while (begin + 1 < end && text[begin] == '0') ++begin;
  return std::string(text.substr(begin, end - begin));
}

bool longeval_correct(std::string_view answer, long long expected_number) {
  // Compare digit strings, so an overlong number in the answer is simply wrong, never an overflow.
  const auto got = last_integer(answer);
  return got && expected_number >= 0 && *got == std::to_string(expected_number);
}

size_t token_bucket(size_t num_tokens) {
  size_t b = 256;
  while (b < num_tokens) b *= 2;
  return b;
}

long long longeval_level(const LongEvalSample& s, LevelBy by) {
  if (by == LevelBy::Lines) return s.num_lines;
  if (s.target_tokens) return static_cast<long long>(s.target_tokens);
  if (!s.num_tokens) throw Error("retrieval score: a sample has no token length; score by lines or regenerate with a tokenizer");
  return static_cast<long long>(token_bucket(s.num_tokens));
}

int depth_decile(double depth) {
  if (depth <= 0.0) return 0;
  // The epsilon keeps 0.3 (= 3/10, stored as 0.29999...) in decile 3 whatever its rounding.
  int d = static_cast<int>(depth * 10.0 + 1e-9);
  return d > 9 ? 9 : d;
}

void retrieval_add(RetrievalReport& report, const LongEvalSample& sample, bool correct) {
  const long long level = longeval_level(sample, report.level_by);
  const int decile = depth_decile(longeval_depth(sample));
  for (AccuracyCell* c : {&report.overall, &report.by_level[level], &report.by_depth[decile],
                          &report.by_level_depth[level][decile]}) {
    c->total += 1;
    c->correct += correct ? 1 : 0;
  }
}

RetrievalReport retrieval_score(const std::vector<LongEvalSample>& samples, const std::vector<std::string>& answers,
                                LevelBy by) {
  if (samples.size() != answers.size())
    throw Error("retrieval score: " + std::to_string(samples.size()) + " samples but " +
                std::to_string(answers.size()) + " answers");
  RetrievalReport r;
  r.level_by = by;
  for (size_t i = 0; i < samples.size(); ++i)
    retrieval_add(r, samples[i], longeval_correct(answers[i], samples[i].expected_number));
  return r;
}

nlohmann::json retrieval_report_to_json(const RetrievalReport& report) {
  nlohmann::json j;
  j["level_by"] = report.level_by == LevelBy::Lines ? "lines" : "tokens";
  j["overall"] = cell_json(report.overall);
  j["by_level"] = nlohmann::json::array();
  for (const auto& [level, c] : report.by_level) {
    auto e = cell_json(c);
    e["level"] = level;
    j["by_level"].push_back(e);
  }
  j["by_depth_decile"] = nlohmann::json::array();
  for (const auto& c : report.by_depth) j["by_depth_decile"].push_back(cell_json(c));
  j["by_level_depth"] = nlohmann::json::array();
  for (const auto& [level, cells] : report.by_level_depth) {
    nlohmann::json row = {{"level", level}, {"deciles", nlohmann::json::array()}};
    for (const auto& c : cells) row["deciles"].push_back(cell_json(c));
    j["by_level_depth"].push_back(row);
  }
  return j;
}

RetrievalReport retrieval_report_from_json(const nlohmann::json& j) {
  try {
    RetrievalReport r;
    const std::string by = j.at("level_by").get<std::string>();
    if (by != "lines" && by != "tokens") throw Error("level_by must be 'lines' or 'tokens'");
    r.level_by = by == "lines" ? LevelBy::Lines : LevelBy::Tokens;
    r.overall = cell_from(j.at("overall"));
    for (const auto& e : j.at("by_level")) r.by_level[e.at("level").get<long long>()] = cell_from(e);
    const auto& deciles = j.at("by_depth_decile");
    if (deciles.size() != 10) throw Error("by_depth_decile must have 10 cells");
    for (size_t i = 0; i < 10; ++i) r.by_depth[i] = cell_from(deciles[i]);
    for (const auto& row : j.at("by_level_depth")) {
      auto& cells = r.by_level_depth[row.at("level").get<long long>()];
      const auto& d = row.at("deciles");
      if (d.size() != 10) throw Error("by_level_depth rows must have 10 cells");
      for (size_t i = 0; i < 10; ++i) cells[i] = cell_from(d[i]);
    }
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("retrieval report: ") + e.what());
  }
}

std::vector<std::string> longeval_read_answers(const std::filesystem::path& path, size_t num_samples) {
  const std::string text = read_text_file(path);
  std::vector<std::string> out(num_samples);
  std::vector<bool> seen(num_samples, false);
  std::istringstream in(text);
  size_t line_no = 0, next = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = "line " + std::to_string(line_no) + ": ";
    const nlohmann::json j = json_parse_or_fail(line, path.string(), line_no);
    const nlohmann::json* answer = nullptr;
    for (const char* field : {"answer", "output", "response", "pred"})
      if (j.is_object() && j.contains(field) && j[field].is_string()) {
        answer = &j[field];
        break;
      }
    if (!answer) fail_file(path.string(), where + "missing field 'answer' (a string)");
    size_t index = next;
    if (j.contains("index")) {
      if (!j["index"].is_number_unsigned()) fail_file(path.string(), where + "field 'index' must be a non-negative integer");
      index = j["index"].get<size_t>();
    }
    if (index >= num_samples)
      fail_file(path.string(), where + "answer for sample " + std::to_string(index) + " but the data has " +
                                   std::to_string(num_samples) + " samples");
    if (seen[index]) fail_file(path.string(), where + "a second answer for sample " + std::to_string(index));
    seen[index] = true;
    out[index] = answer->get<std::string>();
    next = index + 1;
  }
  for (size_t i = 0; i < num_samples; ++i)
    if (!seen[i]) fail_file(path.string(), "no answer for sample " + std::to_string(i));
  return out;
}

}  // namespace moa
