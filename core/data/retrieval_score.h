#pragma once
// Scoring LongEval answers: a sample is correct iff the last integer in the generated answer
// equals expected_number (LongChat's rule). Accuracy by length level and by depth decile.
#include <array>
#include <filesystem>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/data/longeval.h"

namespace moa {

// The last run of decimal digits in text, leading zeros removed ("007" -> "7", "000" -> "0");
// nullopt when there is none. Digits only: "-12" gives "12", "1,234" gives "234".
std::optional<std::string> last_integer(std::string_view text);
bool longeval_correct(std::string_view answer, long long expected_number);

// What a "length level" is: the prompt's line count, or its token length. By tokens, a
// sample's level is its target_tokens when it has one (our generator), else num_tokens
// rounded up to a power of two of at least 256 (token_bucket).
enum class LevelBy { Lines, Tokens };
size_t token_bucket(size_t num_tokens);
long long longeval_level(const LongEvalSample& s, LevelBy by);
// Decile of a depth in [0,1]: floor(10 * depth), 1.0 falling into decile 9.
int depth_decile(double depth);

struct AccuracyCell {
  long long total = 0;
  long long correct = 0;
  double accuracy() const { return total ? static_cast<double>(correct) / static_cast<double>(total) : 0.0; }
};

struct RetrievalReport {
  LevelBy level_by = LevelBy::Lines;
  AccuracyCell overall;
  std::map<long long, AccuracyCell> by_level;
  std::array<AccuracyCell, 10> by_depth{};
  std::map<long long, std::array<AccuracyCell, 10>> by_level_depth;  // for length x depth heatmaps
};

void retrieval_add(RetrievalReport& report, const LongEvalSample& sample, bool correct);
// answers[i] is the generated text for samples[i]; sizes must match.
RetrievalReport retrieval_score(const std::vector<LongEvalSample>& samples, const std::vector<std::string>& answers,
                                LevelBy by);

// {"level_by": "lines"|"tokens", "overall": {...}, "by_level": [{"level", "total", "correct",
// "accuracy"}...], "by_depth_decile": [10 cells], "by_level_depth": [{"level", "deciles": [...]}]}
nlohmann::json retrieval_report_to_json(const RetrievalReport& report);
RetrievalReport retrieval_report_from_json(const nlohmann::json& j);

// Generated answers, one JSON object per line: "answer" (or "output" / "response" / "pred")
// holding the text. With an integer "index" field the answer goes to that sample; otherwise
// answers are taken in file order.
std::vector<std::string> longeval_read_answers(const std::filesystem::path& path, size_t num_samples);

}  // namespace moa
