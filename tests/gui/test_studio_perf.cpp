// DESIGN §7 GUI targets: a 32 x 32-head profile at 3 lengths opens and draws in <= 0.5 s,
// and the event loop never stalls > 100 ms while jobs run (timer probe). The times are always
// measured and printed; they are asserted at these values with MOA_STRICT_TIMING=1 (a quiet
// machine, as `scripts/gui_timing.sh` runs it) and at ten times them otherwise: in CI two tests
// share two cores and wall times are noisy (gui_test_util.h).
#include <QElapsedTimer>
#include <QTimer>
#include <QtTest>

#include <qcustomplot.h>

#include "app/studio/head_grid_view.h"
#include "app/studio/main_window.h"
#include "tests/gui/gui_test_util.h"

using namespace moa;
using namespace moa::studio;

namespace {

// Longest gap between ticks of a 5 ms timer: how long the GUI thread was busy at once.
class StallProbe : public QObject {
 public:
  StallProbe() {
    timer_.setInterval(5);
    timer_.setTimerType(Qt::PreciseTimer);
    connect(&timer_, &QTimer::timeout, this, [this] {
      const qint64 now = clock_.elapsed();
      worst_ = std::max(worst_, now - last_);
      last_ = now;
    });
  }
  void start() {
    clock_.start();
    last_ = 0;
    worst_ = 0;
    timer_.start();
  }
  qint64 worst() const { return worst_; }

 private:
  QTimer timer_;
  QElapsedTimer clock_;
  qint64 last_ = 0;
  qint64 worst_ = 0;
};

}  // namespace

class StudioPerfTest : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString path_;

 private slots:
  void initTestCase() {
    // Real profile lengths (2k/4k/8k): 32 x 32 heads x (32^2 + 64^2 + 128^2) blocks = 84 MB.
    path_ = dir_.filePath(QStringLiteral("llama-shape.moaprof.h5"));
    test::fixture_profile_write(path_.toStdString(), 32, 32, 8, {2048, 4096, 8192}, 1);
  }

  void profileOpensAndDrawsInHalfASecond() {
    MainWindow w;
    w.resize(1400, 900);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QSignalSpy done(w.workspace()->profile(), &ProfileDocument::finished);
    QElapsedTimer t;
    t.start();
    w.workspace()->openProfile(path_);
    QVERIFY(done.wait(10000));
    w.headGrid()->plot()->replot(QCustomPlot::rpImmediateRefresh);
    const qint64 ms = t.elapsed();
    qInfo("32x32 heads at 2k/4k/8k: opened and drawn in %lld ms", ms);
    QVERIFY2(ms <= test::timing_bound_ms(500), qPrintable(QStringLiteral("%1 ms").arg(ms)));
    QCOMPARE(w.headGrid()->values().layers, 32);
    QCOMPARE(w.headGrid()->values().heads, 32);
    QVERIFY(w.workspace()->profile()->isComplete());
  }

  void eventLoopNeverStallsDuringJobs() {
    MainWindow w;
    w.resize(1400, 900);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    StallProbe probe;
    probe.start();
    // Profile load: lengths arrive in stages and every view redraws on each.
    QSignalSpy loaded(w.workspace()->profile(), &ProfileDocument::finished);
    w.workspace()->openProfile(path_);
    QVERIFY(loaded.wait(10000));
    QTest::qWait(20);
    const qint64 during_load = probe.worst();
    // Solve (loss tables + CBC) with the window showing the grid, then the plan arriving.
    probe.start();
    QSignalSpy solved(w.workspace()->solveJobs(), &JobTracker::finished);
    SolveOptions options;
    options.time_limit_s = 3;
    w.workspace()->solve(options);
    QVERIFY(solved.wait(60000));
    QTest::qWait(20);
    const qint64 during_solve = probe.worst();
    qInfo("worst event-loop gap: %lld ms while loading, %lld ms while solving", during_load, during_solve);
    QVERIFY2(during_load <= test::timing_bound_ms(100), qPrintable(QString::number(during_load)));
    QVERIFY2(during_solve <= test::timing_bound_ms(100), qPrintable(QString::number(during_solve)));
    QVERIFY(w.workspace()->plan()->hasPlan());
  }
};

QTEST_MAIN(StudioPerfTest)
#include "test_studio_perf.moc"
