#pragma once
// Raw-data exports beside the figures (a PDF rasterises colour maps; numbers stay exact in
// CSV/HDF5): grid values and any table model as CSV, the profile as HDF5 (same schema as
// the profiler writes, so it reopens here and in h5py).
#include <QString>

#include "app/studio/grid_metric.h"
#include "app/studio/profile_data.h"

class QAbstractItemModel;

namespace moa::studio {

// layer,head,<metric>: one row per head. Throws moa::Error on I/O failure.
void export_grid_csv(const GridValues& values, const QString& metric_key, const QString& path);
// Header row then every row of the model, display text, CSV-quoted where needed.
// Header role a model may answer with a language-independent column name for CSV files
// (the display header is translated; scripts reading the CSV must not depend on the UI language).
inline constexpr int kCsvHeaderRole = Qt::UserRole + 0x4d4f;
void export_model_csv(const QAbstractItemModel& model, const QString& path);
// The loaded profile (all lengths that arrived) as a *.moaprof.h5 file.
void export_profile_hdf5(const ProfileData& profile, const QString& path);
}  // namespace moa::studio
