#pragma once
// The plan under edit. Every change goes through the undo stack as a pair of whole-plan
// snapshots (a 32x32-head plan is ~1000 rules, so snapshots are cheap and make undo exact:
// locks, budgets and the solver's own predicted totals come back bit for bit).
#include <QObject>
#include <QString>
#include <QUndoStack>

#include <optional>

#include "app/studio/plan_preview.h"
#include "app/studio/profile_data.h"
#include "core/plan/plan.h"

namespace moa::studio {

class PlanDocument : public QObject {
  Q_OBJECT
 public:
  explicit PlanDocument(QObject* parent = nullptr);

  bool hasPlan() const { return plan_.has_value(); }
  const Plan& plan() const { return *plan_; }
  QString path() const { return path_; }
  void setPath(const QString& path) { path_ = path; }
  QUndoStack* undoStack() { return &undo_; }
  const PlanPreview& preview() const { return preview_; }
  bool isLocked(int layer, int unit) const;

  // A new document (file opened, first solve): clears the undo history.
  void setPlan(Plan plan, const QString& path);
  void clear();
  // Prices the plan against a profile (or none).
  void setProfile(ProfileDataPtr profile);

  // Undoable edits. Each returns false (and pushes nothing) when it changes nothing.
  bool editRule(int layer, int unit, const Rule& rule);
  bool editLocked(int layer, int unit, bool locked);
  bool editBudget(int64_t length, double budget);
  // Replaces the rules with a solver result (keeps locks); undoable as one step.
  void applySolved(const Plan& solved, const QString& text);

  // Used by the undo commands: installs a snapshot. unit_layer >= 0 names the only unit
  // whose rule differs from the current plan (fast preview update).
  void install(const Plan& plan, int unit_layer, int unit);

 signals:
  void planReset();                    // new plan or new shape: views rebuild
  void unitChanged(int layer, int unit);
  void rulesChanged();                 // many rules at once (solve, undo of a solve)
  void locksChanged();
  void budgetsChanged();
  void previewChanged();

 private:
  void push(const Plan& after, const QString& text, int layer, int unit);
  Plan withPreviewTotals(Plan plan, int layer, int unit) const;

  std::optional<Plan> plan_;
  QString path_;
  ProfileDataPtr profile_;
  PlanPreview preview_;
  QUndoStack undo_;
};

}  // namespace moa::studio
