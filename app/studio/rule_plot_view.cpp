#include "app/studio/rule_plot_view.h"

#include <QEvent>
#include <QLabel>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

#include "app/studio/mosaic.h"
#include "app/studio/workspace.h"
#include "core/plan/rule.h"
#include "core/profile/profile_store.h"

namespace moa::studio {

RulePlotView::RulePlotView(Workspace* ws, QWidget* parent) : QWidget(parent), ws_(ws) {
  hint_ = new QLabel(this);
  plot_ = new QCustomPlot(this);
  plot_->setMinimumSize(320, 240);
  // The legend sits under the axis rect, never over the curves (inside, any corner is
  // crossed by some curve once a few heads are selected); three entries a row.
  plot_->legend->setVisible(true);
  plot_->plotLayout()->addElement(1, 0, plot_->legend);
  plot_->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  plot_->legend->setWrap(3);
  plot_->plotLayout()->setRowStretchFactor(1, 0.001);
  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(hint_);
  layout->addWidget(plot_, 1);
  connect(ws_, &Workspace::selectionChanged, this, &RulePlotView::refresh);
  connect(ws_, &Workspace::currentHeadChanged, this, &RulePlotView::refresh);
  connect(ws_->profile(), &ProfileDocument::finished, this, &RulePlotView::refresh);
  for (auto signal : {&PlanDocument::planReset, &PlanDocument::rulesChanged, &PlanDocument::budgetsChanged})
    connect(ws_->plan(), signal, this, &RulePlotView::refresh);
  connect(ws_->plan(), &PlanDocument::unitChanged, this, &RulePlotView::refresh);
  refresh();
}

QString RulePlotView::emptyText() const { return empty_ && empty_note_shown(empty_) ? empty_->text() : QString(); }

void RulePlotView::changeEvent(QEvent* event) {
  if (event->type() == QEvent::LanguageChange) refresh();
  QWidget::changeEvent(event);
}

void RulePlotView::refresh() {
  hint_->setText(tr("Span of the selected heads' rules (Ctrl+click heads in the grid to add)"));
  plot_->xAxis->setLabel(tr("input length N (tokens)"));
  plot_->yAxis->setLabel(tr("span S(N) (tokens)"));
  plot_->clearGraphs();
  plot_->clearItems();
  empty_ = empty_note_create(plot_);
  rule_curves_ = 0;
  std::vector<int64_t> lengths;
  if (ProfileDataPtr p = ws_->profile()->data()) lengths = p->lengthList();
  const Plan* plan = ws_->plan()->hasPlan() ? &ws_->plan()->plan() : nullptr;
  if (lengths.empty() && plan)
    for (const auto& [n, b] : plan->budgets) lengths.push_back(n);
  if (lengths.empty()) {
    // No lengths to plot against: a note instead of axes over made-up lengths.
    empty_note_set(empty_, tr("Open a profile or a plan to see the rules' spans"));
    plot_->replot();
    return;
  }
  empty_note_set(empty_, QString());
  const double n_lo = std::max<double>(64, lengths.front() / 2.0), n_hi = lengths.back() * 2.0;
  constexpr int kSamples = 96;
  QVector<double> xs(kSamples);
  for (int i = 0; i < kSamples; ++i) xs[i] = n_lo + (n_hi - n_lo) * i / (kSamples - 1);

  // Dense attention (S = N) as the upper reference.
  QCPGraph* dense = plot_->addGraph();
  dense->setName(tr("dense (S = N)"));
  dense->setPen(QPen(Qt::gray, 1, Qt::DotLine));
  dense->setData(xs, xs, true);

  if (plan && !plan->budgets.empty()) {
    QCPGraph* budget = plot_->addGraph();
    // In span terms, as the curves are: density counts the 64-token sink too, so the span a head
    // may have at density rho is rho * N - 64 (a head on the line is at the budget, up to the
    // rounding of spans to 64-token blocks).
    budget->setName(tr("span at budget (ρ·N − 64 sink)"));
    budget->setPen(QPen(QColor(200, 40, 40), 2, Qt::DashLine));
    QVector<double> bx, by;
    for (const auto& [n, b] : plan->budgets) {
      bx << static_cast<double>(n);
      by << std::max(0.0, b * static_cast<double>(n) - kSinkSize);
    }
    budget->setData(bx, by, true);
    budget->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssSquare, 6));
  }

  std::vector<HeadRef> heads = ws_->selectedHeads();
  if (heads.empty() && ws_->currentHead().valid()) heads.push_back(ws_->currentHead());
  static const QColor palette[] = {QColor(31, 119, 180), QColor(255, 127, 14), QColor(44, 160, 44),
                                   QColor(148, 103, 189), QColor(140, 86, 75), QColor(227, 119, 194),
                                   QColor(23, 190, 207), QColor(188, 189, 34)};
  if (plan) {
    for (const HeadRef& h : heads) {
      if (h.layer >= plan->num_layers || h.head >= plan->num_heads) continue;
      const Rule& rule = plan->head_rule(h.layer, h.head);
      QCPGraph* g = plot_->addGraph();
      g->setName(tr("L%1 H%2 %3").arg(h.layer).arg(h.head).arg(QString::fromStdString(rule_text(rule))));
      g->setPen(QPen(palette[rule_curves_ % 8], 2));
      QVector<double> ys(kSamples);
      for (int i = 0; i < kSamples; ++i)
        ys[i] = std::clamp(rule_span(rule, static_cast<int64_t>(xs[i])), 0.0, xs[i]);
      g->setData(xs, ys, true);
      ++rule_curves_;
    }
  }
  // Profiled lengths: where the rule's loss is actually measured.
  for (int64_t n : lengths) {
    auto* line = new QCPItemStraightLine(plot_);
    line->point1->setCoords(static_cast<double>(n), 0);
    line->point2->setCoords(static_cast<double>(n), 1);
    line->setPen(QPen(QColor(120, 120, 120), 1, Qt::DashDotLine));
    auto* label = new QCPItemText(plot_);
    label->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
    // At the top of the axis rect: spans never exceed N and the y range reaches twice the
    // longest length, so the top is clear of every curve (the bottom is where local heads run).
    label->position->setCoords(static_cast<double>(n), 0.01);
    label->setPositionAlignment(Qt::AlignTop | Qt::AlignHCenter);
    label->setBrush(QBrush(QColor(255, 255, 255, 200)));
    label->setText(tr("profiled %1").arg(n));
    label->setColor(QColor(90, 90, 90));
  }
  plot_->xAxis->setRange(0, n_hi);
  plot_->yAxis->setRange(0, n_hi * 1.02);
  plot_->replot();
}

}  // namespace moa::studio
