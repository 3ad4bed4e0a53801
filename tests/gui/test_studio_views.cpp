// The views' drawing decisions, measured on the widgets: explicit empty states instead of
// made-up axes, the rule plot's legend and labels clear of the curves, the head detail's
// colour range (shared or per head) and tick labels that follow resize and zoom, and a main
// window that fits a 1366 x 768 screen.
#include <QComboBox>
#include <QtTest>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

#include "app/studio/head_detail_view.h"
#include "app/studio/head_grid_view.h"
#include "app/studio/main_window.h"
#include "app/studio/rule_plot_view.h"
#include "core/plan/rule.h"
#include "tests/gui/gui_test_util.h"

using namespace moa;
using namespace moa::studio;

namespace {

int tick_count(QCPAxis* axis) {
  auto ticker = qSharedPointerDynamicCast<QCPAxisTickerText>(axis->ticker());
  return ticker ? static_cast<int>(ticker->ticks().size()) : -1;
}

QRectF text_rect(QCPItemText* t) {
  return QRectF(t->topLeft->pixelPosition(), t->bottomRight->pixelPosition()).normalized();
}

// Largest positive block value of (layer, head) at a length, straight from the profile.
double block_max(const LengthProfile& lp, int layer, int head, int heads) {
  const float* m = lp.influence.data() + lp.at(layer, head, 0, 0, heads);
  double hi = 0.0;
  for (int64_t qb = 0; qb < lp.blocks(); ++qb)
    for (int64_t kb = 0; kb <= qb; ++kb) hi = std::max<double>(hi, m[qb * lp.blocks() + kb]);
  return hi;
}

}  // namespace

class StudioViewsTest : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString profile_path_;

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    profile_path_ = dir_.filePath(QStringLiteral("views.moaprof.h5"));
    test::fixture_profile_write(profile_path_.toStdString(), 4, 8, 8, {512, 1024, 2048});
  }

  void emptyStatesBeforeAnythingIsLoaded() {
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    // Nothing open: each view says what would fill it, and draws no axes.
    QVERIFY(w.headGrid()->emptyText().contains(QStringLiteral("Open a profile")));
    QVERIFY(w.headDetail()->emptyText().contains(QStringLiteral("Open a profile")));
    QVERIFY(w.rulePlot()->emptyText().contains(QStringLiteral("Open a profile or a plan")));
    for (QCustomPlot* p : {w.headGrid()->plot(), w.headDetail()->plot(), w.rulePlot()->plot()}) {
      QVERIFY(!p->xAxis->visible());
      QVERIFY(!p->yAxis->visible());
    }
    QVERIFY(test::open_profile_and_wait(*w.workspace(), profile_path_));
    QVERIFY(w.headGrid()->emptyText().isEmpty());
    QVERIFY(w.headGrid()->plot()->xAxis->visible());
    QVERIFY(w.rulePlot()->emptyText().isEmpty());  // profiled lengths are real data
    QVERIFY(w.headDetail()->emptyText().contains(QStringLiteral("Click a head")));
    w.workspace()->setCurrentHead({1, 2});
    QVERIFY(w.headDetail()->emptyText().isEmpty());
    QVERIFY(w.headDetail()->plot()->xAxis->visible());
    // A plan metric without a plan says so.
    w.headGrid()->setMetric(GridMetric::PlanSpan);
    QVERIFY(w.headGrid()->emptyText().contains(QStringLiteral("plan")));
  }

  void rulePlotLegendAndLabelsLeaveTheCurvesVisible() {
    Workspace ws;
    QVERIFY(test::open_profile_and_wait(ws, profile_path_));
    QVERIFY(test::solve_and_wait(ws));
    // A local head (the curve along the bottom, where the length labels used to sit), a wide
    // one, and enough heads for a legend that would cover a corner of the axis rect.
    QVERIFY(ws.plan()->editRule(0, 0, Rule{64, 0}) || ws.plan()->plan().rules[0][0] == (Rule{64, 0}));
    QVERIFY(ws.plan()->editRule(1, 6, Rule{0, 1}) || ws.plan()->plan().rules[1][6] == (Rule{0, 1}));
    ws.setSelectedHeads({{0, 0}, {1, 6}, {2, 1}, {2, 5}, {3, 3}, {3, 7}});
    RulePlotView view(&ws);
    view.resize(640, 440);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.refresh();
    QCustomPlot* p = view.plot();
    p->replot();
    QCOMPARE(view.ruleCurveCount(), 6);
    const QRect axis = p->axisRect()->rect();
    QVERIFY(!p->legend->outerRect().intersects(axis));  // outside the axis rect
    QVERIFY(p->legend->outerRect().height() > 0);
    int labels = 0;
    for (int i = 0; i < p->itemCount(); ++i) {
      auto* t = qobject_cast<QCPItemText*>(p->item(i));
      if (!t || !t->visible()) continue;
      ++labels;
      const QRectF r = text_rect(t);
      for (int g = 0; g < p->graphCount(); ++g)
        for (auto it = p->graph(g)->data()->constBegin(); it != p->graph(g)->data()->constEnd(); ++it) {
          const QPointF px(p->xAxis->coordToPixel(it->key), p->yAxis->coordToPixel(it->value));
          QVERIFY2(!r.contains(px), qPrintable(QStringLiteral("label '%1' covers %2 at (%3, %4)")
                                                   .arg(t->text(), p->graph(g)->name()).arg(it->key).arg(it->value)));
        }
    }
    QCOMPARE(labels, 3);  // one per profiled length

    // The budget line is in span terms like the curves: a head whose rule has exactly the budget
    // density (sink included) lies on it, up to the 64-token block rounding of its span.
    QCPGraph* budget = nullptr;
    for (int g = 0; g < p->graphCount(); ++g)
      if (p->graph(g)->name().startsWith(QStringLiteral("span at budget"))) budget = p->graph(g);
    QVERIFY(budget);
    const Plan& plan = ws.plan()->plan();
    QCOMPARE(budget->data()->size(), static_cast<int>(plan.budgets.size()));
    for (auto it = budget->data()->constBegin(); it != budget->data()->constEnd(); ++it) {
      const auto n = static_cast<int64_t>(it->key);
      const Rule at_budget{it->value, 0.0};  // span = the line's value at every length
      QVERIFY2(std::abs(rule_density(at_budget, n) - plan.budgets.at(n)) < 64.0 / static_cast<double>(n),
               qPrintable(QStringLiteral("N=%1: density %2 vs budget %3").arg(n).arg(rule_density(at_budget, n)).arg(plan.budgets.at(n))));
    }
  }

  void headDetailColourRangeSharedOrPerHead() {
    Workspace ws;
    QVERIFY(test::open_profile_and_wait(ws, profile_path_));
    HeadDetailView view(&ws);
    view.resize(700, 500);
    view.show();
    ws.setCurrentLength(1024);
    const LengthProfile& lp = *ws.profile()->data()->lengths.at(1024);
    double all_max = 0.0;
    for (int l = 0; l < 4; ++l)
      for (int h = 0; h < 8; ++h) all_max = std::max(all_max, block_max(lp, l, h, 8));
    auto* map = qobject_cast<QCPColorMap*>(view.plot()->plottable(0));
    QVERIFY(map);
    // Per head by default: each head's own maximum.
    QCOMPARE(view.colourScale(), DetailScale::PerHead);
    ws.setCurrentHead({2, 7});
    QCOMPARE(map->dataRange().upper, double(float(block_max(lp, 2, 7, 8))));
    ws.setCurrentHead({0, 0});
    QCOMPARE(map->dataRange().upper, double(float(block_max(lp, 0, 0, 8))));
    QVERIFY(block_max(lp, 0, 0, 8) != block_max(lp, 2, 7, 8));
    auto* bar = qobject_cast<QCPColorScale*>(view.plot()->plotLayout()->element(0, 1));
    QVERIFY(bar);
    QVERIFY(bar->axis()->label().contains(QStringLiteral("this head")));
    // Shared: the same range for every head, up to the largest block of any head.
    view.colourScaleBox()->setCurrentIndex(0);
    emit view.colourScaleBox()->activated(0);
    QCOMPARE(view.colourScale(), DetailScale::Shared);
    const QCPRange first = map->dataRange();
    ws.setCurrentHead({2, 7});
    QCOMPARE(map->dataRange().upper, first.upper);
    QCOMPARE(map->dataRange().lower, first.lower);
    QCOMPARE(map->dataRange().upper, double(float(all_max)));
    QCOMPARE(bar->dataRange().upper, map->dataRange().upper);  // the bar shows the range used
    QVERIFY(bar->axis()->label().contains(QString::number(all_max, 'g', 2)));
    QVERIFY(bar->axis()->label().contains(QStringLiteral("all heads")));
    QCOMPARE(detail_scale_from_key(QLatin1String(detail_scale_key(DetailScale::PerHead))), DetailScale::PerHead);
  }

  void headDetailTicksFollowResizeAndZoom() {
    Workspace ws;
    QVERIFY(test::open_profile_and_wait(ws, profile_path_));
    HeadDetailView view(&ws);
    view.resize(1000, 800);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    ws.setCurrentLength(2048);  // 32 x 32 blocks
    ws.setCurrentHead({1, 1});
    QCustomPlot* p = view.plot();
    p->replot();
    const int wide = tick_count(p->xAxis);
    QVERIFY(wide >= 16);
    view.resize(360, 300);  // a small pane: the labels thin out without a redraw of the map
    QTRY_VERIFY(tick_count(p->xAxis) < wide);
    QTRY_VERIFY(tick_count(p->yAxis) <= 8);
    p->xAxis->setRange(-0.5, 5.5);  // zoomed in to 6 blocks: every one labelled again
    QCOMPARE(tick_count(p->xAxis), 32);
    p->xAxis->setRange(-0.5, 31.5);
    QVERIFY(tick_count(p->xAxis) < wide);
  }

  // The head grid thins its labels on resize too, without new data (the same follower as the
  // head detail and the compare view's mosaics).
  void headGridTicksFollowResize() {
    const QString wide_path = dir_.filePath(QStringLiteral("wide.moaprof.h5"));
    test::fixture_profile_write(wide_path.toStdString(), 16, 32, 8, {512});
    Workspace ws;
    QVERIFY(test::open_profile_and_wait(ws, wide_path));
    HeadGridView view(&ws);
    view.resize(1100, 800);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QCustomPlot* p = view.plot();
    p->replot();
    QTRY_COMPARE(tick_count(p->xAxis), 32);  // every head labelled when there is room
    QCOMPARE(tick_count(p->yAxis), 16);
    view.resize(330, 260);
    QTRY_VERIFY(tick_count(p->xAxis) <= 8);
    QTRY_VERIFY(tick_count(p->yAxis) <= 8);
    view.resize(1100, 800);
    QTRY_COMPARE(tick_count(p->xAxis), 32);
  }

  void mainWindowFitsA1366x768Screen() {
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(test::open_profile_and_wait(*w.workspace(), profile_path_));
    QVERIFY(test::solve_and_wait(*w.workspace()));
    w.workspace()->setCurrentHead({1, 1});
    // A long status message (a path, an error) must not widen the window either.
    emit w.workspace()->message(QString(400, QLatin1Char('x')));
    // 768 less a title bar and a panel.
    const QSize min = w.minimumSizeHint();
    QVERIFY2(min.width() <= 1366 && min.height() <= 768 - 60,
             qPrintable(QStringLiteral("minimum %1 x %2").arg(min.width()).arg(min.height())));
    // Opened no larger than the screen's free area (offscreen: 800 x 600) unless the minimum is.
    const QSize room = w.screen()->availableGeometry().size();
    MainWindow fresh;
    QVERIFY(fresh.width() <= std::max(room.width(), fresh.minimumSizeHint().width()));
    QVERIFY(fresh.height() <= std::max(room.height(), fresh.minimumSizeHint().height()));
  }
};

QTEST_MAIN(StudioViewsTest)
#include "test_studio_views.moc"
