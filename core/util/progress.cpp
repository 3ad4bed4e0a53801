#include "core/util/progress.h"

namespace moa {

std::string progress_substitute(const std::string& format, const std::vector<std::string>& args) {
  std::string out;
  out.reserve(format.size() + 16 * args.size());
  for (size_t i = 0; i < format.size(); ++i) {
    const char c = format[i];
    if (c == '%' && i + 1 < format.size() && format[i + 1] >= '1' && format[i + 1] <= '9') {
      const auto k = static_cast<size_t>(format[i + 1] - '1');
      if (k < args.size()) {
        out += args[k];
        ++i;
        continue;
      }
    }
    out += c;
  }
  return out;
}

std::string ProgressText::text() const { return progress_substitute(format, args); }

}  // namespace moa
