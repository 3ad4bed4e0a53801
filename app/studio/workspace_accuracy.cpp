// Workspace::measureAccuracy: retrieval accuracy of the plan under edit on a handful of
// fresh demo-task prompts, with the attention the plan prescribes (core eval_run).
#include <QThread>

#include <algorithm>

#include "app/studio/workspace.h"
#include "core/data/demo_data.h"
#include "core/eval/eval.h"
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
  const std::vector<double> depths = demo_eval_depths(options.prompts);
  const uint64_t seed = options.seed;
  return accuracy_jobs_.start(tr("Measuring retrieval accuracy"), [this, request, length, depths, seed](JobContext& job) mutable {
    // The demo task (byte-level LongEval records) at the chosen length: what the demo model
    // was trained to answer; other models get the same prompts through their tokenizer.
    request.samples = demo_eval_set({static_cast<size_t>(length)}, depths, 1, seed);
    const EvalResult result = eval_run(request, job.progressFn());
    const int correct = static_cast<int>(result.retrieval.overall.correct);
    const int total = static_cast<int>(result.retrieval.overall.total);
    const double density = result.mean_density;
    job.deliver([this, length, correct, total, density] { emit accuracyMeasured(length, correct, total, density); });
  });
}

}  // namespace moa::studio
