#include "core/data/demo_data.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "core/data/byte_vocab.h"
#include "core/data/demo_text.h"
#include "core/data/rng.h"
#include "core/data/words.h"
#include "core/util/error.h"

namespace moa {
namespace {

constexpr size_t kMaxLineTokens = 64;  // "line " + a 21-letter key + ": REGISTER_CONTENT is <50000>\n" = 56
constexpr std::string_view kShortHeader = "Record:\n";
constexpr size_t kMinTextFill = 16;    // shorter row ends are padded

// Appends text as byte tokens with one loss weight.
void append(DemoRecord& r, std::string_view text, float weight) {
  for (unsigned char c : text) {
    r.ids.push_back(static_cast<int32_t>(c));
    r.weights.push_back(weight);
  }
}

std::pair<int, int> question_range(const DemoDataConfig& config, const DemoStage& st, size_t length) {
  if (st.index < 2) return {st.min_questions, st.max_questions};
  // "Many questions per record": in proportion to the length, so long records give about as
  // many answer tokens per token of context as short ones.
  const double per_1k = config.question_density * static_cast<double>(length) / 1024.0;
  return {std::max(st.min_questions, static_cast<int>(per_1k)), std::max(st.max_questions, static_cast<int>(2 * per_1k))};
}

}  // namespace

DemoStage demo_stage(const DemoDataConfig& config, int stage) {
  switch (stage) {
    case 0: return {0, 512, 768, 1, 2, 0.0};
    case 1: return {1, 1024, 2048, 2, 4, 0.5};
    case 2:
      if (config.max_len < 2048) throw Error("demo data: max_len must be at least 2048, got " + std::to_string(config.max_len));
      return {2, 2048, config.max_len, 2, 4, 1.0};
    default: throw Error("demo data: no curriculum stage " + std::to_string(stage));
  }
}

int demo_stage_at(const DemoDataConfig& config, uint64_t step) {
  if (step < config.stage_steps[0]) return 0;
  if (step < config.stage_steps[0] + config.stage_steps[1]) return 1;
  return 2;
}

DemoRecord demo_retrieval_record(const DemoDataConfig& config, int stage, size_t length, uint64_t seed) {
  const DemoStage st = demo_stage(config, stage);
  Rng rng(seed);
  const bool word_keys = rng.chance(config.word_key_fraction);
  const std::string_view header = rng.chance(st.full_header_fraction) ? kLongEvalHeader : kShortHeader;
  const auto [qmin, qmax] = question_range(config, st, length);
  int questions = static_cast<int>(rng.uniform_int(qmin, qmax));

  // Room for the questions is reserved at their longest; slack is filled with more lines below.
  const size_t worst_question = longeval_question(std::string(21, 'x')).size() + demo_answer_text(kLongEvalMaxValue).size();
  auto fixed_cost = [&](int q) { return 2 + header.size() + static_cast<size_t>(q) * worst_question; };
  while (questions > 1 && fixed_cost(questions) + questions * kMaxLineTokens > length) --questions;
  if (fixed_cost(questions) + kMaxLineTokens > length)
    throw Error("demo data: " + std::to_string(length) + " tokens is too short for a stage-" + std::to_string(stage) + " record");

  std::vector<std::string> keys;
  std::vector<long long> values;
  std::unordered_set<std::string> used;
  std::string pending_key;
  long long pending_value = 0;
  auto draw = [&] {
    do pending_key = word_keys ? key_word_pair(rng) : key_pseudo_pair(rng);
    while (used.count(pending_key));
    pending_value = rng.uniform_int(kLongEvalMinValue, kLongEvalMaxValue);
  };
  auto pending_size = [&] { return longeval_line(pending_key, pending_value).size(); };
  auto accept = [&] {
    used.insert(pending_key);
    keys.push_back(pending_key);
    values.push_back(pending_value);
    draw();
  };
  size_t used_tokens = fixed_cost(questions);
  for (draw(); used_tokens + pending_size() <= length;) {
    used_tokens += pending_size();
    accept();
  }

  // Asked lines: one per stratum of the record, so every record covers top to bottom.
  const int n = static_cast<int>(keys.size());
  std::vector<int> asked;
  for (int k = 0; k < questions; ++k) {
    const int lo = k * n / questions, hi = (k + 1) * n / questions - 1;
    asked.push_back(static_cast<int>(rng.uniform_int(lo, hi)));
  }

  // With the real question lengths known, the reserve's slack takes more lines at the end.
  auto question_cost = [&](int a) { return longeval_question(keys[a]).size() + demo_answer_text(values[a]).size(); };
  size_t actual = 2 + header.size();
  for (int i = 0; i < n; ++i) actual += longeval_line(keys[i], values[i]).size();
  for (int a : asked) actual += question_cost(a);
  while (actual + pending_size() <= length) {
    actual += pending_size();
    accept();
  }
  // The last stratum reaches to the final line, or the lines added just now would never be
  // asked and the model would learn that the end of a long record is never the answer (the
  // demo model failed exactly there at 8k). A redraw is kept only if its question still fits.
  const int last_lo = (questions - 1) * n / questions, total = static_cast<int>(keys.size());
  int& asked_last = asked.back();
  if (total > n) {
    const int redraw = static_cast<int>(rng.uniform_int(last_lo, total - 1));
    const size_t redrawn = actual - question_cost(asked_last) + question_cost(redraw);
    if (redrawn <= length) {
      actual = redrawn;
      asked_last = redraw;
    }
  }
  rng.shuffle(asked);

  DemoRecord r;
  r.ids.reserve(actual);
  r.weights.reserve(actual);
  r.ids.push_back(ByteVocab::kBos);
  r.weights.push_back(0.0f);
  append(r, header, config.other_weight);
  for (size_t i = 0; i < keys.size(); ++i) append(r, longeval_line(keys[i], values[i]), config.other_weight);
  for (int a : asked) {
    append(r, longeval_question(keys[a]) + " ", config.other_weight);
    AnswerSpan span;
    span.begin = r.ids.size();
    append(r, std::to_string(values[a]), config.answer_weight);
    span.end = r.ids.size();
    span.value = values[a];
    r.answers.push_back(span);
    append(r, "\n", config.answer_weight);  // the terminator is taught too: the model must stop
  }
  r.ids.push_back(ByteVocab::kEos);
  r.weights.push_back(config.other_weight);
  return r;
}

DemoRecord demo_text_record(size_t length, uint64_t seed, float weight) {
  if (length < 2) throw Error("demo data: a text record needs at least 2 tokens");
  Rng rng(seed);
  DemoRecord r;
  r.ids.push_back(ByteVocab::kBos);
  r.weights.push_back(0.0f);
  append(r, demo_text(length - 1, rng), weight);
  return r;
}

DemoRecord demo_record(const DemoDataConfig& config, uint64_t step, uint64_t index) {
  const int stage = demo_stage_at(config, step);
  const DemoStage st = demo_stage(config, stage);
  Rng rng(seed_mix(config.seed, step, index, 0x5245434fu));
  const size_t length = static_cast<size_t>(rng.uniform_int(static_cast<int64_t>(st.min_len + kMaxLineTokens),
                                                            static_cast<int64_t>(st.max_len)));
  return demo_retrieval_record(config, stage, length, rng.next());
}

DemoBatch demo_batch(const DemoDataConfig& config, uint64_t step) {
  DemoBatch b;
  b.stage = demo_stage_at(config, step);
  const DemoStage st = demo_stage(config, b.stage);
  b.cols = st.max_len;
  b.rows = std::max<size_t>(1, config.tokens_per_step / b.cols);
  b.ids.assign(b.rows * b.cols, ByteVocab::kPad);
  b.weights.assign(b.rows * b.cols, 0.0f);
  for (size_t row = 0; row < b.rows; ++row) {
    Rng rng(seed_mix(config.seed, step, row));
    size_t pos = 0;
    auto place = [&](const DemoRecord& r) {
      std::copy(r.ids.begin(), r.ids.end(), b.ids.begin() + static_cast<std::ptrdiff_t>(row * b.cols + pos));
      std::copy(r.weights.begin(), r.weights.end(), b.weights.begin() + static_cast<std::ptrdiff_t>(row * b.cols + pos));
      pos += r.ids.size();
    };
    // Records back to back while a whole stage-length record fits, then text to the row's end.
    // The draw is made only when asked for, so rows of earlier runs stay exactly as they were.
    const bool full_row = b.stage == 2 && config.full_row_fraction > 0 && rng.chance(config.full_row_fraction);
    while (b.cols - pos >= st.min_len + kMaxLineTokens) {
      const size_t length =
          full_row && pos == 0 ? b.cols
                               : static_cast<size_t>(rng.uniform_int(static_cast<int64_t>(st.min_len + kMaxLineTokens),
                                                                     static_cast<int64_t>(b.cols - pos)));
      const DemoRecord r = demo_retrieval_record(config, b.stage, length, rng.next());
      b.records += 1;
      for (const auto& a : r.answers) {
        b.answer_tokens += a.end - a.begin + 1;
        const size_t at = row * b.cols + pos;
        b.answers.push_back({at + a.begin, at + a.end, a.value});
      }
      place(r);
    }
    if (config.fill_with_text && b.cols - pos >= kMinTextFill) place(demo_text_record(b.cols - pos, rng.next(), config.text_weight));
  }
  return b;
}

LongEvalSample demo_eval_sample(size_t length, double depth, uint64_t seed, KeyStyle keys) {
  if (length <= kDemoAnswerRoom) throw Error("demo eval: length " + std::to_string(length) + " is too short");
  LongEvalSpec spec;
  spec.target_tokens = length;
  spec.reserve_tokens = kDemoAnswerRoom;
  spec.depth = depth;
  spec.seed = seed;
  spec.keys = keys;
  return longeval_generate(spec, [](const std::string& prompt) { return prompt.size() + 1; });
}

std::vector<LongEvalSample> demo_eval_set(const std::vector<size_t>& lengths, const std::vector<double>& depths,
                                          int per_depth, uint64_t seed, KeyStyle keys) {
  // Exactly what `moa longeval gen --tokens <lengths> --tokenizer bytes --reserve 7` writes.
  LongEvalSetSpec spec;
  spec.tokens = lengths;
  spec.reserve_tokens = kDemoAnswerRoom;
  spec.depths = depths;
  spec.per_depth = per_depth;
  spec.seed = seed;
  spec.keys = keys;
  return longeval_generate_set(spec, [](const std::string& prompt) { return prompt.size() + 1; });
}

std::vector<double> demo_eval_depths(int prompts) {
  if (prompts < 1) throw Error("demo eval: at least one prompt (got " + std::to_string(prompts) + ")");
  std::vector<double> depths;
  for (int i = 0; i < prompts; ++i) depths.push_back(prompts == 1 ? 0.5 : static_cast<double>(i) / (prompts - 1));
  return depths;
}

std::vector<int32_t> demo_prompt_ids(const std::string& prompt) { return ByteVocab::encode(prompt, true); }

std::string demo_answer_text(long long value) {
  std::string out = " ";
  out += std::to_string(value);
  out += '\n';
  return out;
}

bool demo_answer_stop(int32_t id) { return id == '\n' || id == ByteVocab::kEos; }

std::vector<CalibRecord> demo_calib_records(size_t length, int count, uint64_t seed) {
  std::vector<CalibRecord> out;
  for (int i = 0; i < count; ++i) {
    const double depth = count > 1 ? static_cast<double>(i) / (count - 1) : 0.5;
    const LongEvalSample s = demo_eval_sample(length, depth, seed_mix(seed, length, static_cast<uint64_t>(i)));
    CalibRecord r;
    r.question = longeval_question(s.key);
    // header + lines end in "\n", so calib_prompt(context, question) gives back s.prompt.
    r.context = s.prompt.substr(0, s.prompt.size() - r.question.size());
    r.answer = demo_answer_text(s.expected_number);
    r.length = static_cast<long long>(length);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace moa
