#pragma once
// The core's progress messages in the user's language: the core reports an English format and
// its arguments (core/util/progress.h); the format is translated in context "CoreProgress" and
// the same arguments are filled in.
#include <QString>

#include <vector>

#include "core/util/progress.h"

namespace moa::studio {

QString core_progress_text(const moa::ProgressText& message);

// The formats listed for lupdate (the test compares them with core/util/progress_formats.h).
std::vector<const char*> core_progress_formats();

}  // namespace moa::studio
