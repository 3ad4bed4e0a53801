#pragma once
// JSON text to a document, or moa::Error naming the file (and the line of a JSON Lines file):
// the one place that knows nlohmann reports more than parse_error (out_of_range for a number no
// double holds, e.g. 47E49999), so no reader lets a raw library exception escape.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace moa {

// Throws "<file>: [line N: ]<problem>: <nlohmann's message>"; line_no 0: no line.
nlohmann::json json_parse_or_fail(std::string_view text, const std::string& file, size_t line_no = 0,
                                  std::string_view problem = "not valid JSON");

}  // namespace moa
