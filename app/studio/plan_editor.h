#pragma once
// The plan editor: per-length budgets and live totals on top, the per-unit rule table
// below (sortable, edit in place), lock/unlock and re-solve buttons.
#include <QWidget>

#include "app/studio/workspace.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QTimer;
class QPushButton;
class QSortFilterProxyModel;
class QSpinBox;
class QTableView;

namespace moa::studio {

class PlanSummaryModel;
class PlanTableModel;
class Workspace;

class PlanEditor : public QWidget {
  Q_OBJECT
 public:
  explicit PlanEditor(Workspace* ws, QWidget* parent = nullptr);
  PlanTableModel* tableModel() const { return table_model_; }
  PlanSummaryModel* summaryModel() const { return summary_model_; }
  QTableView* tableView() const { return table_; }
  int maxRulesPerLayer() const;
  void setMaxRulesPerLayer(int k);
  // The candidate grid the next solve uses (automatic by default); "Rule grid…" edits it.
  const RuleGridChoice& ruleGrid() const { return grid_; }
  void setRuleGrid(const RuleGridChoice& grid);
  QPushButton* ruleGridButton() const { return grid_button_; }
  // Locks or unlocks the units of the selected rows (one undo step per unit).
  void setSelectedLocked(bool locked);
  // What the accuracy preview measures: the chosen length (0 until one is offered: the
  // workspace's default) and prompt count.
  AccuracyOptions accuracyOptions() const;
  // From a session: a length not offered yet (the profile still loading) is picked once it is.
  void setAccuracyOptions(qint64 length, int prompts);
  QComboBox* accuracyLengthBox() const { return accuracy_length_; }
  QSpinBox* accuracyPromptsBox() const { return accuracy_prompts_; }

 signals:
  void resolveRequested();
  // A refused cell edit, and why: for the status bar.
  void editRefused(const QString& why);

 protected:
  void changeEvent(QEvent* event) override;

 private:
  void retranslate();
  void fitSummary();
  void updateGridButton();  // text and tooltip: automatic or custom, and what
  void syncSelectionFromHead();
  void scheduleAccuracy();
  void startAccuracy();
  void refillAccuracyLengths();

  Workspace* ws_;
  PlanTableModel* table_model_;
  PlanSummaryModel* summary_model_;
  QSortFilterProxyModel* proxy_;
  QTableView* summary_;
  QTableView* table_;
  QLabel* summary_title_;
  QLabel* k_label_;
  QSpinBox* k_box_;
  QPushButton* lock_;
  QPushButton* unlock_;
  QPushButton* resolve_;
  QPushButton* grid_button_;
  RuleGridChoice grid_;
  QCheckBox* measure_;
  QLabel* accuracy_length_label_;
  QComboBox* accuracy_length_;
  QLabel* accuracy_prompts_label_;
  QSpinBox* accuracy_prompts_;
  qint64 wanted_length_ = 0;  // the user's or session's choice; 0: the longest offered
  QLabel* accuracy_;
  QTimer* accuracy_delay_;
  // Last measurement, kept (and re-rendered in the current language) while a new one runs.
  struct Accuracy {
    qint64 length = 0;
    int correct = 0, total = 0;
    double density = 0.0;
  } accuracy_last_;
  QString accuracyText() const;
};

}  // namespace moa::studio
