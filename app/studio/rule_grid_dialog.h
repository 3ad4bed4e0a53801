#pragma once
// The solver's candidate rule grid (moa solve --alpha-step / --betas): alpha step and beta
// values, with a live count of the rules valid at every profiled length. OK stays off while
// the betas do not parse or no rule survives.
#include <QDialog>

#include <cstdint>
#include <vector>

#include "app/studio/workspace.h"

class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace moa::studio {

class RuleGridDialog : public QDialog {
  Q_OBJECT
 public:
  RuleGridDialog(const std::vector<int64_t>& lengths, const RuleGridChoice& current, QWidget* parent = nullptr);
  // What the fields say now (meaningful when they are valid, i.e. OK is enabled).
  RuleGridChoice choice() const;
  QSpinBox* alphaStepBox() const { return alpha_step_; }
  QLineEdit* betasEdit() const { return betas_; }
  QLabel* countLabel() const { return count_; }
  QDialogButtonBox* buttons() const { return buttons_; }

 private:
  void recount();
  bool parseBetas(std::vector<double>* out, QString* bad) const;

  std::vector<int64_t> lengths_;
  QSpinBox* alpha_step_;
  QLineEdit* betas_;
  QLabel* count_;
  QDialogButtonBox* buttons_;
};

}  // namespace moa::studio
