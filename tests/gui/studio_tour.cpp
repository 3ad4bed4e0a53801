// Drives the real main window through the main workflow (open model, open profile, solve,
// inspect a head, edit a rule, compare, export, switch language) and saves a screenshot of
// the window after each step. Run under Xvfb by scripts/screenshots.sh.
//
// usage: studio_tour --out DIR [--profile FILE] [--model DIR]
// Without --profile it writes a fixture profile (tests/gui/profile_fixture.h) and a random
// checkpoint of the same shape: the profiler is not in this build yet.
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>

#include <iostream>

#include "app/studio/compare_view.h"
#include "app/studio/data_export.h"
#include "app/studio/figure_export.h"
#include "app/studio/head_detail_view.h"
#include "app/studio/head_grid_view.h"
#include "app/studio/language.h"
#include "app/studio/main_window.h"
#include "app/studio/plan_editor.h"
#include "app/studio/plan_table_model.h"
#include "app/studio/rule_plot_view.h"
#include "app/studio/workspace.h"
#include "core/model/config.h"
#include "tests/gui/profile_fixture.h"

using namespace moa;
using namespace moa::studio;

namespace {

bool wait_for(QObject* sender, const char* signal, int ms) {
  QSignalSpy spy(sender, signal);
  return spy.wait(ms);
}

void settle(int ms = 300) {
  QEventLoop loop;
  QTimer::singleShot(ms, &loop, &QEventLoop::quit);
  loop.exec();
}

void shot(QWidget* w, const QString& dir, const char* name) {
  settle();
  const QString file = QDir(dir).filePath(QString::fromLatin1(name));
  if (!w->grab().save(file)) std::cerr << "could not save " << file.toStdString() << "\n";
  else std::cout << "saved " << file.toStdString() << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("moa"));
  QApplication::setApplicationName(QStringLiteral("moa-studio-tour"));
  QCommandLineParser parser;
  QCommandLineOption out_opt(QStringLiteral("out"), QStringLiteral("screenshot folder"), QStringLiteral("dir"));
  QCommandLineOption profile_opt(QStringLiteral("profile"), QStringLiteral("profile to open"), QStringLiteral("file"));
  QCommandLineOption model_opt(QStringLiteral("model"), QStringLiteral("checkpoint dir"), QStringLiteral("dir"));
  parser.addOptions({out_opt, profile_opt, model_opt});
  parser.addHelpOption();
  parser.process(app);
  const QString out = parser.value(out_opt);
  if (out.isEmpty()) parser.showHelp(2);
  QDir().mkpath(out);
  const QString work = QDir(out).filePath(QStringLiteral("tour-files"));
  QDir().mkpath(work);

  QString profile = parser.value(profile_opt);
  QString model = parser.value(model_opt);
  if (profile.isEmpty()) {
    // Shape of a small Llama: 8 layers, 16 query / 4 KV heads, profiled at 2k/4k/8k.
    profile = QDir(work).filePath(QStringLiteral("fixture-8x16.moaprof.h5"));
    test::fixture_profile_write(profile.toStdString(), 8, 16, 4, {2048, 4096, 8192}, 4);
    if (model.isEmpty()) {
      ModelConfig c = config_preset("tiny");
      c.num_layers = 8;
      c.num_heads = 16;
      c.num_kv_heads = 4;
      c.hidden_size = 256;
      c.head_dim = 16;
      c.intermediate_size = 512;
      model = QDir(work).filePath(QStringLiteral("random-8x16"));
      checkpoint_write_random(c, model.toStdString(), RandomCheckpointOptions{});
    }
  }

  MainWindow w;
  w.resize(1600, 1000);
  w.show();
  Workspace* ws = w.workspace();
  if (model.isEmpty()) ws->openDemoModel();
  else ws->openModel(model);
  wait_for(ws->modelJobs(), SIGNAL(finished(quint64, moa::studio::JobOutcome, QString)), 60000);

  // 1. The profile: far influence per head, filling in length by length.
  ws->openProfile(profile);
  wait_for(ws->profile(), SIGNAL(finished(bool)), 60000);
  ws->setCurrentHead({5, 6});
  shot(&w, out, "01-profile-far-influence.png");

  // 2. Solve at the default budgets (50% density at every length), show the spans.
  w.startSolve();
  wait_for(ws->solveJobs(), SIGNAL(finished(quint64, moa::studio::JobOutcome, QString)), 120000);
  ws->savePlan(QDir(work).filePath(QStringLiteral("solved.moaplan.json")));
  w.headGrid()->setMetric(GridMetric::PlanSpan);
  shot(&w, out, "02-plan-spans.png");

  // 3. A head's influence map with its rule's block layout.
  w.tabs()->setCurrentWidget(w.headDetail());
  shot(&w, out, "03-head-detail.png");

  // 4. Edit the head's rule in the table (undoable), lock it, and plot several rules.
  const int unit = ws->unitOf(6);
  PlanTableModel* table = w.planEditor()->tableModel();
  const Rule old = ws->plan()->plan().rules[5][unit];
  table->setData(table->index(table->rowOf(5, unit), PlanTableModel::AlphaColumn), old.alpha + 1024.0);
  table->setData(table->index(table->rowOf(5, unit), table->lockedColumn()), Qt::Checked, Qt::CheckStateRole);
  ws->setSelectedHeads({{0, 1}, {3, 4}, {5, 6}, {7, 10}});
  w.headGrid()->setMetric(GridMetric::PredictedLoss);
  w.tabs()->setCurrentWidget(w.rulePlot());
  shot(&w, out, "04-edit-and-rule-plot.png");

  // 5. Compare the edited plan with the solver's.
  ws->openComparePlan(QDir(work).filePath(QStringLiteral("solved.moaplan.json")));
  w.tabs()->setCurrentWidget(w.compareView());
  shot(&w, out, "05-compare-plans.png");

  // 6. Export: plan files, figures, data.
  ws->savePlan(QDir(work).filePath(QStringLiteral("edited.moaplan.json")));
  ws->savePlan(QDir(work).filePath(QStringLiteral("edited-reference.json")));
  export_figure(w.headGrid()->plot(), QDir(work).filePath(QStringLiteral("grid.pdf")));
  export_figure(w.headDetail()->plot(), QDir(work).filePath(QStringLiteral("head-detail.png")));
  export_grid_csv(w.headGrid()->values(), QStringLiteral("predicted_loss"), QDir(work).filePath(QStringLiteral("grid.csv")));
  session_save(w.currentSession(), QDir(work).filePath(QStringLiteral("tour.moasession.json")));

  // 7. The same window in Simplified Chinese.
  w.tabs()->setCurrentWidget(w.headDetail());
  if (language_apply(QStringLiteral("zh_CN")) == QStringLiteral("zh_CN")) shot(&w, out, "06-zh_CN.png");
  else std::cerr << "zh_CN catalogue not found\n";
  language_apply(QStringLiteral("en"));
  return 0;
}
