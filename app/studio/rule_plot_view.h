#pragma once
// Span vs input length for the selected heads' rules (S = alpha + beta*N, clamped to
// [0, N]), with the profiled lengths marked and the budget drawn as the span the density
// budget allows on average (budget * N).
#include <QWidget>

class QCustomPlot;
class QCPItemText;
class QLabel;

namespace moa::studio {

class Workspace;

class RulePlotView : public QWidget {
  Q_OBJECT
 public:
  explicit RulePlotView(Workspace* ws, QWidget* parent = nullptr);
  QCustomPlot* plot() const { return plot_; }
  void refresh();
  int ruleCurveCount() const { return rule_curves_; }
  // The centred note shown instead of axes while there is nothing to draw ("" when drawing).
  QString emptyText() const;

 protected:
  void changeEvent(QEvent* event) override;

 private:
  Workspace* ws_;
  QLabel* hint_;
  QCustomPlot* plot_;
  QCPItemText* empty_ = nullptr;
  int rule_curves_ = 0;
};

}  // namespace moa::studio
