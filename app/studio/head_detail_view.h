#pragma once
// One head's 64-token-block influence map (query block x key block, lower triangle) at a
// chosen length, log colour scale, with the plan rule's block layout drawn over it: the
// sink column and the band of k(N) blocks. Wheel zooms, drag pans.
#include <QWidget>

class QCustomPlot;
class QCPColorMap;
class QCPColorScale;
class QCPCurve;
class QCPItemRect;
class QLabel;
class QPushButton;

namespace moa::studio {

class Workspace;

class HeadDetailView : public QWidget {
  Q_OBJECT
 public:
  explicit HeadDetailView(Workspace* ws, QWidget* parent = nullptr);
  QCustomPlot* plot() const { return plot_; }
  void refresh();
  // Band blocks drawn now (0 when no rule is shown): for tests.
  long long bandBlocks() const { return band_blocks_; }

 protected:
  void changeEvent(QEvent* event) override;

 private:
  void retranslate();
  void drawLayout(long long nb);
  void resetZoom();

  Workspace* ws_;
  QLabel* title_;
  QPushButton* reset_zoom_;
  QCustomPlot* plot_;
  QCPColorMap* map_;
  QCPColorScale* scale_;
  QCPItemRect* sink_;
  QCPCurve* band_left_;
  QCPCurve* band_right_;
  long long nb_ = 0;
  long long band_blocks_ = 0;
};

}  // namespace moa::studio
