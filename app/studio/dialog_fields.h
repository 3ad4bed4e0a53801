#pragma once
// Fields the job dialogs (Profile Model, Build Calibration Set) share: a comma-separated token
// lengths field, and a path field with its Browse… button.
#include <QString>

#include <cstdint>
#include <functional>
#include <vector>

class QDialog;
class QHBoxLayout;
class QLineEdit;
class QPushButton;

namespace moa::studio {

// "1024, 2048" -> {1024, 2048}; throws moa::Error naming a part that is not a positive multiple
// of 64, or when there is none.
std::vector<int64_t> lengths_from_text(const QString& text);
QString lengths_to_text(const std::vector<int64_t>& lengths);

// The lengths a dialog offers: the ones the user last ran (`remembered`, as lengths_to_text
// wrote them) while they parse and fit the model's context, else `fallback`.
std::vector<int64_t> lengths_remembered(const QString& remembered, int64_t context, const std::vector<int64_t>& fallback);

// At OK: runs `parse` (a dialog's options()); what it throws is shown while the dialog stays
// open, so a typo does not cost what was entered. True when the fields parse.
bool fields_parse_or_say(QDialog* dialog, const std::function<void()>& parse);

// The line edit stretched, the button beside it.
QHBoxLayout* path_row(QLineEdit* edit, QPushButton* browse);

}  // namespace moa::studio
