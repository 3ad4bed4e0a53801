#include "app/studio/report_figures.h"

#include <QDir>
#include <QFileInfo>

#include <map>
#include <nlohmann/json.hpp>

#include "app/studio/figure_export.h"
#include "app/studio/mosaic.h"
#include "core/data/retrieval_score.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/json_read.h"

namespace moa::studio {

namespace {

struct Result {
  QString label;
  double density = 1.0;
  RetrievalReport report;
};

Result read_result(const QString& path) {
  const nlohmann::json j = json_parse_or_fail(read_text_file(path.toStdString()), path.toStdString());
  if (!j.contains("retrieval")) fail_file(path.toStdString(), "no 'retrieval' section (not a moa eval result)");
  Result r;
  r.label = QString::fromStdString(j.value("label", QFileInfo(path).baseName().toStdString()));
  r.density = j.value("mean_density", 1.0);
  r.report = retrieval_report_from_json(j["retrieval"]);
  return r;
}

// File-name-safe label: "moa@0.50" -> "moa_0.50".
QString slug(QString s) {
  for (QChar& c : s)
    if (!c.isLetterOrNumber() && c != QLatin1Char('.') && c != QLatin1Char('-')) c = QLatin1Char('_');
  return s;
}

QString heatmap(const Result& r, const QString& dir) {
  QCustomPlot plot;
  plot.resize(720, 420);
  Mosaic m = mosaic_create(&plot, sequential_gradient());
  GridValues g;
  std::vector<long long> levels;
  for (const auto& [lv, cells] : r.report.by_level_depth) levels.push_back(lv);
  g.layers = static_cast<int>(levels.size());  // rows: length levels
  g.heads = 10;                                  // columns: depth deciles
  g.values.assign(static_cast<size_t>(g.layers) * 10, std::numeric_limits<double>::quiet_NaN());
  for (int i = 0; i < g.layers; ++i) {
    const auto& cells = r.report.by_level_depth.at(levels[i]);
    for (int d = 0; d < 10; ++d)
      if (cells[d].total > 0) g.values[static_cast<size_t>(i) * 10 + d] = cells[d].accuracy();
  }
  mosaic_fill(m, g, QStringLiteral("accuracy"));
  m.map->setDataRange(QCPRange(0, 1));
  QSharedPointer<QCPAxisTickerText> rows(new QCPAxisTickerText);
  for (int i = 0; i < g.layers; ++i) rows->addTick(g.layers - 1 - i, QString::number(levels[i]));
  plot.yAxis->setTicker(rows);
  plot.yAxis->setLabel(QStringLiteral("length level (tokens)"));
  plot.xAxis->setLabel(QStringLiteral("depth decile of the asked line (0 = start of the record)"));
  plot.plotLayout()->insertRow(0);
  plot.plotLayout()->addElement(0, 0, new QCPTextElement(&plot, QStringLiteral("retrieval accuracy: ") + r.label));
  const QString path = QDir(dir).filePath(QStringLiteral("accuracy_heatmap_") + slug(r.label) + QStringLiteral(".png"));
  export_figure(&plot, path, 720, 420);
  return path;
}

QString density_curve(const std::vector<Result>& results, const QString& dir) {
  QCustomPlot plot;
  plot.resize(720, 420);
  // One series per attention kind (the label before '@'), points at each density.
  std::map<QString, std::vector<std::pair<double, double>>> series;
  for (const auto& r : results) series[r.label.section(QLatin1Char('@'), 0, 0)].push_back({r.density, r.report.overall.accuracy()});
  const QList<QColor> colours = {QColor(68, 1, 84), QColor(33, 145, 140), QColor(230, 120, 20), QColor(200, 30, 60)};
  int k = 0;
  plot.legend->setVisible(true);
  for (auto& [name, pts] : series) {
    std::sort(pts.begin(), pts.end());
    QCPGraph* graph = plot.addGraph();
    graph->setName(name);
    graph->setPen(QPen(colours[k++ % colours.size()], 2));
    graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 8));
    for (auto [x, y] : pts) graph->addData(x, y);
  }
  plot.xAxis->setLabel(QStringLiteral("KV density (mean fraction of key blocks attended)"));
  plot.yAxis->setLabel(QStringLiteral("retrieval accuracy"));
  plot.xAxis->setRange(0, 1.05);
  plot.yAxis->setRange(0, 1.05);
  plot.legend->setBrush(QBrush(QColor(255, 255, 255, 220)));
  plot.axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
  const QString path = QDir(dir).filePath(QStringLiteral("accuracy_vs_density.png"));
  export_figure(&plot, path, 720, 420);
  return path;
}

}  // namespace

QStringList report_figures(const QStringList& files, const QString& out_dir) {
  if (files.isEmpty()) throw Error("report figures: no result files given");
  QDir().mkpath(out_dir);
  std::vector<Result> results;
  for (const QString& f : files) results.push_back(read_result(f));
  QStringList written;
  for (const auto& r : results) written << heatmap(r, out_dir);
  written << density_curve(results, out_dir);
  return written;
}

}  // namespace moa::studio
