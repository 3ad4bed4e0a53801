#pragma once
// QCustomPlot helpers shared by the head grid, the head detail and the compare view:
// one QCPColorMap per mosaic (never one axis rect per head), no interpolation, rows flipped
// while filling so that layer 0 / query block 0 is at the top without reversing an axis.
#include <qcustomplot.h>

#include "app/studio/grid_metric.h"

namespace moa::studio {

// Perceptually ordered dark-blue -> green -> yellow (QCustomPlot 2.1 has no viridis preset).
QCPColorGradient sequential_gradient();
// Blue -> white -> red around zero, for differences.
QCPColorGradient diverging_gradient();

// Integer labels at cell centres, thinned so that `visible` cells (all by default; fewer when
// zoomed in) fit `pixels` of axis; flipped: row 0 at the top.
QSharedPointer<QCPAxisTickerText> cell_ticker(int count, bool flipped, int pixels, double visible = 0);

// Keeps the plot's cell labels thinned for its size and visible range: on every resize (for the
// size to come, before QCustomPlot lays itself out), every axis range change (zoom, pan) and when
// called directly after the map's data changed. The cell counts are the map's data size (keys =
// columns on x, values = rows on y, flipped). One mechanism for every mosaic and the head detail.
// The follower is a child of the plot; call once per plot.
void cell_ticks_follow(QCustomPlot* plot, QCPColorMap* map);
void cell_ticks_update(QCustomPlot* plot, QCPColorMap* map, QSize size = QSize());

// An explicit empty state instead of made-up axes: while the note's text is non-empty the
// plot shows only that text, centred; the axes and every layout element beside the axis rect
// (colour scale, legend) are hidden. The note starts empty (hidden).
QCPItemText* empty_note_create(QCustomPlot* plot);
void empty_note_set(QCPItemText* note, const QString& text);
bool empty_note_shown(const QCPItemText* note);

// A color map + color scale on the plot's main axis rect, set up for layers x heads cells.
struct Mosaic {
  QCustomPlot* plot = nullptr;
  QCPColorMap* map = nullptr;
  QCPColorScale* scale = nullptr;
  QCPItemRect* marker = nullptr;  // outline of the current head
  int rows = 0;
  int cols = 0;
};
Mosaic mosaic_create(QCustomPlot* plot, const QCPColorGradient& gradient);
// Fills from values (row-major [row][col]); NaN cells are transparent.
void mosaic_fill(Mosaic& m, const GridValues& g, const QString& scale_label, bool symmetric = false);
void mosaic_clear(Mosaic& m);
// Cell under a widget position; false outside.
bool mosaic_cell_at(const Mosaic& m, const QPoint& pos, int* row, int* col);
void mosaic_mark(Mosaic& m, int row, int col);

}  // namespace moa::studio
