#include "core/util/json_read.h"

#include "core/util/error.h"

namespace moa {

nlohmann::json json_parse_or_fail(std::string_view text, const std::string& file, size_t line_no,
                                  std::string_view problem) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {  // parse_error, out_of_range, ...
    const std::string where = line_no > 0 ? "line " + std::to_string(line_no) + ": " : std::string();
    fail_file(file, where + std::string(problem) + ": " + e.what());
  }
}

}  // namespace moa
