// libFuzzer target: one line of a calibration set or of a LongEval file (JSON Lines that users
// bring or edit). The first byte picks the reader; the rest is the line. Parsing either throws
// moa::Error or gives a record whose invariants hold and that survives a write and a re-read.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/data/calib.h"
#include "core/data/longeval.h"
#include "core/util/error.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void calib_case(const std::string& line, bool require_answer) {
  moa::CalibRecord r;
  try {
    r = moa::calib_parse_line(line, "fuzz.jsonl", 1, {require_answer});
  } catch (const moa::Error&) {
    return;
  }
  moa::calib_validate(r, "fuzz: ");  // an accepted record is valid (throws, i.e. crashes, if not)
  const moa::CalibRecord again = moa::calib_parse_line(moa::calib_format_line(r), "again.jsonl", 1, {require_answer});
  check(again.context == r.context && again.question == r.question && again.answer == r.answer &&
        again.length == r.length && again.input_ids == r.input_ids && again.answer_span == r.answer_span);
}

void longeval_case(const std::string& line) {
  moa::LongEvalSample s;
  try {
    s = moa::longeval_parse_line(line, "fuzz.jsonl", 1);
  } catch (const moa::Error&) {
    return;
  }
  const moa::LongEvalSample again = moa::longeval_parse_line(moa::longeval_format_line(s), "again.jsonl", 1);
  check(again.prompt == s.prompt && again.expected_number == s.expected_number && again.num_lines == s.num_lines &&
        again.correct_line == s.correct_line && again.key == s.key && again.line_index == s.line_index);
  if (s.num_lines > 0) {
    const double depth = moa::longeval_depth(s);
    check(depth >= 0 && depth <= 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string line(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: calib_case(line, true); break;
    case 1: calib_case(line, false); break;
    default: longeval_case(line); break;
  }
  return 0;
}
