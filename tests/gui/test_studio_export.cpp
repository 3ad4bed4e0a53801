// Exported files re-open and match: plan files (ours, MoA reference JSON and CSV), grid and
// table CSV, profile HDF5, PNG/PDF figures, sessions.
#include <QFile>
#include <QImage>
#include <QJsonObject>
#include <QPushButton>
#include <QtTest>

#include <qcustomplot.h>

#include "app/studio/compare_view.h"
#include "app/studio/data_export.h"
#include "app/studio/file_dialogs.h"
#include "app/studio/figure_export.h"
#include "app/studio/head_detail_view.h"
#include "app/studio/head_grid_view.h"
#include "app/studio/main_window.h"
#include "app/studio/plan_editor.h"
#include "app/studio/plan_table_model.h"
#include "app/studio/report_figures.h"
#include "app/studio/session.h"
#include "core/data/retrieval_score.h"
#include "core/plan/plan_io.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>
#include "tests/gui/gui_test_util.h"

using namespace moa;
using namespace moa::studio;

class StudioExportTest : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString profile_path_;

  QString path(const char* name) { return dir_.filePath(QString::fromLatin1(name)); }

 private slots:
  void initTestCase() {
    profile_path_ = path("fixture.moaprof.h5");
    test::fixture_profile_write(profile_path_.toStdString(), 4, 8, 2, {576, 1024});  // 576: the shortest the preview offers
  }

  void planFilesRoundTrip() {
    Workspace ws;
    QVERIFY(test::open_profile_and_wait(ws, profile_path_));
    QVERIFY(test::solve_and_wait(ws));
    QVERIFY(ws.plan()->editRule(1, 1, Rule{192, 0.125}));
    const Plan plan = ws.plan()->plan();

    ws.savePlan(path("a.moaplan.json"));
    QCOMPARE(ws.plan()->path(), path("a.moaplan.json"));
    const Plan ours = plan_read(path("a.moaplan.json").toStdString());
    QCOMPARE(plan_to_json(ours), plan_to_json(plan));

    ws.savePlan(path("ref.json"));
    ws.savePlan(path("ref.csv"));
    const Plan expanded = plan_expand_to_heads(plan);
    for (const char* name : {"ref.json", "ref.csv"}) {
      const Plan ref = plan_read(path(name).toStdString());
      QCOMPARE(ref.num_layers, plan.num_layers);
      QCOMPARE(ref.num_heads, plan.num_heads);
      for (int l = 0; l < plan.num_layers; ++l)
        for (int h = 0; h < plan.num_heads; ++h) QVERIFY(ref.head_rule(l, h) == expanded.head_rule(l, h));
    }
    // Re-opening our file in a workspace validates it against the profile and prices it.
    Workspace again;
    QVERIFY(test::open_profile_and_wait(again, profile_path_));
    again.openPlan(path("a.moaplan.json"));
    QCOMPARE(plan_to_json(again.plan()->plan()), plan_to_json(plan));
    QCOMPARE(again.plan()->preview().totalLoss(1), ws.plan()->preview().totalLoss(1));
  }

  void dataExportsRoundTrip() {
    Workspace ws;
    QVERIFY(test::open_profile_and_wait(ws, profile_path_));
    QVERIFY(test::solve_and_wait(ws));

    // Profile as HDF5: same meta and influence, bit for bit.
    export_profile_hdf5(*ws.profile()->data(), path("copy.moaprof.h5"));
    const Profile a = profile_read(profile_path_.toStdString());
    const Profile b = profile_read(path("copy.moaprof.h5").toStdString());
    QCOMPARE(b.meta.model_hash, a.meta.model_hash);
    QCOMPARE(b.lengths.size(), a.lengths.size());
    for (const auto& [n, lp] : a.lengths) {
      QVERIFY(b.lengths.at(n).influence == lp.influence);
      QVERIFY(b.lengths.at(n).sample_ids == lp.sample_ids);
    }

    // Grid values as CSV: parse back and compare.
    const GridValues g = grid_values(GridMetric::FarInfluence, ws.profile()->data().get(), nullptr, 1024);
    export_grid_csv(g, QStringLiteral("far_influence"), path("grid.csv"));
    QFile f(path("grid.csv"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = f.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 1 + 4 * 8);
    QCOMPARE(lines[0], QByteArray("layer,head,far_influence_at_1024"));
    for (int i = 1; i < lines.size(); ++i) {
      const QList<QByteArray> cells = lines[i].split(',');
      const int l = cells[0].toInt(), h = cells[1].toInt();
      QVERIFY(std::abs(cells[2].toDouble() - g.at(l, h)) <= 1e-8 * std::max(1.0, std::abs(g.at(l, h))));
    }

    // Plan table as CSV: one row per unit, alpha/beta as in the plan.
    PlanTableModel table(ws.plan());
    export_model_csv(table, path("table.csv"));
    QFile t(path("table.csv"));
    QVERIFY(t.open(QIODevice::ReadOnly));
    const QList<QByteArray> rows = t.readAll().trimmed().split('\n');
    QCOMPARE(rows.size(), 1 + table.rowCount());
    // Column names are the same in every UI language (scripts read them).
    QVERIFY2(rows[0].startsWith("layer,head,alpha,beta,") || rows[0].startsWith("layer,kv_head,alpha,beta,"), rows[0].constData());
    QVERIFY2(rows[0].contains(",density_at_") && rows[0].contains(",loss_at_"), rows[0].constData());
    const QList<QByteArray> row3 = rows[4].split(',');
    QCOMPARE(row3[PlanTableModel::AlphaColumn].toDouble(), ws.plan()->plan().rules[1][1].alpha);
    QCOMPARE(row3[PlanTableModel::BetaColumn].toDouble(), ws.plan()->plan().rules[1][1].beta);
  }

  void evalReportFigures() {
    // Two eval results as `moa eval` writes them: accuracy by level x depth decile, density.
    QTemporaryDir dir;
    auto write = [&](const char* label, double density, int correct_at_depth0) {
      moa::RetrievalReport rep;
      rep.level_by = moa::LevelBy::Tokens;
      for (long long level : {2048LL, 4096LL})
        for (int d : {0, 9}) {
          moa::LongEvalSample s;
          s.target_tokens = static_cast<size_t>(level);
          s.num_lines = 10;
          s.line_index = d == 0 ? 0 : 9;
          moa::retrieval_add(rep, s, d == 9 || correct_at_depth0 > 0);
        }
      nlohmann::json j = {{"label", label}, {"mean_density", density}, {"retrieval", moa::retrieval_report_to_json(rep)}};
      const QString path = dir.filePath(QString::fromLatin1(label).replace(QLatin1Char('@'), QLatin1Char('_')) + QStringLiteral(".json"));
      QFile f(path);
      if (!f.open(QIODevice::WriteOnly)) return QString();
      f.write(QByteArray::fromStdString(j.dump()));
      return path;
    };
    const QStringList results = {write("dense", 1.0, 1), write("uniform@0.25", 0.25, 0)};
    const QStringList written = moa::studio::report_figures(results, dir.filePath(QStringLiteral("figs")));
    QCOMPARE(written.size(), 3);  // two heatmaps + accuracy vs density
    for (const QString& png : written) {
      QImage img(png);
      QVERIFY2(!img.isNull(), qPrintable(png));
      QCOMPARE(img.width(), 720);
    }
    // A file that is not an eval result is refused with its name.
    const QString bad = dir.filePath(QStringLiteral("bad.json"));
    QFile f(bad);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("{\"label\": \"x\"}");
    f.close();
    try {
      moa::studio::report_figures({bad}, dir.filePath(QStringLiteral("figs2")));
      QFAIL("expected an error");
    } catch (const moa::Error& e) {
      QVERIFY(QString::fromStdString(e.what()).contains(QStringLiteral("bad.json")));
    }
  }

  void figuresAndSessionRoundTrip() {
    MainWindow w;
    w.resize(1200, 800);
    w.show();
    QVERIFY(test::open_profile_and_wait(*w.workspace(), profile_path_));
    QVERIFY(test::solve_and_wait(*w.workspace()));
    w.workspace()->setCurrentHead({2, 5});
    export_figure(w.headGrid()->plot(), path("grid.png"), 640, 480);
    export_figure(w.headGrid()->plot(), path("grid.pdf"), 640, 480);
    QImage png(path("grid.png"));
    QCOMPARE(png.size(), QSize(640, 480));
    QFile pdf(path("grid.pdf"));
    QVERIFY(pdf.open(QIODevice::ReadOnly));
    QVERIFY(pdf.read(5) == QByteArray("%PDF-"));
    // The head detail goes out with its title (a row added for the export, then removed).
    const int rows = w.headDetail()->plot()->plotLayout()->rowCount();
    QVERIFY(!w.headDetail()->title().isEmpty());
    export_figure(w.headDetail()->plot(), path("detail.png"), 640, 480, w.headDetail()->title());
    QCOMPARE(QImage(path("detail.png")).size(), QSize(640, 480));
    QCOMPARE(w.headDetail()->plot()->plotLayout()->rowCount(), rows);
    // The compare tab whole, PNG and PDF.
    CompareView* compare = w.findChild<CompareView*>();
    QVERIFY(compare);
    compare->resize(900, 400);
    export_widget(compare, path("compare.png"));
    QCOMPARE(QImage(path("compare.png")).size(), compare->size() * compare->devicePixelRatio());
    export_widget(compare, path("compare.pdf"));
    QFile cpdf(path("compare.pdf"));
    QVERIFY(cpdf.open(QIODevice::ReadOnly));
    QVERIFY(cpdf.read(5) == QByteArray("%PDF-"));
    // Save dialogs add the chosen type's extension to a bare name, and keep a typed one.
    const QString figs = QStringLiteral("PNG image (*.png);;PDF document (*.pdf)");
    QCOMPARE(path_with_filter_suffix(QStringLiteral("/t/fig"), figs, QStringLiteral("PDF document (*.pdf)")), QStringLiteral("/t/fig.pdf"));
    QCOMPARE(path_with_filter_suffix(QStringLiteral("/t/fig"), figs, QString()), QStringLiteral("/t/fig.png"));
    QCOMPARE(path_with_filter_suffix(QStringLiteral("/t/fig.PDF"), figs, QStringLiteral("PNG image (*.png)")), QStringLiteral("/t/fig.PDF"));
    QCOMPARE(path_with_filter_suffix(QStringLiteral("/t/p"), QStringLiteral("MoA profiles (*.moaprof.h5)"), QString()),
             QStringLiteral("/t/p.moaprof.h5"));
    QCOMPARE(path_with_filter_suffix(QString(), figs, QString()), QString());  // cancelled

    QVERIFY(w.workspace()->plan()->editRule(0, 1, Rule{128, 0.25}));
    // View settings: the accuracy preview's length and prompt count, the detail's colour scale.
    w.planEditor()->setAccuracyOptions(576, 6);
    w.headDetail()->setColourScale(DetailScale::Shared);
    w.planEditor()->setMaxRulesPerLayer(3);
    w.planEditor()->setRuleGrid(RuleGridChoice{256, {0.0, 0.25, 1.0}});
    QVERIFY(w.planEditor()->ruleGridButton()->text().contains(QStringLiteral("custom")));
    const Session s = w.currentSession();
    QCOMPARE(s.preview_length, qint64(576));
    QCOMPARE(s.preview_prompts, 6);
    session_save(s, path("s.moasession.json"));
    const Session r = session_load(path("s.moasession.json"));
    QCOMPARE(r.toJson(), s.toJson());

    // Restoring in a fresh window brings back the profile, the edited plan and the head.
    MainWindow w2;
    QSignalSpy done(w2.workspace()->profile(), &ProfileDocument::finished);
    w2.restoreSession(r);
    QVERIFY(done.wait(10000));
    QCOMPARE(plan_to_json(w2.workspace()->plan()->plan()), plan_to_json(w.workspace()->plan()->plan()));
    QCOMPARE(w2.workspace()->currentHead().layer, 2);
    QCOMPARE(w2.workspace()->currentHead().head, 5);
    QCOMPARE(w2.planEditor()->accuracyOptions().length, qint64(576));
    QCOMPARE(w2.planEditor()->accuracyOptions().prompts, 6);
    QCOMPARE(w2.headDetail()->colourScale(), DetailScale::Shared);
    QCOMPARE(w2.planEditor()->maxRulesPerLayer(), 3);
    QCOMPARE(w2.planEditor()->ruleGrid(), (RuleGridChoice{256, {0.0, 0.25, 1.0}}));
    // A session written before these settings existed opens with the defaults.
    QJsonObject old_format = s.toJson();
    for (const char* key : {"preview_length", "preview_prompts", "detail_scale"}) old_format.remove(QLatin1String(key));
    QCOMPARE(Session::fromJson(old_format).preview_prompts, 4);
    QCOMPARE(Session::fromJson(old_format).preview_length, qint64(0));
    for (const char* key : {"max_rules_per_layer", "grid_alpha_step", "grid_betas"}) old_format.remove(QLatin1String(key));
    QCOMPARE(Session::fromJson(old_format).max_rules_per_layer, 2);
    QVERIFY(Session::fromJson(old_format).grid_betas.empty());
    QVERIFY(session_load_throws(path("grid.png")));
  }

 private:
  static bool session_load_throws(const QString& p) {
    try {
      session_load(p);
      return false;
    } catch (const std::exception&) {
      return true;
    }
  }
};

QTEST_MAIN(StudioExportTest)
#include "test_studio_export.moc"
