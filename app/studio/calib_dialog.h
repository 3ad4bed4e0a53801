#pragma once
// Run ▸ Build Calibration Set: the records the profiler reads, answered by the open model
// itself (model alignment): the demo task's records (records per length) or the user's
// documents with questions (jsonl; the model writes up to N answer tokens), at the lengths
// given, into a jsonl file. The same as `moa calib build --demo --count N` / `--input F`.
#include <QDialog>

#include "app/studio/workspace.h"

class QLineEdit;
class QRadioButton;
class QSpinBox;

namespace moa::studio {

class CalibDialog : public QDialog {
  Q_OBJECT
 public:
  CalibDialog(const std::vector<int64_t>& lengths, const QString& out, QWidget* parent = nullptr);
  // Throws moa::Error when a field does not parse.
  CalibOptions options() const;
  // For tests: the fields.
  QLineEdit* lengthsEdit() const { return lengths_; }
  QLineEdit* documentsEdit() const { return documents_; }
  QRadioButton* documentsButton() const { return from_documents_; }
  QSpinBox* countBox() const { return count_; }

 public slots:
  void accept() override;

 private:
  QLineEdit* lengths_;
  QRadioButton* from_demo_;
  QRadioButton* from_documents_;
  QSpinBox* count_;
  QLineEdit* documents_;
  QSpinBox* max_new_;
  QLineEdit* out_;
};

}  // namespace moa::studio
