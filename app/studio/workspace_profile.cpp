// Workspace::runProfile: the attention-influence profiler (core/profile) as a GUI job.
// Progress and Stop come straight from profile_run's ProgressFn (stops within ~1 s, between
// layers); the finished file is then opened in stages like any profile.
#include <QFileInfo>
#include <QThread>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "app/studio/workspace.h"
#include "core/profile/calib_build.h"
#include "core/profile/profile.h"
#include "core/util/error.h"
#include "core/util/progress_formats.h"

namespace moa::studio {

std::vector<int64_t> Workspace::defaultProfileLengths() const {
  int64_t max_len = 8192;
  if (auto ck = model_.checkpoint()) max_len = std::min<int64_t>(max_len, ck->config().max_position_embeddings);
  std::vector<int64_t> lengths;
  for (int64_t n = max_len; n >= 256 && lengths.size() < 3; n /= 2) lengths.insert(lengths.begin(), n / 64 * 64);
  return lengths;
}

namespace {

// The demo records are numbered over all lengths of a run, so another set of lengths or another
// sample count gives other records under the same numbers: profile_run would refuse the resume,
// but only after the model has answered every record (minutes). Said before any work instead.
void check_demo_resume(const ProfileRequest& request) {
  const Profile have = profile_read(request.out);
  std::vector<int64_t> lengths;
  int64_t samples = 0;
  for (const auto& [n, lp] : have.lengths) {
    lengths.push_back(n);
    samples = std::max(samples, lp.samples_target);
  }
  std::vector<int64_t> asked = request.lengths;
  std::sort(asked.begin(), asked.end());
  if (lengths == asked && samples == request.samples) return;
  auto list = [](const std::vector<int64_t>& v) {
    std::string s;
    for (int64_t n : v) {
      if (!s.empty()) s += ',';
      s += std::to_string(n);
    }
    return s;
  };
  fail_file(request.out.string(), "was profiled at lengths " + list(lengths) + " with " + std::to_string(samples) +
                                      " samples each; resume it with those (this run asks for " + list(asked) +
                                      " with " + std::to_string(request.samples) + ")");
}

}  // namespace

quint64 Workspace::runProfile(const ProfileOptions& options) {
  auto ck = model_.checkpoint();
  if (!ck) throw Error("open a model before profiling");
  if (options.lengths.empty()) throw Error("no profile lengths given");
  if (options.out.isEmpty()) throw Error("no output file given");
  // Said here, before the job starts, as for the other option errors (profile_run refuses too).
  if (!options.resume && !options.overwrite && QFileInfo::exists(options.out))
    throw Error(options.out.toStdString() + ": already exists; resume the run in it or replace it");
  ProfileRequest request;
  request.model_dir = ck->dir();
  request.lengths = options.lengths;
  request.samples = options.samples;
  request.out = options.out.toStdString();
  request.resume = options.resume;
  request.overwrite = options.overwrite;
  // Leave one core to the GUI thread: the event loop must keep ticking during the run.
  request.threads = std::max(1, QThread::idealThreadCount() - 1);
  const bool demo_records = options.calib_file.isEmpty();
  if (!demo_records) request.calib_file = options.calib_file.toStdString();
  const QString out = options.out;
  return profile_jobs_.start(tr("Profiling %1").arg(QString::fromStdString(ck->name())),
                             [this, request, demo_records, out](JobContext& job) mutable {
    if (demo_records && request.resume && std::filesystem::exists(request.out))
      check_demo_resume(request);
    if (demo_records) {
      // The demo task's records, tokenised with the byte vocabulary the demo model uses.
      // answered by the model itself (model alignment), before the profiling proper.
      DemoCalibAlign align;
      align.model_dir = request.model_dir;
      align.threads = request.threads;
      request.records = calib_build_demo(request.lengths, static_cast<int>(request.samples), 1, &align,
                                         [&job](double f, const ProgressText& m) { return job.progressFn()(0.1 * f, m); });
    }
    // Profiling is ~all of the work; reading the result back is the last 5%. After each
    // finished sample (at most once a second) the file, which the profiler leaves consistent
    // after every sample, is read back so the views fill in while the run goes on.
    const ProgressFn inner = job.progressFn();
    // Samples this run finished: counted from the profiler's "sample done" report, which comes
    // after the sample is in the file (and, for a new run, after the file was moved over
    // `out`: before that, `out` may still be the profile an --overwrite replaces).
    int64_t finished = 0, staged = 0;
    const auto samples = static_cast<int64_t>(request.lengths.size()) * request.samples;  // the last one: the final read
    auto last_stage = std::chrono::steady_clock::now();
    try {
      profile_run(request, [&](double f, const ProgressText& m) {
        if (m.format == progress_format::kProfileSampleDone) ++finished;
        const auto now = std::chrono::steady_clock::now();
        if (finished > staged && finished < samples && now - last_stage >= std::chrono::seconds(1)) {
          staged = finished;
          last_stage = now;
          try {
            loadStages(job, request.out, out, false, 0.0, LoadMode::snapshot);
          } catch (const Cancelled&) {
            return false;
          } catch (const std::exception&) {
            // A snapshot that cannot be read now is skipped; the final read reports errors.
          }
        }
        return inner(0.95 * f, m);
      });
    } catch (const Cancelled&) {
      // Stopped: every finished sample is in the file; show them (the last snapshot may be a
      // second old or, before a second had passed, missing), then end as stopped.
      if (finished > 0 || request.resume) {
        try {
          loadStages(job, request.out, out, false, 0.0, LoadMode::snapshot_after_stop);
        } catch (const std::exception&) {
        }
      }
      throw;
    }
    loadStages(job, request.out, out, false, 0.95);
  });
}

}  // namespace moa::studio
