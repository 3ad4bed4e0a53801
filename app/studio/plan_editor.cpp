#include "app/studio/plan_editor.h"

#include <QCheckBox>
#include <QComboBox>
#include <QEvent>
#include <QTimer>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>
#include <set>

#include "app/studio/plan_table_model.h"
#include "app/studio/rule_grid_dialog.h"
#include "app/studio/workspace.h"
#include "core/data/demo_data.h"
#include "core/util/error.h"

namespace moa::studio {

PlanEditor::PlanEditor(Workspace* ws, QWidget* parent) : QWidget(parent), ws_(ws) {
  table_model_ = new PlanTableModel(ws_->plan(), this);
  connect(table_model_, &PlanTableModel::editRefused, this, &PlanEditor::editRefused);
  summary_model_ = new PlanSummaryModel(ws_->plan(), this);
  connect(summary_model_, &PlanSummaryModel::editRefused, this, &PlanEditor::editRefused);
  proxy_ = new QSortFilterProxyModel(this);
  proxy_->setSourceModel(table_model_);
  proxy_->setSortRole(PlanTableModel::SortRole);

  summary_title_ = new QLabel(this);
  summary_ = new QTableView(this);
  summary_->setModel(summary_model_);
  summary_->verticalHeader()->hide();
  summary_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  connect(summary_model_, &QAbstractItemModel::modelReset, this, &PlanEditor::fitSummary);
  fitSummary();

  k_label_ = new QLabel(this);
  k_box_ = new QSpinBox(this);
  k_box_->setRange(0, 64);
  k_box_->setValue(2);
  lock_ = new QPushButton(this);
  unlock_ = new QPushButton(this);
  resolve_ = new QPushButton(this);
  grid_button_ = new QPushButton(this);
  measure_ = new QCheckBox(this);
  measure_->setChecked(true);
  // Length and prompt count of the measurement: longer and more prompts are closer to the
  // real task and slower (a 2-core laptop measures 4 prompts at 8k in tens of seconds).
  accuracy_length_label_ = new QLabel(this);
  accuracy_length_ = new QComboBox(this);
  accuracy_prompts_label_ = new QLabel(this);
  accuracy_prompts_ = new QSpinBox(this);
  accuracy_prompts_->setRange(1, 64);
  accuracy_prompts_->setValue(AccuracyOptions{}.prompts);
  accuracy_ = new QLabel(this);
  accuracy_->setWordWrap(true);
  // Edits come in bursts (typing, undo runs): measure once they pause.
  accuracy_delay_ = new QTimer(this);
  accuracy_delay_->setSingleShot(true);
  accuracy_delay_->setInterval(1200);
  auto* accuracy_row = new QHBoxLayout;
  accuracy_row->addWidget(measure_);
  accuracy_row->addWidget(accuracy_length_label_);
  accuracy_row->addWidget(accuracy_length_);
  accuracy_row->addWidget(accuracy_prompts_label_);
  accuracy_row->addWidget(accuracy_prompts_);
  accuracy_row->addWidget(accuracy_, 1);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(lock_);
  buttons->addWidget(unlock_);
  buttons->addStretch(1);
  buttons->addWidget(k_label_);
  buttons->addWidget(k_box_);
  buttons->addWidget(grid_button_);
  buttons->addWidget(resolve_);

  table_ = new QTableView(this);
  table_->setModel(proxy_);
  table_->setSortingEnabled(true);
  table_->sortByColumn(PlanTableModel::LayerColumn, Qt::AscendingOrder);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->verticalHeader()->hide();
  // Columns share the pane's width (as the summary's do); the user can still resize them.
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(summary_title_);
  layout->addWidget(summary_);
  layout->addLayout(accuracy_row);
  layout->addLayout(buttons);
  layout->addWidget(table_, 1);
  retranslate();

  connect(lock_, &QPushButton::clicked, this, [this] { setSelectedLocked(true); });
  connect(unlock_, &QPushButton::clicked, this, [this] { setSelectedLocked(false); });
  connect(resolve_, &QPushButton::clicked, this, &PlanEditor::resolveRequested);
  connect(grid_button_, &QPushButton::clicked, this, [this] {
    ProfileDataPtr profile = ws_->profile()->data();
    RuleGridDialog dialog(profile ? profile->lengthList() : std::vector<int64_t>{}, grid_, this);
    if (dialog.exec() == QDialog::Accepted) setRuleGrid(dialog.choice());
  });
  // The grid is drawn from the profiled lengths: nothing to choose before a profile has one (a
  // profile still loading, or a run before its first finished length, has none yet).
  auto enable_grid = [this] {
    ProfileDataPtr profile = ws_->profile()->data();
    grid_button_->setEnabled(profile && !profile->lengthList().empty());
  };
  connect(ws_->profile(), &ProfileDocument::reset, this, enable_grid);
  connect(ws_->profile(), &ProfileDocument::lengthAdded, this, enable_grid);
  connect(ws_->profile(), &ProfileDocument::finished, this, enable_grid);
  enable_grid();
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
  // Lock, Unlock and Re-solve act on a plan: off without one.
  auto enable = [this] {
    const bool plan = ws_->plan()->hasPlan();
    for (QPushButton* b : {lock_, unlock_, resolve_}) b->setEnabled(plan);
  };
  connect(ws_->plan(), &PlanDocument::planReset, this, enable);
  enable();
  for (auto signal : {&PlanDocument::planReset, &PlanDocument::rulesChanged})
    connect(ws_->plan(), signal, this, &PlanEditor::scheduleAccuracy);
  connect(ws_->plan(), &PlanDocument::unitChanged, this, &PlanEditor::scheduleAccuracy);
  connect(ws_->model(), &ModelDocument::changed, this, &PlanEditor::scheduleAccuracy);
  connect(measure_, &QCheckBox::toggled, this, &PlanEditor::scheduleAccuracy);
  // The lengths on offer follow the profile (or the plan's budgets) and the model's context.
  connect(ws_->profile(), &ProfileDocument::finished, this, &PlanEditor::refillAccuracyLengths);
  connect(ws_->profile(), &ProfileDocument::reset, this, &PlanEditor::refillAccuracyLengths);
  connect(ws_->plan(), &PlanDocument::planReset, this, &PlanEditor::refillAccuracyLengths);
  connect(ws_->model(), &ModelDocument::changed, this, &PlanEditor::refillAccuracyLengths);
  connect(accuracy_length_, &QComboBox::activated, this, [this](int i) {
    wanted_length_ = accuracy_length_->itemData(i).toLongLong();
    scheduleAccuracy();
  });
  connect(accuracy_prompts_, &QSpinBox::valueChanged, this, &PlanEditor::scheduleAccuracy);
  refillAccuracyLengths();
  connect(accuracy_delay_, &QTimer::timeout, this, &PlanEditor::startAccuracy);
  connect(ws_, &Workspace::accuracyMeasured, this, [this](qint64 length, int correct, int total, double density) {
    accuracy_last_ = {length, correct, total, density};
    accuracy_->setText(accuracyText());
  });
  connect(ws_->accuracyJobs(), &JobTracker::finished, this, [this](quint64, JobOutcome outcome, const QString& text) {
    if (outcome == JobOutcome::Failed) accuracy_->setText(tr("Accuracy not measured: %1").arg(text));
  });
}

void PlanEditor::scheduleAccuracy() {
  if (!measure_->isChecked() || !ws_->plan()->hasPlan() || !ws_->model()->checkpoint()) {
    accuracy_delay_->stop();
    ws_->accuracyJobs()->stop();
    if (!measure_->isChecked()) accuracy_->setText(QString());
    return;
  }
  accuracy_->setText(accuracy_last_.total == 0 ? tr("Measuring retrieval accuracy…")
                                               : accuracyText() + QStringLiteral(" — ") + tr("refreshing…"));
  accuracy_delay_->start();
}

QString PlanEditor::accuracyText() const {
  const Accuracy& a = accuracy_last_;
  return tr("Measured retrieval accuracy at %1 tokens: %2 of %3 prompts (%4 %), density %5")
      .arg(a.length).arg(a.correct).arg(a.total)
      .arg(a.total ? 100.0 * a.correct / a.total : 0.0, 0, 'f', 0)
      .arg(a.density, 0, 'f', 3);
}

AccuracyOptions PlanEditor::accuracyOptions() const {
  AccuracyOptions options;
  options.length = accuracy_length_->currentIndex() >= 0 ? accuracy_length_->currentData().toLongLong() : 0;
  options.prompts = accuracy_prompts_->value();
  return options;
}

void PlanEditor::setAccuracyOptions(qint64 length, int prompts) {
  wanted_length_ = length;
  refillAccuracyLengths();
  accuracy_prompts_->setValue(prompts);
}

void PlanEditor::refillAccuracyLengths() {
  std::vector<int64_t> lengths;
  if (ProfileDataPtr p = ws_->profile()->data()) lengths = p->lengthList();
  if (lengths.empty() && ws_->plan()->hasPlan())
    for (const auto& [n, b] : ws_->plan()->plan().budgets) lengths.push_back(n);
  // The measurement runs the model on prompts of this length: never beyond its context.
  if (auto ck = ws_->model()->checkpoint())
    std::erase_if(lengths, [&](int64_t n) { return n > ck->config().max_position_embeddings; });
  // Nor below what the demo task's prompts need (its LongChat header alone is ~450 tokens): a
  // profiled 512 would only fail once measured. The check builds the prompt the measurement would.
  std::erase_if(lengths, [](int64_t n) {
    try {
      demo_eval_set({static_cast<size_t>(n)}, demo_eval_depths(1), 1, AccuracyOptions{}.seed);
      return false;
    } catch (const moa::Error&) {
      return true;
    }
  });
  const qint64 before = accuracyOptions().length;
  const QSignalBlocker block(accuracy_length_);
  accuracy_length_->clear();
  for (int64_t n : lengths) accuracy_length_->addItem(QString::number(n), QVariant::fromValue<qlonglong>(n));
  int i = accuracy_length_->findData(QVariant::fromValue<qlonglong>(wanted_length_));
  if (i < 0) i = accuracy_length_->count() - 1;  // the longest: the hardest test of a plan
  accuracy_length_->setCurrentIndex(i);
  if (accuracyOptions().length != before) scheduleAccuracy();
}

void PlanEditor::startAccuracy() {
  try {
    ws_->measureAccuracy(accuracyOptions());
  } catch (const std::exception& e) {
    accuracy_->setText(tr("Accuracy not measured: %1").arg(QString::fromStdString(e.what())));
  }
}

// As tall as its rows (up to four; more scroll): with one or two lengths the plan table below
// gets the room. Measured again on a language change: the header is taller in Chinese, and a
// fixed 120 px cap, measured once, hid the third row there.
void PlanEditor::fitSummary() {
  const int rows = std::clamp(summary_model_->rowCount(), 1, 4);
  const int h = summary_->horizontalHeader()->sizeHint().height() + 2 * summary_->frameWidth() +
                rows * summary_->verticalHeader()->defaultSectionSize();
  summary_->setMaximumHeight(h);
}

void PlanEditor::retranslate() {
  summary_title_->setText(tr("Budgets and live preview per length (edit a budget in place)"));
  k_label_->setText(tr("Max rules per layer"));
  k_box_->setToolTip(tr("K distinct rules per layer (0: no limit)"));
  lock_->setText(tr("Lock"));
  lock_->setToolTip(tr("Keep the selected heads' rules when re-solving"));
  unlock_->setText(tr("Unlock"));
  resolve_->setText(tr("Re-solve"));
  updateGridButton();
  measure_->setText(tr("Measure accuracy in the background"));
  measure_->setToolTip(tr("Retrieval accuracy of the edited plan on a few fresh prompts of the demo task, re-measured after each edit"));
  accuracy_length_label_->setText(tr("at"));
  accuracy_length_->setToolTip(tr("Prompt length in tokens (a profiled length within the model's context)"));
  accuracy_prompts_label_->setText(tr("prompts"));
  accuracy_prompts_->setToolTip(tr("Number of prompts, answers spread evenly through the context (same as moa eval --demo-length N --prompts P)"));
  table_model_->retranslate();
  summary_model_->retranslate();
  if (accuracy_last_.total > 0 && !ws_->accuracyJobs()->isRunning()) accuracy_->setText(accuracyText());
  fitSummary();
}

void PlanEditor::changeEvent(QEvent* event) {
  if (event->type() == QEvent::LanguageChange) retranslate();
  QWidget::changeEvent(event);
}

int PlanEditor::maxRulesPerLayer() const { return k_box_->value(); }
void PlanEditor::setMaxRulesPerLayer(int k) { k_box_->setValue(k); }

void PlanEditor::setRuleGrid(const RuleGridChoice& grid) {
  grid_ = grid;
  updateGridButton();
}

void PlanEditor::updateGridButton() {
  grid_button_->setText(grid_.automatic() ? tr("Rule grid…") : tr("Rule grid (custom)…"));
  QStringList betas;
  for (double b : grid_.betas) betas << QString::number(b, 'g', QLocale::FloatingPointShortest);
  const QString step = grid_.alpha_step > 0 ? tr("%1 tokens").arg(grid_.alpha_step) : tr("automatic");
  grid_button_->setToolTip(tr("Candidate rules the next solve chooses from (moa solve --alpha-step / --betas). "
                              "Alpha step: %1; betas: %2")
                               .arg(step, betas.isEmpty() ? tr("automatic") : betas.join(QStringLiteral(", "))));
}

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
