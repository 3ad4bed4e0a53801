#pragma once
// Save dialogs that honour the file type the user picked: a name typed without an extension
// gets the chosen filter's ("fig" + "PDF document (*.pdf)" -> "fig.pdf"), so the file written is
// of the type the dialog said.
#include <QString>

class QWidget;

namespace moa::studio {

// `filters` as QFileDialog takes them ("PNG image (*.png);;PDF document (*.pdf)"). A path that
// already ends in an extension of any filter is kept; otherwise the first extension of
// `selected` (or of the first filter) is appended.
QString path_with_filter_suffix(const QString& path, const QString& filters, const QString& selected);

// QFileDialog::getSaveFileName, then path_with_filter_suffix. Empty when cancelled.
QString save_file_name(QWidget* parent, const QString& caption, const QString& dir, const QString& filters);

}  // namespace moa::studio
