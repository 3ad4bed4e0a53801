#pragma once
// Helpers shared by the gui tests: a temp dir, fixture files, waiting for jobs.
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "app/studio/workspace.h"
#include "tests/gui/profile_fixture.h"

namespace moa::test {

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

}  // namespace moa::test
