#include "app/studio/data_export.h"

#include <QAbstractItemModel>

#include <cmath>
#include <sstream>

#include "core/util/files.h"

namespace moa::studio {

namespace {

std::string csv_field(const QString& text) {
  std::string s = text.toStdString();
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

void export_grid_csv(const GridValues& g, const QString& metric_key, const QString& path) {
  std::ostringstream out;
  out.precision(9);
  out << "layer,head," << metric_key.toStdString() << "_at_" << g.length << "\n";
  for (int l = 0; l < g.layers; ++l)
    for (int h = 0; h < g.heads; ++h) {
      const double v = g.at(l, h);
      out << l << "," << h << ",";
      if (std::isfinite(v)) out << v;
      out << "\n";
    }
  write_file_atomic(path.toStdString(), out.str());
}

void export_model_csv(const QAbstractItemModel& model, const QString& path) {
  std::ostringstream out;
  const int cols = model.columnCount();
  for (int c = 0; c < cols; ++c)
  {
    // Column names that do not change with the UI language where the model has them.
    const QVariant key = model.headerData(c, Qt::Horizontal, kCsvHeaderRole);
    out << (c ? "," : "") << csv_field((key.isValid() ? key : model.headerData(c, Qt::Horizontal)).toString());
  }
  out << "\n";
  for (int r = 0; r < model.rowCount(); ++r) {
    for (int c = 0; c < cols; ++c) {
      const QModelIndex i = model.index(r, c);
      QVariant v = model.data(i, Qt::EditRole);
      if (!v.isValid()) {
        const QVariant check = model.data(i, Qt::CheckStateRole);
        v = check.isValid() ? QVariant(check.toInt() == Qt::Checked ? 1 : 0) : model.data(i, Qt::DisplayRole);
      }
      QString text = v.typeId() == QMetaType::Double ? QString::number(v.toDouble(), 'g', 9) : v.toString();
      out << (c ? "," : "") << csv_field(text);
    }
    out << "\n";
  }
  write_file_atomic(path.toStdString(), out.str());
}

void export_profile_hdf5(const ProfileData& profile, const QString& path) {
  profile_write(path.toStdString(), profile.toProfile());
}

}  // namespace moa::studio
