// Simplified Chinese: the catalogue is complete, and switching language at run time
// retranslates menus, views and model headers (and switching back restores English); the core's
// progress messages (profiling, calibration, evaluation) are translated too.
#include <QFile>
#include <QMenuBar>
#include <QXmlStreamReader>
#include <QtTest>

#include <set>
#include <string>

#include "app/studio/core_progress.h"
#include "app/studio/head_detail_view.h"
#include "app/studio/language.h"
#include "app/studio/main_window.h"
#include "app/studio/plan_editor.h"
#include "app/studio/plan_table_model.h"
#include "app/studio/session.h"
#include "core/util/progress_formats.h"
#include "tests/gui/gui_test_util.h"

using namespace moa::studio;

class StudioI18nTest : public QObject {
  Q_OBJECT

 private slots:
  void catalogueIsComplete() {
    QFile f(QStringLiteral(MOA_SOURCE_DIR "/translations/moa_studio_zh_CN.ts"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QXmlStreamReader xml(&f);
    int messages = 0, unfinished = 0, empty = 0;
    while (!xml.atEnd()) {
      xml.readNext();
      if (!xml.isStartElement()) continue;
      if (xml.name() == QLatin1String("message")) ++messages;
      if (xml.name() == QLatin1String("translation")) {
        if (xml.attributes().value(QLatin1String("type")) == QLatin1String("unfinished")) ++unfinished;
        if (xml.readElementText().isEmpty()) ++empty;
      }
    }
    QVERIFY(!xml.hasError());
    QVERIFY(messages > 100);
    QCOMPARE(unfinished, 0);
    QCOMPARE(empty, 0);
  }

  void switchesAtRunTime() {
    qputenv("MOA_STUDIO_QM_DIR", QByteArray(MOA_STUDIO_QM_DIR));
    MainWindow w;
    PlanEditor* editor = w.planEditor();
    const auto menu_title = [&] { return w.menuBar()->actions().first()->text(); };
    QCOMPARE(menu_title(), QStringLiteral("&File"));
    QCOMPARE(language_apply(QStringLiteral("zh_CN")), QStringLiteral("zh_CN"));
    QCoreApplication::processEvents();
    QCOMPARE(menu_title(), QStringLiteral("文件(&F)"));
    QCOMPARE(editor->summaryModel()->headerData(PlanSummaryModel::BudgetColumn, Qt::Horizontal).toString(),
             QStringLiteral("预算"));
    QCOMPARE(language_apply(QStringLiteral("en")), QStringLiteral("en"));
    QCoreApplication::processEvents();
    QCOMPARE(menu_title(), QStringLiteral("&File"));
  }

  // Undo/Redo name the last edit in the current language (QUndoStack's actions keep the
  // language they were made in: they showed 撤销 after switching back to English).
  void undoActionsFollowTheLanguage() {
    qputenv("MOA_STUDIO_QM_DIR", QByteArray(MOA_STUDIO_QM_DIR));
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("u.moaprof.h5"));
    moa::test::fixture_profile_write(path.toStdString(), 2, 4, 4, {512});
    MainWindow w;
    QVERIFY(moa::test::open_profile_and_wait(*w.workspace(), path));
    QVERIFY(moa::test::solve_and_wait(*w.workspace()));
    QMenu* edit = w.menuBar()->actions().at(1)->menu();
    QVERIFY(edit);
    const auto undo_text = [&] { return edit->actions().first()->text(); };
    QVERIFY2(undo_text().startsWith(QStringLiteral("Undo")), qPrintable(undo_text()));
    QCOMPARE(language_apply(QStringLiteral("zh_CN")), QStringLiteral("zh_CN"));
    QCoreApplication::processEvents();
    QVERIFY2(!undo_text().startsWith(QStringLiteral("Undo")), qPrintable(undo_text()));
    QCOMPARE(language_apply(QStringLiteral("en")), QStringLiteral("en"));
    QCoreApplication::processEvents();
    QVERIFY2(undo_text().startsWith(QStringLiteral("Undo")), qPrintable(undo_text()));
    const moa::Rule r = w.workspace()->plan()->plan().rules[0][0];
    QVERIFY(w.workspace()->plan()->editRule(0, 0, moa::Rule{r.alpha + 64, r.beta}));
    QVERIFY2(undo_text().startsWith(QStringLiteral("Undo")), qPrintable(undo_text()));  // after a new edit too
    QVERIFY(edit->actions().first()->isEnabled());
  }

  // A session names its language; one given with --language (or picked in the menu) wins.
  void explicitLanguageWinsOverTheSession() {
    qputenv("MOA_STUDIO_QM_DIR", QByteArray(MOA_STUDIO_QM_DIR));
    MainWindow w;
    Session s;
    s.language = QStringLiteral("zh_CN");
    w.restoreSession(s);
    QCOMPARE(language_current(), QStringLiteral("zh_CN"));
    w.setLanguageOverride(QStringLiteral("en"));
    w.restoreSession(s);
    QCOMPARE(language_current(), QStringLiteral("en"));
    w.workspace()->modelJobs()->waitForDone();
  }

  void coreProgressIsTranslated() {
    // Studio lists exactly the core's formats for lupdate.
    std::set<std::string> core, listed;
    for (const char* f : moa::progress_format::kAll) core.insert(f);
    for (const char* f : core_progress_formats()) listed.insert(f);
    QCOMPARE(listed.size(), core_progress_formats().size());  // no duplicates
    QVERIFY(core == listed);

    qputenv("MOA_STUDIO_QM_DIR", QByteArray(MOA_STUDIO_QM_DIR));
    namespace pf = moa::progress_format;
    const moa::ProgressText forward{pf::kProfileForward, {"2048", "1", "3", "5"}};
    // An argument that looks like a placeholder (a file name) is not substituted again.
    const moa::ProgressText writing{pf::kProfileWriting, {"2048", "1", "3", "run%1.moaprof.h5"}};
    const moa::ProgressText free_text(std::string("step 10 loss 2.5 (%2)"));
    QCOMPARE(core_progress_text(forward), QString::fromStdString(forward.text()));
    QCOMPARE(core_progress_text(forward), QStringLiteral("length 2048, sample 1/3: forward layer 5"));

    QCOMPARE(language_apply(QStringLiteral("zh_CN")), QStringLiteral("zh_CN"));
    QCOMPARE(core_progress_text(forward), QStringLiteral("长度 2048，样本 1/3：前向 第 5 层"));
    QCOMPARE(core_progress_text(writing), QStringLiteral("长度 2048，样本 1/3：正在写入 run%1.moaprof.h5"));
    QCOMPARE(core_progress_text(free_text), QStringLiteral("step 10 loss 2.5 (%2)"));
    // Every format has a translation that keeps its placeholders.
    for (const char* f : moa::progress_format::kAll) {
      const QString zh = QCoreApplication::translate("CoreProgress", f);
      QVERIFY2(zh != QString::fromUtf8(f), f);
      for (const char* p : {"%1", "%2", "%3", "%4"})
        QCOMPARE(zh.contains(QLatin1String(p)), QString::fromUtf8(f).contains(QLatin1String(p)));
    }
    // Through a job's ProgressFn, as the profiler calls it.
    JobTracker jobs;
    QSignalSpy progress(&jobs, &JobTracker::progressChanged);
    QSignalSpy finished(&jobs, &JobTracker::finished);
    jobs.start(QStringLiteral("t"), [](JobContext& job) { moa::report(job.progressFn(), 1.0, {pf::kDone, {}}); });
    QVERIFY(finished.wait(5000));
    QTRY_VERIFY(!progress.isEmpty());
    QCOMPARE(progress.last().at(2).toString(), QStringLiteral("完成"));

    QCOMPARE(language_apply(QStringLiteral("en")), QStringLiteral("en"));
    QCOMPARE(core_progress_text(writing), QStringLiteral("length 2048, sample 1/3: writing run%1.moaprof.h5"));
  }
};

QTEST_MAIN(StudioI18nTest)
#include "test_studio_i18n.moc"
