// Edit -> undo -> redo restores the plan exactly (JSON text and preview totals, bit for bit).
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QtTest>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "app/studio/compare_view.h"
#include "app/studio/plan_editor.h"
#include "app/studio/plan_table_model.h"
#include "app/studio/rule_grid_dialog.h"
#include "core/plan/plan_io.h"
#include "core/util/error.h"
#include "tests/gui/gui_test_util.h"

using namespace moa;
using namespace moa::studio;

class StudioPlanEditTest : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private slots:
  void undoRedoRestoresExactly() {
    const QString path = dir_.filePath(QStringLiteral("p.moaprof.h5"));
    test::fixture_profile_write(path.toStdString(), 4, 8, 8, {512, 1024, 2048});
    Workspace ws;
    QVERIFY(test::open_profile_and_wait(ws, path));
    QVERIFY(test::solve_and_wait(ws));
    PlanDocument* doc = ws.plan();
    QCOMPARE(doc->plan().granularity, Granularity::head);  // MHA profile: per-head plan
    PlanTableModel table(doc);
    const std::string original = plan_to_json(doc->plan());
    std::vector<double> original_loss;
    for (size_t n = 0; n < doc->preview().lengths().size(); ++n) original_loss.push_back(doc->preview().totalLoss(n));

    // Several kinds of edit, each its own undo step.
    QVERIFY(table.setData(table.index(5, PlanTableModel::AlphaColumn), 320.0));
    QVERIFY(table.setData(table.index(5, PlanTableModel::BetaColumn), 0.25));
    QVERIFY(table.setData(table.index(9, PlanTableModel::BetaColumn), 0.75));
    QVERIFY(table.setData(table.index(9, table.lockedColumn()), Qt::Checked, Qt::CheckStateRole));
    QVERIFY(doc->editBudget(1024, 0.45));
    QCOMPARE(doc->undoStack()->count(), 5);
    const std::string edited = plan_to_json(doc->plan());
    QVERIFY(edited != original);
    std::vector<double> edited_loss;
    for (size_t n = 0; n < doc->preview().lengths().size(); ++n) edited_loss.push_back(doc->preview().totalLoss(n));
    QVERIFY(edited_loss != original_loss);  // the live preview followed the edits
    // The stored totals follow the preview, so the plan file says what the table shows.
    QCOMPARE(doc->plan().predicted_loss.at(2048), edited_loss[2]);

    while (doc->undoStack()->canUndo()) doc->undoStack()->undo();
    QCOMPARE(plan_to_json(doc->plan()), original);
    for (size_t n = 0; n < original_loss.size(); ++n) QCOMPARE(doc->preview().totalLoss(n), original_loss[n]);

    while (doc->undoStack()->canRedo()) doc->undoStack()->redo();
    QCOMPARE(plan_to_json(doc->plan()), edited);
    for (size_t n = 0; n < edited_loss.size(); ++n) QCOMPARE(doc->preview().totalLoss(n), edited_loss[n]);

    // A re-solve is one undoable step too, and keeps the lock.
    QVERIFY(test::solve_and_wait(ws));
    QCOMPARE(doc->undoStack()->count(), 6);
    QVERIFY(doc->isLocked(9 / 8, 9 % 8));
    QCOMPARE(doc->plan().rules[1][1].beta, 0.75);  // locked rule kept by the solver
    doc->undoStack()->undo();
    QCOMPARE(plan_to_json(doc->plan()), edited);
  }

  // A rule typed in by hand and locked gets a column in the loss table for that solve only: once
  // the head is unlocked, the next solve on the same grid must not offer it to any head. The grid
  // here holds only the dense rule, so at a budget of 0.5 the re-solve is infeasible; with the
  // locked rule's column still in a cached table it would put half the heads on that rule.
  void unlockedHandRuleIsNoLongerACandidate() {
    const QString path = dir_.filePath(QStringLiteral("lock.moaprof.h5"));
    test::fixture_profile_write(path.toStdString(), 4, 8, 8, {512, 1024, 2048});
    Workspace ws;
    QVERIFY(test::open_profile_and_wait(ws, path));
    QVERIFY(test::solve_and_wait(ws));
    PlanDocument* doc = ws.plan();
    const Rule hand{100.0, 0.0};  // off every grid below (alpha is not a multiple of 64)
    QVERIFY(doc->editRule(0, 0, hand));
    QVERIFY(doc->editLocked(0, 0, true));
    for (int64_t n : {512, 1024, 2048}) QVERIFY(doc->editBudget(n, 1.0));
    SolveOptions dense_only;
    dense_only.grid = RuleGridChoice{512, {1.0}};  // alphas -512, 0, 512: only (0, 1) is valid
    auto solve = [&](const SolveOptions& options) {
      QSignalSpy done(ws.solveJobs(), &JobTracker::finished);
      ws.solve(options);
      if (!done.wait(60000)) return QPair<JobOutcome, QString>(JobOutcome::Failed, QStringLiteral("timeout"));
      return QPair<JobOutcome, QString>(done.first().at(1).value<JobOutcome>(), done.first().at(2).toString());
    };
    auto [outcome, text] = solve(dense_only);
    QVERIFY2(outcome == JobOutcome::Done, qPrintable(text));
    for (int l = 0; l < 4; ++l)
      for (int h = 0; h < 8; ++h) {
        const Rule expected = (l == 0 && h == 0) ? hand : Rule{0.0, 1.0};
        QCOMPARE(doc->plan().rules[l][h], expected);
      }
    QVERIFY(doc->editLocked(0, 0, false));
    for (int64_t n : {512, 1024, 2048}) QVERIFY(doc->editBudget(n, 0.5));
    const std::string before = plan_to_json(doc->plan());
    std::tie(outcome, text) = solve(dense_only);
    QVERIFY2(outcome == JobOutcome::Failed, qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("below the smallest achievable mean density 1")), qPrintable(text));
    QCOMPARE(plan_to_json(doc->plan()), before);  // a failed solve leaves the plan alone
  }

  void compareShowsTheEditAsADifference() {
    const QString path = dir_.filePath(QStringLiteral("c.moaprof.h5"));
    test::fixture_profile_write(path.toStdString(), 4, 8, 2, {512, 1024});
    Workspace ws;
    QVERIFY(test::open_profile_and_wait(ws, path));
    QVERIFY(test::solve_and_wait(ws));
    ws.savePlan(dir_.filePath(QStringLiteral("solved.moaplan.json")));
    ws.openComparePlan(dir_.filePath(QStringLiteral("solved.moaplan.json")));
    CompareView view(&ws);
    QVERIFY(!view.difference().empty());
    QVERIFY(view.noteA().isEmpty() && view.noteB().isEmpty() && view.noteDiff().isEmpty());

    for (double d : view.difference().values) QCOMPARE(d, 0.0);
    const Rule before = ws.plan()->plan().rules[2][1];
    QVERIFY(ws.plan()->editRule(2, 1, Rule{before.alpha + 128, before.beta}));
    // kv_head plan: the 4 query heads of KV head 1 in layer 2 differ, by the span change.
    const GridValues& diff = view.difference();
    int differing = 0;
    for (int l = 0; l < diff.layers; ++l)
      for (int h = 0; h < diff.heads; ++h)
        if (diff.at(l, h) != 0.0) {
          ++differing;
          QCOMPARE(l, 2);
          QCOMPARE(h / 4, 1);
        }
    QCOMPARE(differing, 4);
    // A and B share one colour range (now that they differ): the same colour is the same value.
    const auto range_of = [](QCustomPlot* p) { return qobject_cast<QCPColorMap*>(p->plottable(0))->dataRange(); };
    QCOMPARE(range_of(view.plotA()).lower, range_of(view.plotB()).lower);
    QCOMPARE(range_of(view.plotA()).upper, range_of(view.plotB()).upper);
    double lo_a = 1e300, hi_a = -1e300, lo_b = 1e300, hi_b = -1e300;  // and it covers both sides' values
    const auto scan = [](QCustomPlot* p, double& lo, double& hi) {
      QCPColorMapData* d = qobject_cast<QCPColorMap*>(p->plottable(0))->data();
      for (int x = 0; x < d->keySize(); ++x)
        for (int y = 0; y < d->valueSize(); ++y) {
          lo = std::min(lo, d->cell(x, y));
          hi = std::max(hi, d->cell(x, y));
        }
    };
    scan(view.plotA(), lo_a, hi_a);
    scan(view.plotB(), lo_b, hi_b);
    QVERIFY(hi_a != hi_b || lo_a != lo_b);  // the sides' own ranges differ here
    QCOMPARE(range_of(view.plotA()).lower, std::min(lo_a, lo_b));
    QCOMPARE(range_of(view.plotA()).upper, std::max(hi_a, hi_b));
    QCOMPARE(diff.at(2, 4), std::clamp(rule_span(ws.plan()->plan().rules[2][1], diff.length), 0.0, double(diff.length)) -
                                std::clamp(rule_span(before, diff.length), 0.0, double(diff.length)));
    // Panels without a map say why, with no axes or colour bar left from an earlier map.
    Workspace bare;
    CompareView empty(&bare);
    QCOMPARE(empty.noteA(), QStringLiteral("Solve or open a plan"));
    QCOMPARE(empty.noteB(), QStringLiteral("Open plan B to compare"));
    QCOMPARE(empty.noteDiff(), QStringLiteral("No difference to draw"));
    QVERIFY(!empty.plotB()->xAxis->visible());
  }

  // The solver draws from the grid the user chose ("Rule grid…", moa solve --alpha-step / --betas),
  // the loss table is rebuilt for a new grid (not reused from the cache), a grid with no valid
  // rule is refused before any work, and the dialog counts what the core's rule_grid keeps.
  void solveUsesTheChosenRuleGrid() {
    const QString path = dir_.filePath(QStringLiteral("grid.moaprof.h5"));
    test::fixture_profile_write(path.toStdString(), 4, 8, 8, {512, 1024, 2048});
    Workspace ws;
    QVERIFY(test::open_profile_and_wait(ws, path));
    const std::vector<int64_t> lengths = {512, 1024, 2048};
    auto on_grid = [&](const Plan& plan, const RuleGridChoice& choice) {
      const RuleGridSpec spec = solve_grid_spec(lengths, choice);
      for (const auto& layer : plan.rules)
        for (const Rule& r : layer) {
          const double steps = (r.alpha - spec.alpha_min) / spec.alpha_step;
          if (steps != std::round(steps)) return false;
          if (std::find(spec.betas.begin(), spec.betas.end(), r.beta) == spec.betas.end()) return false;
        }
      return true;
    };
    QVERIFY(test::solve_and_wait(ws));
    QVERIFY(on_grid(ws.plan()->plan(), RuleGridChoice{}));
    const RuleGridChoice coarse{192, {0.0, 0.5}};
    QVERIFY(!on_grid(ws.plan()->plan(), coarse));  // the automatic plan uses other rules
    SolveOptions options;
    options.grid = coarse;
    QSignalSpy done(ws.solveJobs(), &JobTracker::finished);
    ws.solve(options);
    QVERIFY(done.wait(60000));
    QVERIFY2(done.first().at(1).value<JobOutcome>() == JobOutcome::Done, qPrintable(done.first().at(2).toString()));
    QVERIFY(on_grid(ws.plan()->plan(), coarse));
    // Beta 1 with one alpha (-512): span 0 at 512, no valid rule: refused with the reason.
    options.grid = RuleGridChoice{65536, {1.0}};
    bool refused = false;
    try {
      ws.solve(options);
    } catch (const moa::Error& e) {
      refused = QString::fromUtf8(e.what()).contains(QStringLiteral("no rule valid"));
    }
    QVERIFY(refused);

    // The editor offers the dialog only once the profile has a length (an empty or loading one
    // has no grid to draw); the dialog itself, given no lengths, says so and keeps OK off.
    Workspace empty_ws;
    PlanEditor editor(&empty_ws);
    QVERIFY(!editor.ruleGridButton()->isEnabled());
    QVERIFY(test::open_profile_and_wait(empty_ws, path));
    QVERIFY(editor.ruleGridButton()->isEnabled());
    RuleGridDialog no_lengths({}, RuleGridChoice{});
    QVERIFY(!no_lengths.buttons()->button(QDialogButtonBox::Ok)->isEnabled());

    RuleGridDialog dialog(lengths, RuleGridChoice{});
    QPushButton* ok = dialog.buttons()->button(QDialogButtonBox::Ok);
    QVERIFY(ok->isEnabled());  // automatic
    QVERIFY(dialog.choice().automatic());
    dialog.betasEdit()->setText(QStringLiteral("0, x"));
    QVERIFY(!ok->isEnabled());
    QVERIFY(dialog.countLabel()->text().contains(QStringLiteral("\"x\"")));
    dialog.betasEdit()->setText(QStringLiteral("0.5, 0"));
    dialog.alphaStepBox()->setValue(192);
    QVERIFY(ok->isEnabled());
    QCOMPARE(dialog.choice(), coarse);  // betas sorted
    const size_t kept = rule_grid(solve_grid_spec(lengths, coarse), lengths).size();
    QVERIFY(dialog.countLabel()->text().startsWith(QString::number(kept) + QStringLiteral(" candidate rules")));
    dialog.betasEdit()->setText(QStringLiteral("1"));
    dialog.alphaStepBox()->setValue(65536);
    QVERIFY(!ok->isEnabled());
    dialog.buttons()->button(QDialogButtonBox::RestoreDefaults)->click();
    QVERIFY(dialog.choice().automatic());
    QVERIFY(ok->isEnabled());
  }

  void noOpEditsPushNothing() {
    Workspace ws;
    Plan p;
    p.granularity = Granularity::head;
    p.num_layers = 1;
    p.num_heads = 2;
    p.num_kv_heads = 2;
    p.rules = {{Rule{512, 0.0}, Rule{0, 0.5}}};
    p.budgets = {{1024, 0.5}};
    ws.plan()->setPlan(p, QString());
    QVERIFY(!ws.plan()->editRule(0, 0, Rule{512, 0.0}));
    QVERIFY(!ws.plan()->editLocked(0, 1, false));
    QVERIFY(!ws.plan()->editBudget(1024, 0.5));
    QCOMPARE(ws.plan()->undoStack()->count(), 0);
    // Without a profile the preview knows densities but not losses.
    QVERIFY(!ws.plan()->preview().hasLoss());
    QCOMPARE(ws.plan()->preview().meanDensity(0), (rule_density(p.rules[0][0], 1024) + rule_density(p.rules[0][1], 1024)) / 2);
  }
};

QTEST_MAIN(StudioPlanEditTest)
#include "test_studio_plan_edit.moc"
