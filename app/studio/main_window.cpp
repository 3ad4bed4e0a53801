#include "app/studio/main_window.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QFileInfo>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScreen>
#include <QSplitter>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QUndoStack>
#include <QVBoxLayout>

#include <utility>

#include "app/studio/compare_view.h"
#include "app/studio/head_detail_view.h"
#include "app/studio/head_grid_view.h"
#include "app/studio/language.h"
#include "app/studio/plan_editor.h"
#include "app/studio/rule_plot_view.h"
#include "app/studio/workspace.h"
#include "core/plan/plan_io.h"

namespace moa::studio {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), ws_(new Workspace(this)) {
  grid_ = new HeadGridView(ws_, this);
  detail_ = new HeadDetailView(ws_, this);
  rules_ = new RulePlotView(ws_, this);
  compare_ = new CompareView(ws_, this);
  editor_ = new PlanEditor(ws_, this);
  model_info_ = new QLabel(this);
  model_info_->setWordWrap(true);
  model_info_->setTextInteractionFlags(Qt::TextSelectableByMouse);

  auto* left = new QWidget(this);
  auto* left_layout = new QVBoxLayout(left);
  left_layout->setContentsMargins(4, 4, 4, 4);
  left_layout->addWidget(model_info_);
  left_layout->addWidget(grid_, 1);
  tabs_ = new QTabWidget(this);
  tabs_->addTab(detail_, QString());
  tabs_->addTab(rules_, QString());
  tabs_->addTab(compare_, QString());
  auto* top = new QSplitter(Qt::Horizontal, this);
  top->addWidget(left);
  top->addWidget(tabs_);
  top->setStretchFactor(0, 1);
  top->setStretchFactor(1, 1);
  auto* main = new QSplitter(Qt::Vertical, this);
  main->addWidget(top);
  main->addWidget(editor_);
  main->setStretchFactor(0, 3);
  main->setStretchFactor(1, 2);
  setCentralWidget(main);

  job_message_ = new QLabel(this);
  // A long message (a path, an error) must not widen the window past the screen: the label
  // takes the width it is given and the whole text stays in its tooltip.
  job_message_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  progress_ = new QProgressBar(this);
  progress_->setRange(0, 1000);
  progress_->setMaximumWidth(220);
  progress_->setVisible(false);
  stop_ = new QPushButton(this);
  stop_->setEnabled(false);
  statusBar()->addWidget(job_message_, 1);
  statusBar()->addPermanentWidget(progress_);
  statusBar()->addPermanentWidget(stop_);
  connect(stop_, &QPushButton::clicked, this, [this] {
    for (JobTracker* jobs : {ws_->modelJobs(), ws_->profileJobs(), ws_->solveJobs(), ws_->accuracyJobs(), ws_->calibJobs()}) jobs->stop();
  });

  createActions();
  createMenus();
  for (JobTracker* jobs : {ws_->modelJobs(), ws_->profileJobs(), ws_->solveJobs(), ws_->calibJobs()}) watchJobs(jobs);
  connect(ws_, &Workspace::message, this, [this](const QString& text) { showMessage(text); });
  // Queued: the box is modal, and the job's own end (progress bar hidden, Stop off) comes first.
  connect(ws_, &Workspace::solveFailed, this, [this](const QString& text) { showError(tr("Solve failed"), text); },
          Qt::QueuedConnection);
  connect(ws_, &Workspace::documentsMismatch, this,
          [this](const QString& text) { showError(tr("The open documents do not match"), text); });
  connect(ws_->compareJobs(), &JobTracker::finished, this, [this](quint64, JobOutcome outcome, const QString& text) {
    if (outcome == JobOutcome::Failed) showError(tr("Compare profile not opened"), text);
  });
  connect(ws_->model(), &ModelDocument::changed, this, &MainWindow::updateModelInfo);
  connect(ws_->model(), &ModelDocument::changed, this, &MainWindow::updateActions);
  connect(ws_->profile(), &ProfileDocument::finished, this, &MainWindow::updateModelInfo);
  connect(ws_->profile(), &ProfileDocument::lengthAdded, this, &MainWindow::updateModelInfo);
  connect(ws_->plan(), &PlanDocument::planReset, this, &MainWindow::updateModelInfo);
  connect(ws_->plan(), &PlanDocument::planReset, this, &MainWindow::updateActions);
  connect(ws_->profile(), &ProfileDocument::finished, this, &MainWindow::updateActions);
  connect(ws_->profile(), &ProfileDocument::finished, this, [this] {
    if (pending_.length > 0) ws_->setCurrentLength(pending_.length);
    if (pending_.layer >= 0) ws_->setCurrentHead({pending_.layer, pending_.head});
    pending_ = Session{};
  });
  connect(editor_, &PlanEditor::resolveRequested, this, &MainWindow::startSolve);
  connect(editor_, &PlanEditor::editRefused, this, [this](const QString& why) { showMessage(why); });
  connect(compare_, &CompareView::openPlanBRequested, this, [this] { openCompareDialog(true); });
  connect(compare_, &CompareView::openProfileBRequested, this, [this] { openCompareDialog(false); });
  retranslate();
  updateActions();
  // Roomy where the screen allows, never larger than its free area (a 1366 x 768 laptop
  // included; the frame is a guess until the window manager has decorated the window).
  const QSize frame(16, 48);
  const QSize room = screen() ? screen()->availableGeometry().size() - frame : QSize(1500, 950);
  resize(QSize(1500, 950).boundedTo(room).expandedTo(minimumSizeHint()));
}

MainWindow::~MainWindow() = default;

void MainWindow::createActions() {
  auto make = [this](QKeySequence key = {}) {
    auto* a = new QAction(this);
    if (!key.isEmpty()) a->setShortcut(key);
    return a;
  };
  open_model_ = make();
  open_demo_ = make();
  open_profile_ = make(QKeySequence::Open);
  open_plan_ = make();
  save_plan_ = make(QKeySequence::Save);
  save_plan_as_ = make(QKeySequence::SaveAs);
  export_plan_ = make();
  export_figure_ = make();
  export_grid_csv_ = make();
  export_table_csv_ = make();
  export_profile_ = make();
  open_session_ = make();
  save_session_ = make();
  quit_ = make(QKeySequence::Quit);
  connect(ws_->plan()->undoStack(), &QUndoStack::cleanChanged, this, [this](bool clean) { setWindowModified(!clean); });
  undo_ = ws_->plan()->undoStack()->createUndoAction(this);
  undo_->setShortcut(QKeySequence::Undo);
  redo_ = ws_->plan()->undoStack()->createRedoAction(this);
  redo_->setShortcut(QKeySequence::Redo);
  lock_ = make();
  unlock_ = make();
  profile_run_ = make(QKeySequence(Qt::CTRL | Qt::Key_P));
  calib_build_ = make();
  solve_ = make(QKeySequence(Qt::CTRL | Qt::Key_R));
  stop_action_ = make(QKeySequence(Qt::Key_Escape));
  lang_en_ = make();
  lang_zh_ = make();
  for (QAction* a : {lang_en_, lang_zh_}) a->setCheckable(true);
  auto* lang_group = new QActionGroup(this);
  lang_group->addAction(lang_en_);
  lang_group->addAction(lang_zh_);
  about_ = make();

  connect(open_model_, &QAction::triggered, this, &MainWindow::openModelDialog);
  connect(open_demo_, &QAction::triggered, this, [this] { ws_->openDemoModel(); });
  connect(open_profile_, &QAction::triggered, this, &MainWindow::openProfileDialog);
  connect(open_plan_, &QAction::triggered, this, &MainWindow::openPlanDialog);
  connect(save_plan_, &QAction::triggered, this, [this] { savePlan(false); });
  connect(save_plan_as_, &QAction::triggered, this, [this] { savePlan(true); });
  connect(export_plan_, &QAction::triggered, this, &MainWindow::exportPlanAs);
  connect(export_figure_, &QAction::triggered, this, &MainWindow::exportFigure);
  connect(export_grid_csv_, &QAction::triggered, this, &MainWindow::exportGridCsv);
  connect(export_table_csv_, &QAction::triggered, this, &MainWindow::exportPlanTableCsv);
  connect(export_profile_, &QAction::triggered, this, &MainWindow::exportProfileHdf5);
  connect(open_session_, &QAction::triggered, this, &MainWindow::openSessionDialog);
  connect(save_session_, &QAction::triggered, this, &MainWindow::saveSessionDialog);
  connect(quit_, &QAction::triggered, this, &QWidget::close);
  connect(lock_, &QAction::triggered, this, [this] { editor_->setSelectedLocked(true); });
  connect(unlock_, &QAction::triggered, this, [this] { editor_->setSelectedLocked(false); });
  connect(solve_, &QAction::triggered, this, &MainWindow::startSolve);
  connect(profile_run_, &QAction::triggered, this, &MainWindow::profileDialog);
  connect(calib_build_, &QAction::triggered, this, &MainWindow::calibrationDialog);
  connect(stop_action_, &QAction::triggered, stop_, &QPushButton::click);
  // A language the user picks (here or with --language) wins over the one a session names.
  for (auto [action, code] : {std::pair{lang_en_, "en"}, std::pair{lang_zh_, "zh_CN"}})
    connect(action, &QAction::triggered, this, [this, code = QString::fromLatin1(code)] {
      language_override_ = code;
      setLanguage(code);
    });
  connect(about_, &QAction::triggered, this, [this] {
    QMessageBox::about(this, tr("About MoA Studio"),
                       tr("MoA Studio %1\nMixture of Sparse Attention: inspect attention heads, edit and "
                          "solve compression plans.").arg(QStringLiteral(MOA_VERSION)));
  });
}

void MainWindow::createMenus() {
  file_menu_ = menuBar()->addMenu(QString());
  file_menu_->addActions({open_model_, open_demo_, open_profile_, open_plan_});
  recent_menu_ = file_menu_->addMenu(QString());
  connect(recent_menu_, &QMenu::aboutToShow, this, &MainWindow::rebuildRecentMenu);
  file_menu_->addSeparator();
  file_menu_->addActions({save_plan_, save_plan_as_});
  export_menu_ = file_menu_->addMenu(QString());
  export_menu_->addActions({export_plan_, export_figure_, export_grid_csv_, export_table_csv_, export_profile_});
  file_menu_->addSeparator();
  file_menu_->addActions({open_session_, save_session_});
  file_menu_->addSeparator();
  file_menu_->addAction(quit_);
  edit_menu_ = menuBar()->addMenu(QString());
  edit_menu_->addActions({undo_, redo_});
  edit_menu_->addSeparator();
  edit_menu_->addActions({lock_, unlock_});
  run_menu_ = menuBar()->addMenu(QString());
  run_menu_->addActions({calib_build_, profile_run_, solve_, stop_action_});
  language_menu_ = menuBar()->addMenu(QString());
  language_menu_->addActions({lang_en_, lang_zh_});
  help_menu_ = menuBar()->addMenu(QString());
  help_menu_->addAction(about_);
}

void MainWindow::retranslate() {
  file_menu_->setTitle(tr("&File"));
  recent_menu_->setTitle(tr("Open &Recent"));
  export_menu_->setTitle(tr("&Export"));
  edit_menu_->setTitle(tr("&Edit"));
  run_menu_->setTitle(tr("&Run"));
  language_menu_->setTitle(tr("&Language"));
  help_menu_->setTitle(tr("&Help"));
  open_model_->setText(tr("Open &Model…"));
  open_demo_->setText(tr("Open &Demo Model"));
  open_profile_->setText(tr("Open &Profile…"));
  open_plan_->setText(tr("Open P&lan…"));
  save_plan_->setText(tr("&Save Plan"));
  save_plan_as_->setText(tr("Save Plan &As…"));
  export_plan_->setText(tr("Plan in MoA Reference Format (JSON/CSV)…"));
  export_figure_->setText(tr("Current Figure (PNG/PDF)…"));
  export_grid_csv_->setText(tr("Head Grid Values (CSV)…"));
  export_table_csv_->setText(tr("Plan Table (CSV)…"));
  export_profile_->setText(tr("Profile (HDF5)…"));
  open_session_->setText(tr("Open Session…"));
  save_session_->setText(tr("Save Session…"));
  quit_->setText(tr("&Quit"));
  // QUndoStack's actions keep the "Undo %1" format of the language they were made in: made
  // again, in place, so that they follow a language switch (they showed 撤销 in English).
  for (auto [action, undo] : {std::pair{&undo_, true}, std::pair{&redo_, false}}) {
    QUndoStack* stack = ws_->plan()->undoStack();
    QAction* fresh = undo ? stack->createUndoAction(this) : stack->createRedoAction(this);
    fresh->setShortcut((*action)->shortcut());
    for (QObject* o : (*action)->associatedObjects())
      if (auto* w = qobject_cast<QWidget*>(o)) {
        w->insertAction(*action, fresh);
        w->removeAction(*action);
      }
    delete *action;
    *action = fresh;
  }
  lock_->setText(tr("Lock Selected Heads"));
  unlock_->setText(tr("Unlock Selected Heads"));
  profile_run_->setText(tr("&Profile Model…"));
  profile_run_->setToolTip(tr("Measure every head's attention influence on the open model (writes a *.moaprof.h5)"));
  calib_build_->setText(tr("Build &Calibration Set…"));
  calib_build_->setToolTip(tr("The open model answers long documents' questions itself (model-aligned calibration data)"));
  solve_->setText(tr("&Solve Plan"));
  stop_action_->setText(tr("S&top Job"));
  lang_en_->setText(QStringLiteral("English"));
  lang_zh_->setText(QStringLiteral("简体中文"));
  lang_en_->setChecked(language_current() != QStringLiteral("zh_CN"));
  lang_zh_->setChecked(language_current() == QStringLiteral("zh_CN"));
  about_->setText(tr("&About MoA Studio"));
  stop_->setText(tr("Stop"));
  tabs_->setTabText(0, tr("Head detail"));
  tabs_->setTabText(1, tr("Rule plot"));
  tabs_->setTabText(2, tr("Compare"));
  updateModelInfo();
}

void MainWindow::changeEvent(QEvent* event) {
  if (event->type() == QEvent::LanguageChange) retranslate();
  QMainWindow::changeEvent(event);
}

void MainWindow::setLanguage(const QString& code) { language_apply(code); }

void MainWindow::watchJobs(JobTracker* jobs) {
  connect(jobs, &JobTracker::started, this, [this, jobs](quint64, const QString& title) {
    shown_jobs_ = jobs;
    progress_->setValue(0);
    progress_->setVisible(true);
    stop_->setEnabled(true);
    showMessage(title);
  });
  connect(jobs, &JobTracker::progressChanged, this, [this, jobs](quint64, int permille, const QString& text) {
    if (jobs != shown_jobs_) return;
    progress_->setValue(permille);
    showMessage(jobs->title() + QStringLiteral(": ") + text);
  });
  connect(jobs, &JobTracker::finished, this, [this, jobs](quint64, JobOutcome outcome, const QString& text) {
    if (jobs == shown_jobs_) {
      progress_->setVisible(false);
      const bool any = ws_->modelJobs()->isRunning() || ws_->profileJobs()->isRunning() || ws_->solveJobs()->isRunning() ||
                       ws_->calibJobs()->isRunning();
      stop_->setEnabled(any);
    }
    if (outcome == JobOutcome::Stopped) showMessage(tr("%1: stopped").arg(jobs->title()));
    else if (outcome == JobOutcome::Failed) {
      showMessage(tr("%1: failed: %2").arg(jobs->title(), text));
      // A failed open or run is said in a box, as a failed action is (a status line is easy to
      // miss); solve failures have their own (Workspace::solveFailed).
      if (jobs != ws_->solveJobs()) showError(tr("%1: failed").arg(jobs->title()), text);
    }
    else if (!ws_->model()->note().isEmpty() && jobs == ws_->modelJobs()) showMessage(ws_->model()->note());
    else if (jobs != ws_->solveJobs()) showMessage(tr("%1: done").arg(jobs->title()));
    updateActions();
  });
}

void MainWindow::updateModelInfo() {
  QStringList lines;
  if (auto ck = ws_->model()->checkpoint()) {
    const ModelConfig& c = ck->config();
    lines << tr("<b>Model</b> %1: %2 layers, %3 heads (%4 KV), head dim %5, %6 M parameters")
                 .arg(QString::fromStdString(ck->name()).toHtmlEscaped())
                 .arg(c.num_layers).arg(c.num_heads).arg(c.num_kv_heads).arg(c.head_dim)
                 .arg(static_cast<double>(c.parameter_count()) / 1e6, 0, 'f', 1);
    if (!ws_->model()->note().isEmpty()) lines << QStringLiteral("<i>%1</i>").arg(ws_->model()->note().toHtmlEscaped());
    // [*]: the window-modified marker, shown while the plan has unsaved edits.
    setWindowTitle(tr("MoA Studio — %1").arg(QString::fromStdString(ck->name())) + QStringLiteral("[*]"));
  } else {
    lines << tr("<b>Model</b> none");
    setWindowTitle(tr("MoA Studio") + QStringLiteral("[*]"));
  }
  if (ProfileDataPtr p = ws_->profile()->data()) {
    QStringList lens;
    for (const auto& [n, lp] : p->lengths) lens << tr("%1 (%2 samples)").arg(n).arg(lp->samples_done());
    lines << tr("<b>Profile</b> %1: %2%3")
                 .arg(QFileInfo(QString::fromStdString(p->path)).fileName().toHtmlEscaped(), lens.join(QStringLiteral(", ")),
                      ws_->profile()->isComplete() ? QString() : tr(" — incomplete"));
  } else {
    lines << tr("<b>Profile</b> none (File ▸ Open Profile)");
  }
  if (ws_->plan()->hasPlan()) {
    const Plan& plan = ws_->plan()->plan();
    lines << tr("<b>Plan</b> %1: %2 granularity")
                 .arg(ws_->plan()->path().isEmpty() ? tr("unsaved") : QFileInfo(ws_->plan()->path()).fileName().toHtmlEscaped(),
                      plan.granularity == Granularity::kv_head ? tr("KV head") : tr("head"));
  } else {
    lines << tr("<b>Plan</b> none (Run ▸ Solve Plan, or File ▸ Open Plan)");
  }
  model_info_->setText(lines.join(QStringLiteral("<br>")));
}

void MainWindow::updateActions() {
  const bool plan = ws_->plan()->hasPlan();
  const bool profile = !ws_->profile()->isEmpty();
  for (QAction* a : {save_plan_, save_plan_as_, export_plan_, export_table_csv_, lock_, unlock_}) a->setEnabled(plan);
  solve_->setEnabled(profile && !ws_->solveJobs()->isRunning());
  profile_run_->setEnabled(ws_->model()->checkpoint() != nullptr);
  calib_build_->setEnabled(ws_->model()->checkpoint() != nullptr && !ws_->calibJobs()->isRunning());
  export_profile_->setEnabled(profile);
}

void MainWindow::startProfile(const ProfileOptions& options) {
  try {
    ws_->runProfile(options);
  } catch (const std::exception& e) {
    showError(tr("Cannot profile"), QString::fromStdString(e.what()));
  }
}

void MainWindow::startSolve() {
  try {
    SolveOptions options;
    options.max_rules_per_layer = editor_->maxRulesPerLayer();
    options.grid = editor_->ruleGrid();
    ws_->solve(options);
  } catch (const std::exception& e) {
    showError(tr("Cannot solve"), QString::fromStdString(e.what()));
  }
}

void MainWindow::showMessage(const QString& text) {
  job_message_->setText(text);
  job_message_->setToolTip(text);
}

void MainWindow::showError(const QString& what, const QString& detail) {
  showMessage(what + QStringLiteral(": ") + detail);
  // Offscreen runs (tests, scripts) must not block on a modal box.
  if (QGuiApplication::platformName() != QStringLiteral("offscreen")) QMessageBox::warning(this, what, detail);
}

void MainWindow::closeEvent(QCloseEvent* event) {
  // Edits to a plan are work: not thrown away without asking (offscreen runs, scripts closing
  // the window, never ask).
  if (QGuiApplication::platformName() != QStringLiteral("offscreen") && !planMayBeReplaced()) return event->ignore();
  const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
  QDir().mkpath(dir);
  try {
    session_save(currentSession(), dir + QStringLiteral("/last.moasession.json"));
  } catch (const std::exception&) {
    // Losing the auto-saved session must not keep the window open.
  }
  QMainWindow::closeEvent(event);
}

}  // namespace moa::studio
