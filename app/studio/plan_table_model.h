#pragma once
// The plan editor's table: one row per plan unit (query head or KV head). Alpha and beta
// edit in place, Locked is a check box; every edit goes through the document's undo stack
// and the density/loss columns follow from the live preview at once.
#include <QAbstractTableModel>

#include "app/studio/plan_document.h"

namespace moa::studio {

class PlanTableModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { LayerColumn, UnitColumn, AlphaColumn, BetaColumn, FirstLengthColumn };
  enum Role { LayerRole = Qt::UserRole + 1, UnitRole, SortRole };

  explicit PlanTableModel(PlanDocument* doc, QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
  Qt::ItemFlags flags(const QModelIndex& index) const override;
  bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;

  int lockedColumn() const;
  int densityColumn(size_t length_idx) const { return FirstLengthColumn + static_cast<int>(length_idx); }
  int lossColumn(size_t length_idx) const;
  int rowOf(int layer, int unit) const;
  // Header texts follow the UI language.
  void retranslate();

 signals:
  // An edit that setData refused, and why (a view drops a refused edit without a word).
  void editRefused(const QString& why);

 private:
  size_t lengthCount() const;
  static QString refusalText(const Rule& rule, const RuleCheck& check);
  PlanDocument* doc_;
};

// Per-length totals of the plan under edit: budget (editable), density, predicted loss.
class PlanSummaryModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  // Work: the plan's prefill work at that length (kept causal pairs, core plan_work_fraction).
  enum Column { LengthColumn, BudgetColumn, DensityColumn, WorkColumn, LossColumn, ColumnCount };
  explicit PlanSummaryModel(PlanDocument* doc, QObject* parent = nullptr);
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
  Qt::ItemFlags flags(const QModelIndex& index) const override;
  bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
  void retranslate();

 signals:
  // A refused budget edit, and why: for the status bar.
  void editRefused(const QString& why);

 private:
  PlanDocument* doc_;
  int rows_ = 0;
};

}  // namespace moa::studio
