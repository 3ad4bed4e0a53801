#include "core/profile/calib_build.h"

#include <memory>
#include <optional>
#include <thread>

#include "core/compat/torch_compat.h"
#include "core/data/byte_vocab.h"
#include "core/data/demo_data.h"
#include "core/model/llama.h"
#include "core/profile/profile_inputs.h"
#include "core/runtime/generate.h"
#include "core/util/error.h"
#include "core/util/progress_formats.h"

namespace moa {

namespace {

CalibRecord finished(const CalibRecord& doc, const CalibSequence& s, int64_t length, std::string answer) {
  CalibRecord r;
  r.context = doc.context;
  r.question = doc.question;
  r.answer = std::move(answer);
  r.length = length;
  r.input_ids = s.input_ids;
  r.answer_span = std::make_pair(s.answer_begin, s.answer_end);
  return r;
}

}  // namespace

CalibBuildResult calib_build(const CalibBuildRequest& req, const ProgressFn& progress) {
  if (req.max_new_tokens < 1) throw Error("calib build: max new tokens must be at least 1");
  auto ck = Checkpoint::open(req.model_dir);
  const ModelConfig& c = ck->config();
  for (int64_t n : req.lengths)
    if (n < 2 || n > c.max_position_embeddings)
      throw Error("calib build: length " + std::to_string(n) + " is outside the model's context (max_position_embeddings " +
                  std::to_string(c.max_position_embeddings) + ")");
  CalibReadOptions ro;
  ro.require_answer = false;
  const auto docs = calib_read_jsonl(req.input, ro);
  const CalibTokenizer tok = CalibTokenizer::for_checkpoint(req.model_dir, c.vocab_size);
  const at::Device device = compat::parse_device(req.device, "calib build");
  if (device.is_cpu()) at::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  LlamaModel model(ck, device, device.is_cpu() ? std::optional<at::ScalarType>(at::kFloat) : std::nullopt);
  DenseAttention dense;
  GenerateOptions go;
  go.max_new_tokens = req.max_new_tokens;
  go.stop_ids = tok.stop_ids(c.eos_token_ids);

  CalibBuildResult out;
  const double total = static_cast<double>(req.lengths.size() * docs.size());
  double done = 0;
  for (int64_t n : req.lengths) {
    size_t made = 0;
    for (size_t i = 0; i < docs.size(); ++i, ++done) {
      report(progress, done / total,
             {progress_format::kCalibRecord, {std::to_string(n), std::to_string(i + 1), std::to_string(docs.size())}});
      const CalibRecord& doc = docs[i];
      const auto prefix = tok.prefix(), context = tok.encode(doc.context),
                 question = tok.encode(std::string(calib_separator(doc.context)) + doc.question);
      std::vector<int32_t> answer;
      std::string answer_text = doc.answer;
      if (!doc.answer.empty()) {
        answer = tok.encode(doc.answer);  // a ready-made record: keep its answer
      } else {
        // Leave room for the longest answer, let the model answer, then fit the length exactly.
        const int64_t fixed = static_cast<int64_t>(prefix.size() + question.size()) + req.max_new_tokens;
        if (fixed >= n) throw Error(req.input.string() + ": record " + std::to_string(i + 1) + ": the question takes " +
                                    std::to_string(fixed - req.max_new_tokens) + " tokens, too many for length " + std::to_string(n));
        const auto kept = middle_truncate(context, static_cast<size_t>(n - fixed));
        std::vector<int64_t> prompt(prefix.begin(), prefix.end());
        prompt.insert(prompt.end(), kept.begin(), kept.end());
        prompt.insert(prompt.end(), question.begin(), question.end());
        const auto gen = generate_greedy(model, {prompt}, dense, go);
        answer.assign(gen.tokens[0].begin(), gen.tokens[0].end());
        answer_text = tok.decode(answer);
      }
      CalibSequence s;
      try {
        s = calib_assemble(prefix, context, question, answer, static_cast<size_t>(n));
      } catch (const Error&) {
        ++out.skipped_short;  // question + answer alone exceed the length
        continue;
      }
      if (static_cast<int64_t>(s.input_ids.size()) < n) {
        ++out.skipped_short;
        continue;
      }
      out.records.push_back(finished(doc, s, n, answer_text));
      ++made;
    }
    if (made == 0)
      fail_file(req.input.string(), "no document is long enough for length " + std::to_string(n) + " tokens");
  }
  report(progress, 1.0, {progress_format::kDone, {}});
  return out;
}

std::vector<CalibRecord> calib_build_demo(const std::vector<int64_t>& lengths, int count, uint64_t seed,
                                          const DemoCalibAlign* align, const ProgressFn& progress) {
  std::unique_ptr<LlamaModel> model;
  DenseAttention dense;
  GenerateOptions go;
  go.max_new_tokens = static_cast<int64_t>(kDemoAnswerRoom);  // the room each record leaves for its answer
  go.stop_ids = {'\n', ByteVocab::kEos};
  if (align) {
    const at::Device device = compat::parse_device(align->device, "demo calibration");
    if (device.is_cpu())
      at::set_num_threads(align->threads > 0 ? align->threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    model = std::make_unique<LlamaModel>(Checkpoint::open(align->model_dir), device,
                                         device.is_cpu() ? std::optional<at::ScalarType>(at::kFloat) : std::nullopt);
  }
  std::vector<CalibRecord> out;
  const auto prefix = ByteVocab::encode("", true);
  const double total = static_cast<double>(lengths.size()) * std::max(count, 1);
  for (int64_t n : lengths) {
    for (CalibRecord r : demo_calib_records(static_cast<size_t>(n), count, seed)) {
      // A demo record holds the most whole lines that fit, so it falls short of n by less than
      // a line: blank lines after the header fill it to exactly n tokens (middle truncation
      // would cut out the asked line of the records asked at mid depth).
      const std::string context = r.context;
      auto assemble = [&](const std::string& answer) {
        const size_t used = prefix.size() + context.size() + calib_separator(context).size() + r.question.size() + answer.size();
        if (used > static_cast<size_t>(n)) throw Error("demo calibration: record longer than its length");
        const size_t first_line = context.find("\nline ");
        r.context = context;
        r.context.insert(first_line == std::string::npos ? 0 : first_line + 1, static_cast<size_t>(n) - used, '\n');
        return calib_assemble(prefix, ByteVocab::encode(r.context, false),
                              ByteVocab::encode(std::string(calib_separator(r.context)) + r.question, false),
                              ByteVocab::encode(answer, false), static_cast<size_t>(n));
      };
      CalibSequence s = assemble(r.answer);
      if (model) {
        report(progress, static_cast<double>(out.size()) / total,
               {progress_format::kCalibModelAnswers, {std::to_string(n), std::to_string(out.size() + 1)}});
        // The padding depends on the answer's length, so the prompt is final once the model's
        // answer keeps the length it was asked with (at most a few rounds).
        for (int round = 0; round < 4; ++round) {
          const std::vector<int64_t> prompt(s.input_ids.begin(), s.input_ids.begin() + static_cast<std::ptrdiff_t>(s.answer_begin));
          const auto gen = generate_greedy(*model, {prompt}, dense, go);
          std::vector<int32_t> ids(gen.tokens[0].begin(), gen.tokens[0].end());
          const std::string answer = ByteVocab::decode(ids);
          if (answer.empty()) break;  // only an end-of-sequence token: keep the record's answer
          const bool same_length = answer.size() == r.answer.size();
          r.answer = answer;
          s = assemble(answer);
          if (same_length) break;
        }
      }
      r.input_ids = s.input_ids;
      r.answer_span = std::make_pair(s.answer_begin, s.answer_end);
      out.push_back(std::move(r));
    }
  }
  report(progress, 1.0, {progress_format::kDone, {}});
  return out;
}

}  // namespace moa
