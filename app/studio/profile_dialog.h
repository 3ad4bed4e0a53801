#pragma once
// Run ▸ Profile Model: lengths, samples per length, calibration records (built-in demo
// records or a calibration jsonl), output file, resume or replace. An output file that exists
// is never replaced silently: OK asks whether to resume or replace it unless a box says which.
#include <QDialog>

#include "app/studio/workspace.h"

class QCheckBox;
class QLineEdit;
class QRadioButton;
class QSpinBox;

namespace moa::studio {

class ProfileDialog : public QDialog {
  Q_OBJECT
 public:
  ProfileDialog(const std::vector<int64_t>& lengths, const QString& out, QWidget* parent = nullptr, int samples = 4);
  // Throws moa::Error when a field does not parse.
  ProfileOptions options() const;

 public slots:
  void accept() override;

 private:
  QLineEdit* lengths_;
  QSpinBox* samples_;
  QRadioButton* demo_;
  QRadioButton* file_;
  QLineEdit* calib_;
  QLineEdit* out_;
  QCheckBox* resume_;
  QCheckBox* overwrite_;
};

}  // namespace moa::studio
