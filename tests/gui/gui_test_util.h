#pragma once
// Helpers shared by the gui tests: a temp dir, fixture files, waiting for jobs.
#include <QAbstractButton>
#include <QApplication>
#include <QMessageBox>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <functional>

#include "app/studio/workspace.h"
#include "tests/gui/profile_fixture.h"

namespace moa::test {

// Wall-time targets (DESIGN §7) are asserted at their spec values only with MOA_STRICT_TIMING=1
// (a quiet machine, scripts/gui_timing.sh). In CI two tests share two cores and a scheduler
// preemption alone can pass 100 ms, so there the tests assert bounds ten times looser: still
// far below what a GUI thread doing the work itself (seconds) would show.
inline bool strict_timing() { return qEnvironmentVariableIntValue("MOA_STRICT_TIMING") == 1; }
inline qint64 timing_bound_ms(qint64 spec_ms) { return strict_timing() ? spec_ms : 10 * spec_ms; }

inline QString fixture_path(const QTemporaryDir& dir, const char* name) { return dir.filePath(QString::fromLatin1(name)); }

// Opens a profile and waits for the load job to end; returns false on timeout.
inline bool open_profile_and_wait(studio::Workspace& ws, const QString& path, int ms = 20000) {
  QSignalSpy done(ws.profileJobs(), &studio::JobTracker::finished);
  ws.openProfile(path);
  return done.wait(ms);
}

// Solves and waits; returns false on timeout or failure.
inline bool solve_and_wait(studio::Workspace& ws, int ms = 60000) {
  QSignalSpy done(ws.solveJobs(), &studio::JobTracker::finished);
  ws.solve();
  if (!done.wait(ms)) return false;
  if (done.first().at(1).value<studio::JobOutcome>() == studio::JobOutcome::Done) return true;
  qWarning("solve failed: %s", qPrintable(done.first().at(2).toString()));
  return false;
}

// While it lives, clicks `pick`'s button in the first message box that shows up (the box
// runs its own event loop, so a timer does the clicking).
class BoxAnswer {
 public:
  explicit BoxAnswer(std::function<QAbstractButton*(QMessageBox*)> pick) {
    timer_.setInterval(10);
    QObject::connect(&timer_, &QTimer::timeout, [this, pick] {
      for (QWidget* w : QApplication::topLevelWidgets()) {
        auto* box = qobject_cast<QMessageBox*>(w);
        if (!box || !box->isVisible()) continue;
        seen_ = true;
        text_ = box->text();
        timer_.stop();
        pick(box)->click();
        return;
      }
    });
    timer_.start();
  }
  bool seen() const { return seen_; }
  QString text() const { return text_; }

 private:
  QTimer timer_;
  bool seen_ = false;
  QString text_;
};

}  // namespace moa::test
