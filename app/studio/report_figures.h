#pragma once
// PNG figures of an evaluation comparison (moa eval / moa pipeline JSON results), drawn with
// QCustomPlot without a window: one retrieval-accuracy heatmap over length level x depth
// decile per result, and accuracy against KV density for every result. moa-studio
// --report-figures OUTDIR RESULT.json... runs this headless (the moa CLI calls it).
#include <QString>
#include <QStringList>

namespace moa::studio {

// Returns the files written; throws moa::Error naming a result file that cannot be read.
QStringList report_figures(const QStringList& results, const QString& out_dir);

}  // namespace moa::studio
