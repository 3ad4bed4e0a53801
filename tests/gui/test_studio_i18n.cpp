// Simplified Chinese: the catalogue is complete, and switching language at run time
// retranslates menus, views and model headers (and switching back restores English).
#include <QFile>
#include <QMenuBar>
#include <QXmlStreamReader>
#include <QtTest>

#include "app/studio/head_detail_view.h"
#include "app/studio/language.h"
#include "app/studio/main_window.h"
#include "app/studio/plan_editor.h"
#include "app/studio/plan_table_model.h"
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
};

QTEST_MAIN(StudioI18nTest)
#include "test_studio_i18n.moc"
