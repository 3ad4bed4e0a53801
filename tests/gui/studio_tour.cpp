// Drives the real main window through the main workflow (open the demo model, profile it,
// solve, inspect a head, edit a rule, compare, export, switch language) and saves a
// screenshot of the window after each step. Run under Xvfb by scripts/screenshots.sh.
//
// usage: studio_tour --out DIR [--model DIR] [--lengths 1024,2048,4096] [--samples 2]
//                    [--profile FILE]   (open this profile instead of running the profiler)
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>

#include <iostream>

#include <qcustomplot.h>

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
  QCommandLineOption lengths_opt(QStringLiteral("lengths"), QStringLiteral("profile lengths"), QStringLiteral("list"),
                                 QStringLiteral("1024,2048,4096"));
  QCommandLineOption samples_opt(QStringLiteral("samples"), QStringLiteral("samples per length"), QStringLiteral("n"),
                                 QStringLiteral("2"));
  parser.addOptions({out_opt, profile_opt, model_opt, lengths_opt, samples_opt});
  parser.addHelpOption();
  parser.process(app);
  const QString out = parser.value(out_opt);
  if (out.isEmpty()) parser.showHelp(2);
  QDir().mkpath(out);
  const QString work = QDir(out).filePath(QStringLiteral("tour-files"));
  QDir().mkpath(work);

  const QString profile = parser.value(profile_opt);
  const QString model = parser.value(model_opt);
  std::vector<int64_t> lengths;
  for (const QString& part : parser.value(lengths_opt).split(QLatin1Char(','), Qt::SkipEmptyParts))
    lengths.push_back(part.toLongLong());
  const int samples = parser.value(samples_opt).toInt();

  MainWindow w;
  w.resize(1600, 1000);
  w.show();
  Workspace* ws = w.workspace();
  if (model.isEmpty()) ws->openDemoModel();
  else ws->openModel(model);
  wait_for(ws->modelJobs(), SIGNAL(finished(quint64, moa::studio::JobOutcome, QString)), 60000);

  // 1. Profile the model (the real profiler, on the CPU here), screenshot while it runs.
  if (profile.isEmpty()) {
    ProfileOptions options;
    options.lengths = lengths;
    options.samples = samples;
    options.out = QDir(work).filePath(QStringLiteral("tour.moaprof.h5"));
    options.overwrite = true;  // the tour's own output: a second tour into the same --out replaces it
    QSignalSpy progress(ws->profileJobs(), &JobTracker::progressChanged);
    w.startProfile(options);
    while (progress.isEmpty() || progress.last().at(1).toInt() < 300) {
      if (!progress.wait(120000)) break;
    }
    shot(&w, out, "01-profiling.png");
  } else {
    ws->openProfile(profile);
  }
  wait_for(ws->profile(), SIGNAL(finished(bool)), 1800000);
  // The head that looks farthest back at the longest length is the interesting one. The
  // last layer is skipped: only the answer's query rows reach the loss there, so its maps
  // hold a single row of blocks.
  ws->setCurrentLength(ws->profile()->data()->lengthList().back());
  const GridValues far = w.headGrid()->values();
  HeadRef best{0, 0};
  for (int l = 0; l < std::max(1, far.layers - 1); ++l)
    for (int h = 0; h < far.heads; ++h)
      if (far.at(l, h) > far.at(best.layer, best.head)) best = {l, h};
  ws->setCurrentHead(best);
  ws->setSelectedHeads({best});
  shot(&w, out, "02-profile-far-influence.png");

  // 2. Solve at the default budgets (50% density at every length), show the spans.
  w.startSolve();
  wait_for(ws->solveJobs(), SIGNAL(finished(quint64, moa::studio::JobOutcome, QString)), 120000);
  ws->savePlan(QDir(work).filePath(QStringLiteral("solved.moaplan.json")));
  w.headGrid()->setMetric(GridMetric::PlanSpan);
  shot(&w, out, "03-plan-spans.png");

  // 3. A head's influence map with its rule's block layout, zoomed on the recent blocks
  //    (what the wheel does).
  w.tabs()->setCurrentWidget(w.headDetail());
  w.headGrid()->setMetric(GridMetric::PlanDensity);
  {
    QCustomPlot* detail = w.headDetail()->plot();
    const double n = detail->xAxis->range().upper;
    detail->xAxis->setRange(n * 0.5, n);
    detail->yAxis->setRange(-0.5, n * 0.5);
    detail->replot();
  }
  shot(&w, out, "04-head-detail-zoom.png");

  // 4. Edit the head's rule in the table (undoable), lock it, and plot several rules.
  const int unit = ws->unitOf(best.head);
  PlanTableModel* table = w.planEditor()->tableModel();
  const Rule old = ws->plan()->plan().rules[best.layer][unit];
  // The first beta step the core's rule check accepts (a span above N is refused).
  for (double step : {0.25, -0.25, 0.125, -0.125})
    if (table->setData(table->index(table->rowOf(best.layer, unit), PlanTableModel::BetaColumn), old.beta + step)) break;
  table->setData(table->index(table->rowOf(best.layer, unit), table->lockedColumn()), Qt::Checked, Qt::CheckStateRole);
  std::vector<HeadRef> heads{best};
  for (int l = 0; l < far.layers && heads.size() < 4; l += std::max(1, far.layers / 3))
    if (l != best.layer) heads.push_back({l, (l * 3) % far.heads});
  ws->setSelectedHeads(heads);
  w.headGrid()->setMetric(GridMetric::PredictedLoss);
  w.tabs()->setCurrentWidget(w.rulePlot());
  // The measured accuracy of the edited plan arrives in the background (a few seconds).
  wait_for(ws, SIGNAL(accuracyMeasured(qint64, int, int, double)), 180000);
  shot(&w, out, "05-edit-and-rule-plot.png");

  // 5. Compare the edited plan with the solver's.
  ws->openComparePlan(QDir(work).filePath(QStringLiteral("solved.moaplan.json")));
  w.tabs()->setCurrentWidget(w.compareView());
  shot(&w, out, "06-compare-plans.png");

  // 6. Export: plan files, figures, data.
  ws->savePlan(QDir(work).filePath(QStringLiteral("edited.moaplan.json")));
  ws->savePlan(QDir(work).filePath(QStringLiteral("edited-reference.json")));
  export_figure(w.headGrid()->plot(), QDir(work).filePath(QStringLiteral("grid.pdf")));
  export_figure(w.headDetail()->plot(), QDir(work).filePath(QStringLiteral("head-detail.png")));
  export_grid_csv(w.headGrid()->values(), QStringLiteral("predicted_loss"), QDir(work).filePath(QStringLiteral("grid.csv")));
  session_save(w.currentSession(), QDir(work).filePath(QStringLiteral("tour.moasession.json")));

  // 7. The same window in Simplified Chinese.
  w.tabs()->setCurrentWidget(w.headDetail());
  if (language_apply(QStringLiteral("zh_CN")) == QStringLiteral("zh_CN")) shot(&w, out, "07-zh_CN.png");
  else std::cerr << "zh_CN catalogue not found\n";
  language_apply(QStringLiteral("en"));
  return 0;
}
