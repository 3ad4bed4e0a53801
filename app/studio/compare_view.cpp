#include "app/studio/compare_view.h"

#include <QComboBox>
#include <QEvent>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

#include <cmath>

#include "app/studio/workspace.h"

namespace moa::studio {

CompareView::CompareView(Workspace* ws, QWidget* parent) : QWidget(parent), ws_(ws) {
  kind_box_ = new QComboBox(this);
  kind_box_->setSizeAdjustPolicy(QComboBox::AdjustToContents);  // its items change language
  metric_box_ = new QComboBox(this);
  length_box_ = new QComboBox(this);
  open_b_ = new QPushButton(this);
  summary_ = new QLabel(this);
  auto* bar = new QHBoxLayout;
  bar->addWidget(kind_box_);
  bar->addWidget(metric_box_, 1);
  bar->addWidget(length_box_);
  bar->addWidget(open_b_);
  auto* grid = new QGridLayout;
  int col = 0;
  for (auto [mosaic, title, gradient] : {std::tuple{&a_, &title_a_, sequential_gradient()},
                                         std::tuple{&b_, &title_b_, sequential_gradient()},
                                         std::tuple{&diff_, &title_diff_, diverging_gradient()}}) {
    auto* plot = new QCustomPlot(this);
    plot->setMinimumSize(200, 180);
    *mosaic = mosaic_create(plot, gradient);
    (mosaic == &a_ ? note_a_ : mosaic == &b_ ? note_b_ : note_diff_) = empty_note_create(plot);
    *title = new QLabel(this);
    (*title)->setAlignment(Qt::AlignCenter);
    (*title)->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    grid->addWidget(*title, 0, col);
    grid->addWidget(plot, 1, col);
    ++col;
  }
  grid->setRowStretch(1, 1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addLayout(bar);
  layout->addLayout(grid, 1);
  layout->addWidget(summary_);
  retranslate();

  connect(kind_box_, &QComboBox::currentIndexChanged, this, [this](int i) {
    setKind(i == 1 ? Kind::Profiles : Kind::Plans);
  });
  connect(metric_box_, &QComboBox::currentIndexChanged, this, [this] { refresh(); });
  connect(length_box_, &QComboBox::currentIndexChanged, this, [this] { refresh(); });
  connect(open_b_, &QPushButton::clicked, this, [this] {
    if (kind_ == Kind::Plans) emit openPlanBRequested();
    else emit openProfileBRequested();
  });
  connect(ws_, &Workspace::compareChanged, this, &CompareView::refresh);
  connect(ws_->profile(), &ProfileDocument::finished, this, &CompareView::refresh);
  for (auto signal : {&PlanDocument::planReset, &PlanDocument::rulesChanged})
    connect(ws_->plan(), signal, this, &CompareView::refresh);
  connect(ws_->plan(), &PlanDocument::unitChanged, this, &CompareView::refresh);
}

void CompareView::changeEvent(QEvent* event) {
  if (event->type() == QEvent::LanguageChange) retranslate();
  QWidget::changeEvent(event);
}

void CompareView::retranslate() {
  {
    const QSignalBlocker block(kind_box_);
    kind_box_->clear();
    kind_box_->addItems({tr("Compare plans"), tr("Compare profiles")});
    kind_box_->setCurrentIndex(kind_ == Kind::Profiles ? 1 : 0);
  }
  open_b_->setText(kind_ == Kind::Plans ? tr("Open plan B…") : tr("Open profile B…"));
  {
    const QSignalBlocker block(metric_box_);
    const int keep = metric_box_->currentIndex();
    metric_box_->clear();
    const std::vector<GridMetric> metrics = kind_ == Kind::Plans
        ? std::vector<GridMetric>{GridMetric::PlanSpan, GridMetric::PlanDensity, GridMetric::PredictedLoss}
        : std::vector<GridMetric>{GridMetric::FarInfluence, GridMetric::TotalInfluence};
    for (GridMetric m : metrics) metric_box_->addItem(grid_metric_name(m), static_cast<int>(m));
    metric_box_->setCurrentIndex(keep >= 0 && keep < metric_box_->count() ? keep : 0);
  }
  refresh();
}

void CompareView::setKind(Kind kind) {
  kind_ = kind;
  metric_box_->setCurrentIndex(0);
  retranslate();
}

GridMetric CompareView::metric() const {
  return static_cast<GridMetric>(metric_box_->currentData().toInt());
}

void CompareView::refresh() {
  ProfileDataPtr profile = ws_->profile()->data();
  const Plan* plan_a = ws_->plan()->hasPlan() ? &ws_->plan()->plan() : nullptr;
  const Plan* plan_b = ws_->comparePlan() ? &*ws_->comparePlan() : nullptr;
  ProfileDataPtr profile_b = ws_->compareProfile();

  // Lengths offered: A's profile, else A's budgets.
  std::vector<int64_t> lengths;
  if (profile) lengths = profile->lengthList();
  if (lengths.empty() && plan_a)
    for (const auto& [n, b] : plan_a->budgets) lengths.push_back(n);
  {
    const QSignalBlocker block(length_box_);
    const qlonglong keep = length_box_->currentData().toLongLong();
    length_box_->clear();
    for (int64_t n : lengths) length_box_->addItem(tr("N = %1").arg(n), QVariant::fromValue<qlonglong>(n));
    const int i = length_box_->findData(QVariant::fromValue<qlonglong>(keep ? keep : ws_->currentLength()));
    length_box_->setCurrentIndex(i >= 0 ? i : 0);
  }
  const int64_t length = length_box_->currentData().toLongLong();
  const GridMetric m = metric();
  GridValues va, vb;
  QString name_a, name_b;
  if (kind_ == Kind::Plans) {
    va = grid_values(m, profile.get(), plan_a, length);
    vb = grid_values(m, profile.get(), plan_b, length);
    name_a = ws_->plan()->path().isEmpty() ? tr("current plan") : QFileInfo(ws_->plan()->path()).fileName();
    if (!ws_->plan()->undoStack()->isClean()) name_a = tr("%1 (edited)").arg(name_a);
    name_b = plan_b ? QFileInfo(ws_->comparePlanPath()).fileName() : tr("plan B (none: open one)");
  } else {
    va = grid_values(m, profile.get(), nullptr, length);
    vb = grid_values(m, profile_b.get(), nullptr, length);
    name_a = profile ? QFileInfo(QString::fromStdString(profile->path)).fileName() : tr("current profile");
    name_b = profile_b ? QFileInfo(QString::fromStdString(profile_b->path)).fileName() : tr("profile B (none: open one)");
  }
  title_a_->setText(tr("A: %1").arg(name_a));
  title_b_->setText(tr("B: %1").arg(name_b));
  title_diff_->setText(tr("A − B"));
  mosaic_fill(a_, va, grid_metric_name(m));
  mosaic_fill(b_, vb, grid_metric_name(m));
  // One colour scale for A and B: the same colour is the same value on both sides.
  if (!va.empty() && !vb.empty()) {
    const QCPRange ra = a_.map->dataRange(), rb = b_.map->dataRange();
    const QCPRange both(std::min(ra.lower, rb.lower), std::max(ra.upper, rb.upper));
    a_.map->setDataRange(both);
    b_.map->setDataRange(both);
  }
  // A panel without a map says why (and draws no axes or colour bar left from before).
  const bool b_open = kind_ == Kind::Plans ? plan_b != nullptr : profile_b != nullptr;
  const bool a_open = kind_ == Kind::Plans ? plan_a != nullptr : profile != nullptr;
  const QString at_length = tr("no data at N = %1 for this metric").arg(length);
  empty_note_set(note_a_, !va.empty() ? QString()
                          : !a_open   ? (kind_ == Kind::Plans ? tr("Solve or open a plan") : tr("Open a profile"))
                                      : tr("A has %1").arg(at_length));
  empty_note_set(note_b_, !vb.empty() ? QString()
                          : !b_open   ? (kind_ == Kind::Plans ? tr("Open plan B to compare") : tr("Open profile B to compare"))
                                      : tr("B has %1").arg(at_length));
  diff_values_ = GridValues{};
  if (!va.empty() && !vb.empty() && va.layers == vb.layers && va.heads == vb.heads) {
    diff_values_ = va;
    double sum_abs = 0.0;
    int differing = 0;
    for (size_t i = 0; i < va.values.size(); ++i) {
      diff_values_.values[i] = va.values[i] - vb.values[i];
      if (std::isfinite(diff_values_.values[i])) {
        sum_abs += std::abs(diff_values_.values[i]);
        if (diff_values_.values[i] != 0.0) ++differing;
      }
    }
    summary_->setText(tr("%1 of %2 heads differ; mean |A − B| = %3")
                          .arg(differing)
                          .arg(va.values.size())
                          .arg(sum_abs / static_cast<double>(va.values.size()), 0, 'g', 4));
  } else {
    summary_->setText(va.empty() || vb.empty() ? (a_open && b_open ? tr("No difference at N = %1: a side has no data there.").arg(length)
                                                                   : tr("Open both sides to see the difference."))
                                               : tr("A and B have different shapes: no difference map."));
  }
  mosaic_fill(diff_, diff_values_, tr("difference"), true);
  empty_note_set(note_diff_, diff_values_.empty() ? (va.empty() || vb.empty() ? tr("No difference to draw")
                                                                              : tr("A and B have different shapes"))
                                                  : QString());
  for (Mosaic* mo : {&a_, &b_, &diff_}) mo->plot->replot();
}

QString CompareView::noteA() const { return empty_note_shown(note_a_) ? note_a_->text() : QString(); }
QString CompareView::noteB() const { return empty_note_shown(note_b_) ? note_b_->text() : QString(); }
QString CompareView::noteDiff() const { return empty_note_shown(note_diff_) ? note_diff_->text() : QString(); }

}  // namespace moa::studio
