#include "app/studio/plan_table_model.h"

#include <QColor>
#include <QLocale>
#include <QStringList>

#include <cmath>

#include "app/studio/data_export.h"

namespace moa::studio {

namespace {

QVariant number(double v, int decimals) {
  if (std::isnan(v)) return QStringLiteral("–");
  return QString::number(v, 'f', decimals);
}

// Predicted losses span many orders of magnitude (a pruned head's is ~1e-30, a retrieval
// head's ~1): three significant digits instead of fixed decimals, which showed them all as 0.
QVariant loss_text(double v) {
  if (std::isnan(v)) return QStringLiteral("–");
  return QString::number(v, 'g', 3);
}

// Edited values (alpha, beta, budget) are shown and edited as text in the shortest form that
// reads back exactly, '.' as the decimal point whatever the locale (as every other number in
// these tables): a line edit, not the default double editor, a two-decimal spin box that
// would round 0.125 to 0.13 on commit.
QString exact_text(double v) { return QString::number(v, 'g', QLocale::FloatingPointShortest); }

// A typed number: '.' first, then the user's locale (a German "0,125").
bool parse_number(const QString& text, double* v) {
  bool ok = false;
  *v = text.trimmed().toDouble(&ok);
  if (!ok) *v = QLocale().toDouble(text.trimmed(), &ok);
  return ok && std::isfinite(*v);
}

}  // namespace

PlanTableModel::PlanTableModel(PlanDocument* doc, QObject* parent) : QAbstractTableModel(parent), doc_(doc) {
  connect(doc_, &PlanDocument::planReset, this, [this] {
    beginResetModel();
    endResetModel();
  });
  connect(doc_, &PlanDocument::unitChanged, this, [this](int layer, int unit) {
    const int row = rowOf(layer, unit);
    emit dataChanged(index(row, 0), index(row, columnCount() - 1));
  });
  connect(doc_, &PlanDocument::rulesChanged, this, [this] {
    if (rowCount() > 0) emit dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
  });
  connect(doc_, &PlanDocument::locksChanged, this, [this] {
    if (rowCount() > 0) emit dataChanged(index(0, lockedColumn()), index(rowCount() - 1, lockedColumn()));
  });
}

size_t PlanTableModel::lengthCount() const { return doc_->hasPlan() ? doc_->preview().lengths().size() : 0; }

int PlanTableModel::rowCount(const QModelIndex& parent) const {
  if (parent.isValid() || !doc_->hasPlan()) return 0;
  return doc_->plan().num_layers * doc_->plan().units_per_layer();
}

int PlanTableModel::columnCount(const QModelIndex& parent) const {
  if (parent.isValid()) return 0;
  return FirstLengthColumn + 2 * static_cast<int>(lengthCount()) + 1;
}

int PlanTableModel::lockedColumn() const { return FirstLengthColumn + 2 * static_cast<int>(lengthCount()); }
int PlanTableModel::lossColumn(size_t length_idx) const {
  return FirstLengthColumn + static_cast<int>(lengthCount() + length_idx);
}
int PlanTableModel::rowOf(int layer, int unit) const { return layer * doc_->plan().units_per_layer() + unit; }

QVariant PlanTableModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
  const Plan& plan = doc_->plan();
  const int units = plan.units_per_layer();
  const int layer = index.row() / units, unit = index.row() % units;
  if (role == LayerRole) return layer;
  if (role == UnitRole) return unit;
  const int col = index.column();
  const Rule& rule = plan.rules[layer][unit];
  const size_t nlen = lengthCount();
  if (col == lockedColumn()) {
    if (role == Qt::CheckStateRole) return doc_->isLocked(layer, unit) ? Qt::Checked : Qt::Unchecked;
    if (role == SortRole) return doc_->isLocked(layer, unit) ? 1 : 0;
    return {};
  }
  const bool display = role == Qt::DisplayRole || role == Qt::EditRole || role == SortRole;
  if (role == Qt::TextAlignmentRole && col >= AlphaColumn) return int(Qt::AlignRight | Qt::AlignVCenter);
  if (!display) return {};
  const bool sort = role == SortRole;
  auto rule_number = [&](double v) -> QVariant { return sort ? QVariant(v) : QVariant(exact_text(v)); };
  switch (col) {
    case LayerColumn: return layer;
    case UnitColumn: return unit;
    case AlphaColumn: return rule_number(rule.alpha);
    case BetaColumn: return rule_number(rule.beta);
    default: break;
  }
  const size_t n = static_cast<size_t>(col - FirstLengthColumn);
  if (n < nlen) {
    const double d = doc_->preview().unitDensity(layer, unit, n);
    return sort || role == Qt::EditRole ? QVariant(d) : number(d, 3);
  }
  const double loss = doc_->preview().unitLoss(layer, unit, n - nlen);
  return sort || role == Qt::EditRole ? QVariant(loss) : loss_text(loss);
}

QVariant PlanTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (role == Qt::ToolTipRole && orientation == Qt::Horizontal && (section == AlphaColumn || section == BetaColumn))
    return tr("Span = alpha + beta × N tokens. Edit a cell with one number, or with \"alpha; beta\" to set both at once");
  if ((role != Qt::DisplayRole && role != kCsvHeaderRole) || orientation != Qt::Horizontal) return {};
  if (section < 0 || section >= columnCount()) return {};
  const bool kv = doc_->hasPlan() && doc_->plan().granularity == Granularity::kv_head;
  // CSV names are the same in every language (scripts read them); display texts are translated.
  const bool csv = role == kCsvHeaderRole;
  switch (section) {
    case LayerColumn: return csv ? QStringLiteral("layer") : tr("Layer");
    case UnitColumn: return csv ? (kv ? QStringLiteral("kv_head") : QStringLiteral("head")) : (kv ? tr("KV head") : tr("Head"));
    case AlphaColumn: return csv ? QStringLiteral("alpha") : tr("Alpha");
    case BetaColumn: return csv ? QStringLiteral("beta") : tr("Beta");
    default: break;
  }
  if (section == lockedColumn()) return csv ? QStringLiteral("locked") : tr("Locked");
  const size_t nlen = lengthCount();
  const size_t n = static_cast<size_t>(section - FirstLengthColumn);
  if (n < nlen) return (csv ? QStringLiteral("density_at_%1") : tr("Density @%1")).arg(doc_->preview().lengths()[n]);
  return (csv ? QStringLiteral("loss_at_%1") : tr("Loss @%1")).arg(doc_->preview().lengths()[n - nlen]);
}

Qt::ItemFlags PlanTableModel::flags(const QModelIndex& index) const {
  if (!index.isValid()) return Qt::NoItemFlags;
  Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
  if (index.column() == AlphaColumn || index.column() == BetaColumn) f |= Qt::ItemIsEditable;
  if (index.column() == lockedColumn()) f |= Qt::ItemIsUserCheckable;
  return f;
}

bool PlanTableModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return false;
  const int units = doc_->plan().units_per_layer();
  const int layer = index.row() / units, unit = index.row() % units;
  if (index.column() == lockedColumn() && role == Qt::CheckStateRole)
    return doc_->editLocked(layer, unit, value.toInt() == Qt::Checked);
  if (role != Qt::EditRole) return false;
  if (index.column() != AlphaColumn && index.column() != BetaColumn) return false;
  // One number sets the cell's field; "alpha; beta" in either cell sets both in one step (one
  // undo), for changes that are valid only together (a larger alpha with a smaller beta). A
  // semicolon, never a comma: a comma is the decimal point in many locales ("0,1" is 0.1 there,
  // not alpha 0 and beta 1). The full-width form of Chinese input methods is taken too.
  QString text = value.toString();
  text.replace(QChar(0xFF1B), QLatin1Char(';'));
  const QStringList parts = text.split(QLatin1Char(';'));
  if (parts.size() > 2) {
    emit editRefused(tr("Enter one number, or alpha and beta as \"alpha; beta\": %1").arg(value.toString()));
    return false;
  }
  double v[2] = {0.0, 0.0};
  for (int i = 0; i < parts.size(); ++i) {
    if (!parse_number(parts[i], &v[i])) {
      emit editRefused(tr("Not a number: \"%1\"").arg(parts[i].trimmed()));
      return false;
    }
  }
  Rule rule = doc_->plan().rules[layer][unit];
  if (parts.size() == 2) rule = Rule{v[0], v[1]};
  else if (index.column() == AlphaColumn) rule.alpha = v[0];
  else rule.beta = v[0];
  // The core's rule (the one the solver's candidate grid obeys) at the lengths the plan is
  // priced at: an edit cannot make a rule the solver would never produce.
  const RuleCheck check = rule_check(rule, doc_->preview().lengths());
  if (!check.ok()) {
    QString why = refusalText(rule, check);
    if (parts.size() == 1 && (check.fault == RuleFault::span_above_length || check.fault == RuleFault::span_not_positive))
      why += tr(" (to change alpha and beta together, enter \"alpha; beta\")");
    emit editRefused(why);
    return false;
  }
  return doc_->editRule(layer, unit, rule);
}

QString PlanTableModel::refusalText(const Rule& rule, const RuleCheck& check) {
  const QString text = QString::fromStdString(rule_text(rule));
  const double span = rule_span(rule, check.length);
  switch (check.fault) {
    case RuleFault::beta_outside_unit:
      return tr("Beta is a fraction of the length, from 0 to 1 (got %1)").arg(rule.beta);
    case RuleFault::span_not_positive:
      return tr("Rule %1 spans %2 tokens at %3: alpha + beta × N must be above 0 at the shortest length")
          .arg(text).arg(span).arg(check.length);
    case RuleFault::span_above_length:
      return tr("Rule %1 spans %2 tokens at %3: alpha + beta × N must be at most N at every length")
          .arg(text).arg(span).arg(check.length);
    case RuleFault::not_finite:
    case RuleFault::none: break;
  }
  return tr("Not a number: %1").arg(text);
}

void PlanTableModel::retranslate() {
  if (columnCount() > 0) emit headerDataChanged(Qt::Horizontal, 0, columnCount() - 1);
}

PlanSummaryModel::PlanSummaryModel(PlanDocument* doc, QObject* parent) : QAbstractTableModel(parent), doc_(doc) {
  auto reset = [this] {
    const int rows = doc_->hasPlan() ? static_cast<int>(doc_->preview().lengths().size()) : 0;
    if (rows != rows_) {
      beginResetModel();
      rows_ = rows;
      endResetModel();
    } else if (rows_ > 0) {
      emit dataChanged(index(0, 0), index(rows_ - 1, ColumnCount - 1));
    }
  };
  connect(doc_, &PlanDocument::planReset, this, reset);
  connect(doc_, &PlanDocument::previewChanged, this, reset);
}

int PlanSummaryModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : rows_; }
int PlanSummaryModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant PlanSummaryModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
  const PlanPreview& preview = doc_->preview();
  const size_t n = static_cast<size_t>(index.row());
  const int64_t length = preview.lengths()[n];
  if (index.column() == DensityColumn && (role == Qt::ForegroundRole || role == Qt::ToolTipRole)) {
    // An edit (a budget lowered, a rule widened) can leave the plan above its budget until
    // the next solve: said where the density is shown.
    auto it = doc_->plan().budgets.find(length);
    if (it == doc_->plan().budgets.end() || preview.meanDensity(n) <= it->second + 1e-9) return {};
    return role == Qt::ForegroundRole ? QVariant(QColor(200, 0, 0)) : QVariant(tr("Above the budget: re-solve"));
  }
  if (index.column() == WorkColumn && role == Qt::ToolTipRole)
    return tr("Prefill work: the fraction of the causal (query, key) pairs the plan computes. It follows "
              "prefill time; the density (KV cache kept) follows memory and decode time.");
  if (role != Qt::DisplayRole && role != Qt::EditRole) return {};
  switch (index.column()) {
    case LengthColumn: return static_cast<qlonglong>(length);
    case BudgetColumn: {
      auto it = doc_->plan().budgets.find(length);
      if (it == doc_->plan().budgets.end()) return role == Qt::EditRole ? QVariant(exact_text(1.0)) : QVariant(QStringLiteral("–"));
      return role == Qt::EditRole ? QVariant(exact_text(it->second)) : number(it->second, 3);
    }
    case DensityColumn: return role == Qt::EditRole ? QVariant(preview.meanDensity(n)) : number(preview.meanDensity(n), 3);
    case WorkColumn: {
      const double work = plan_work_fraction(doc_->plan(), length);
      return role == Qt::EditRole ? QVariant(work) : number(work, 3);
    }
    case LossColumn: return role == Qt::EditRole ? QVariant(preview.totalLoss(n)) : loss_text(preview.totalLoss(n));
    default: return {};
  }
}

QVariant PlanSummaryModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (role != Qt::DisplayRole || orientation != Qt::Horizontal) return {};
  switch (section) {
    case LengthColumn: return tr("Length");
    case BudgetColumn: return tr("Budget");
    case DensityColumn: return tr("Density");
    case WorkColumn: return tr("Prefill work");
    case LossColumn: return tr("Predicted loss");
    default: return {};
  }
}

Qt::ItemFlags PlanSummaryModel::flags(const QModelIndex& index) const {
  if (!index.isValid()) return Qt::NoItemFlags;
  Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
  if (index.column() == BudgetColumn) f |= Qt::ItemIsEditable;
  return f;
}

bool PlanSummaryModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid) || role != Qt::EditRole || index.column() != BudgetColumn)
    return false;
  double b = 0.0;
  if (!parse_number(value.toString(), &b) || !(b > 0.0 && b <= 1.0)) {  // a fraction of the cache
    emit editRefused(tr("A density budget is a fraction of the KV cache, above 0 and at most 1 (got \"%1\")").arg(value.toString()));
    return false;
  }
  return doc_->editBudget(doc_->preview().lengths()[static_cast<size_t>(index.row())], b);
}

void PlanSummaryModel::retranslate() { emit headerDataChanged(Qt::Horizontal, 0, ColumnCount - 1); }

}  // namespace moa::studio
