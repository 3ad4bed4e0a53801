// Workspace::measureAccuracy: retrieval accuracy of the plan under edit on a handful of
// fresh demo-task prompts, with the attention the plan prescribes (core eval_run).
#include <QThread>

#include <algorithm>

#include "app/studio/workspace.h"
#include "core/data/demo_data.h"
#include "core/eval/eval.h"
#include "core/model/tokenizer.h"
#include "core/util/error.h"

namespace moa::studio {

quint64 Workspace::measureAccuracy(const AccuracyOptions& options) {
  auto ck = model_.checkpoint();
  if (!ck) throw Error("open a model to measure accuracy");
  if (!plan_.hasPlan()) throw Error("no plan to measure");
  int64_t length = options.length;
  if (length <= 0) {
    length = 2048;
    if (ProfileDataPtr p = profile_.data(); p && !p->lengths.empty()) length = p->lengths.rbegin()->first;
  }
  length = std::min<int64_t>(length, ck->config().max_position_embeddings);
  EvalRequest request;
  request.model = ck->dir();
  request.attention.mode = AttentionMode::plan;
  request.attention.plan = plan_.plan();
  request.threads = std::max(1, QThread::idealThreadCount() - 1);  // one core stays with the GUI
  std::vector<double> depths;
  for (int i = 0; i < options.prompts; ++i)
    depths.push_back(options.prompts == 1 ? 0.5 : static_cast<double>(i) / (options.prompts - 1));
  const uint64_t seed = options.seed;
  return accuracy_jobs_.start(tr("Measuring retrieval accuracy"), [this, request, length, depths, seed](JobContext& job) mutable {
    // The demo task (byte-level LongEval records) at the chosen length: what the demo model
    // was trained to answer; other models get the same prompts through their tokenizer.
    const std::vector<LongEvalSample> samples = demo_eval_set({static_cast<size_t>(length)}, depths, 1, seed);
    // Block layouts need prompt + generated tokens to be whole 64-token blocks, and demo
    // prompts hold whole lines, so their lengths vary: each prompt gets the answer room
    // (8 tokens, generation stops at the newline anyway) rounded up to the next block.
    const Tokenizer tokenizer = Tokenizer::from_file(request.model / "tokenizer.json");
    int correct = 0, total = 0;
    double density_sum = 0.0;
    for (size_t i = 0; i < samples.size(); ++i) {
      const auto prompt = static_cast<int64_t>(tokenizer.encode(samples[i].prompt, true).size());
      request.samples = {samples[i]};
      request.max_new_tokens = static_cast<int>(8 + (64 - (prompt + 8) % 64) % 64);
      const double base = static_cast<double>(i) / static_cast<double>(samples.size());
      const double step = 1.0 / static_cast<double>(samples.size());
      const EvalResult result = eval_run(request, [&](double f, const std::string& m) { return job.progress(base + step * f, m); });
      correct += static_cast<int>(result.retrieval.overall.correct);
      total += static_cast<int>(result.retrieval.overall.total);
      density_sum += result.mean_density;
    }
    const double density = total ? density_sum / total : 0.0;
    job.deliver([this, length, correct, total, density] { emit accuracyMeasured(length, correct, total, density); });
  });
}

}  // namespace moa::studio
