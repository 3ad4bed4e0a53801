// moa longeval gen | score: LongEval line-retrieval data sets and their scoring.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/cli/command.h"
#include "core/data/longeval.h"
#include "core/data/retrieval_score.h"
#include "core/util/error.h"
#include "core/util/files.h"

namespace {

using moa::cli::Args;

// "0,0.1,..,1": a ".." item continues the step of the two values before it up to the next one.
std::vector<double> parse_depths(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) items.push_back(item);
  std::vector<double> out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i] != "..") {
      out.push_back(moa::cli::parse_double_list(items[i], "--depths")[0]);
      continue;
    }
    if (out.size() < 2 || i + 1 >= items.size())
      throw moa::Error("--depths: '..' needs two values before it and one after, e.g. 0,0.1,..,1");
    const double step = out[out.size() - 1] - out[out.size() - 2];
    const double last = moa::cli::parse_double_list(items[++i], "--depths")[0];
    if (step <= 0) throw moa::Error("--depths: values before '..' must increase");
    for (double d = out.back() + step; d <= last + step * 1e-6; d += step) out.push_back(std::round(d * 1e6) / 1e6);
    if (std::abs(out.back() - last) > step * 1e-6) out.push_back(last);
  }
  for (double d : out)
    if (d < 0 || d > 1) throw moa::Error("--depths: " + std::to_string(d) + " is outside [0, 1]");
  return out;
}

moa::TokenCounter make_counter(const std::string& tokenizer) {
  // The demo model's tokenizer: one token per byte plus BOS.
  if (tokenizer == "bytes") return [](const std::string& s) { return s.size() + 1; };
  throw moa::Error("--tokenizer: only 'bytes' is built in (got '" + tokenizer + "')");
}

int run_gen(const Args& args) {
  args.allow_only({"lines", "tokens", "tokenizer", "reserve", "depths", "per-depth", "seed", "keys", "out"});
  moa::LongEvalSetSpec spec;
  if (args.has("lines") == args.has("tokens")) throw moa::Error("give --lines or --tokens (one of the two)");
  if (args.has("lines"))
    for (long long n : moa::cli::parse_int_list(args.get("lines"), "--lines")) {
      if (n <= 0) throw moa::Error("--lines: counts must be positive");
      spec.lines.push_back(static_cast<int>(n));
    }
  if (args.has("tokens"))
    for (long long n : moa::cli::parse_int_list(args.get("tokens"), "--tokens")) {
      if (n <= 0) throw moa::Error("--tokens: lengths must be positive");
      spec.tokens.push_back(static_cast<size_t>(n));
    }
  spec.reserve_tokens = static_cast<size_t>(std::max(0LL, args.get_int("reserve", 0)));
  if (args.has("depths")) spec.depths = parse_depths(args.get("depths"));
  spec.per_depth = static_cast<int>(args.get_int("per-depth", 1));
  spec.seed = static_cast<uint64_t>(args.get_int("seed", 0));
  const std::string keys = args.get("keys", "words");
  if (keys != "words" && keys != "pseudo") throw moa::Error("--keys must be 'words' or 'pseudo'");
  spec.keys = keys == "words" ? moa::KeyStyle::AdjectiveNoun : moa::KeyStyle::PseudoWord;
  const std::string out = args.get("out");
  moa::TokenCounter count;
  if (args.has("tokens") || args.has("tokenizer")) count = make_counter(args.get("tokenizer", "bytes"));

  const auto samples = moa::longeval_generate_set(spec, count, [](double f, const std::string& msg) {
    std::fprintf(stderr, "\r[%5.1f%%] %s", 100.0 * f, msg.c_str());
    return true;
  });
  std::fprintf(stderr, "\n");
  moa::longeval_write_jsonl(out, samples);
  std::cout << "wrote " << samples.size() << " samples to " << out << "\n";
  return 0;
}

int run_score(const Args& args) {
  args.allow_only({"data", "answers", "by", "out"});
  const auto samples = moa::longeval_read_jsonl(args.get("data"));
  const auto answers = moa::longeval_read_answers(args.get("answers"), samples.size());
  const std::string by = args.get("by", "lines");
  if (by != "lines" && by != "tokens") throw moa::Error("--by must be 'lines' or 'tokens'");
  const auto report = moa::retrieval_score(samples, answers, by == "lines" ? moa::LevelBy::Lines : moa::LevelBy::Tokens);
  std::cout << (by == "lines" ? "lines" : "tokens") << "\tcorrect/total\taccuracy\n";
  for (const auto& [level, cell] : report.by_level)
    std::cout << level << "\t" << cell.correct << "/" << cell.total << "\t" << cell.accuracy() << "\n";
  std::cout << "depth decile\tcorrect/total\taccuracy\n";
  for (int d = 0; d < 10; ++d)
    if (report.by_depth[d].total)
      std::cout << d / 10.0 << "-" << (d + 1) / 10.0 << "\t" << report.by_depth[d].correct << "/" << report.by_depth[d].total
                << "\t" << report.by_depth[d].accuracy() << "\n";
  std::cout << "all\t" << report.overall.correct << "/" << report.overall.total << "\t" << report.overall.accuracy() << "\n";
  if (args.has("out")) moa::write_file_atomic(args.get("out"), moa::retrieval_report_to_json(report).dump(2) + "\n");
  return 0;
}

moa::cli::Register reg_gen({"longeval gen", "generate LongEval line-retrieval prompts (jsonl)",
                            "(--lines 200,400 | --tokens 2048,4096 [--tokenizer bytes] [--reserve N]) [--depths 0,0.1,..,1] "
                            "[--per-depth 1] [--seed S] [--keys words|pseudo] --out x.jsonl",
                            run_gen, {}});
moa::cli::Register reg_score({"longeval score", "score generated answers against a LongEval jsonl",
                              "--data x.jsonl --answers answers.jsonl [--by lines|tokens] [--out report.json]",
                              run_score, {}});

}  // namespace
