// Jobs: Stop takes effect within a second and leaves consistent documents; results of
// superseded jobs are dropped (both for a test harness work function and for real solves).
// Documents: opening a plan or session over unsaved edits asks first; a plan of another model
// than the profile is refused; a model, profile and plan that disagree are said.
#include <QElapsedTimer>
#include <QFile>
#include <QSettings>
#include <QStandardPaths>
#include <QtTest>

#include <atomic>
#include <thread>

#include "app/studio/main_window.h"
#include "app/studio/session.h"
#include "core/model/checkpoint.h"
#include "core/model/config.h"
#include "core/plan/plan_io.h"
#include "core/util/error.h"
#include "tests/gui/gui_test_util.h"

using namespace moa;
using namespace moa::studio;

Q_DECLARE_METATYPE(moa::studio::JobOutcome)

namespace {

// Test harness only: stands in for a long core loop (a profiler over many samples) that
// polls its ProgressFn every few milliseconds, as core functions do between layers.
void long_core_loop(const ProgressFn& progress, int steps, int step_ms) {
  for (int i = 0; i < steps; ++i) {
    report(progress, static_cast<double>(i) / steps, "step " + std::to_string(i));
    std::this_thread::sleep_for(std::chrono::milliseconds(step_ms));
  }
}

}  // namespace

class StudioJobsTest : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private slots:
  void initTestCase() { qRegisterMetaType<JobOutcome>(); }

  void stopWithinOneSecond() {
    JobTracker jobs;
    QSignalSpy progress(&jobs, &JobTracker::progressChanged);
    QSignalSpy finished(&jobs, &JobTracker::finished);
    std::atomic<int> delivered_after_stop{0};
    std::atomic<bool> stopped{false};
    jobs.start(QStringLiteral("long"), [&](JobContext& job) {
      long_core_loop(job.progressFn(), 100000, 5);  // ~8 minutes unless stopped
      job.deliver([&] { if (stopped) ++delivered_after_stop; });
    });
    QVERIFY(progress.wait(5000));
    QTRY_VERIFY(progress.count() >= 3);
    const int last_permille = progress.last().at(1).toInt();
    QVERIFY(last_permille >= 0 && last_permille <= 1000);
    QElapsedTimer t;
    t.start();
    stopped = true;
    jobs.stop();
    QVERIFY(finished.wait(1000));
    QVERIFY2(t.elapsed() <= 1000, qPrintable(QString::number(t.elapsed())));
    QCOMPARE(finished.first().at(1).value<JobOutcome>(), JobOutcome::Stopped);
    QVERIFY(!jobs.isRunning());
    QTest::qWait(50);
    QCOMPARE(delivered_after_stop.load(), 0);
  }

  void stoppedProfileLoadKeepsConsistentDocument() {
    const QString path = dir_.filePath(QStringLiteral("many.moaprof.h5"));
    test::fixture_profile_write(path.toStdString(), 8, 16, 4, {1024, 2048, 3072, 4096, 5120, 6144}, 1);
    Workspace ws;
    QSignalSpy added(ws.profile(), &ProfileDocument::lengthAdded);
    QSignalSpy finished(ws.profileJobs(), &JobTracker::finished);
    ws.openProfile(path);
    QVERIFY(added.wait(10000));  // the first length arrived: the job is mid-way
    QElapsedTimer t;
    t.start();
    ws.profileJobs()->stop();
    QVERIFY(finished.wait(1000));
    QVERIFY(t.elapsed() <= 1000);
    const JobOutcome outcome = finished.first().at(1).value<JobOutcome>();
    ProfileDataPtr data = ws.profile()->data();
    QVERIFY(data);
    if (outcome == JobOutcome::Stopped) {
      QVERIFY(!ws.profile()->isComplete());
      QVERIFY(data->lengths.size() < 6);
    }
    // Whatever arrived is whole: every length has its summary and full influence.
    for (const auto& [n, lp] : data->lengths) {
      QVERIFY(data->summaries.count(n));
      QCOMPARE(lp->influence.size(), size_t(8 * 16) * (n / 64) * (n / 64));
    }
    // The plan side follows the partial profile without trouble.
    QVERIFY(test::solve_and_wait(ws));
    QCOMPARE(ws.plan()->preview().lengths().size(), data->lengths.size());
  }

  void supersededResultIsDropped() {
    JobTracker jobs;
    QSignalSpy finished(&jobs, &JobTracker::finished);
    QStringList results;
    const quint64 first = jobs.start(QStringLiteral("slow"), [&](JobContext& job) {
      // Ignores Stop on purpose (a core call that cannot be interrupted, e.g. one CBC solve).
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      job.deliver([&] { results << QStringLiteral("slow"); });
    });
    const quint64 second = jobs.start(QStringLiteral("fast"), [&](JobContext& job) {
      job.deliver([&] { results << QStringLiteral("fast"); });
    });
    QVERIFY(second > first);
    QVERIFY(finished.wait(5000));
    QVERIFY(jobs.waitForDone(5000));
    QTest::qWait(50);  // let the slow job's queued result arrive (and be dropped)
    QCOMPARE(results, QStringList{QStringLiteral("fast")});
    QCOMPARE(finished.count(), 1);
    QCOMPARE(finished.first().at(0).toULongLong(), second);
    QVERIFY(!jobs.isRunning());
  }

  void supersededSolveIsIgnored() {
    const QString path = dir_.filePath(QStringLiteral("solve.moaprof.h5"));
    test::fixture_profile_write(path.toStdString(), 4, 8, 2, {512, 1024});
    Workspace ws;
    QVERIFY(test::open_profile_and_wait(ws, path));
    QVERIFY(test::solve_and_wait(ws));
    PlanDocument* doc = ws.plan();
    QVERIFY(doc->editBudget(512, 0.8));
    QVERIFY(doc->editBudget(1024, 0.8));
    const int before = doc->undoStack()->count();
    QSignalSpy finished(ws.solveJobs(), &JobTracker::finished);
    const quint64 a = ws.solve();  // budgets 0.8 ...
    doc->undoStack()->undo();
    doc->undoStack()->undo();  // ... superseded by a solve at the original budgets
    const quint64 b = ws.solve();
    QVERIFY(b > a);
    QVERIFY(finished.wait(30000));
    QVERIFY(ws.solveJobs()->waitForDone(30000));
    QTest::qWait(50);
    QCOMPARE(finished.count(), 1);
    QCOMPARE(finished.first().at(0).toULongLong(), b);
    // Exactly one re-solve landed, and it is the second one (budgets 0.5 respected).
    QCOMPARE(doc->undoStack()->count(), before - 2 + 1);
    for (const auto& [n, d] : doc->plan().density) QVERIFY(d <= 0.5 + 1e-9);
  }

  void failedLoadLeavesDocumentUnchanged() {
    const QString path = dir_.filePath(QStringLiteral("ok.moaprof.h5"));
    test::fixture_profile_write(path.toStdString(), 2, 4, 2, {512});
    Workspace ws;
    QVERIFY(test::open_profile_and_wait(ws, path));
    ProfileDataPtr before = ws.profile()->data();
    QSignalSpy finished(ws.profileJobs(), &JobTracker::finished);
    ws.openProfile(dir_.filePath(QStringLiteral("missing.moaprof.h5")));
    QVERIFY(finished.wait(5000));
    QCOMPARE(finished.first().at(1).value<JobOutcome>(), JobOutcome::Failed);
    QVERIFY(finished.first().at(2).toString().contains(QStringLiteral("missing.moaprof.h5")));
    QCOMPARE(ws.profile()->data(), before);
    QVERIFY(ws.profile()->isComplete());
  }

  // Open Recent lists a profile once it opened, never one whose open failed.
  void recentFilesOnlyAfterASuccessfulOpen() {
    QStandardPaths::setTestModeEnabled(true);  // QSettings of a test profile, not the user's
    QSettings().remove(QStringLiteral("recent_files"));
    const QString good = dir_.filePath(QStringLiteral("recent_ok.moaprof.h5"));
    const QString bad = dir_.filePath(QStringLiteral("recent_bad.moaprof.h5"));
    test::fixture_profile_write(good.toStdString(), 2, 4, 2, {512});
    {
      QFile f(bad);
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write("not HDF5");
    }
    MainWindow w;
    QSignalSpy finished(w.workspace()->profileJobs(), &JobTracker::finished);
    w.openPath(bad);
    QVERIFY(finished.wait(5000));
    QCOMPARE(finished.last().at(1).value<JobOutcome>(), JobOutcome::Failed);
    QVERIFY(!recent_files().contains(QFileInfo(bad).absoluteFilePath()));
    finished.clear();
    w.openPath(good);
    QVERIFY(finished.wait(5000));
    QCOMPARE(finished.last().at(1).value<JobOutcome>(), JobOutcome::Done);
    QTRY_VERIFY(recent_files().contains(QFileInfo(good).absoluteFilePath()));
    QVERIFY(!recent_files().contains(QFileInfo(bad).absoluteFilePath()));
  }

  void openingAPlanOverEditsAsksFirst() {
    const QString prof = dir_.filePath(QStringLiteral("edits.moaprof.h5"));
    test::fixture_profile_write(prof.toStdString(), 4, 8, 8, {512, 1024});
    MainWindow w;
    Workspace& ws = *w.workspace();
    QVERIFY(test::open_profile_and_wait(ws, prof));
    QVERIFY(test::solve_and_wait(ws));
    const QString a = dir_.filePath(QStringLiteral("a.moaplan.json")), b = dir_.filePath(QStringLiteral("b.moaplan.json"));
    ws.savePlan(b);
    const Rule r = ws.plan()->plan().rules[1][2];
    QVERIFY(ws.plan()->editRule(1, 2, Rule{r.alpha + 64, r.beta}));
    ws.savePlan(a);
    QVERIFY(ws.plan()->editRule(1, 3, Rule{r.alpha + 128, r.beta}));  // unsaved
    const std::string edited = plan_to_json(ws.plan()->plan());
    {
      test::BoxAnswer cancel([](QMessageBox* box) { return box->button(QMessageBox::Cancel); });
      w.openPath(b);
      QVERIFY(cancel.seen());
      QVERIFY(cancel.text().contains(QStringLiteral("not saved")));
    }
    QCOMPARE(plan_to_json(ws.plan()->plan()), edited);  // nothing replaced, edits and undo kept
    QVERIFY(ws.plan()->undoStack()->canUndo());
    QCOMPARE(ws.plan()->path(), a);
    {
      test::BoxAnswer discard([](QMessageBox* box) { return box->button(QMessageBox::Discard); });
      w.openPath(b);
      QVERIFY(discard.seen());
    }
    QCOMPARE(ws.plan()->path(), b);
    QCOMPARE(plan_to_json(ws.plan()->plan()), plan_to_json(plan_read(b.toStdString())));
    // Clean now: another open does not ask (a box would be answered Cancel and seen).
    {
      test::BoxAnswer none([](QMessageBox* box) { return box->button(QMessageBox::Cancel); });
      w.openPath(a);
      QTest::qWait(50);
      QVERIFY(!none.seen());
    }
    QCOMPARE(ws.plan()->path(), a);
  }

  void documentsThatDisagreeAreSaid() {
    // The tiny preset: 2 layers, 4 query / 2 KV heads.
    const QString tiny = dir_.filePath(QStringLiteral("tiny-model"));
    checkpoint_write_random(config_preset("tiny"), tiny.toStdString(), RandomCheckpointOptions{});
    const QString same_shape = dir_.filePath(QStringLiteral("same.moaprof.h5"));
    const QString other_shape = dir_.filePath(QStringLiteral("other.moaprof.h5"));
    test::fixture_profile_write(same_shape.toStdString(), 2, 4, 2, {512});
    test::fixture_profile_write(other_shape.toStdString(), 4, 8, 8, {512});
    Workspace ws;
    QSignalSpy said(&ws, &Workspace::documentsMismatch);
    QVERIFY(test::open_profile_and_wait(ws, other_shape));
    QVERIFY(test::solve_and_wait(ws));
    QVERIFY(ws.mismatches().isEmpty());  // a plan solved from the profile fits it
    QCOMPARE(said.count(), 0);

    // A plan of another model (same shape) is refused while that profile is open.
    const QString foreign = dir_.filePath(QStringLiteral("foreign.moaplan.json"));
    {
      Plan p = ws.plan()->plan();
      p.model_hash = "deadbeefdeadbeef";
      plan_write(foreign.toStdString(), p, PlanFormat::moa);
    }
    const std::string before = plan_to_json(ws.plan()->plan());
    QString refusal;
    try {
      ws.openPlan(foreign);
    } catch (const moa::Error& e) {
      refusal = QString::fromUtf8(e.what());
    }
    QVERIFY2(refusal.startsWith(foreign) && refusal.contains(QStringLiteral("the plan is for model deadbeefdeadbeef but the "
                                                                            "open profile is of model fixture-0001")),
             qPrintable(refusal));
    QCOMPARE(plan_to_json(ws.plan()->plan()), before);

    // A model of another shape: said once the load ends, naming both shapes.
    QSignalSpy model_done(ws.modelJobs(), &JobTracker::finished);
    ws.openModel(tiny);
    QVERIFY(model_done.wait(20000));
    QTRY_COMPARE(said.count(), 1);
    const QString text = said.last().at(0).toString();
    QVERIFY2(text.contains(QStringLiteral("the model has 2 layers × 4 heads (2 KV) but the profile has 4 layers × 8 heads (8 KV)")),
             qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("the plan does not fit the model")), qPrintable(text));
    // The same disagreement is not said again by an unrelated check.
    ws.plan()->clear();
    QVERIFY(test::open_profile_and_wait(ws, same_shape));
    // Same shape, another model's profile (the fixture's hash): still said, with the hashes.
    QTRY_COMPARE(said.count(), 2);
    QVERIFY2(said.last().at(0).toString().contains(QStringLiteral("the profile is of model fixture-0001, the open model is ")),
             qPrintable(said.last().at(0).toString()));
  }
};

QTEST_MAIN(StudioJobsTest)
#include "test_studio_jobs.moc"
