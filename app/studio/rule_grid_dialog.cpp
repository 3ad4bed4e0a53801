#include "app/studio/rule_grid_dialog.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSpinBox>
#include <QStringList>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/plan/rule.h"

namespace moa::studio {

RuleGridDialog::RuleGridDialog(const std::vector<int64_t>& lengths, const RuleGridChoice& current, QWidget* parent)
    : QDialog(parent), lengths_(lengths) {
  setWindowTitle(tr("Rule grid"));
  // Without lengths (never offered by the editor, which needs a profiled length) there is no
  // automatic grid to show; recount() says why and keeps OK off.
  const RuleGridSpec automatic = lengths_.empty() ? RuleGridSpec{} : solve_grid_spec(lengths_, RuleGridChoice{});
  alpha_step_ = new QSpinBox(this);
  // Whole 64-token blocks, as spans are used; 0 shows as "automatic".
  alpha_step_->setRange(0, 1 << 16);
  alpha_step_->setSingleStep(64);
  alpha_step_->setSpecialValueText(tr("automatic (%1)").arg(automatic.alpha_step));
  alpha_step_->setSuffix(tr(" tokens"));
  alpha_step_->setValue(static_cast<int>(std::clamp(current.alpha_step, 0.0, static_cast<double>(1 << 16))));
  betas_ = new QLineEdit(this);
  QStringList shown;
  for (double b : current.betas) shown << QString::number(b, 'g', QLocale::FloatingPointShortest);
  betas_->setText(shown.join(QStringLiteral(", ")));
  QStringList defaults;
  for (double b : automatic.betas) defaults << QString::number(b, 'g', QLocale::FloatingPointShortest);
  betas_->setPlaceholderText(tr("automatic: %1").arg(defaults.join(QStringLiteral(", "))));
  count_ = new QLabel(this);
  count_->setWordWrap(true);
  buttons_ = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel | QDialogButtonBox::RestoreDefaults, this);
  buttons_->button(QDialogButtonBox::RestoreDefaults)->setText(tr("Automatic"));

  auto* form = new QFormLayout(this);
  QStringList lengths_text;
  for (int64_t n : lengths_) lengths_text << QString::number(n);
  auto* intro = new QLabel(tr("Candidate rules for the solver: span = alpha + beta × N, alpha from −%1 to %2 in steps, "
                              "each beta below; a rule is kept when it is valid at every profiled length (%3).")
                               .arg(lengths_.empty() ? 0 : *std::min_element(lengths_.begin(), lengths_.end()))
                               .arg(lengths_.empty() ? 0 : *std::max_element(lengths_.begin(), lengths_.end()))
                               .arg(lengths_text.join(QStringLiteral(", "))),
                           this);
  intro->setWordWrap(true);
  form->addRow(intro);
  form->addRow(tr("Alpha step"), alpha_step_);
  form->addRow(tr("Betas"), betas_);
  form->addRow(count_);
  form->addRow(buttons_);

  connect(alpha_step_, &QSpinBox::valueChanged, this, &RuleGridDialog::recount);
  connect(betas_, &QLineEdit::textChanged, this, &RuleGridDialog::recount);
  connect(buttons_, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons_, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(buttons_->button(QDialogButtonBox::RestoreDefaults), &QPushButton::clicked, this, [this] {
    alpha_step_->setValue(0);
    betas_->clear();
  });
  recount();
}

bool RuleGridDialog::parseBetas(std::vector<double>* out, QString* bad) const {
  out->clear();
  const QString text = betas_->text().trimmed();
  if (text.isEmpty()) return true;  // automatic
  std::set<double> unique;
  for (const QString& part : text.split(QLatin1Char(','))) {
    bool ok = false;
    const double b = part.trimmed().toDouble(&ok);
    if (!ok || !(b >= 0.0 && b <= 1.0)) {
      *bad = part.trimmed();
      return false;
    }
    unique.insert(b);
  }
  out->assign(unique.begin(), unique.end());
  return true;
}

RuleGridChoice RuleGridDialog::choice() const {
  RuleGridChoice c;
  c.alpha_step = alpha_step_->value();
  QString bad;
  parseBetas(&c.betas, &bad);
  return c;
}

void RuleGridDialog::recount() {
  QPushButton* ok = buttons_->button(QDialogButtonBox::Ok);
  std::vector<double> betas;
  QString bad;
  if (!parseBetas(&betas, &bad)) {
    count_->setText(tr("Betas are fractions of the length from 0 to 1, separated by commas: \"%1\" is not one").arg(bad));
    ok->setEnabled(false);
    return;
  }
  if (lengths_.empty()) {
    count_->setText(tr("Open a profile first: the grid depends on the profiled lengths"));
    ok->setEnabled(false);
    return;
  }
  const RuleGridSpec spec = solve_grid_spec(lengths_, choice());
  const size_t rules = rule_grid(spec, lengths_).size();
  const long long alphas = rule_grid_alpha_count(spec);
  count_->setText(rules == 0 ? tr("No rule of this grid is valid at every profiled length")
                             : tr("%1 candidate rules (of %2 alphas × %3 betas) per head; the loss table and the MILP "
                                  "grow with this number")
                                   .arg(rules).arg(alphas).arg(spec.betas.size()));
  ok->setEnabled(rules > 0);
}

}  // namespace moa::studio
