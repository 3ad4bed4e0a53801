#pragma once
// Calibration records for MoA's model-aligned calibration set (docs/formats.md, "Calibration
// set"): a long context, a question, and the answer the dense model itself gave, tokenised with
// the answer's token span so the profiler's loss covers the answer tokens only.
// Torch-free: the GUI includes this header.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace moa {

struct CalibRecord {
  std::string context;
  std::string question;
  std::string answer;                  // empty in builder input: the model writes it
  std::optional<long long> length;     // the token length this record was built for
  std::vector<int32_t> input_ids;      // cached tokenisation of prompt + answer (may be empty)
  std::optional<std::pair<size_t, size_t>> answer_span;  // [start, end) in input_ids
};

struct CalibReadOptions {
  bool require_answer = true;  // false for the builder's input (documents with questions)
};

// Checks one record's invariants (answer_span inside input_ids and non-empty, span only with
// input_ids); throws moa::Error with `where` in front of the problem.
void calib_validate(const CalibRecord& r, const std::string& where);

CalibRecord calib_parse_line(std::string_view json_line, const std::string& file, size_t line_no,
                             const CalibReadOptions& options = {});
std::string calib_format_line(const CalibRecord& r);  // one JSON object, no newline
std::vector<CalibRecord> calib_read_jsonl(const std::filesystem::path& path, const CalibReadOptions& options = {});
void calib_write_jsonl(const std::filesystem::path& path, const std::vector<CalibRecord>& records);

// The text between context and question: "\n", or nothing when the context already ends in a
// newline (so a LongEval record split into context + question joins back to the exact prompt).
std::string_view calib_separator(std::string_view context);
// context + separator + question: the prompt text the model sees before its answer.
std::string calib_prompt(std::string_view context, std::string_view question);

// Keeps the first ceil(budget/2) and the last floor(budget/2) ids when ids is longer than
// budget (LongChat/MoA middle truncation); returns ids unchanged otherwise.
std::vector<int32_t> middle_truncate(const std::vector<int32_t>& ids, size_t budget);

struct CalibSequence {
  std::vector<int32_t> input_ids;
  size_t answer_begin = 0;  // [answer_begin, answer_end) are the answer's tokens
  size_t answer_end = 0;
  size_t context_dropped = 0;  // context tokens removed by middle truncation
};

// prefix (e.g. BOS) + middle-truncated context + question (tokenised with its separator) +
// answer, with the context cut so the whole sequence is at most max_len tokens. Throws when
// prefix + question + answer alone exceed max_len.
CalibSequence calib_assemble(const std::vector<int32_t>& prefix, const std::vector<int32_t>& context,
                             const std::vector<int32_t>& question, const std::vector<int32_t>& answer,
                             size_t max_len);

}  // namespace moa
