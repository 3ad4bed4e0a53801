#pragma once
// One head's 64-token-block influence map (query block x key block, lower triangle) at a
// chosen length, log colour scale, with the plan rule's block layout drawn over it: the
// sink column and the band of k(N) blocks. Wheel zooms, drag pans.
#include <QWidget>

#include <optional>

class QComboBox;
class QCustomPlot;
class QCPColorMap;
class QCPColorScale;
class QCPCurve;
class QCPItemRect;
class QCPItemText;
class QCPRange;
class QLabel;
class QPushButton;

namespace moa::studio {

struct InfluenceSummary;
class Workspace;

// Colour range of the map. Shared: one range for every head of the profile at that length,
// so a colour means the same influence on every head (the default: a weak head looks weak).
// PerHead: each head's own maximum, to read the structure of a weak head.
enum class DetailScale { Shared, PerHead };
const char* detail_scale_key(DetailScale s);  // stable, for sessions
std::optional<DetailScale> detail_scale_from_key(const QString& key);

class HeadDetailView : public QWidget {
  Q_OBJECT
 public:
  explicit HeadDetailView(Workspace* ws, QWidget* parent = nullptr);
  QCustomPlot* plot() const { return plot_; }
  // What the view says above the map (layer, head, length, rule, density): exported figures carry it.
  QString title() const;
  void refresh();
  // Band blocks drawn now (0 when no rule is shown): for tests.
  long long bandBlocks() const { return band_blocks_; }
  DetailScale colourScale() const { return scale_kind_; }
  void setColourScale(DetailScale s);
  QComboBox* colourScaleBox() const { return scale_box_; }
  // The centred note shown instead of axes while there is nothing to draw ("" when drawing).
  QString emptyText() const;

 protected:
  void changeEvent(QEvent* event) override;

 private:
  void retranslate();
  void drawLayout(long long nb);
  void resetZoom();
  // The colour range for the current head at `length` ([lo, hi], lo > 0, at most six decades).
  QCPRange colourRange(const InfluenceSummary& summary, int layer, int head) const;

  Workspace* ws_;
  QLabel* title_;
  QLabel* scale_label_;
  QComboBox* scale_box_;
  QPushButton* reset_zoom_;
  QCustomPlot* plot_;
  QCPColorMap* map_;
  QCPColorScale* scale_;
  QCPItemRect* sink_;
  QCPCurve* band_left_;
  QCPCurve* band_right_;
  QCPItemText* empty_;
  // Per head by default: this view is for reading one head's structure (a local head's values sit
  // decades below a retrieval head's, and a shared range paints it one colour); the grid compares heads.
  DetailScale scale_kind_ = DetailScale::PerHead;
  long long nb_ = 0;
  long long band_blocks_ = 0;
};

}  // namespace moa::studio
