#pragma once
// Figures: PNG or PDF by the file's suffix, through QCustomPlot's own writers.
#include <QString>

class QCustomPlot;

namespace moa::studio {

// Throws moa::Error naming the file when Qt cannot write it.
void export_figure(QCustomPlot* plot, const QString& path, int width = 0, int height = 0);

}  // namespace moa::studio
