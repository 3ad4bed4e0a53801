#include "app/studio/head_grid_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QToolTip>
#include <QVBoxLayout>

#include <cmath>

#include "app/studio/workspace.h"
#include "core/plan/rule.h"

namespace moa::studio {

HeadGridView::HeadGridView(Workspace* ws, QWidget* parent) : QWidget(parent), ws_(ws) {
  auto* bar = new QHBoxLayout;
  metric_label_ = new QLabel(this);
  metric_box_ = new QComboBox(this);
  length_label_ = new QLabel(this);
  length_box_ = new QComboBox(this);
  bar->addWidget(metric_label_);
  bar->addWidget(metric_box_, 1);
  bar->addWidget(length_label_);
  bar->addWidget(length_box_);
  plot_ = new QCustomPlot(this);
  plot_->setMouseTracking(true);
  plot_->installEventFilter(this);
  plot_->setMinimumSize(320, 240);
  mosaic_ = mosaic_create(plot_, sequential_gradient());
  empty_ = empty_note_create(plot_);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addLayout(bar);
  layout->addWidget(plot_, 1);
  retranslate();

  connect(metric_box_, &QComboBox::currentIndexChanged, this, [this](int i) {
    if (i >= 0) metric_ = kGridMetrics[i];
    refresh();
  });
  connect(length_box_, &QComboBox::currentIndexChanged, this, [this](int i) {
    if (i >= 0) ws_->setCurrentLength(length_box_->itemData(i).toLongLong());
  });
  connect(ws_->profile(), &ProfileDocument::reset, this, [this] { refillLengths(); refresh(); });
  connect(ws_->profile(), &ProfileDocument::lengthAdded, this, [this] { refillLengths(); refresh(); });
  PlanDocument* plan = ws_->plan();
  for (auto signal : {&PlanDocument::planReset, &PlanDocument::rulesChanged})
    connect(plan, signal, this, [this] { refillLengths(); refresh(); });
  connect(plan, &PlanDocument::unitChanged, this, [this] { refresh(); });
  connect(ws_, &Workspace::currentLengthChanged, this, [this](qint64 n) {
    const int i = length_box_->findData(QVariant::fromValue<qlonglong>(n));
    if (i >= 0 && i != length_box_->currentIndex()) length_box_->setCurrentIndex(i);
    refresh();
  });
  connect(ws_, &Workspace::currentHeadChanged, this, [this] {
    const HeadRef h = ws_->currentHead();
    mosaic_mark(mosaic_, h.layer, h.head);
    plot_->replot(QCustomPlot::rpQueuedReplot);
  });
}

void HeadGridView::retranslate() {
  metric_label_->setText(tr("Show"));
  length_label_->setText(tr("at length"));
  const QSignalBlocker block(metric_box_);
  metric_box_->clear();
  for (GridMetric m : kGridMetrics) metric_box_->addItem(grid_metric_name(m));
  metric_box_->setCurrentIndex(static_cast<int>(metric_));
  plot_->xAxis->setLabel(tr("head"));
  plot_->yAxis->setLabel(tr("layer"));
  refresh();
}

void HeadGridView::changeEvent(QEvent* event) {
  if (event->type() == QEvent::LanguageChange) retranslate();
  QWidget::changeEvent(event);
}

void HeadGridView::setMetric(GridMetric m) {
  metric_box_->setCurrentIndex(static_cast<int>(m));
}

void HeadGridView::refillLengths() {
  std::vector<int64_t> lengths;
  if (ProfileDataPtr p = ws_->profile()->data()) lengths = p->lengthList();
  if (lengths.empty() && ws_->plan()->hasPlan())
    for (const auto& [n, b] : ws_->plan()->plan().budgets) lengths.push_back(n);
  const QSignalBlocker block(length_box_);
  length_box_->clear();
  for (int64_t n : lengths) length_box_->addItem(QString::number(n), QVariant::fromValue<qlonglong>(n));
  int i = length_box_->findData(QVariant::fromValue<qlonglong>(ws_->currentLength()));
  if (i < 0 && !lengths.empty()) {
    i = 0;
    ws_->setCurrentLength(lengths.front());
  }
  length_box_->setCurrentIndex(i);
}

void HeadGridView::refresh() {
  ProfileDataPtr profile = ws_->profile()->data();
  const Plan* plan = ws_->plan()->hasPlan() ? &ws_->plan()->plan() : nullptr;
  values_ = grid_values(metric_, profile.get(), plan, ws_->currentLength());
  mosaic_fill(mosaic_, values_, grid_metric_name(metric_));
  // No values: say what is missing for this metric rather than draw axes for no data.
  QString note;
  if (values_.empty()) {
    if (grid_metric_needs_profile(metric_) && !profile)
      note = tr("Open a profile to see the heads\n(%1)").arg(grid_metric_name(metric_));
    else if (grid_metric_needs_plan(metric_) && !plan)
      note = tr("Solve or open a plan to see the heads\n(%1)").arg(grid_metric_name(metric_));
    else
      note = tr("Nothing to show at this length\n(%1)").arg(grid_metric_name(metric_));
  }
  empty_note_set(empty_, note);
  const HeadRef h = ws_->currentHead();
  mosaic_mark(mosaic_, h.layer, h.head);
  plot_->replot();
}

QString HeadGridView::emptyText() const { return empty_note_shown(empty_) ? empty_->text() : QString(); }

bool HeadGridView::eventFilter(QObject* watched, QEvent* event) {
  if (watched == plot_) {
    if (event->type() == QEvent::MouseMove) showTooltip(static_cast<QMouseEvent*>(event)->pos());
    if (event->type() == QEvent::MouseButtonPress) {
      auto* me = static_cast<QMouseEvent*>(event);
      if (me->button() == Qt::LeftButton) selectAt(me->pos(), me->modifiers() & Qt::ControlModifier);
    }
  }
  return QWidget::eventFilter(watched, event);
}

void HeadGridView::showTooltip(const QPoint& pos) {
  int layer = 0, head = 0;
  if (!mosaic_cell_at(mosaic_, pos, &layer, &head)) {
    QToolTip::hideText();
    return;
  }
  const double v = values_.at(layer, head);
  QString text = tr("layer %1, head %2").arg(layer).arg(head);
  if (ws_->plan()->hasPlan() && ws_->plan()->plan().granularity == Granularity::kv_head)
    text += tr(" (KV head %1)").arg(ws_->unitOf(head));
  text += QStringLiteral("\n%1: %2").arg(grid_metric_name(metric_), std::isnan(v) ? QStringLiteral("–") : QString::number(v, 'g', 4));
  if (ws_->plan()->hasPlan())
    text += QStringLiteral("\n") + tr("rule %1").arg(QString::fromStdString(rule_text(ws_->plan()->plan().head_rule(layer, head))));
  QToolTip::showText(plot_->mapToGlobal(pos), text, plot_);
}

void HeadGridView::selectAt(const QPoint& pos, bool add) {
  int layer = 0, head = 0;
  if (!mosaic_cell_at(mosaic_, pos, &layer, &head)) return;
  const HeadRef ref{layer, head};
  std::vector<HeadRef> selected = add ? ws_->selectedHeads() : std::vector<HeadRef>{};
  if (std::find(selected.begin(), selected.end(), ref) == selected.end()) selected.push_back(ref);
  ws_->setSelectedHeads(selected);
  ws_->setCurrentHead(ref);
}

}  // namespace moa::studio
