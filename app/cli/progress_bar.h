#pragma once
// A one-line terminal progress bar on stderr for long jobs (moa profile, moa calib build).
#include <chrono>
#include <cstdio>
#include <string>

namespace moa::cli {

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled) {}
  // Redraws at most 10 times a second; always returns true (Ctrl-C ends the process).
  bool update(double fraction, const std::string& message) {
    if (!enabled_) return true;
    const auto now = std::chrono::steady_clock::now();
    if (drawn_ && now - last_ < std::chrono::milliseconds(100) && fraction < 1.0) return true;
    last_ = now;
    drawn_ = true;
    const int width = 30, filled = static_cast<int>(fraction * width + 0.5);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(width, '-');
    std::string msg = message.size() > 60 ? message.substr(0, 60) : message;
    std::fprintf(stderr, "\r[%s] %5.1f%% %-60s", bar.c_str(), 100.0 * fraction, msg.c_str());
    std::fflush(stderr);
    return true;
  }
  void finish() {
    if (enabled_ && drawn_) std::fprintf(stderr, "\n");
  }

 private:
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace moa::cli
