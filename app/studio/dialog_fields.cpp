#include "app/studio/dialog_fields.h"

#include <QDialog>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QStringList>

#include "core/util/error.h"

namespace moa::studio {

std::vector<int64_t> lengths_from_text(const QString& text) {
  std::vector<int64_t> out;
  for (const QString& part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
    bool ok = false;
    const qlonglong n = part.trimmed().toLongLong(&ok);
    if (!ok || n <= 0 || n % 64 != 0)
      throw Error("length '" + part.trimmed().toStdString() + "' is not a positive multiple of 64");
    out.push_back(n);
  }
  if (out.empty()) throw Error("give at least one length");
  return out;
}

QString lengths_to_text(const std::vector<int64_t>& lengths) {
  QStringList text;
  for (int64_t n : lengths) text << QString::number(n);
  return text.join(QStringLiteral(","));
}

std::vector<int64_t> lengths_remembered(const QString& remembered, int64_t context, const std::vector<int64_t>& fallback) {
  try {
    const std::vector<int64_t> lengths = lengths_from_text(remembered);
    for (int64_t n : lengths)
      if (n > context) return fallback;
    return lengths;
  } catch (const Error&) {
    return fallback;
  }
}

bool fields_parse_or_say(QDialog* dialog, const std::function<void()>& parse) {
  try {
    parse();
    return true;
  } catch (const std::exception& e) {
    QMessageBox::warning(dialog, dialog->windowTitle(), QString::fromStdString(e.what()));
    return false;
  }
}

QHBoxLayout* path_row(QLineEdit* edit, QPushButton* browse) {
  auto* row = new QHBoxLayout;
  row->addWidget(edit, 1);
  row->addWidget(browse);
  return row;
}

}  // namespace moa::studio
