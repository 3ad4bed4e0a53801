// Every item model under QAbstractItemModelTester through the edits the GUI makes, and the
// live preview checked against the core's loss tables.
#include <QAbstractItemModelTester>
#include <QLineEdit>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QtTest>

#include "app/studio/plan_table_model.h"
#include "core/plan/loss_table.h"
#include "core/solve/solve.h"
#include "tests/gui/gui_test_util.h"

using namespace moa;
using namespace moa::studio;

class StudioModelsTest : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString profile_path_;

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    profile_path_ = dir_.filePath(QStringLiteral("fixture.moaprof.h5"));
    test::fixture_profile_write(profile_path_.toStdString(), 4, 8, 2, {512, 1024});
  }

  void planModelsPassTesterThroughEdits() {
    Workspace ws;
    PlanTableModel table(ws.plan());
    PlanSummaryModel summary(ws.plan());
    QAbstractItemModelTester t1(&table, QAbstractItemModelTester::FailureReportingMode::Fatal);
    QAbstractItemModelTester t2(&summary, QAbstractItemModelTester::FailureReportingMode::Fatal);
    QCOMPARE(table.rowCount(), 0);

    QVERIFY(test::open_profile_and_wait(ws, profile_path_));
    QVERIFY(test::solve_and_wait(ws));
    QVERIFY(ws.plan()->hasPlan());
    QCOMPARE(table.rowCount(), 4 * 2);  // kv_head plan: 4 layers x 2 KV heads
    QCOMPARE(table.columnCount(), 4 + 2 * 2 + 1);
    QCOMPARE(summary.rowCount(), 2);
    // Prefill work next to density: the core's count of kept causal pairs, above the density
    // (a band's early query blocks are dense).
    for (int row = 0; row < 2; ++row) {
      const int64_t n = summary.data(summary.index(row, PlanSummaryModel::LengthColumn)).toLongLong();
      const double work = summary.data(summary.index(row, PlanSummaryModel::WorkColumn), Qt::EditRole).toDouble();
      QCOMPARE(work, plan_work_fraction(ws.plan()->plan(), n));
      QVERIFY(work >= summary.data(summary.index(row, PlanSummaryModel::DensityColumn), Qt::EditRole).toDouble() - 1e-12);
    }

    // Edit alpha in place, toggle a lock, edit a budget, undo all, re-solve.
    QVERIFY(ws.plan()->editRule(1, 1, Rule{0, 0.25}));  // row 3, a known start
    QVERIFY(table.setData(table.index(3, PlanTableModel::AlphaColumn), 256.0));
    QCOMPARE(table.data(table.index(3, PlanTableModel::AlphaColumn), Qt::EditRole).toDouble(), 256.0);
    QSignalSpy refused(&table, &PlanTableModel::editRefused);
    QVERIFY(!table.setData(table.index(3, PlanTableModel::BetaColumn), 1.5));  // beta outside [0, 1]
    QCOMPARE(refused.count(), 1);  // and says why
    QVERIFY(refused.first().at(0).toString().contains(QStringLiteral("1.5")));
    // Alpha obeys the core's rule_check at the profiled lengths (512, 1024), as the solver's
    // grid does: no span at the shortest length, or a span above N, is refused with the reason.
    const int steps = ws.plan()->undoStack()->count();
    QVERIFY(!table.setData(table.index(3, PlanTableModel::AlphaColumn), -1e9));
    QCOMPARE(refused.count(), 2);
    QVERIFY(refused.last().at(0).toString().contains(QStringLiteral("above 0 at the shortest length")));
    QVERIFY(refused.last().at(0).toString().contains(QStringLiteral("512")));
    QVERIFY(!table.setData(table.index(3, PlanTableModel::AlphaColumn), 1e5));
    QVERIFY(refused.last().at(0).toString().contains(QStringLiteral("at most N")));
    QVERIFY(!table.setData(table.index(3, PlanTableModel::BetaColumn), 0.75));  // 256 + 384 > 512
    QCOMPARE(refused.count(), 4);
    QCOMPARE(ws.plan()->plan().rules[1][1], (Rule{256, 0.25}));  // refused edits change nothing
    QCOMPARE(ws.plan()->undoStack()->count(), steps);
    QVERIFY(table.setData(table.index(3, PlanTableModel::AlphaColumn), -127.0));  // span 1 at 512: allowed
    QVERIFY(rule_check(ws.plan()->plan().rules[1][1], {512, 1024}).ok());
    // Through the view's own delegate, as a user edits: a line edit holding the exact value (not a
    // two-decimal spin box that would round 0.125 to 0.13), and "alpha; beta" sets both in one
    // undo step where neither alone is valid (alpha 512 at beta 0.125 spans 576 > 512 at 512).
    QVERIFY(ws.plan()->editRule(1, 1, Rule{0, 0.125}));
    QTableView view;
    view.setModel(&table);
    QStyledItemDelegate* delegate = qobject_cast<QStyledItemDelegate*>(view.itemDelegate());
    QVERIFY(delegate);
    const QModelIndex beta_cell = table.index(3, PlanTableModel::BetaColumn);
    QWidget* editor = delegate->createEditor(view.viewport(), QStyleOptionViewItem(), beta_cell);
    auto* line = qobject_cast<QLineEdit*>(editor);
    QVERIFY(line);
    delegate->setEditorData(editor, beta_cell);
    QCOMPARE(line->text(), QStringLiteral("0.125"));
    delegate->setModelData(editor, &table, beta_cell);  // committed unchanged: no rounding
    QCOMPARE(ws.plan()->plan().rules[1][1], (Rule{0, 0.125}));
    const int before_pair = ws.plan()->undoStack()->count();
    QVERIFY(!table.setData(table.index(3, PlanTableModel::AlphaColumn), QStringLiteral("512")));  // 512 + 64 > 512
    QVERIFY(refused.last().at(0).toString().contains(QStringLiteral("alpha; beta")));  // says how
    line->setText(QStringLiteral(" 448 ; 0.0625 "));
    delegate->setModelData(editor, &table, beta_cell);
    QCOMPARE(ws.plan()->plan().rules[1][1], (Rule{448, 0.0625}));
    QCOMPARE(ws.plan()->undoStack()->count(), before_pair + 1);
    delete editor;
    QVERIFY(!table.setData(table.index(3, PlanTableModel::AlphaColumn), QStringLiteral("1; 2; 3")));
    QVERIFY(!table.setData(table.index(3, PlanTableModel::AlphaColumn), QStringLiteral("64; x")));
    QVERIFY(refused.last().at(0).toString().contains(QStringLiteral("Not a number: \"x\"")));
    QCOMPARE(ws.plan()->plan().rules[1][1], (Rule{448, 0.0625}));
    // A comma is a decimal point somewhere: in a German locale "0,03125" is one number, never a
    // pair (it would be alpha 0, beta 1, a dense rule, accepted without a word).
    QLocale::setDefault(QLocale(QLocale::German, QLocale::Germany));
    QVERIFY(table.setData(table.index(3, PlanTableModel::BetaColumn), QStringLiteral("0,03125")));
    QCOMPARE(ws.plan()->plan().rules[1][1], (Rule{448, 0.03125}));
    QVERIFY(table.setData(table.index(3, PlanTableModel::AlphaColumn), QStringLiteral("384\uFF1B0,0625")));  // full-width ;
    QCOMPARE(ws.plan()->plan().rules[1][1], (Rule{384, 0.0625}));
    QLocale::setDefault(QLocale::c());
    // The budget is edited the same way: exact text, refusals said.
    const QModelIndex budget_cell = summary.index(0, PlanSummaryModel::BudgetColumn);
    QVERIFY(summary.setData(budget_cell, QStringLiteral("0.4375")));
    QCOMPARE(summary.data(budget_cell, Qt::EditRole).toString(), QStringLiteral("0.4375"));
    QSignalSpy budget_refused(&summary, &PlanSummaryModel::editRefused);
    QVERIFY(!summary.setData(budget_cell, QStringLiteral("1.5")));
    QCOMPARE(budget_refused.count(), 1);
    QVERIFY(budget_refused.first().at(0).toString().contains(QStringLiteral("1.5")));
    QVERIFY(table.setData(table.index(2, table.lockedColumn()), Qt::Checked, Qt::CheckStateRole));
    QCOMPARE(table.data(table.index(2, table.lockedColumn()), Qt::CheckStateRole).toInt(), int(Qt::Checked));
    QVERIFY(summary.setData(summary.index(0, PlanSummaryModel::BudgetColumn), 0.6));
    // A budget below the plan's density is flagged on the density until the next solve.
    QVERIFY(!summary.data(summary.index(0, PlanSummaryModel::DensityColumn), Qt::ForegroundRole).isValid());
    QVERIFY(summary.setData(summary.index(0, PlanSummaryModel::BudgetColumn), 0.05));
    QVERIFY(summary.data(summary.index(0, PlanSummaryModel::DensityColumn), Qt::ForegroundRole).isValid());
    QVERIFY(!summary.data(summary.index(0, PlanSummaryModel::DensityColumn), Qt::ToolTipRole).toString().isEmpty());
    QVERIFY(!summary.setData(summary.index(0, PlanSummaryModel::BudgetColumn), 1.6));
    while (ws.plan()->undoStack()->canUndo()) ws.plan()->undoStack()->undo();
    QVERIFY(test::solve_and_wait(ws));
    ws.plan()->setProfile(nullptr);  // densities only: loss columns show a dash
    QCOMPARE(table.data(table.index(0, table.lossColumn(0))).toString(), QStringLiteral("–"));
    ws.plan()->clear();
    QCOMPARE(table.rowCount(), 0);
    QCOMPARE(summary.rowCount(), 0);
  }

  void previewMatchesCoreLossTable() {
    Workspace ws;
    QVERIFY(test::open_profile_and_wait(ws, profile_path_));
    QVERIFY(test::solve_and_wait(ws));
    const Plan& plan = ws.plan()->plan();
    const Profile profile = ws.profile()->data()->toProfile();
    std::vector<Rule> rules;
    for (const auto& layer : plan.rules)
      for (const Rule& r : layer) rules.push_back(r);
    const LossTable table = loss_table_build(profile, rules, plan.granularity);
    std::vector<int> assignment;
    for (const auto& layer : plan.rules)
      for (const Rule& r : layer) assignment.push_back(table.rule_index(r));
    const PlanPreview& preview = ws.plan()->preview();
    for (size_t n = 0; n < preview.lengths().size(); ++n) {
      const double expected = loss_table_total(table, assignment, static_cast<int>(n));
      QVERIFY2(std::abs(preview.totalLoss(n) - expected) <= 1e-9 * std::max(1.0, expected),
               qPrintable(QStringLiteral("%1 vs %2").arg(preview.totalLoss(n)).arg(expected)));
      QCOMPARE(preview.meanDensity(n), loss_table_mean_density(table, assignment, static_cast<int>(n)));
    }
  }
};

QTEST_MAIN(StudioModelsTest)
#include "test_studio_models.moc"
