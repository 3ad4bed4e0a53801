#include "app/studio/profile_dialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>

#include "app/studio/dialog_fields.h"
#include "core/util/error.h"

namespace moa::studio {

ProfileDialog::ProfileDialog(const std::vector<int64_t>& lengths, const QString& out, QWidget* parent, int samples)
    : QDialog(parent) {
  setWindowTitle(tr("Profile model"));
  setMinimumWidth(560);  // room for an output path
  lengths_ = new QLineEdit(lengths_to_text(lengths), this);
  samples_ = new QSpinBox(this);
  samples_->setRange(1, 10000);
  samples_->setValue(samples);
  demo_ = new QRadioButton(tr("Built-in demo records (byte vocabulary)"), this);
  file_ = new QRadioButton(tr("Calibration file (jsonl)"), this);
  demo_->setChecked(true);
  calib_ = new QLineEdit(this);
  auto* browse_calib = new QPushButton(tr("Browse…"), this);
  out_ = new QLineEdit(out, this);
  auto* browse_out = new QPushButton(tr("Browse…"), this);
  resume_ = new QCheckBox(tr("Resume a stopped run in this file"), this);
  overwrite_ = new QCheckBox(tr("Replace this file if it exists"), this);

  auto* form = new QFormLayout(this);
  form->addRow(tr("Lengths (tokens)"), lengths_);
  form->addRow(tr("Samples per length"), samples_);
  form->addRow(tr("Records"), demo_);
  form->addRow(QString(), file_);
  form->addRow(QString(), path_row(calib_, browse_calib));
  form->addRow(tr("Output"), path_row(out_, browse_out));
  form->addRow(QString(), resume_);
  form->addRow(QString(), overwrite_);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
  form->addRow(buttons);
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  // One or the other: resuming a file and replacing it exclude each other.
  connect(resume_, &QCheckBox::toggled, this, [this](bool on) {
    if (on) overwrite_->setChecked(false);
  });
  connect(overwrite_, &QCheckBox::toggled, this, [this](bool on) {
    if (on) resume_->setChecked(false);
  });
  connect(browse_calib, &QPushButton::clicked, this, [this] {
    const QString f = QFileDialog::getOpenFileName(this, tr("Calibration file"), QString(), tr("JSON lines (*.jsonl)"));
    if (!f.isEmpty()) {
      calib_->setText(f);
      file_->setChecked(true);
    }
  });
  connect(browse_out, &QPushButton::clicked, this, [this] {
    // Not the file dialog's yes/no about replacing: an existing profile may be resumed, which
    // OK asks about.
    const QString f = QFileDialog::getSaveFileName(this, tr("Profile output"), out_->text(), tr("MoA profiles (*.moaprof.h5)"),
                                                   nullptr, QFileDialog::DontConfirmOverwrite);
    if (!f.isEmpty()) out_->setText(f);
  });
}

ProfileOptions ProfileDialog::options() const {
  ProfileOptions o;
  o.lengths = lengths_from_text(lengths_->text());
  o.samples = samples_->value();
  if (file_->isChecked()) {
    if (calib_->text().isEmpty()) throw Error("choose a calibration file or the demo records");
    o.calib_file = calib_->text();
  }
  o.out = out_->text();
  o.resume = resume_->isChecked();
  o.overwrite = overwrite_->isChecked();
  return o;
}

void ProfileDialog::accept() {
  if (!fields_parse_or_say(this, [this] { options(); })) return;
  // A finished profile can be hours of work: asked here, while the dialog is still open, so
  // that choosing Cancel keeps every field as it was.
  if (!resume_->isChecked() && !overwrite_->isChecked() && QFileInfo::exists(out_->text())) {
    QMessageBox box(QMessageBox::Question, windowTitle(), tr("%1 already exists.").arg(out_->text()),
                    QMessageBox::Cancel, this);
    box.setInformativeText(tr("Resume the run in it (same model, settings and calibration records), or replace it? "
                              "Replacing loses the profile it holds."));
    QPushButton* resume = box.addButton(tr("Resume"), QMessageBox::AcceptRole);
    QPushButton* replace = box.addButton(tr("Replace"), QMessageBox::DestructiveRole);
    box.setDefaultButton(QMessageBox::Cancel);
    box.exec();
    if (box.clickedButton() == resume) resume_->setChecked(true);
    else if (box.clickedButton() == replace) overwrite_->setChecked(true);
    else return;
  }
  QDialog::accept();
}

}  // namespace moa::studio
