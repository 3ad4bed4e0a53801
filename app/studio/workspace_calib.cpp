// Workspace::buildCalibration: MoA's model-aligned calibration set (core calib_build) as a GUI
// job: the open model answers each document's question itself (greedy), contexts are
// middle-truncated to every length, and the records keep their answer spans for the profiler.
#include <QThread>

#include <algorithm>

#include "app/studio/workspace.h"
#include "core/profile/calib_build.h"
#include "core/util/error.h"

namespace moa::studio {

quint64 Workspace::buildCalibration(const CalibOptions& options) {
  auto ck = model_.checkpoint();
  if (!ck) throw Error("open a model before building a calibration set");
  if (options.lengths.empty()) throw Error("no calibration lengths given");
  if (options.out.isEmpty()) throw Error("no output file given");
  CalibBuildRequest request;
  request.model_dir = ck->dir();
  request.lengths = options.lengths;
  request.max_new_tokens = options.max_new_tokens;
  const bool demo = options.input.isEmpty();
  if (!demo) request.input = options.input.toStdString();
  const int count = options.count;
  const QString out = options.out;
  return calib_jobs_.start(tr("Building calibration set"), [this, request, demo, count, out](JobContext& job) {
    std::vector<CalibRecord> records;
    if (demo) {
      // The demo task's records, answered by the loaded model itself (model alignment).
      DemoCalibAlign align;
      align.model_dir = request.model_dir;
      align.threads = std::max(1, QThread::idealThreadCount() - 1);
      records = calib_build_demo(request.lengths, count, 1, &align, job.progressFn());
    } else {
      records = calib_build(request, job.progressFn()).records;
    }
    calib_write_jsonl(out.toStdString(), records);
    const int n = static_cast<int>(records.size());
    job.progress(1.0, tr("wrote %1 records").arg(n));
    job.deliver([this, out, n] {
      emit calibrationBuilt(out, n);
      emit message(tr("Calibration set: %1 records in %2").arg(n).arg(out));
    });
  });
}

}  // namespace moa::studio
