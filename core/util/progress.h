#pragma once
// Progress reporting for long jobs: fraction in [0,1] plus a message.
// The callback returns false to ask the job to stop (cooperative cancellation).
//
// A message is an English format with %1..%9 placeholders and its arguments, so that a GUI can
// translate the format (every format the core uses is listed in progress_formats.h) and fill in
// the same arguments; a terminal prints text(). Free text (no translation wanted) is the format
// "%1" with the text as its argument, which is what a plain std::string converts to.
#include <functional>
#include <string>
#include <vector>

namespace moa {

struct ProgressText {
  const char* format = "%1";  // a string literal: formats live for the whole run
  std::vector<std::string> args;

  ProgressText() = default;
  ProgressText(const char* fmt, std::vector<std::string> arguments) : format(fmt), args(std::move(arguments)) {}
  ProgressText(std::string free_text) : args{std::move(free_text)} {}  // NOLINT: implicit on purpose
  std::string text() const;
  operator std::string() const { return text(); }  // NOLINT: callbacks taking a std::string still work
};

// Replaces %1..%9 in `format` by args[0..8] in one pass (an argument's own "%2" stays as it is);
// a placeholder without an argument is left in place. Works on UTF-8 bytes.
std::string progress_substitute(const std::string& format, const std::vector<std::string>& args);

using ProgressFn = std::function<bool(double fraction, const ProgressText& message)>;

class Cancelled : public std::exception {
 public:
  const char* what() const noexcept override { return "cancelled"; }
};

// Calls fn (if set) and throws Cancelled when it asks to stop.
inline void report(const ProgressFn& fn, double fraction, const ProgressText& message) {
  if (fn && !fn(fraction, message)) throw Cancelled();
}

}  // namespace moa
