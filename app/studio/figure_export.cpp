#include "app/studio/figure_export.h"

#include <QPainter>
#include <QPdfWriter>
#include <QPixmap>
#include <QWidget>

#include <qcustomplot.h>

#include "core/util/error.h"

namespace moa::studio {

namespace {

bool is_pdf(const QString& path) { return path.endsWith(QStringLiteral(".pdf"), Qt::CaseInsensitive); }

}  // namespace

void export_figure(QCustomPlot* plot, const QString& path, int width, int height, const QString& title) {
  // The view shows its title outside the plot (a label): the file carries it in a row of its own.
  QCPTextElement* heading = nullptr;
  if (!title.isEmpty()) {
    plot->plotLayout()->insertRow(0);
    heading = new QCPTextElement(plot, title, QFont(plot->font().family(), plot->font().pointSize() + 1, QFont::Bold));
    plot->plotLayout()->addElement(0, 0, heading);
  }
  const bool pdf = is_pdf(path);
  const bool ok = pdf ? plot->savePdf(path, width, height) : plot->savePng(path, width, height);
  if (heading) {
    plot->plotLayout()->remove(heading);
    plot->plotLayout()->simplify();
    plot->replot();
  }
  if (!ok) fail_file(path.toStdString(), pdf ? "could not write the PDF" : "could not write the PNG");
}

void export_widget(QWidget* widget, const QString& path) {
  bool ok = false;
  if (is_pdf(path)) {
    QPdfWriter pdf(path);
    pdf.setPageSize(QPageSize(widget->size(), QPageSize::Point));
    pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
    pdf.setResolution(72);  // one point per widget pixel: the page is the widget's size
    QPainter painter;
    ok = painter.begin(&pdf);
    if (ok) {
      widget->render(&painter);
      ok = painter.end();
    }
  } else {
    ok = widget->grab().save(path, "PNG");
  }
  if (!ok) fail_file(path.toStdString(), is_pdf(path) ? "could not write the PDF" : "could not write the PNG");
}

}  // namespace moa::studio
