#include "app/studio/head_detail_view.h"

#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "app/studio/mosaic.h"
#include "app/studio/workspace.h"
#include "core/plan/rule.h"

namespace moa::studio {

const char* detail_scale_key(DetailScale s) { return s == DetailScale::Shared ? "shared" : "per_head"; }

std::optional<DetailScale> detail_scale_from_key(const QString& key) {
  for (DetailScale s : {DetailScale::Shared, DetailScale::PerHead})
    if (key == QLatin1String(detail_scale_key(s))) return s;
  return std::nullopt;
}

HeadDetailView::HeadDetailView(Workspace* ws, QWidget* parent) : QWidget(parent), ws_(ws) {
  title_ = new QLabel(this);
  title_->setWordWrap(true);
  scale_label_ = new QLabel(this);
  scale_box_ = new QComboBox(this);
  scale_box_->setSizeAdjustPolicy(QComboBox::AdjustToContents);  // its items change language
  reset_zoom_ = new QPushButton(this);
  auto* bar = new QHBoxLayout;
  bar->addWidget(title_, 1);
  bar->addWidget(scale_label_);
  bar->addWidget(scale_box_);
  bar->addWidget(reset_zoom_);
  plot_ = new QCustomPlot(this);
  plot_->setMinimumSize(320, 240);
  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  map_ = new QCPColorMap(plot_->xAxis, plot_->yAxis);
  map_->setInterpolate(false);
  QCPColorGradient gradient = sequential_gradient();
  map_->setGradient(gradient);
  scale_ = new QCPColorScale(plot_);
  plot_->plotLayout()->addElement(0, 1, scale_);
  map_->setColorScale(scale_);
  scale_->setGradient(gradient);  // after attaching: the scale's gradient wins
  // Influence spans orders of magnitude between the diagonal and far blocks.
  scale_->setDataScaleType(QCPAxis::stLogarithmic);
  scale_->axis()->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
  auto* margins = new QCPMarginGroup(plot_);
  plot_->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
  scale_->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
  plot_->xAxis->grid()->setVisible(false);
  plot_->yAxis->grid()->setVisible(false);

  const QPen layout_pen(QColor(255, 80, 80), 2);
  sink_ = new QCPItemRect(plot_);
  sink_->setPen(layout_pen);
  sink_->setBrush(Qt::NoBrush);
  band_left_ = new QCPCurve(plot_->xAxis, plot_->yAxis);
  band_right_ = new QCPCurve(plot_->xAxis, plot_->yAxis);
  for (QCPCurve* c : {band_left_, band_right_}) c->setPen(layout_pen);
  empty_ = empty_note_create(plot_);
  cell_ticks_follow(plot_, map_);  // labels re-thinned on resize, zoom and pan

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addLayout(bar);
  layout->addWidget(plot_, 1);
  retranslate();

  connect(reset_zoom_, &QPushButton::clicked, this, &HeadDetailView::resetZoom);
  connect(scale_box_, &QComboBox::activated, this, [this](int i) { setColourScale(static_cast<DetailScale>(i)); });
  connect(ws_, &Workspace::currentHeadChanged, this, &HeadDetailView::refresh);
  connect(ws_, &Workspace::currentLengthChanged, this, &HeadDetailView::refresh);
  connect(ws_->profile(), &ProfileDocument::reset, this, &HeadDetailView::refresh);
  connect(ws_->profile(), &ProfileDocument::finished, this, &HeadDetailView::refresh);
  for (auto signal : {&PlanDocument::planReset, &PlanDocument::rulesChanged})
    connect(ws_->plan(), signal, this, &HeadDetailView::refresh);
  connect(ws_->plan(), &PlanDocument::unitChanged, this, &HeadDetailView::refresh);
}

void HeadDetailView::retranslate() {
  reset_zoom_->setText(tr("Reset zoom"));
  scale_label_->setText(tr("Colours"));
  const QSignalBlocker block(scale_box_);
  scale_box_->clear();
  // In DetailScale order.
  scale_box_->addItem(tr("shared by all heads"));
  scale_box_->addItem(tr("per head"));
  scale_box_->setCurrentIndex(static_cast<int>(scale_kind_));
  scale_box_->setToolTip(tr("Shared: one colour range for every head of the profile at this length, so colours compare "
                            "across heads. Per head: each head's own maximum, to read a weak head's structure."));
  plot_->xAxis->setLabel(tr("key block (64 tokens)"));
  plot_->yAxis->setLabel(tr("query block"));
  refresh();
}

void HeadDetailView::changeEvent(QEvent* event) {
  if (event->type() == QEvent::LanguageChange) retranslate();
  QWidget::changeEvent(event);
}

void HeadDetailView::setColourScale(DetailScale s) {
  scale_kind_ = s;
  scale_box_->setCurrentIndex(static_cast<int>(s));
  refresh();
}

QString HeadDetailView::emptyText() const { return empty_note_shown(empty_) ? empty_->text() : QString(); }

void HeadDetailView::resetZoom() {
  plot_->xAxis->setRange(-0.5, std::max<long long>(nb_, 1) - 0.5);
  plot_->yAxis->setRange(-0.5, std::max<long long>(nb_, 1) - 0.5);
  plot_->replot();
}

QCPRange HeadDetailView::colourRange(const InfluenceSummary& summary, int layer, int head) const {
  double lo = std::numeric_limits<double>::infinity(), hi = 0.0;
  auto take = [&](size_t i) {
    hi = std::max<double>(hi, summary.block_max[i]);
    if (summary.block_min[i] > 0.0f) lo = std::min<double>(lo, summary.block_min[i]);
  };
  if (scale_kind_ == DetailScale::PerHead) take(static_cast<size_t>(layer) * summary.num_heads + head);
  else
    for (size_t i = 0; i < summary.block_max.size(); ++i) take(i);
  if (!std::isfinite(lo) || hi <= 0.0) lo = 1e-9, hi = 1.0;
  lo = std::max(lo, hi * 1e-6);  // six decades are plenty to read structure
  return QCPRange(lo, hi > lo ? hi : lo * 10);
}

void HeadDetailView::refresh() {
  const HeadRef head = ws_->currentHead();
  ProfileDataPtr profile = ws_->profile()->data();
  const int64_t length = ws_->currentLength();
  const LengthProfile* lp = nullptr;
  const InfluenceSummary* summary = nullptr;
  if (profile && head.valid() && head.layer < profile->meta.num_layers && head.head < profile->meta.num_heads) {
    auto it = profile->lengths.find(length);
    auto sit = profile->summaries.find(length);
    if (it != profile->lengths.end() && sit != profile->summaries.end()) lp = it->second.get(), summary = &sit->second;
  }
  if (!lp) {
    // Nothing to draw: say what would fill the view rather than show axes for no data.
    empty_note_set(empty_, !profile ? tr("Open a profile to see a head's influence map")
                           : !head.valid() ? tr("Click a head in the grid to see its influence map")
                                           : tr("No influence for layer %1 head %2 at this length").arg(head.layer).arg(head.head));
    title_->clear();
    map_->data()->clear();
    map_->setVisible(false);
    sink_->setVisible(false);
    band_left_->data()->clear();
    band_right_->data()->clear();
    band_blocks_ = 0;
    nb_ = 0;
    plot_->replot();
    return;
  }
  empty_note_set(empty_, QString());
  const long long nb = lp->blocks();
  const bool new_shape = nb != nb_;
  nb_ = nb;
  QCPColorMapData* data = map_->data();
  data->setSize(static_cast<int>(nb), static_cast<int>(nb));
  data->setRange(QCPRange(0, std::max<long long>(nb - 1, 1)), QCPRange(0, std::max<long long>(nb - 1, 1)));
  const float* m = lp->influence.data() + lp->at(head.layer, head.head, 0, 0, profile->meta.num_heads);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (long long qb = 0; qb < nb; ++qb)
    for (long long kb = 0; kb < nb; ++kb) {
      // Upper triangle (future keys) and exact zeros have no place on a log scale.
      const double v = kb <= qb ? m[qb * nb + kb] : nan;
      data->setCell(static_cast<int>(kb), static_cast<int>(nb - 1 - qb), v > 0.0 ? v : nan);
    }
  const QCPRange range = colourRange(*summary, head.layer, head.head);
  map_->setDataRange(range);
  // The bar's decade ticks may not reach its ends: the label states the range in numbers,
  // on a second line short enough for a small pane.
  const QString ends = scale_kind_ == DetailScale::Shared ? tr("%1 – %2, all heads") : tr("%1 – %2, this head");
  scale_->axis()->setLabel(tr("pooled influence |E|") + QStringLiteral("\n") +
                           ends.arg(range.lower, 0, 'g', 2).arg(range.upper, 0, 'g', 2));
  map_->setVisible(true);
  drawLayout(nb);
  QString title = tr("Layer %1, head %2 at %3 tokens (%4 x %4 blocks)")
                      .arg(head.layer).arg(head.head).arg(length).arg(nb);
  if (ws_->plan()->hasPlan() && band_blocks_ > 0) {
    const Rule& rule = ws_->plan()->plan().head_rule(head.layer, head.head);
    title += QStringLiteral("\n") + tr("rule %1: sink + band of %2 blocks, density %3")
                                        .arg(QString::fromStdString(rule_text(rule)))
                                        .arg(band_blocks_)
                                        .arg(rule_density(rule, length), 0, 'f', 3);
  }
  title_->setText(title);
  // Re-thinned here as well: coming back from the empty state with the same shape and range
  // changes no range, and a resize while empty thinned nothing.
  cell_ticks_update(plot_, map_);
  if (new_shape) resetZoom();
  else plot_->replot();
}

void HeadDetailView::drawLayout(long long nb) {
  band_left_->data()->clear();
  band_right_->data()->clear();
  band_blocks_ = 0;
  const HeadRef head = ws_->currentHead();
  if (!ws_->plan()->hasPlan() || head.layer >= ws_->plan()->plan().num_layers ||
      head.head >= ws_->plan()->plan().num_heads) {
    sink_->setVisible(false);
    return;
  }
  const Rule& rule = ws_->plan()->plan().head_rule(head.layer, head.head);
  const long long k = rule_band_blocks(rule, ws_->currentLength());
  band_blocks_ = k;
  // Sink: key block 0 for every query block.
  sink_->topLeft->setCoords(-0.5, nb - 0.5);
  sink_->bottomRight->setCoords(0.5, -0.5);
  sink_->setVisible(true);
  // Band edges as staircases along the cell borders: query block qb (drawn at row nb-1-qb)
  // attends key blocks [qb-k+1, qb].
  QVector<double> lx, ly, rx, ry;
  for (long long qb = 0; qb < nb; ++qb) {
    const double top = nb - 1 - qb + 0.5, bottom = nb - 1 - qb - 0.5;
    const double left = std::max(0LL, qb - k + 1) - 0.5, right = qb + 0.5;
    lx << left << left;
    ly << top << bottom;
    rx << right << right;
    ry << top << bottom;
  }
  band_left_->setData(lx, ly);
  band_right_->setData(rx, ry);
}

QString HeadDetailView::title() const { return title_->text(); }

}  // namespace moa::studio
