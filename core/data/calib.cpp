#include "core/data/calib.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/json_read.h"

namespace moa {
namespace {

[[noreturn]] void fail_at(const std::string& file, size_t line_no, const std::string& problem) {
  fail_file(file, "line " + std::to_string(line_no) + ": " + problem);
}

std::string string_field(const nlohmann::json& j, const char* field, bool required, const std::string& file,
                         size_t line_no) {
  auto it = j.find(field);
  if (it == j.end()) {
    if (required) fail_at(file, line_no, std::string("missing required field '") + field + "'");
    return {};
  }
  if (!it->is_string()) fail_at(file, line_no, std::string("field '") + field + "' must be a string");
  return it->get<std::string>();
}

}  // namespace

void calib_validate(const CalibRecord& r, const std::string& where) {
  if (r.length && *r.length <= 0) throw Error(where + "length must be positive");
  if (!r.answer_span) return;
  const auto [start, end] = *r.answer_span;
  if (r.input_ids.empty()) throw Error(where + "answer_span needs input_ids");
  if (start >= end) throw Error(where + "answer_span [" + std::to_string(start) + ", " + std::to_string(end) + ") is empty");
  if (end > r.input_ids.size())
    throw Error(where + "answer_span end " + std::to_string(end) + " is past input_ids (" +
                std::to_string(r.input_ids.size()) + " tokens)");
}

CalibRecord calib_parse_line(std::string_view json_line, const std::string& file, size_t line_no,
                             const CalibReadOptions& options) {
  const nlohmann::json j = json_parse_or_fail(json_line, file, line_no);
  if (!j.is_object()) fail_at(file, line_no, "expected a JSON object");
  CalibRecord r;
  r.context = string_field(j, "context", true, file, line_no);
  r.question = string_field(j, "question", true, file, line_no);
  r.answer = string_field(j, "answer", options.require_answer, file, line_no);
  if (auto it = j.find("length"); it != j.end()) {
    if (!it->is_number_integer()) fail_at(file, line_no, "field 'length' must be an integer");
    r.length = it->get<long long>();
  }
  if (auto it = j.find("input_ids"); it != j.end()) {
    if (!it->is_array()) fail_at(file, line_no, "field 'input_ids' must be an array of token ids");
    r.input_ids.reserve(it->size());
    for (const auto& v : *it) {
      if (!v.is_number_integer() || v.get<long long>() < 0 || v.get<long long>() > INT32_MAX)
        fail_at(file, line_no, "field 'input_ids' holds " + v.dump() + ", not a token id");
      r.input_ids.push_back(v.get<int32_t>());
    }
  }
  if (auto it = j.find("answer_span"); it != j.end()) {
    if (!it->is_array() || it->size() != 2 || !(*it)[0].is_number_unsigned() || !(*it)[1].is_number_unsigned())
      fail_at(file, line_no, "field 'answer_span' must be [start, end) token positions");
    r.answer_span = std::make_pair((*it)[0].get<size_t>(), (*it)[1].get<size_t>());
  }
  calib_validate(r, file + ": line " + std::to_string(line_no) + ": ");
  return r;
}

std::string calib_format_line(const CalibRecord& r) {
  calib_validate(r, "calibration record: ");
  nlohmann::ordered_json j;
  j["context"] = r.context;
  j["question"] = r.question;
  j["answer"] = r.answer;
  if (r.length) j["length"] = *r.length;
  if (!r.input_ids.empty()) j["input_ids"] = r.input_ids;
  if (r.answer_span) j["answer_span"] = {r.answer_span->first, r.answer_span->second};
  // A model's answer is bytes it chose and may not be valid UTF-8 (a byte-level model): the
  // text field gets U+FFFD there; the tokens the profiler uses are input_ids, exact.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::vector<CalibRecord> calib_read_jsonl(const std::filesystem::path& path, const CalibReadOptions& options) {
  const std::string text = read_text_file(path);
  std::vector<CalibRecord> out;
  std::istringstream in(text);
  size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    out.push_back(calib_parse_line(line, path.string(), line_no, options));
  }
  if (out.empty()) fail_file(path.string(), "no calibration records");
  return out;
}

void calib_write_jsonl(const std::filesystem::path& path, const std::vector<CalibRecord>& records) {
  std::string text;
  for (const auto& r : records) {
    text += calib_format_line(r);
    text += '\n';
  }
  write_file_atomic(path, text);
}

std::string_view calib_separator(std::string_view context) {
  return context.empty() || context.back() == '\n' ? std::string_view() : std::string_view("\n");
}

std::string calib_prompt(std::string_view context, std::string_view question) {
  std::string out(context);
  out += calib_separator(context);
  out += question;
  return out;
}

std::vector<int32_t> middle_truncate(const std::vector<int32_t>& ids, size_t budget) {
  if (ids.size() <= budget) return ids;
  const size_t tail = budget / 2;
  const size_t head = budget - tail;
  std::vector<int32_t> out;
  out.reserve(budget);
  out.insert(out.end(), ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(head));
  out.insert(out.end(), ids.end() - static_cast<std::ptrdiff_t>(tail), ids.end());
  return out;
}

CalibSequence calib_assemble(const std::vector<int32_t>& prefix, const std::vector<int32_t>& context,
                             const std::vector<int32_t>& question, const std::vector<int32_t>& answer,
                             size_t max_len) {
  if (answer.empty()) throw Error("calibration record: the answer has no tokens");
  const size_t fixed = prefix.size() + question.size() + answer.size();
  if (fixed > max_len)
    throw Error("calibration record: question and answer take " + std::to_string(fixed) + " tokens, more than the " +
                std::to_string(max_len) + "-token length");
  const std::vector<int32_t> kept = middle_truncate(context, max_len - fixed);
  CalibSequence s;
  s.context_dropped = context.size() - kept.size();
  s.input_ids.reserve(fixed + kept.size());
  for (const auto* part : {&prefix, &kept, &question}) s.input_ids.insert(s.input_ids.end(), part->begin(), part->end());
  s.answer_begin = s.input_ids.size();
  s.input_ids.insert(s.input_ids.end(), answer.begin(), answer.end());
  s.answer_end = s.input_ids.size();
  return s;
}

}  // namespace moa
