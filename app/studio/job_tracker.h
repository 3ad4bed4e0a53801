#pragma once
// Background jobs with ids (hotspot's JobTracker idea): each start() supersedes the previous
// job of the same tracker, asks it to stop, and drops whatever it still delivers. Work runs
// on a thread pool; progress is 0..1000 plus a message; results reach the GUI thread through
// JobContext::deliver only while the job is still the current one.
#include <QObject>
#include <QString>
#include <QThreadPool>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "core/util/progress.h"

namespace moa::studio {

enum class JobOutcome { Done, Stopped, Failed };

class JobTracker;

// The worker side of one job. Safe to use from the worker thread only.
class JobContext {
 public:
  quint64 id() const { return id_; }
  bool stopRequested() const { return stop_->load(); }
  // Reports progress (throttled to ~30 Hz so the GUI's event queue never floods) and
  // returns false once Stop was pressed or the job was superseded: the core's ProgressFn.
  bool progress(double fraction, const moa::ProgressText& message);  // the core's (translated here)
  bool progress(double fraction, const QString& message);            // Studio's own, translated
  moa::ProgressFn progressFn();
  // Runs fn on the GUI thread, unless a newer job started in the meantime.
  void deliver(std::function<void()> fn);

 private:
  friend class JobTracker;
  template <typename Text>
  bool report(double fraction, const Text& message);
  JobContext(JobTracker* tracker, quint64 id, std::shared_ptr<std::atomic<bool>> stop)
      : tracker_(tracker), id_(id), stop_(std::move(stop)) {}
  JobTracker* tracker_;
  quint64 id_;
  std::shared_ptr<std::atomic<bool>> stop_;
  std::chrono::steady_clock::time_point last_post_{};
};

class JobTracker : public QObject {
  Q_OBJECT
 public:
  using Work = std::function<void(JobContext&)>;
  explicit JobTracker(QObject* parent = nullptr);
  ~JobTracker() override;

  // Starts work on the pool and returns its id; a running job is asked to stop and its
  // later results are ignored.
  quint64 start(const QString& title, Work work);
  // Asks the current job to stop (its ProgressFn returns false from now on).
  void stop();
  bool isRunning() const { return running_ > 0; }
  quint64 currentId() const { return current_.load(); }
  QString title() const { return title_; }
  // Blocks until no job of this tracker runs (tests, shutdown).
  bool waitForDone(int msecs = -1);

 signals:
  void started(quint64 id, const QString& title);
  void progressChanged(quint64 id, int permille, const QString& message);
  // Emitted for the current job only; superseded jobs end silently.
  void finished(quint64 id, moa::studio::JobOutcome outcome, const QString& message);

 private:
  friend class JobContext;
  void post(quint64 id, std::function<void()> fn);

  QThreadPool pool_;
  std::atomic<quint64> current_{0};
  int running_ = 0;  // GUI thread only
  QString title_;
  std::mutex stop_mutex_;
  std::shared_ptr<std::atomic<bool>> stop_;
};

}  // namespace moa::studio
