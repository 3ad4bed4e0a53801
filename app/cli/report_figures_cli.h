#pragma once
// PNG figures for eval results come from moa-studio's headless mode (QCustomPlot lives only in
// app/studio; the moa CLI stays Qt-free). Looks for the moa-studio built next to this moa.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

namespace moa::cli {

inline std::filesystem::path studio_binary() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  for (auto p : {self.parent_path() / "studio" / "moa-studio", self.parent_path() / "moa-studio"})
    if (std::filesystem::exists(p)) return p;
  return {};
}

// Returns false (and says why) when the figures could not be drawn.
inline bool report_figures_via_studio(const std::vector<std::filesystem::path>& results,
                                      const std::filesystem::path& out_dir) {
  const auto studio = studio_binary();
  if (studio.empty()) {
    std::cout << "      (no moa-studio next to moa: build it for the PNG figures)\n";
    return false;
  }
  auto quote = [](const std::string& s) {
    std::string q = "'";
    for (char c : s) {
      if (c == '\'') q.append("'\\''");
      else q.push_back(c);
    }
    q.push_back('\'');
    return q;
  };
  std::string cmd = quote(studio.string());
  cmd.append(" --report-figures ").append(quote(out_dir.string()));
  for (const auto& r : results) cmd.append(" ").append(quote(r.string()));
  cmd.append(" 2>/dev/null");
  return std::system(cmd.c_str()) == 0;
}

}  // namespace moa::cli
