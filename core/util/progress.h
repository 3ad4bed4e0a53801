#pragma once
// Progress reporting for long jobs: fraction in [0,1] plus a message.
// The callback returns false to ask the job to stop (cooperative cancellation).
#include <functional>
#include <string>

namespace moa {

using ProgressFn = std::function<bool(double fraction, const std::string& message)>;

class Cancelled : public std::exception {
 public:
  const char* what() const noexcept override { return "cancelled"; }
};

// Calls fn (if set) and throws Cancelled when it asks to stop.
inline void report(const ProgressFn& fn, double fraction, const std::string& message) {
  if (fn && !fn(fraction, message)) throw Cancelled();
}

}  // namespace moa
