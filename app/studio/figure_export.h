#pragma once
// Figures: PNG or PDF by the file's suffix. A plot through QCustomPlot's own writers (with an
// optional title row above it, added for the export only); a whole view (the compare tab's
// three maps with their titles and summary) through the widget's own painting.
#include <QString>

class QCustomPlot;
class QWidget;

namespace moa::studio {

// Throws moa::Error naming the file when Qt cannot write it.
void export_figure(QCustomPlot* plot, const QString& path, int width = 0, int height = 0, const QString& title = {});
void export_widget(QWidget* widget, const QString& path);

}  // namespace moa::studio
