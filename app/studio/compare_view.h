#pragma once
// Compare: the current plan (or profile) against a second one, side by side and as a
// difference (A - B, diverging colours around zero).
#include <QWidget>

#include "app/studio/grid_metric.h"
#include "app/studio/mosaic.h"

class QCPItemText;
class QComboBox;
class QLabel;
class QPushButton;

namespace moa::studio {

class Workspace;

class CompareView : public QWidget {
  Q_OBJECT
 public:
  enum class Kind { Plans, Profiles };
  explicit CompareView(Workspace* ws, QWidget* parent = nullptr);
  void setKind(Kind kind);
  Kind kind() const { return kind_; }
  QCustomPlot* plotA() const { return a_.plot; }
  QCustomPlot* plotB() const { return b_.plot; }
  QCustomPlot* plotDiff() const { return diff_.plot; }
  const GridValues& difference() const { return diff_values_; }
  // What each panel says instead of a map (empty when it shows one).
  QString noteA() const;
  QString noteB() const;
  QString noteDiff() const;
  void refresh();

 signals:
  void openPlanBRequested();
  void openProfileBRequested();

 protected:
  void changeEvent(QEvent* event) override;

 private:
  void retranslate();
  GridMetric metric() const;

  Workspace* ws_;
  Kind kind_ = Kind::Plans;
  QComboBox* kind_box_;
  QComboBox* metric_box_;
  QComboBox* length_box_;
  QPushButton* open_b_;
  QLabel* title_a_;
  QLabel* title_b_;
  QLabel* title_diff_;
  QLabel* summary_;
  Mosaic a_, b_, diff_;
  QCPItemText* note_a_ = nullptr;
  QCPItemText* note_b_ = nullptr;
  QCPItemText* note_diff_ = nullptr;
  GridValues diff_values_;
};

}  // namespace moa::studio
