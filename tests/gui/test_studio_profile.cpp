// The profile job on the real profiler (core profile_run) with a random tiny checkpoint:
// results arrive in the document; Stop ends the run within a second (asserted at that value
// with MOA_STRICT_TIMING=1, see gui_test_util.h) and leaves a resumable
// file and an untouched document; the event loop keeps ticking while it runs; an existing
// output file is replaced only when the user says so (workspace and dialog).
#include <QApplication>
#include <QComboBox>
#include <QSpinBox>
#include <QElapsedTimer>
#include <QLineEdit>
#include <QRadioButton>
#include <QMessageBox>
#include <QPushButton>
#include <QTimer>
#include <QtTest>

#include <functional>

#include "app/studio/calib_dialog.h"
#include "app/studio/dialog_fields.h"
#include "app/studio/main_window.h"
#include "app/studio/plan_editor.h"
#include "app/studio/profile_dialog.h"
#include "core/model/config.h"
#include "core/data/calib.h"
#include "core/profile/profile_store.h"
#include "core/util/error.h"
#include "tests/gui/gui_test_util.h"

using namespace moa;
using namespace moa::studio;

Q_DECLARE_METATYPE(moa::studio::JobOutcome)

// Dense as a plan (every band as wide as the input): the demo model answers its own task.
static Plan dense_plan(const ModelConfig& c) {
  Plan plan;
  plan.granularity = Granularity::kv_head;
  plan.num_layers = static_cast<int>(c.num_layers);
  plan.num_heads = static_cast<int>(c.num_heads);
  plan.num_kv_heads = static_cast<int>(c.num_kv_heads);
  plan.rules.assign(plan.num_layers, std::vector<Rule>(plan.num_kv_heads, Rule{0, 1.0}));
  return plan;
}

class StudioProfileTest : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString model_;

  bool openModel(Workspace& ws) {
    QSignalSpy done(ws.modelJobs(), &JobTracker::finished);
    ws.openModel(model_);
    return done.wait(20000) && ws.model()->checkpoint() != nullptr;
  }

  static QByteArray contents(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
  }

 private slots:
  void initTestCase() {
    qRegisterMetaType<JobOutcome>();
    model_ = dir_.filePath(QStringLiteral("tiny"));
    checkpoint_write_random(config_preset("tiny"), model_.toStdString(), RandomCheckpointOptions{});
  }

  void profileRunFillsTheDocument() {
    Workspace ws;
    QVERIFY(openModel(ws));
    QSignalSpy progress(ws.profileJobs(), &JobTracker::progressChanged);
    QSignalSpy finished(ws.profileJobs(), &JobTracker::finished);
    QSignalSpy added(ws.profile(), &ProfileDocument::lengthAdded);
    ProfileOptions o;
    o.lengths = {1024, 2048};
    o.samples = 1;
    o.out = dir_.filePath(QStringLiteral("run.moaprof.h5"));
    ws.runProfile(o);
    QVERIFY(finished.wait(60000));
    QVERIFY2(finished.first().at(1).value<JobOutcome>() == JobOutcome::Done,
             qPrintable(finished.first().at(2).toString()));
    QVERIFY(progress.count() >= 2);
    QVERIFY(added.count() >= 2);  // delivered length by length (plus snapshots during the run)
    ProfileDataPtr data = ws.profile()->data();
    QCOMPARE(data->meta.num_layers, 2);
    QCOMPARE(data->meta.num_heads, 4);
    QCOMPARE(data->meta.model_hash, ws.model()->checkpoint()->content_hash());
    QCOMPARE(data->lengths.at(2048)->samples_done(), int64_t(1));
    QVERIFY(data->summaries.at(2048).total[0] > 0.0f);
    QVERIFY(ws.profile()->isComplete());
    QVERIFY(test::solve_and_wait(ws));  // and the pipeline goes on: a plan from this profile
  }

  void calibrationJobWritesModelAlignedRecords() {
    Workspace ws;
    QVERIFY(openModel(ws));
    // Documents with questions but no answers: the open model writes the answers itself.
    const QString docs = dir_.filePath(QStringLiteral("docs.jsonl"));
    {
      QFile f(docs);
      QVERIFY(f.open(QIODevice::WriteOnly));
      for (int i = 0; i < 2; ++i) {
        std::string context;
        for (int k = 0; k < 120; ++k) context += "line " + std::to_string(k) + " of document " + std::to_string(i) + ". ";
        const std::string row = "{\"context\": \"" + context + "\", \"question\": \"Which document is this?\"}\n";
        f.write(row.data(), static_cast<qint64>(row.size()));
      }
    }
    CalibOptions options;
    options.input = docs;
    options.lengths = {256};
    options.max_new_tokens = 4;
    options.out = dir_.filePath(QStringLiteral("calib.jsonl"));
    QSignalSpy built(&ws, &Workspace::calibrationBuilt);
    QSignalSpy finished(ws.calibJobs(), &JobTracker::finished);
    ws.buildCalibration(options);
    QVERIFY(finished.wait(60000));
    QCOMPARE(finished.last().at(1).value<JobOutcome>(), JobOutcome::Done);
    QCOMPARE(built.count(), 1);
    QCOMPARE(built.last().at(1).toInt(), 2);
    const auto records = calib_read_jsonl(options.out.toStdString(), {});
    QCOMPARE(records.size(), size_t{2});
    for (const auto& r : records) {
      // A random model may answer with nothing printable; the record still carries the
      // answer's place in exactly `length` tokens for the profiler.
      QVERIFY(r.answer_span.has_value());
      QCOMPARE(static_cast<int64_t>(r.input_ids.size()), int64_t{256});
      QVERIFY(r.answer_span->second <= r.input_ids.size());
    }
  }

  // Run ▸ Build Calibration Set: lengths, source (demo records per length, or documents with the
  // answer budget), output; what does not parse is refused while the dialog is open.
  void calibrationDialogOptions() {
    CalibDialog dialog({1024, 2048}, dir_.filePath(QStringLiteral("c")));
    CalibOptions o = dialog.options();
    QCOMPARE(o.lengths, (std::vector<int64_t>{1024, 2048}));
    QVERIFY(o.input.isEmpty());  // the demo task
    QCOMPARE(o.count, 4);
    QCOMPARE(o.out, dir_.filePath(QStringLiteral("c.jsonl")));  // the type's extension
    dialog.countBox()->setValue(9);
    dialog.lengthsEdit()->setText(QStringLiteral("512, 4096"));
    o = dialog.options();
    QCOMPARE(o.count, 9);
    QCOMPARE(o.lengths, (std::vector<int64_t>{512, 4096}));
    dialog.documentsButton()->setChecked(true);
    QVERIFY(!dialog.countBox()->isEnabled());
    auto refused = [&](const char* says) {
      try {
        dialog.options();
      } catch (const moa::Error& e) {
        return QString::fromUtf8(e.what()).contains(QString::fromUtf8(says));
      }
      return false;
    };
    QVERIFY(refused("choose a documents file"));
    dialog.documentsEdit()->setText(QStringLiteral("/data/docs.jsonl"));
    QCOMPARE(dialog.options().input, QStringLiteral("/data/docs.jsonl"));
    dialog.lengthsEdit()->setText(QStringLiteral("1000"));
    QVERIFY(refused("'1000' is not a positive multiple of 64"));
    dialog.lengthsEdit()->setText(QString());
    QVERIFY(refused("at least one length"));
    // The Profile dialog offers the last run's lengths while they fit the model's context.
    const std::vector<int64_t> fallback{2048, 4096, 8192};
    QCOMPARE(lengths_remembered(lengths_to_text({1024, 2048}), 8192, fallback), (std::vector<int64_t>{1024, 2048}));
    QCOMPARE(lengths_remembered(QStringLiteral("1024,16384"), 8192, fallback), fallback);  // beyond this model
    QCOMPARE(lengths_remembered(QString(), 8192, fallback), fallback);                      // nothing stored yet
    QCOMPARE(lengths_remembered(QStringLiteral("1000"), 8192, fallback), fallback);
  }

  void stopEndsTheRunWithinASecond() {
    MainWindow w;
    w.show();
    Workspace& ws = *w.workspace();
    QVERIFY(openModel(ws));
    QSignalSpy progress(ws.profileJobs(), &JobTracker::progressChanged);
    QSignalSpy finished(ws.profileJobs(), &JobTracker::finished);
    ProfileOptions o;
    o.lengths = {1024, 2048};
    o.samples = 3;
    o.out = dir_.filePath(QStringLiteral("stopped.moaprof.h5"));
    // Timer probe: the longest time the GUI thread went without processing events.
    QElapsedTimer clock;
    qint64 last = 0, worst = 0;
    QTimer probe;
    probe.setInterval(5);
    connect(&probe, &QTimer::timeout, this, [&] {
      worst = std::max(worst, clock.elapsed() - last);
      last = clock.elapsed();
    });
    clock.start();
    probe.start();
    ws.runProfile(o);
    // Let it do some real work: past the first sample at 1024.
    QTRY_VERIFY_WITH_TIMEOUT(!progress.isEmpty() && progress.last().at(1).toInt() >= 200, 60000);
    probe.stop();
    QElapsedTimer t;
    t.start();
    w.stopButton()->click();
    QVERIFY(finished.wait(static_cast<int>(test::timing_bound_ms(1000))));
    QVERIFY2(t.elapsed() <= test::timing_bound_ms(1000), qPrintable(QString::number(t.elapsed())));
    QCOMPARE(finished.first().at(1).value<JobOutcome>(), JobOutcome::Stopped);
    qInfo("stopped after %lld ms; worst event-loop gap while profiling %lld ms", t.elapsed(), worst);
    QVERIFY2(worst <= test::timing_bound_ms(100), qPrintable(QString::number(worst)));
    // Consistent: the file holds whole samples only; the document holds at most what the
    // file holds (snapshots taken after finished samples), marked incomplete; a resumed run
    // completes it.
    const Profile partial = profile_read(o.out.toStdString());
    QVERIFY(partial.lengths.at(1024).samples_done() >= 1);
    QVERIFY(partial.lengths.at(2048).samples_done() < 3);
    QVERIFY(!ws.profile()->isComplete());
    // The document shows every sample the stopped run finished (read after the stop).
    ProfileDataPtr data = ws.profile()->data();
    QVERIFY(data);
    for (const auto& [n, lp] : partial.lengths) {
      if (lp.samples_done() == 0) continue;
      QVERIFY2(data->lengths.count(n), qPrintable(QString::number(n)));
      QCOMPARE(data->lengths.at(n)->samples_done(), lp.samples_done());
      QVERIFY(data->summaries.count(n));
    }
    // Resuming the demo records with other lengths is refused before any work (they would
    // be other records under the same numbers), naming what the file holds.
    o.resume = true;
    ProfileOptions other = o;
    other.lengths = {1024};
    finished.clear();
    QElapsedTimer refused;
    refused.start();
    ws.runProfile(other);
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.first().at(1).value<JobOutcome>(), JobOutcome::Failed);
    QVERIFY2(finished.first().at(2).toString().contains(QStringLiteral("was profiled at lengths 1024,2048 with 3 samples "
                                                                       "each; resume it with those (this run asks for 1024 with 3)")),
             qPrintable(finished.first().at(2).toString()));
    QVERIFY2(refused.elapsed() < 5000, qPrintable(QString::number(refused.elapsed())));
    finished.clear();
    ws.runProfile(o);
    QVERIFY(finished.wait(120000));
    QCOMPARE(finished.first().at(1).value<JobOutcome>(), JobOutcome::Done);
    QCOMPARE(ws.profile()->data()->lengths.at(2048)->samples_done(), int64_t(3));
  }

  void anExistingFileIsReplacedOnlyWhenAsked() {
    Workspace ws;
    QVERIFY(openModel(ws));
    const QString out = dir_.filePath(QStringLiteral("kept.moaprof.h5"));
    {
      QFile f(out);
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write("hours of work");
    }
    QSignalSpy finished(ws.profileJobs(), &JobTracker::finished);
    ProfileOptions o;
    o.lengths = {1024};
    o.samples = 1;
    o.out = out;
    QString error;
    try {
      ws.runProfile(o);
    } catch (const moa::Error& e) {
      error = QString::fromStdString(e.what());
    }
    QCOMPARE(error, out + QStringLiteral(": already exists; resume the run in it or replace it"));
    QCOMPARE(finished.count(), 0);  // refused before any job started
    QCOMPARE(contents(out), QByteArray("hours of work"));
    o.overwrite = true;
    ws.runProfile(o);
    QVERIFY(finished.wait(60000));
    QVERIFY2(finished.first().at(1).value<JobOutcome>() == JobOutcome::Done, qPrintable(finished.first().at(2).toString()));
    QCOMPARE(profile_read(out.toStdString()).lengths.at(1024).samples_done(), int64_t(1));
  }

  void dialogAsksBeforeReplacingAFile() {
    const QString out = dir_.filePath(QStringLiteral("asked.moaprof.h5"));
    {
      // No file yet: OK accepts without asking.
      ProfileDialog d({1024}, out);
      test::BoxAnswer asked([](QMessageBox* box) { return box->button(QMessageBox::Cancel); });
      d.accept();
      QCOMPARE(d.result(), int(QDialog::Accepted));
      QVERIFY(!asked.seen());
      QVERIFY(!d.options().resume && !d.options().overwrite);
    }
    {
      QFile f(out);
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write("a finished profile");
    }
    auto button = [](const QString& text) {
      return [text](QMessageBox* box) -> QAbstractButton* {
        for (QAbstractButton* b : box->buttons())
          if (b->text() == text) return b;
        return box->button(QMessageBox::Cancel);
      };
    };
    {
      // Cancel: back in the dialog, nothing chosen.
      ProfileDialog d({1024}, out);
      test::BoxAnswer asked([](QMessageBox* box) { return box->button(QMessageBox::Cancel); });
      d.accept();
      QVERIFY(asked.seen());
      QCOMPARE(d.result(), int(QDialog::Rejected));
      QVERIFY(!d.options().resume && !d.options().overwrite);
    }
    {
      ProfileDialog d({1024}, out);
      test::BoxAnswer asked(button(QStringLiteral("Replace")));
      d.accept();
      QVERIFY(asked.seen());
      QCOMPARE(d.result(), int(QDialog::Accepted));
      QVERIFY(d.options().overwrite && !d.options().resume);
    }
    {
      ProfileDialog d({1024}, out);
      test::BoxAnswer asked(button(QStringLiteral("Resume")));
      d.accept();
      QVERIFY(asked.seen());
      QCOMPARE(d.result(), int(QDialog::Accepted));
      QVERIFY(d.options().resume && !d.options().overwrite);
    }
    QCOMPARE(contents(out), QByteArray("a finished profile"));  // the dialog only decides
  }

  void accuracyOfAPlanOnTheDemoModel() {
    const QString demo = Workspace::demoModelDir();
    if (demo.isEmpty()) QSKIP("no demo model in this checkout");
    Workspace ws;
    QSignalSpy opened(ws.modelJobs(), &JobTracker::finished);
    ws.openModel(demo);
    QVERIFY(opened.wait(20000));
    Plan plan = dense_plan(ws.model()->checkpoint()->config());
    plan.budgets = {{1024, 1.0}};
    ws.plan()->setPlan(plan, QString());
    QSignalSpy measured(&ws, &Workspace::accuracyMeasured);
    QSignalSpy finished(ws.accuracyJobs(), &JobTracker::finished);
    AccuracyOptions options;
    options.length = 1024;
    options.prompts = 2;
    ws.measureAccuracy(options);
    QVERIFY(finished.wait(120000));
    QVERIFY2(finished.first().at(1).value<JobOutcome>() == JobOutcome::Done, qPrintable(finished.first().at(2).toString()));
    QCOMPARE(measured.count(), 1);
    QCOMPARE(measured.first().at(0).toLongLong(), qint64(1024));
    QCOMPARE(measured.first().at(2).toInt(), 2);
    QVERIFY(measured.first().at(1).toInt() >= 1);
    QVERIFY(measured.first().at(3).toDouble() > 0.9);  // dense: (nearly) every block attended
  }

  // The preview panel's length and prompt count are what the background measurement uses.
  void accuracyPreviewLengthAndPromptsAreThePanels() {
    const QString demo = Workspace::demoModelDir();
    if (demo.isEmpty()) QSKIP("no demo model in this checkout");
    MainWindow w;
    Workspace& ws = *w.workspace();
    QSignalSpy opened(ws.modelJobs(), &JobTracker::finished);
    ws.openModel(demo);
    QVERIFY(opened.wait(20000));
    const ModelConfig& c = ws.model()->checkpoint()->config();
    Plan plan = dense_plan(c);
    // Lengths on offer: the plan's (no profile open), within the model's context and long enough
    // for the demo task's prompts (512 is not: its header alone is ~450 tokens).
    plan.budgets = {{512, 1.0}, {1024, 1.0}, {2048, 1.0}, {c.max_position_embeddings * 2, 1.0}};
    ws.plan()->setPlan(plan, QString());
    PlanEditor* editor = w.planEditor();
    QComboBox* length = editor->accuracyLengthBox();
    QCOMPARE(length->count(), 2);  // 512 and beyond the model's context are not offered
    QCOMPARE(length->itemText(0), QStringLiteral("1024"));
    QCOMPARE(editor->accuracyOptions().length, qint64(2048));  // the longest by default
    QCOMPARE(editor->accuracyOptions().prompts, 4);
    QSignalSpy measured(&ws, &Workspace::accuracyMeasured);
    QSignalSpy ended(ws.accuracyJobs(), &JobTracker::finished);
    length->setCurrentIndex(length->findText(QStringLiteral("1024")));
    emit length->activated(length->currentIndex());
    editor->accuracyPromptsBox()->setValue(1);
    QTRY_VERIFY_WITH_TIMEOUT(!ended.isEmpty(), 60000);
    QVERIFY2(ended.last().at(1).value<JobOutcome>() == JobOutcome::Done, qPrintable(ended.last().at(2).toString()));
    QCOMPARE(measured.count(), 1);
    QCOMPARE(measured.last().at(0).toLongLong(), qint64(1024));
    QCOMPARE(measured.last().at(2).toInt(), 1);
    // A choice survives a change of the lengths on offer (a plan reset), as sessions need.
    ws.plan()->setPlan(plan, QString());
    QCOMPARE(editor->accuracyOptions().length, qint64(1024));
  }
};

QTEST_MAIN(StudioProfileTest)
#include "test_studio_profile.moc"
