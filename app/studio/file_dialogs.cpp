#include "app/studio/file_dialogs.h"

#include <QFileDialog>
#include <QRegularExpression>
#include <QStringList>

namespace moa::studio {

namespace {

// ".png" and ".moaprof.h5" from "... (*.png)" and "... (*.moaprof.h5 *.h5)", in order.
QStringList suffixes_of(const QString& filter) {
  QStringList out;
  static const QRegularExpression pattern(QStringLiteral("\\*(\\.[A-Za-z0-9_.]+)"));
  for (auto it = pattern.globalMatch(filter); it.hasNext();) out << it.next().captured(1);
  return out;
}

}  // namespace

QString path_with_filter_suffix(const QString& path, const QString& filters, const QString& selected) {
  if (path.isEmpty()) return path;
  const QStringList all = filters.split(QStringLiteral(";;"));
  for (const QString& f : all)
    for (const QString& s : suffixes_of(f))
      if (path.endsWith(s, Qt::CaseInsensitive)) return path;
  QStringList chosen = suffixes_of(selected);
  if (chosen.isEmpty() && !all.isEmpty()) chosen = suffixes_of(all.front());
  return chosen.isEmpty() ? path : path + chosen.front();
}

QString save_file_name(QWidget* parent, const QString& caption, const QString& dir, const QString& filters) {
  QString selected;
  const QString path = QFileDialog::getSaveFileName(parent, caption, dir, filters, &selected);
  return path_with_filter_suffix(path, filters, selected);
}

}  // namespace moa::studio
