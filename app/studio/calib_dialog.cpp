#include "app/studio/calib_dialog.h"

#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>

#include "app/studio/dialog_fields.h"
#include "app/studio/file_dialogs.h"
#include "core/util/error.h"

namespace moa::studio {

CalibDialog::CalibDialog(const std::vector<int64_t>& lengths, const QString& out, QWidget* parent) : QDialog(parent) {
  setWindowTitle(tr("Build calibration set"));
  setMinimumWidth(560);
  lengths_ = new QLineEdit(lengths_to_text(lengths), this);
  from_demo_ = new QRadioButton(tr("Demo task records, answered by the open model"), this);
  from_documents_ = new QRadioButton(tr("Documents with questions (jsonl), answered by the open model"), this);
  from_demo_->setChecked(true);
  count_ = new QSpinBox(this);
  count_->setRange(1, 100000);
  count_->setValue(4);
  documents_ = new QLineEdit(this);
  auto* browse_documents = new QPushButton(tr("Browse…"), this);
  max_new_ = new QSpinBox(this);
  max_new_->setRange(1, 4096);
  max_new_->setValue(32);
  out_ = new QLineEdit(out, this);
  auto* browse_out = new QPushButton(tr("Browse…"), this);

  auto* form = new QFormLayout(this);
  form->addRow(tr("Lengths (tokens)"), lengths_);
  form->addRow(tr("Records"), from_demo_);
  form->addRow(tr("Records per length"), count_);
  form->addRow(QString(), from_documents_);
  form->addRow(QString(), path_row(documents_, browse_documents));
  form->addRow(tr("Answer tokens (at most)"), max_new_);
  form->addRow(tr("Output"), path_row(out_, browse_out));
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
  form->addRow(buttons);
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  // Each source's own field is live only with it.
  auto follow = [this] {
    count_->setEnabled(from_demo_->isChecked());
    documents_->setEnabled(from_documents_->isChecked());
    max_new_->setEnabled(from_documents_->isChecked());
  };
  connect(from_demo_, &QRadioButton::toggled, this, follow);
  follow();
  connect(browse_documents, &QPushButton::clicked, this, [this] {
    const QString f = QFileDialog::getOpenFileName(this, tr("Documents with questions (jsonl)"), documents_->text(),
                                                   tr("JSON lines (*.jsonl);;All files (*)"));
    if (!f.isEmpty()) {
      documents_->setText(f);
      from_documents_->setChecked(true);
    }
  });
  connect(browse_out, &QPushButton::clicked, this, [this] {
    const QString f = save_file_name(this, tr("Save calibration set"), out_->text(), tr("JSON lines (*.jsonl)"));
    if (!f.isEmpty()) out_->setText(f);
  });
}

CalibOptions CalibDialog::options() const {
  CalibOptions o;
  o.lengths = lengths_from_text(lengths_->text());
  o.count = count_->value();
  o.max_new_tokens = max_new_->value();
  if (from_documents_->isChecked()) {
    if (documents_->text().trimmed().isEmpty()) throw Error("choose a documents file, or the demo task's records");
    o.input = documents_->text().trimmed();
  }
  if (out_->text().trimmed().isEmpty()) throw Error("choose an output file");
  o.out = path_with_filter_suffix(out_->text().trimmed(), tr("JSON lines (*.jsonl)"), QString());
  return o;
}

void CalibDialog::accept() {
  if (fields_parse_or_say(this, [this] { options(); })) QDialog::accept();
}

}  // namespace moa::studio
