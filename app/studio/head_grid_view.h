#pragma once
// The head grid: layers x heads as one colour map, switchable between profile summaries and
// plan values at a chosen length. Hover shows layer/head/value; click makes a head current,
// Ctrl+click adds it to the selection the rule plot draws.
#include <QWidget>

#include "app/studio/grid_metric.h"
#include "app/studio/mosaic.h"

class QComboBox;
class QLabel;
class QCustomPlot;
class QCPItemText;

namespace moa::studio {

class Workspace;

class HeadGridView : public QWidget {
  Q_OBJECT
 public:
  explicit HeadGridView(Workspace* ws, QWidget* parent = nullptr);
  QCustomPlot* plot() const { return plot_; }
  GridMetric metric() const { return metric_; }
  void setMetric(GridMetric m);
  // What is drawn now (for CSV export and tests).
  const GridValues& values() const { return values_; }
  // Redraws from the documents (also called on every document signal).
  void refresh();
  // The centred note shown instead of axes while there is nothing to draw ("" when drawing).
  QString emptyText() const;

 protected:
  void changeEvent(QEvent* event) override;
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  void retranslate();
  void refillLengths();
  void showTooltip(const QPoint& pos);
  void selectAt(const QPoint& pos, bool add);

  Workspace* ws_;
  QComboBox* metric_box_;
  QComboBox* length_box_;
  QLabel* metric_label_;
  QLabel* length_label_;
  QCustomPlot* plot_;
  Mosaic mosaic_;
  QCPItemText* empty_;
  GridMetric metric_ = GridMetric::FarInfluence;
  GridValues values_;
};

}  // namespace moa::studio
