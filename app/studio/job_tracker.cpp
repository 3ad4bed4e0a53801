#include "app/studio/job_tracker.h"

#include <QMetaObject>

#include <algorithm>
#include <cmath>
#include <exception>
#include <type_traits>

#include "app/studio/core_progress.h"

namespace moa::studio {

// The core's hot loops call this thousands of times a second: the message is converted only
// for the calls the throttle lets through.
template <typename Text>
bool JobContext::report(double fraction, const Text& message) {
  if (stop_->load()) return false;
  const int permille = static_cast<int>(std::lround(std::clamp(fraction, 0.0, 1.0) * 1000.0));
  const auto now = std::chrono::steady_clock::now();
  // Throttle: ~30 Hz, and always the end.
  if (permille != 1000 && now - last_post_ < std::chrono::milliseconds(33)) return true;
  last_post_ = now;
  QString text;
  if constexpr (std::is_same_v<Text, QString>) text = message;
  else text = core_progress_text(message);
  JobTracker* tracker = tracker_;
  const quint64 id = id_;
  tracker_->post(id_, [tracker, id, permille, text] { emit tracker->progressChanged(id, permille, text); });
  return !stop_->load();
}

bool JobContext::progress(double fraction, const moa::ProgressText& message) { return report(fraction, message); }
bool JobContext::progress(double fraction, const QString& message) { return report(fraction, message); }

moa::ProgressFn JobContext::progressFn() {
  return [this](double fraction, const moa::ProgressText& message) { return progress(fraction, message); };
}

void JobContext::deliver(std::function<void()> fn) { tracker_->post(id_, std::move(fn)); }

JobTracker::JobTracker(QObject* parent) : QObject(parent) {
  // Two workers: a superseded job may still be winding down (it stops at its next progress
  // call) while its successor already runs.
  pool_.setMaxThreadCount(2);
}

JobTracker::~JobTracker() {
  stop();
  pool_.waitForDone();
}

void JobTracker::post(quint64 id, std::function<void()> fn) {
  // The queued functor is dropped by Qt if the tracker is gone; the id check drops results
  // of superseded jobs.
  QMetaObject::invokeMethod(
      this,
      [this, id, fn = std::move(fn)] {
        if (id == current_.load()) fn();
      },
      Qt::QueuedConnection);
}

quint64 JobTracker::start(const QString& title, Work work) {
  stop();
  const quint64 id = current_.fetch_add(1) + 1;
  auto stop_flag = std::make_shared<std::atomic<bool>>(false);
  {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    stop_ = stop_flag;
  }
  title_ = title;
  ++running_;
  emit started(id, title);
  pool_.start([this, id, stop_flag, work = std::move(work)] {
    JobContext context(this, id, stop_flag);
    JobOutcome outcome = JobOutcome::Done;
    QString message;
    try {
      // A job that ran to its end is Done even if Stop came late: everything it delivered
      // is in place. Stopped means the core gave up part-way (Cancelled).
      work(context);
    } catch (const moa::Cancelled&) {
      outcome = JobOutcome::Stopped;
    } catch (const std::exception& e) {
      outcome = JobOutcome::Failed;
      message = QString::fromStdString(e.what());
    }
    // running_ counts every job, current or not, so waitForDone/isRunning stay truthful.
    QMetaObject::invokeMethod(
        this,
        [this, id, outcome, message] {
          --running_;
          if (id == current_.load()) emit finished(id, outcome, message);
        },
        Qt::QueuedConnection);
  });
  return id;
}

void JobTracker::stop() {
  std::lock_guard<std::mutex> lock(stop_mutex_);
  if (stop_) stop_->store(true);
}

bool JobTracker::waitForDone(int msecs) { return pool_.waitForDone(msecs); }

}  // namespace moa::studio
