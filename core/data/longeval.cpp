#include "core/data/longeval.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_set>

#include "core/data/rng.h"
#include "core/data/words.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/json_read.h"
#include "core/util/progress_formats.h"

namespace moa {
namespace {

// Far below the ~117k adjective-noun pairs, so unique keys stay cheap to draw; 50k lines is
// already ~1M tokens, beyond any length we evaluate.
constexpr int kMaxLines = 50000;

// Keys and values of a prompt's lines, drawn one after the other from the seed, so that a
// prompt of n lines is a prefix of the prompt of n+1 lines (the token-length search relies on it).
class LineStream {
 public:
  LineStream(uint64_t seed, KeyStyle style) : rng_(seed), style_(style) {}

  void ensure(size_t n) {
    while (keys_.size() < n) {
      std::string key;
      for (int attempt = 0;; ++attempt) {
        key = style_ == KeyStyle::AdjectiveNoun ? key_word_pair(rng_) : key_pseudo_pair(rng_);
        if (used_.insert(key).second) break;
        if (attempt > 10000) throw Error("LongEval: cannot draw " + std::to_string(n) + " unique keys");
      }
      keys_.push_back(std::move(key));
      values_.push_back(rng_.uniform_int(kLongEvalMinValue, kLongEvalMaxValue));
    }
  }
  const std::string& key(size_t i) const { return keys_[i]; }
  long long value(size_t i) const { return values_[i]; }

 private:
  Rng rng_;
  KeyStyle style_;
  std::vector<std::string> keys_;
  std::vector<long long> values_;
  std::unordered_set<std::string> used_;
};

LongEvalSample assemble(LineStream& stream, int num_lines, double depth) {
  stream.ensure(static_cast<size_t>(num_lines));
  LongEvalSample s;
  s.num_lines = num_lines;
  s.line_index = longeval_line_at_depth(num_lines, depth);
  s.key = stream.key(static_cast<size_t>(s.line_index));
  s.expected_number = stream.value(static_cast<size_t>(s.line_index));
  s.correct_line = longeval_line(s.key, s.expected_number);
  s.prompt.assign(kLongEvalHeader);
  for (int i = 0; i < num_lines; ++i) s.prompt += longeval_line(stream.key(i), stream.value(i));
  s.prompt += longeval_question(s.key);
  return s;
}

[[noreturn]] void fail_field(const std::string& file, size_t line_no, const std::string& problem) {
  fail_file(file, "line " + std::to_string(line_no) + ": " + problem);
}

const nlohmann::json& require(const nlohmann::json& j, const char* field, const std::string& file, size_t line_no) {
  auto it = j.find(field);
  if (it == j.end()) fail_field(file, line_no, std::string("missing required field '") + field + "'");
  return *it;
}

long long as_integer(const nlohmann::json& v, const char* field, const std::string& file, size_t line_no) {
  if (v.is_number_integer()) return v.get<long long>();
  // Some tools write numbers as digit strings; accept those, nothing looser.
  if (v.is_string()) {
    const auto& t = v.get_ref<const std::string&>();
    if (!t.empty() && t.size() < 19 && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::stoll(t);
  }
  fail_field(file, line_no, std::string("field '") + field + "' must be an integer, got " + v.dump());
}

std::string as_string(const nlohmann::json& v, const char* field, const std::string& file, size_t line_no) {
  if (!v.is_string()) fail_field(file, line_no, std::string("field '") + field + "' must be a string");
  return v.get<std::string>();
}

}  // namespace

std::string longeval_line(std::string_view key, long long value) {
  std::string out = "line ";
  out += key;
  out += ": REGISTER_CONTENT is <";
  out += std::to_string(value);
  out += ">\n";
  return out;
}

std::string longeval_question(std::string_view key) {
  std::string out = "Now the record is over. Tell me what is the <REGISTER_CONTENT> in line ";
  out += key;
  out += "? I need the number.";
  return out;
}

double longeval_depth(const LongEvalSample& s) {
  if (s.num_lines <= 1) return 0.0;
  return static_cast<double>(s.line_index) / static_cast<double>(s.num_lines - 1);
}

int longeval_line_at_depth(int num_lines, double depth) {
  if (num_lines <= 0) throw Error("LongEval: a prompt needs at least one line");
  if (!(depth >= 0.0 && depth <= 1.0)) throw Error("LongEval: depth must be in [0, 1], got " + std::to_string(depth));
  return static_cast<int>(std::lround(depth * (num_lines - 1)));
}

LongEvalSample longeval_generate(const LongEvalSpec& spec, const TokenCounter& count) {
  LineStream stream(spec.seed, spec.keys);
  if (spec.num_lines > 0) {
    if (spec.num_lines > kMaxLines) throw Error("LongEval: at most " + std::to_string(kMaxLines) + " lines");
    LongEvalSample s = assemble(stream, spec.num_lines, spec.depth);
    if (count) s.num_tokens = count(s.prompt);
    return s;
  }
  if (spec.target_tokens == 0) throw Error("LongEval: give a number of lines or a target token length");
  if (!count) throw Error("LongEval: generating by token length needs a token counter");
  if (spec.reserve_tokens >= spec.target_tokens)
    throw Error("LongEval: reserving " + std::to_string(spec.reserve_tokens) + " of " + std::to_string(spec.target_tokens) + " tokens leaves no prompt");
  const size_t budget = spec.target_tokens - spec.reserve_tokens;
  std::map<int, size_t> counted;  // a real tokenizer on a 32k-token prompt is the cost here
  auto tokens_of = [&](int n) {
    auto it = counted.find(n);
    if (it == counted.end()) it = counted.emplace(n, count(assemble(stream, n, spec.depth).prompt)).first;
    return it->second;
  };
  auto fits = [&](int n) { return tokens_of(n) <= budget; };
  if (!fits(1))
    throw Error("LongEval: " + std::to_string(budget) + " tokens is too short for even one line and the question");
  // Estimate the line count from two counts, then widen a bracket around the estimate and
  // bisect it: about ten tokenizer calls instead of 2*log2(lines).
  const int probe = std::min(kMaxLines, 16);
  const double per_line = std::max(1.0, static_cast<double>(tokens_of(probe)) - static_cast<double>(tokens_of(1))) / (probe - 1);
  const double estimate = 1.0 + (static_cast<double>(budget) - static_cast<double>(tokens_of(1))) / per_line;
  int lo = std::clamp(static_cast<int>(estimate), 1, kMaxLines), hi = lo;
  int step = std::max(1, lo / 64);
  if (fits(lo)) {
    for (hi = std::min(kMaxLines, lo + step); fits(hi); hi = std::min(kMaxLines, lo + step), step *= 2) {
      if (hi == kMaxLines) throw Error("LongEval: " + std::to_string(budget) + " tokens needs more than " + std::to_string(kMaxLines) + " lines");
      lo = hi;
    }
  } else {
    for (lo = std::max(1, hi - step); !fits(lo); lo = std::max(1, hi - step), step *= 2) hi = lo;
  }
  while (hi - lo > 1) {
    int mid = lo + (hi - lo) / 2;
    (fits(mid) ? lo : hi) = mid;
  }
  // Counts are not quite monotone in n (the asked key changes with n): take a longer fit nearby.
  while (lo < kMaxLines && fits(lo + 1)) ++lo;
  LongEvalSample s = assemble(stream, lo, spec.depth);
  s.target_tokens = spec.target_tokens;
  s.num_tokens = tokens_of(lo);
  return s;
}

std::vector<LongEvalSample> longeval_generate_set(const LongEvalSetSpec& spec, const TokenCounter& count,
                                                  const ProgressFn& progress) {
  if (spec.lines.empty() == spec.tokens.empty()) throw Error("LongEval: give length levels by lines or by tokens (one of the two)");
  if (spec.depths.empty() || spec.per_depth <= 0) throw Error("LongEval: need at least one depth and one sample per depth");
  const bool by_tokens = !spec.tokens.empty();
  const size_t levels = by_tokens ? spec.tokens.size() : spec.lines.size();
  const size_t total = levels * spec.depths.size() * static_cast<size_t>(spec.per_depth);
  std::vector<LongEvalSample> out;
  out.reserve(total);
  for (size_t l = 0; l < levels; ++l) {
    // The level's value (not its position in the list) names the stream; bit 63 keeps line
    // counts and token counts apart.
    const uint64_t level_tag = by_tokens ? (1ull << 63) | spec.tokens[l] : static_cast<uint64_t>(spec.lines[l]);
    for (double depth : spec.depths) {
      const uint64_t depth_tag = static_cast<uint64_t>(std::llround(depth * 1e6));
      for (int r = 0; r < spec.per_depth; ++r) {
        LongEvalSpec one;
        one.num_lines = by_tokens ? 0 : spec.lines[l];
        one.target_tokens = by_tokens ? spec.tokens[l] : 0;
        one.reserve_tokens = spec.reserve_tokens;
        one.depth = depth;
        one.keys = spec.keys;
        one.seed = seed_mix(spec.seed, level_tag, depth_tag, static_cast<uint64_t>(r));
        out.push_back(longeval_generate(one, count));
        report(progress, static_cast<double>(out.size()) / static_cast<double>(total),
               {progress_format::kLongEvalGenerated, {std::to_string(out.size()), std::to_string(total)}});
      }
    }
  }
  return out;
}

LongEvalSample longeval_parse_line(std::string_view json_line, const std::string& file, size_t line_no) {
  const nlohmann::json j = json_parse_or_fail(json_line, file, line_no);
  if (!j.is_object()) fail_field(file, line_no, "expected a JSON object");
  LongEvalSample s;
  s.prompt = as_string(require(j, "prompt", file, line_no), "prompt", file, line_no);
  s.expected_number = as_integer(require(j, "expected_number", file, line_no), "expected_number", file, line_no);
  // Counts are checked as 64-bit numbers before they become ints: 2^32 + 1 lines must be refused,
  // not read as 1.
  const long long num_lines = as_integer(require(j, "num_lines", file, line_no), "num_lines", file, line_no);
  if (num_lines <= 0 || num_lines > std::numeric_limits<int>::max())
    fail_field(file, line_no, "field 'num_lines' must be a positive count of lines, got " + std::to_string(num_lines));
  s.num_lines = static_cast<int>(num_lines);
  s.correct_line = as_string(require(j, "correct_line", file, line_no), "correct_line", file, line_no);
  const auto& idx = require(j, "random_idx", file, line_no);
  if (!idx.is_array() || idx.size() != 2)
    fail_field(file, line_no, "field 'random_idx' must be [line key, line index]");
  // LongChat's numbered-lines variant stores the key as an integer: keep its text.
  s.key = idx[0].is_string() ? idx[0].get<std::string>() : idx[0].dump();
  const long long line_index = as_integer(idx[1], "random_idx", file, line_no);
  if (line_index < 0 || line_index >= s.num_lines)
    fail_field(file, line_no, "random_idx line index " + std::to_string(line_index) + " is outside 0.." +
                                  std::to_string(s.num_lines - 1) + " (num_lines)");
  s.line_index = static_cast<int>(line_index);
  if (auto it = j.find("target_tokens"); it != j.end() && it->is_number_unsigned()) s.target_tokens = it->get<size_t>();
  if (auto it = j.find("num_tokens"); it != j.end() && it->is_number_unsigned()) s.num_tokens = it->get<size_t>();
  return s;
}

std::string longeval_format_line(const LongEvalSample& s) {
  nlohmann::ordered_json j;
  j["random_idx"] = {s.key, s.line_index};
  j["expected_number"] = s.expected_number;
  j["num_lines"] = s.num_lines;
  j["correct_line"] = s.correct_line;
  j["prompt"] = s.prompt;
  if (s.target_tokens) j["target_tokens"] = s.target_tokens;
  if (s.num_tokens) j["num_tokens"] = s.num_tokens;
  return j.dump();
}

std::vector<LongEvalSample> longeval_read_jsonl(const std::filesystem::path& path) {
  const std::string text = read_text_file(path);
  std::vector<LongEvalSample> out;
  std::istringstream in(text);
  size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    out.push_back(longeval_parse_line(line, path.string(), line_no));
  }
  if (out.empty()) fail_file(path.string(), "no samples");
  return out;
}

void longeval_write_jsonl(const std::filesystem::path& path, const std::vector<LongEvalSample>& samples) {
  std::string text;
  for (const auto& s : samples) {
    text += longeval_format_line(s);
    text += '\n';
  }
  write_file_atomic(path, text);
}

}  // namespace moa
