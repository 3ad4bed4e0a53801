// MainWindow: opening, saving and exporting files, sessions and recent files.
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>
#include <QSettings>
#include <QTabWidget>
#include <QUndoStack>

#include "app/studio/calib_dialog.h"
#include "app/studio/compare_view.h"
#include "app/studio/data_export.h"
#include "app/studio/dialog_fields.h"
#include "app/studio/file_dialogs.h"
#include "app/studio/figure_export.h"
#include "app/studio/head_detail_view.h"
#include "app/studio/head_grid_view.h"
#include "app/studio/language.h"
#include "app/studio/main_window.h"
#include "app/studio/plan_editor.h"
#include "app/studio/plan_table_model.h"
#include "app/studio/profile_dialog.h"
#include "app/studio/rule_plot_view.h"
#include "app/studio/workspace.h"
#include "core/plan/plan_io.h"

namespace moa::studio {

QString MainWindow::dialogDir() const {
  return QSettings().value(QStringLiteral("last_dir"), QDir::homePath()).toString();
}

void MainWindow::openPath(const QString& path) {
  try {
    // Models and profiles open in the background: they join Open Recent once they opened.
    auto when_done = [this, path](JobTracker* jobs, quint64 id) {
      auto* once = new QObject(this);
      connect(jobs, &JobTracker::finished, once, [this, path, id, once](quint64 done, JobOutcome outcome, const QString&) {
        if (done != id) return;
        if (outcome == JobOutcome::Done) recent_files_add(path);  // the menu is rebuilt when shown
        once->deleteLater();
      });
    };
    switch (document_kind(path)) {
      case DocumentKind::Model: when_done(ws_->modelJobs(), ws_->openModel(path)); break;
      case DocumentKind::Profile: when_done(ws_->profileJobs(), ws_->openProfile(path)); break;
      case DocumentKind::Plan:
        if (!planMayBeReplaced()) return;
        ws_->openPlan(path);
        recent_files_add(path);
        break;
      case DocumentKind::Session:
        if (!planMayBeReplaced()) return;
        restoreSession(session_load(path));
        recent_files_add(path);
        break;
      case DocumentKind::Unknown:
        showError(tr("Cannot open"), tr("%1: not a model directory, profile (.h5), plan (.json/.csv) or session").arg(path));
        return;
    }
    QSettings().setValue(QStringLiteral("last_dir"), QFileInfo(path).absolutePath());
  } catch (const std::exception& e) {
    showError(tr("Cannot open"), QString::fromStdString(e.what()));
  }
}

void MainWindow::rebuildRecentMenu() {
  recent_menu_->clear();
  const QStringList files = recent_files();
  if (files.isEmpty()) recent_menu_->addAction(tr("(none)"))->setEnabled(false);
  for (const QString& f : files)
    connect(recent_menu_->addAction(f), &QAction::triggered, this, [this, f] { openPath(f); });
}

void MainWindow::openModelDialog() {
  const QString dir = QFileDialog::getExistingDirectory(this, tr("Open checkpoint directory"), dialogDir());
  if (!dir.isEmpty()) openPath(dir);
}

void MainWindow::openProfileDialog() {
  const QString f = QFileDialog::getOpenFileName(this, tr("Open profile"), dialogDir(),
                                                 tr("MoA profiles (*.moaprof.h5 *.h5)"));
  if (!f.isEmpty()) openPath(f);
}

void MainWindow::openPlanDialog() {
  const QString f = QFileDialog::getOpenFileName(this, tr("Open plan"), dialogDir(), tr("Plans (*.moaplan.json *.json *.csv)"));
  if (!f.isEmpty()) openPath(f);
}

void MainWindow::openCompareDialog(bool plan) {
  const QString f = plan ? QFileDialog::getOpenFileName(this, tr("Open plan B"), dialogDir(),
                                                        tr("Plans (*.moaplan.json *.json *.csv)"))
                         : QFileDialog::getOpenFileName(this, tr("Open profile B"), dialogDir(),
                                                        tr("MoA profiles (*.moaprof.h5 *.h5)"));
  if (f.isEmpty()) return;
  try {
    if (plan) ws_->openComparePlan(f);
    else ws_->openCompareProfile(f);
  } catch (const std::exception& e) {
    showError(tr("Cannot open"), QString::fromStdString(e.what()));
  }
}

void MainWindow::profileDialog() {
  QString out = QDir(dialogDir()).filePath(QStringLiteral("profile.moaprof.h5"));
  if (auto ck = ws_->model()->checkpoint())
    out = QDir(dialogDir()).filePath(QString::fromStdString(ck->name()) + QStringLiteral(".moaprof.h5"));
  // The lengths and samples of the last run are offered again (when they fit this model).
  QSettings settings;
  const int64_t context = ws_->model()->checkpoint() ? ws_->model()->checkpoint()->config().max_position_embeddings : 8192;
  const std::vector<int64_t> lengths = lengths_remembered(settings.value(QStringLiteral("profile_dialog/lengths")).toString(),
                                                          context, ws_->defaultProfileLengths());
  ProfileDialog dialog(lengths, out, this, std::clamp(settings.value(QStringLiteral("profile_dialog/samples"), 4).toInt(), 1, 10000));
  if (dialog.exec() != QDialog::Accepted) return;
  try {
    const ProfileOptions options = dialog.options();
    settings.setValue(QStringLiteral("profile_dialog/lengths"), lengths_to_text(options.lengths));
    settings.setValue(QStringLiteral("profile_dialog/samples"), static_cast<int>(options.samples));
    startProfile(options);
  } catch (const std::exception& e) {
    showError(tr("Cannot profile"), QString::fromStdString(e.what()));
  }
}

void MainWindow::calibrationDialog() {
  // Lengths: the open profile's (a set for re-profiling it), else the model's defaults.
  std::vector<int64_t> lengths = ws_->defaultProfileLengths();
  if (ProfileDataPtr p = ws_->profile()->data(); p && !p->lengths.empty()) lengths = p->lengthList();
  CalibDialog dialog(lengths, QDir(dialogDir()).filePath(QStringLiteral("calib.jsonl")), this);
  if (dialog.exec() != QDialog::Accepted) return;
  try {
    ws_->buildCalibration(dialog.options());
  } catch (const std::exception& e) {
    showError(tr("Cannot build the calibration set"), QString::fromStdString(e.what()));
  }
}

void MainWindow::savePlan(bool ask) {
  QString path = ws_->plan()->path();
  if (ask || path.isEmpty())
    path = QFileDialog::getSaveFileName(this, tr("Save plan"), dialogDir(), tr("MoA plans (*.moaplan.json)"));
  if (path.isEmpty()) return;
  if (!path.endsWith(QStringLiteral(".json"))) path += QStringLiteral(".moaplan.json");
  try {
    ws_->savePlan(path);
    recent_files_add(path);
    updateModelInfo();
  } catch (const std::exception& e) {
    showError(tr("Cannot save"), QString::fromStdString(e.what()));
  }
}

bool MainWindow::planMayBeReplaced() {
  QUndoStack* undo = ws_->plan()->undoStack();
  if (!ws_->plan()->hasPlan() || undo->isClean()) return true;
  const auto answer = QMessageBox::question(this, tr("Unsaved plan"), tr("The plan has edits that are not saved. Save them?"),
                                            QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel,
                                            QMessageBox::Save);
  if (answer == QMessageBox::Cancel) return false;
  if (answer == QMessageBox::Save) {
    savePlan(false);
    return undo->isClean();  // false when the save was cancelled or failed
  }
  return true;
}

void MainWindow::exportPlanAs() {
  const QString json_filter = tr("MoA reference JSON (*.json)"), csv_filter = tr("MoA reference CSV (*.csv)");
  // The format follows the extension; a name without one gets the chosen filter's.
  const QString path = save_file_name(this, tr("Export plan"), dialogDir(), json_filter + QStringLiteral(";;") + csv_filter);
  if (path.isEmpty()) return;
  try {
    plan_write(path.toStdString(), ws_->plan()->plan(),
               path.endsWith(QStringLiteral(".csv"), Qt::CaseInsensitive) ? PlanFormat::reference_csv : PlanFormat::reference_json);
  } catch (const std::exception& e) {
    showError(tr("Cannot export"), QString::fromStdString(e.what()));
  }
}

void MainWindow::exportFigure() {
  // The figure of whatever is in front: the tab's plot, else the head grid.
  // The compare tab goes out whole (A, B, A - B with their titles, metric, length and summary);
  // the head detail with its title (layer, head, length, rule).
  const QString path = save_file_name(this, tr("Export figure"), dialogDir(), tr("PNG image (*.png);;PDF document (*.pdf)"));
  if (path.isEmpty()) return;
  try {
    if (tabs_->currentWidget() == compare_) export_widget(compare_, path);
    else if (tabs_->currentWidget() == detail_) export_figure(detail_->plot(), path, 0, 0, detail_->title());
    else export_figure(tabs_->currentWidget() == rules_ ? rules_->plot() : grid_->plot(), path);
  } catch (const std::exception& e) {
    showError(tr("Cannot export"), QString::fromStdString(e.what()));
  }
}

void MainWindow::exportGridCsv() {
  const QString path = save_file_name(this, tr("Export head grid values"), dialogDir(), tr("CSV (*.csv)"));
  if (path.isEmpty()) return;
  try {
    export_grid_csv(grid_->values(), QString::fromLatin1(grid_metric_key(grid_->metric())), path);
  } catch (const std::exception& e) {
    showError(tr("Cannot export"), QString::fromStdString(e.what()));
  }
}

void MainWindow::exportPlanTableCsv() {
  const QString path = save_file_name(this, tr("Export plan table"), dialogDir(), tr("CSV (*.csv)"));
  if (path.isEmpty()) return;
  try {
    export_model_csv(*editor_->tableModel(), path);
  } catch (const std::exception& e) {
    showError(tr("Cannot export"), QString::fromStdString(e.what()));
  }
}

void MainWindow::exportProfileHdf5() {
  const QString path = save_file_name(this, tr("Export profile"), dialogDir(), tr("MoA profiles (*.moaprof.h5)"));
  if (path.isEmpty() || !ws_->profile()->data()) return;
  try {
    export_profile_hdf5(*ws_->profile()->data(), path);
  } catch (const std::exception& e) {
    showError(tr("Cannot export"), QString::fromStdString(e.what()));
  }
}

Session MainWindow::currentSession() const {
  Session s;
  s.model = ws_->model()->note().isEmpty() ? ws_->model()->path() : QString();
  if (ProfileDataPtr p = ws_->profile()->data()) s.profile = QString::fromStdString(p->path);
  if (ws_->plan()->hasPlan()) {
    s.plan_path = ws_->plan()->path();
    s.plan_json = QString::fromStdString(plan_to_json(ws_->plan()->plan()));
  }
  if (ProfileDataPtr b = ws_->compareProfile()) s.compare_profile = QString::fromStdString(b->path);
  s.compare_plan = ws_->comparePlanPath();
  s.metric = QString::fromLatin1(grid_metric_key(grid_->metric()));
  s.length = ws_->currentLength();
  s.layer = ws_->currentHead().layer;
  s.head = ws_->currentHead().head;
  s.tab = tabs_->currentIndex();
  s.preview_length = editor_->accuracyOptions().length;
  s.preview_prompts = editor_->accuracyOptions().prompts;
  s.detail_scale = QString::fromLatin1(detail_scale_key(detail_->colourScale()));
  s.max_rules_per_layer = editor_->maxRulesPerLayer();
  s.grid_alpha_step = editor_->ruleGrid().alpha_step;
  s.grid_betas = editor_->ruleGrid().betas;
  s.language = language_current();
  return s;
}

void MainWindow::restoreSession(const Session& s) {
  if (!language_override_.isEmpty()) setLanguage(language_override_);
  else if (!s.language.isEmpty()) setLanguage(s.language);
  if (s.model.isEmpty()) ws_->openDemoModel();
  else ws_->openModel(s.model);
  if (auto m = grid_metric_from_key(s.metric)) grid_->setMetric(*m);
  tabs_->setCurrentIndex(s.tab);
  editor_->setAccuracyOptions(s.preview_length, s.preview_prompts);
  editor_->setMaxRulesPerLayer(s.max_rules_per_layer);
  editor_->setRuleGrid(RuleGridChoice{s.grid_alpha_step, s.grid_betas});
  if (auto scale = detail_scale_from_key(s.detail_scale)) detail_->setColourScale(*scale);
  if (!s.plan_json.isEmpty()) {
    ws_->plan()->setPlan(plan_from_json(s.plan_json.toStdString(), s.plan_path.isEmpty() ? "session" : s.plan_path.toStdString()),
                         s.plan_path);
  } else {
    ws_->plan()->clear();
  }
  if (!s.compare_profile.isEmpty()) ws_->openCompareProfile(s.compare_profile);
  if (!s.compare_plan.isEmpty()) {
    try {
      ws_->openComparePlan(s.compare_plan);
    } catch (const std::exception& e) {
      showError(tr("Cannot open"), QString::fromStdString(e.what()));
    }
  }
  pending_ = s;
  if (!s.profile.isEmpty()) {
    ws_->openProfile(s.profile);
  } else {
    ws_->profile()->clear();
    if (s.layer >= 0) ws_->setCurrentHead({s.layer, s.head});
  }
}

void MainWindow::saveSessionDialog() {
  QString path = QFileDialog::getSaveFileName(this, tr("Save session"), dialogDir(), tr("Sessions (*.moasession.json)"));
  if (path.isEmpty()) return;
  if (!path.endsWith(QStringLiteral(".moasession.json"))) path += QStringLiteral(".moasession.json");
  try {
    session_save(currentSession(), path);
    recent_files_add(path);
  } catch (const std::exception& e) {
    showError(tr("Cannot save"), QString::fromStdString(e.what()));
  }
}

void MainWindow::openSessionDialog() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Open session"), dialogDir(), tr("Sessions (*.moasession.json)"));
  if (!path.isEmpty()) openPath(path);
}

}  // namespace moa::studio
