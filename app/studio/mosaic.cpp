#include "app/studio/mosaic.h"

#include <QEvent>
#include <QResizeEvent>

#include <algorithm>
#include <cmath>
#include <limits>

namespace moa::studio {

QCPColorGradient sequential_gradient() {
  QCPColorGradient g;
  g.clearColorStops();
  g.setColorStopAt(0.0, QColor(68, 1, 84));
  g.setColorStopAt(0.25, QColor(59, 82, 139));
  g.setColorStopAt(0.5, QColor(33, 145, 140));
  g.setColorStopAt(0.75, QColor(94, 201, 98));
  g.setColorStopAt(1.0, QColor(253, 231, 37));
  g.setColorInterpolation(QCPColorGradient::ciRGB);
  g.setNanHandling(QCPColorGradient::nhTransparent);
  return g;
}

QCPColorGradient diverging_gradient() {
  QCPColorGradient g;
  g.clearColorStops();
  g.setColorStopAt(0.0, QColor(33, 102, 172));
  g.setColorStopAt(0.5, QColor(247, 247, 247));
  g.setColorStopAt(1.0, QColor(178, 24, 43));
  g.setColorInterpolation(QCPColorGradient::ciRGB);
  g.setNanHandling(QCPColorGradient::nhTransparent);
  return g;
}

Mosaic mosaic_create(QCustomPlot* plot, const QCPColorGradient& gradient) {
  Mosaic m;
  m.plot = plot;
  m.map = new QCPColorMap(plot->xAxis, plot->yAxis);
  m.map->setInterpolate(false);  // crisp cells
  m.map->setTightBoundary(false);
  m.map->setGradient(gradient);
  m.scale = new QCPColorScale(plot);
  plot->plotLayout()->addElement(0, 1, m.scale);
  m.scale->setType(QCPAxis::atRight);
  m.map->setColorScale(m.scale);
  // The scale owns the gradient once attached: set it there, or its default (gpCold,
  // NaN opaque) wins.
  m.scale->setGradient(gradient);
  auto* margins = new QCPMarginGroup(plot);
  plot->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
  m.scale->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
  m.marker = new QCPItemRect(plot);
  m.marker->setPen(QPen(QColor(255, 64, 64), 2));
  m.marker->setBrush(Qt::NoBrush);
  m.marker->setVisible(false);
  plot->xAxis->grid()->setVisible(false);
  plot->yAxis->grid()->setVisible(false);
  cell_ticks_follow(plot, m.map);
  return m;
}

QSharedPointer<QCPAxisTickerText> cell_ticker(int count, bool flipped, int pixels, double visible) {
  auto ticker = QSharedPointer<QCPAxisTickerText>::create();
  // At least ~22 px per label, and steps of 1, 2, 4, 8, ... so labels land on round heads.
  const double cells = visible > 0 ? std::min<double>(visible, count) : count;
  int step = 1;
  while (pixels > 0 && count > 1 && step < count && pixels * step / cells < 22) step *= 2;
  for (int i = 0; i < count; i += step) ticker->addTick(flipped ? count - 1 - i : i, QString::number(i));
  return ticker;
}

void cell_ticks_update(QCustomPlot* plot, QCPColorMap* map, QSize size) {
  const int cols = map->data()->keySize(), rows = map->data()->valueSize();
  if (cols <= 0 || rows <= 0) return;
  if (!size.isValid()) size = plot->size();
  // The axis rect is the plot less its margins (axis labels, colour bar) as last laid out;
  // before the first layout, a guess at them.
  const QRect area = plot->axisRect()->rect();
  const bool laid_out = area.width() > 50 && area.height() > 50;
  const int w = size.width() - (laid_out ? plot->viewport().width() - area.width() : 160);
  const int h = size.height() - (laid_out ? plot->viewport().height() - area.height() : 60);
  plot->xAxis->setTicker(cell_ticker(cols, false, std::max(100, w), plot->xAxis->range().size()));
  plot->yAxis->setTicker(cell_ticker(rows, true, std::max(100, h), plot->yAxis->range().size()));
}

namespace {
// Re-thins on the plot's resize (an event filter sees the coming size before QCustomPlot's own
// resizeEvent lays out and replots) and on range changes.
class CellTickFollower : public QObject {
 public:
  CellTickFollower(QCustomPlot* plot, QCPColorMap* map) : QObject(plot), plot_(plot), map_(map) {
    plot->installEventFilter(this);
    for (QCPAxis* axis : {plot->xAxis, plot->yAxis})
      connect(axis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this,
              [this] { cell_ticks_update(plot_, map_); });
  }
  bool eventFilter(QObject* watched, QEvent* event) override {
    if (watched == plot_ && event->type() == QEvent::Resize)
      cell_ticks_update(plot_, map_, static_cast<QResizeEvent*>(event)->size());
    return QObject::eventFilter(watched, event);
  }

 private:
  QCustomPlot* plot_;
  QCPColorMap* map_;
};
}  // namespace

void cell_ticks_follow(QCustomPlot* plot, QCPColorMap* map) { new CellTickFollower(plot, map); }

QCPItemText* empty_note_create(QCustomPlot* plot) {
  auto* note = new QCPItemText(plot);
  note->setClipToAxisRect(false);
  note->position->setType(QCPItemPosition::ptViewportRatio);
  note->position->setCoords(0.5, 0.5);
  note->setPositionAlignment(Qt::AlignCenter);
  note->setTextAlignment(Qt::AlignCenter);
  QFont font = plot->font();
  font.setPointSizeF(font.pointSizeF() * 1.15);
  note->setFont(font);
  note->setColor(QColor(110, 110, 110));
  note->setVisible(false);
  return note;
}

void empty_note_set(QCPItemText* note, const QString& text) {
  QCustomPlot* plot = note->parentPlot();
  const bool empty = !text.isEmpty();
  note->setText(text);
  note->setVisible(empty);
  for (QCPAxis* axis : plot->axisRect()->axes()) axis->setVisible(!empty && (axis == plot->xAxis || axis == plot->yAxis));
  QCPLayoutGrid* layout = plot->plotLayout();
  for (int i = 0; i < layout->elementCount(); ++i)
    if (QCPLayoutElement* e = layout->elementAt(i); e && e != plot->axisRect()) e->setVisible(!empty);
}

bool empty_note_shown(const QCPItemText* note) { return note->visible(); }

void mosaic_fill(Mosaic& m, const GridValues& g, const QString& scale_label, bool symmetric) {
  if (g.empty()) {
    mosaic_clear(m);
    return;
  }
  m.rows = g.layers;
  m.cols = g.heads;
  QCPColorMapData* data = m.map->data();
  data->setSize(m.cols, m.rows);
  data->setRange(QCPRange(0, std::max(1, m.cols - 1)), QCPRange(0, std::max(1, m.rows - 1)));
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (int r = 0; r < m.rows; ++r)
    for (int c = 0; c < m.cols; ++c) {
      const double v = g.at(r, c);
      data->setCell(c, m.rows - 1 - r, v);
      if (std::isfinite(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
  if (!std::isfinite(lo)) lo = 0.0, hi = 1.0;
  if (symmetric) {
    // Zero stays at the gradient's neutral middle, also when nothing differs.
    double a = std::max(std::abs(lo), std::abs(hi));
    if (a == 0.0) a = 1.0;
    lo = -a;
    hi = a;
  }
  if (hi - lo <= 0.0) hi = lo + (lo == 0.0 ? 1.0 : std::abs(lo) * 1e-3);
  m.map->setDataRange(QCPRange(lo, hi));
  m.scale->axis()->setLabel(scale_label);
  m.plot->xAxis->setRange(-0.5, m.cols - 0.5);
  m.plot->yAxis->setRange(-0.5, m.rows - 0.5);
  cell_ticks_update(m.plot, m.map);  // also when the ranges did not change (same shape, new data)
  m.map->setVisible(true);
}

void mosaic_clear(Mosaic& m) {
  m.rows = m.cols = 0;
  m.map->data()->clear();
  m.map->setVisible(false);
  m.marker->setVisible(false);
}

bool mosaic_cell_at(const Mosaic& m, const QPoint& pos, int* row, int* col) {
  if (m.rows == 0 || !m.plot->axisRect()->rect().contains(pos)) return false;
  const double x = m.plot->xAxis->pixelToCoord(pos.x());
  const double y = m.plot->yAxis->pixelToCoord(pos.y());
  const int c = static_cast<int>(std::lround(x));
  const int r = m.rows - 1 - static_cast<int>(std::lround(y));
  if (c < 0 || c >= m.cols || r < 0 || r >= m.rows) return false;
  *row = r;
  *col = c;
  return true;
}

void mosaic_mark(Mosaic& m, int row, int col) {
  if (row < 0 || col < 0 || row >= m.rows || col >= m.cols) {
    m.marker->setVisible(false);
    return;
  }
  const double y = m.rows - 1 - row;
  m.marker->topLeft->setCoords(col - 0.5, y + 0.5);
  m.marker->bottomRight->setCoords(col + 0.5, y - 0.5);
  m.marker->setVisible(true);
}

}  // namespace moa::studio
