#include "app/studio/plan_document.h"

#include <QUndoCommand>

namespace moa::studio {

namespace {

// One edit as two snapshots; redo installs `after`, undo installs `before`.
class PlanSnapshotCommand : public QUndoCommand {
 public:
  PlanSnapshotCommand(PlanDocument* doc, Plan before, Plan after, const QString& text, int layer, int unit)
      : QUndoCommand(text), doc_(doc), before_(std::move(before)), after_(std::move(after)),
        layer_(layer), unit_(unit) {}
  void redo() override { doc_->install(after_, layer_, unit_); }
  void undo() override { doc_->install(before_, layer_, unit_); }

 private:
  PlanDocument* doc_;
  Plan before_, after_;
  int layer_, unit_;
};

}  // namespace

PlanDocument::PlanDocument(QObject* parent) : QObject(parent) {}

bool PlanDocument::isLocked(int layer, int unit) const {
  if (!plan_ || plan_->locked.empty()) return false;
  return plan_->locked[layer][unit];
}

void PlanDocument::setPlan(Plan plan, const QString& path) {
  undo_.clear();
  plan_ = std::move(plan);
  path_ = path;
  preview_.reset(profile_, *plan_);
  emit planReset();
  emit previewChanged();
}

void PlanDocument::clear() {
  undo_.clear();
  plan_.reset();
  path_.clear();
  emit planReset();
  emit previewChanged();
}

void PlanDocument::setProfile(ProfileDataPtr profile) {
  profile_ = std::move(profile);
  if (!plan_) return;
  preview_.reset(profile_, *plan_);
  emit planReset();
  emit previewChanged();
}

Plan PlanDocument::withPreviewTotals(Plan plan, int layer, int unit) const {
  // The stored totals follow the edit, so a saved plan file states what the preview shows.
  PlanPreview next = preview_;
  if (layer >= 0) next.updateUnit(plan, layer, unit);
  else next.reset(profile_, plan);
  for (size_t n = 0; n < next.lengths().size(); ++n) {
    const int64_t len = next.lengths()[n];
    plan.density[len] = next.meanDensity(n);
    if (next.hasLoss()) plan.predicted_loss[len] = next.totalLoss(n);
  }
  return plan;
}

void PlanDocument::push(const Plan& after, const QString& text, int layer, int unit) {
  undo_.push(new PlanSnapshotCommand(this, *plan_, after, text, layer, unit));
}

bool PlanDocument::editRule(int layer, int unit, const Rule& rule) {
  if (!plan_ || plan_->rules[layer][unit] == rule) return false;
  Plan after = *plan_;
  after.rules[layer][unit] = rule;
  push(withPreviewTotals(std::move(after), layer, unit),
       tr("Set rule of layer %1 unit %2 to %3")
           .arg(layer).arg(unit).arg(QString::fromStdString(rule_text(rule))),
       layer, unit);
  return true;
}

bool PlanDocument::editLocked(int layer, int unit, bool locked) {
  if (!plan_ || isLocked(layer, unit) == locked) return false;
  Plan after = *plan_;
  if (after.locked.empty()) {
    after.locked.resize(after.rules.size());
    for (size_t l = 0; l < after.rules.size(); ++l) after.locked[l].assign(after.rules[l].size(), false);
  }
  after.locked[layer][unit] = locked;
  push(after, locked ? tr("Lock layer %1 unit %2").arg(layer).arg(unit)
                     : tr("Unlock layer %1 unit %2").arg(layer).arg(unit),
       -1, -1);
  return true;
}

bool PlanDocument::editBudget(int64_t length, double budget) {
  if (!plan_) return false;
  auto it = plan_->budgets.find(length);
  if (it != plan_->budgets.end() && it->second == budget) return false;
  Plan after = *plan_;
  after.budgets[length] = budget;
  push(after, tr("Set budget at %1 tokens to %2").arg(length).arg(budget, 0, 'f', 3), -1, -1);
  return true;
}

void PlanDocument::applySolved(const Plan& solved, const QString& text) {
  if (!plan_) {
    setPlan(solved, QString());
    return;
  }
  push(withPreviewTotals(solved, -1, -1), text, -1, -1);
}

void PlanDocument::install(const Plan& plan, int layer, int unit) {
  const bool same_shape = plan_ && plan_->num_layers == plan.num_layers &&
                          plan_->units_per_layer() == plan.units_per_layer() &&
                          plan_->granularity == plan.granularity;
  const bool rules_changed = !same_shape || plan_->rules != plan.rules;
  const bool locks_changed = !same_shape || plan_->locked != plan.locked;
  const bool budgets_changed = !same_shape || plan_->budgets != plan.budgets;
  plan_ = plan;
  if (!same_shape) {
    preview_.reset(profile_, *plan_);
    emit planReset();
  } else if (layer >= 0) {
    preview_.updateUnit(*plan_, layer, unit);
    emit unitChanged(layer, unit);
  } else if (rules_changed) {
    preview_.reset(profile_, *plan_);
    emit rulesChanged();
  }
  if (same_shape && locks_changed) emit locksChanged();
  if (budgets_changed) emit budgetsChanged();
  emit previewChanged();
}

}  // namespace moa::studio
