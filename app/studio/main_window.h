#pragma once
// The main window: head grid on the left; head detail, rule plot and compare on the right;
// the plan editor below; a job bar (progress, message, Stop) in the status bar.
#include <QMainWindow>

#include "app/studio/session.h"
#include "app/studio/workspace.h"

class QAction;
class QLabel;
class QMenu;
class QProgressBar;
class QPushButton;
class QTabWidget;

namespace moa::studio {

class CompareView;
class HeadDetailView;
class HeadGridView;
class JobTracker;
class PlanEditor;
class RulePlotView;
class Workspace;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  Workspace* workspace() const { return ws_; }
  HeadGridView* headGrid() const { return grid_; }
  HeadDetailView* headDetail() const { return detail_; }
  RulePlotView* rulePlot() const { return rules_; }
  CompareView* compareView() const { return compare_; }
  PlanEditor* planEditor() const { return editor_; }
  QTabWidget* tabs() const { return tabs_; }
  QPushButton* stopButton() const { return stop_; }

  // Opens a model dir, profile, plan or session by its kind (also from the command line).
  void openPath(const QString& path);
  Session currentSession() const;
  void restoreSession(const Session& session);
  void startSolve();
  void startProfile(const ProfileOptions& options);
  void setLanguage(const QString& code);
  // A language given on the command line (or picked in the menu) wins over a restored session's.
  void setLanguageOverride(const QString& code) { language_override_ = code; }

 protected:
  void changeEvent(QEvent* event) override;
  void closeEvent(QCloseEvent* event) override;

 private:
  void createActions();
  void createMenus();
  void retranslate();
  void watchJobs(JobTracker* jobs);
  void updateModelInfo();
  void updateActions();
  void rebuildRecentMenu();
  void showError(const QString& what, const QString& detail);
  // The status bar's note (its tooltip holds the whole text when the bar is too narrow).
  void showMessage(const QString& text);
  // File dialogs and exports (main_window_files.cpp).
  void openModelDialog();
  void openProfileDialog();
  void openPlanDialog();
  void openCompareDialog(bool plan);
  void profileDialog();
  void calibrationDialog();
  void savePlan(bool ask);
  // Before the plan is replaced (another plan, a session, quitting): unsaved edits are work, so
  // the user chooses Save / Discard / Cancel. True when the replacement may go ahead.
  bool planMayBeReplaced();
  void exportPlanAs();
  void exportFigure();
  void exportGridCsv();
  void exportPlanTableCsv();
  void exportProfileHdf5();
  void saveSessionDialog();
  void openSessionDialog();
  QString dialogDir() const;

  Workspace* ws_;
  HeadGridView* grid_;
  HeadDetailView* detail_;
  RulePlotView* rules_;
  CompareView* compare_;
  PlanEditor* editor_;
  QTabWidget* tabs_;
  QLabel* model_info_;
  QLabel* job_message_;
  QProgressBar* progress_;
  QPushButton* stop_;
  JobTracker* shown_jobs_ = nullptr;
  Session pending_;  // view state to apply once a restored profile arrives
  QString language_override_;

  QMenu* file_menu_ = nullptr;
  QMenu* recent_menu_ = nullptr;
  QMenu* export_menu_ = nullptr;
  QMenu* edit_menu_ = nullptr;
  QMenu* run_menu_ = nullptr;
  QMenu* view_menu_ = nullptr;
  QMenu* language_menu_ = nullptr;
  QMenu* help_menu_ = nullptr;
  QAction* open_model_ = nullptr;
  QAction* open_demo_ = nullptr;
  QAction* open_profile_ = nullptr;
  QAction* open_plan_ = nullptr;
  QAction* save_plan_ = nullptr;
  QAction* save_plan_as_ = nullptr;
  QAction* export_plan_ = nullptr;
  QAction* export_figure_ = nullptr;
  QAction* export_grid_csv_ = nullptr;
  QAction* export_table_csv_ = nullptr;
  QAction* export_profile_ = nullptr;
  QAction* open_session_ = nullptr;
  QAction* save_session_ = nullptr;
  QAction* quit_ = nullptr;
  QAction* undo_ = nullptr;
  QAction* redo_ = nullptr;
  QAction* lock_ = nullptr;
  QAction* unlock_ = nullptr;
  QAction* profile_run_ = nullptr;
  QAction* calib_build_ = nullptr;
  QAction* solve_ = nullptr;
  QAction* stop_action_ = nullptr;
  QAction* lang_en_ = nullptr;
  QAction* lang_zh_ = nullptr;
  QAction* about_ = nullptr;
};

}  // namespace moa::studio
