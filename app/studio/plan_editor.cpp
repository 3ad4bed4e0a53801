#include "app/studio/plan_editor.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QTableView>
#include <QVBoxLayout>

#include <set>

#include "app/studio/plan_table_model.h"
#include "app/studio/workspace.h"

namespace moa::studio {

PlanEditor::PlanEditor(Workspace* ws, QWidget* parent) : QWidget(parent), ws_(ws) {
  table_model_ = new PlanTableModel(ws_->plan(), this);
  summary_model_ = new PlanSummaryModel(ws_->plan(), this);
  proxy_ = new QSortFilterProxyModel(this);
  proxy_->setSourceModel(table_model_);
  proxy_->setSortRole(PlanTableModel::SortRole);

  summary_title_ = new QLabel(this);
  summary_ = new QTableView(this);
  summary_->setModel(summary_model_);
  summary_->verticalHeader()->hide();
  summary_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  summary_->setMaximumHeight(120);

  k_label_ = new QLabel(this);
  k_box_ = new QSpinBox(this);
  k_box_->setRange(0, 64);
  k_box_->setValue(2);
  lock_ = new QPushButton(this);
  unlock_ = new QPushButton(this);
  resolve_ = new QPushButton(this);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(lock_);
  buttons->addWidget(unlock_);
  buttons->addStretch(1);
  buttons->addWidget(k_label_);
  buttons->addWidget(k_box_);
  buttons->addWidget(resolve_);

  table_ = new QTableView(this);
  table_->setModel(proxy_);
  table_->setSortingEnabled(true);
  table_->sortByColumn(PlanTableModel::LayerColumn, Qt::AscendingOrder);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->verticalHeader()->hide();
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(summary_title_);
  layout->addWidget(summary_);
  layout->addLayout(buttons);
  layout->addWidget(table_, 1);
  retranslate();

  connect(lock_, &QPushButton::clicked, this, [this] { setSelectedLocked(true); });
  connect(unlock_, &QPushButton::clicked, this, [this] { setSelectedLocked(false); });
  connect(resolve_, &QPushButton::clicked, this, &PlanEditor::resolveRequested);
  connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& current) {
    if (!current.isValid() || !ws_->plan()->hasPlan()) return;
    const int layer = current.data(PlanTableModel::LayerRole).toInt();
    const int unit = current.data(PlanTableModel::UnitRole).toInt();
    const int head = unit * ws_->plan()->plan().group_size();
    if (ws_->unitOf(ws_->currentHead().head) != unit || ws_->currentHead().layer != layer)
      ws_->setCurrentHead({layer, head});
  });
  connect(ws_, &Workspace::currentHeadChanged, this, &PlanEditor::syncSelectionFromHead);
  connect(ws_->plan(), &PlanDocument::planReset, this, &PlanEditor::syncSelectionFromHead);
}

void PlanEditor::retranslate() {
  summary_title_->setText(tr("Budgets and live preview per length (edit a budget in place)"));
  k_label_->setText(tr("Max rules per layer"));
  k_box_->setToolTip(tr("K distinct rules per layer (0: no limit)"));
  lock_->setText(tr("Lock"));
  lock_->setToolTip(tr("Keep the selected heads' rules when re-solving"));
  unlock_->setText(tr("Unlock"));
  resolve_->setText(tr("Re-solve"));
  table_model_->retranslate();
  summary_model_->retranslate();
}

void PlanEditor::changeEvent(QEvent* event) {
  if (event->type() == QEvent::LanguageChange) retranslate();
  QWidget::changeEvent(event);
}

int PlanEditor::maxRulesPerLayer() const { return k_box_->value(); }

void PlanEditor::setSelectedLocked(bool locked) {
  std::set<int> rows;
  for (const QModelIndex& i : table_->selectionModel()->selectedRows()) rows.insert(proxy_->mapToSource(i).row());
  if (rows.empty() && table_->currentIndex().isValid()) rows.insert(proxy_->mapToSource(table_->currentIndex()).row());
  const int lc = table_model_->lockedColumn();
  ws_->plan()->undoStack()->beginMacro(locked ? tr("Lock heads") : tr("Unlock heads"));
  for (int row : rows)
    table_model_->setData(table_model_->index(row, lc), locked ? Qt::Checked : Qt::Unchecked, Qt::CheckStateRole);
  ws_->plan()->undoStack()->endMacro();
}

void PlanEditor::syncSelectionFromHead() {
  const HeadRef h = ws_->currentHead();
  if (!h.valid() || !ws_->plan()->hasPlan() || h.layer >= ws_->plan()->plan().num_layers) return;
  const QModelIndex src = table_model_->index(table_model_->rowOf(h.layer, ws_->unitOf(h.head)), 0);
  const QModelIndex idx = proxy_->mapFromSource(src);
  if (idx.row() == table_->currentIndex().row()) return;
  table_->setCurrentIndex(idx);
  table_->scrollTo(idx);
}

}  // namespace moa::studio
