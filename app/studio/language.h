#pragma once
// UI language at run time: installs the embedded Simplified Chinese catalogue (and Qt's own
// where the system has it) or removes it; every widget retranslates on LanguageChange.
#include <QString>

namespace moa::studio {

// "en", "zh_CN", or "" for the system locale. Returns the language now active.
QString language_apply(const QString& code);
QString language_current();

}  // namespace moa::studio
