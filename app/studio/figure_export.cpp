#include "app/studio/figure_export.h"

#include <qcustomplot.h>

#include "core/util/error.h"

namespace moa::studio {

void export_figure(QCustomPlot* plot, const QString& path, int width, int height) {
  const bool pdf = path.endsWith(QStringLiteral(".pdf"), Qt::CaseInsensitive);
  const bool ok = pdf ? plot->savePdf(path, width, height) : plot->savePng(path, width, height);
  if (!ok) fail_file(path.toStdString(), pdf ? "could not write the PDF" : "could not write the PNG");
}

}  // namespace moa::studio
