#include "app/studio/head_detail_view.h"

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

HeadDetailView::HeadDetailView(Workspace* ws, QWidget* parent) : QWidget(parent), ws_(ws) {
  title_ = new QLabel(this);
  title_->setWordWrap(true);
  reset_zoom_ = new QPushButton(this);
  auto* bar = new QHBoxLayout;
  bar->addWidget(title_, 1);
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

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addLayout(bar);
  layout->addWidget(plot_, 1);
  retranslate();

  connect(reset_zoom_, &QPushButton::clicked, this, &HeadDetailView::resetZoom);
  connect(ws_, &Workspace::currentHeadChanged, this, &HeadDetailView::refresh);
  connect(ws_, &Workspace::currentLengthChanged, this, &HeadDetailView::refresh);
  connect(ws_->profile(), &ProfileDocument::reset, this, &HeadDetailView::refresh);
  for (auto signal : {&PlanDocument::planReset, &PlanDocument::rulesChanged})
    connect(ws_->plan(), signal, this, &HeadDetailView::refresh);
  connect(ws_->plan(), &PlanDocument::unitChanged, this, &HeadDetailView::refresh);
}

void HeadDetailView::retranslate() {
  reset_zoom_->setText(tr("Reset zoom"));
  plot_->xAxis->setLabel(tr("key block (64 tokens)"));
  plot_->yAxis->setLabel(tr("query block"));
  scale_->axis()->setLabel(tr("pooled influence |E|"));
  refresh();
}

void HeadDetailView::changeEvent(QEvent* event) {
  if (event->type() == QEvent::LanguageChange) retranslate();
  QWidget::changeEvent(event);
}

void HeadDetailView::resetZoom() {
  plot_->xAxis->setRange(-0.5, std::max<long long>(nb_, 1) - 0.5);
  plot_->yAxis->setRange(-0.5, std::max<long long>(nb_, 1) - 0.5);
  plot_->replot();
}

void HeadDetailView::refresh() {
  const HeadRef head = ws_->currentHead();
  ProfileDataPtr profile = ws_->profile()->data();
  const int64_t length = ws_->currentLength();
  const LengthProfile* lp = nullptr;
  if (profile && head.valid() && head.layer < profile->meta.num_layers && head.head < profile->meta.num_heads) {
    auto it = profile->lengths.find(length);
    if (it != profile->lengths.end()) lp = it->second.get();
  }
  if (!lp) {
    title_->setText(head.valid() ? tr("No influence for layer %1 head %2 at this length").arg(head.layer).arg(head.head)
                                 : tr("Click a head in the grid to see its influence map"));
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
  const long long nb = lp->blocks();
  const bool new_shape = nb != nb_;
  nb_ = nb;
  QCPColorMapData* data = map_->data();
  data->setSize(static_cast<int>(nb), static_cast<int>(nb));
  data->setRange(QCPRange(0, std::max<long long>(nb - 1, 1)), QCPRange(0, std::max<long long>(nb - 1, 1)));
  const float* m = lp->influence.data() + lp->at(head.layer, head.head, 0, 0, profile->meta.num_heads);
  double lo = std::numeric_limits<double>::infinity(), hi = 0.0;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (long long qb = 0; qb < nb; ++qb)
    for (long long kb = 0; kb < nb; ++kb) {
      // Upper triangle (future keys) and exact zeros have no place on a log scale.
      const double v = kb <= qb ? m[qb * nb + kb] : nan;
      const bool positive = v > 0.0;
      data->setCell(static_cast<int>(kb), static_cast<int>(nb - 1 - qb), positive ? v : nan);
      if (positive) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
  if (!std::isfinite(lo)) lo = 1e-9, hi = 1.0;
  lo = std::max(lo, hi * 1e-6);  // six decades are plenty to read structure
  map_->setDataRange(QCPRange(lo, hi > lo ? hi : lo * 10));
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
  plot_->xAxis->setTicker(cell_ticker(static_cast<int>(nb), false, std::max(200, plot_->width() - 160)));
  plot_->yAxis->setTicker(cell_ticker(static_cast<int>(nb), true, std::max(200, plot_->height() - 60)));
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

}  // namespace moa::studio
