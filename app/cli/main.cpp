#include <iostream>

#include "app/cli/command.h"
#include "core/util/error.h"
#include "core/util/progress.h"

namespace {

void print_help() {
  std::cout << "moa — Mixture of Sparse Attention tools (version " << MOA_VERSION << ")\n\n"
            << "usage: moa <command> [options]\n\ncommands:\n";
  for (const auto& [name, cmd] : moa::cli::registry())
    std::cout << "  " << name << std::string(name.size() < 18 ? 18 - name.size() : 1, ' ') << cmd.summary << "\n";
  std::cout << "\nmoa <command> --help shows a command's options.\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    print_help();
    return argc < 2 ? 2 : 0;
  }
  std::string name = argv[1];
  std::vector<std::string> rest(argv + 2, argv + argc);
  // Two-word commands ("calib build", "bench e2e") are registered as "calib build".
  if (!rest.empty() && moa::cli::registry().count(name + " " + rest[0])) {
    name += " " + rest[0];
    rest.erase(rest.begin());
  }
  auto it = moa::cli::registry().find(name);
  if (it == moa::cli::registry().end()) {
    std::cerr << "moa: unknown command '" << name << "'\n";
    print_help();
    return 2;
  }
  const auto& cmd = it->second;
  for (const auto& a : rest) {
    if (a == "--help" || a == "-h") {
      std::cout << "usage: moa " << cmd.name << " " << cmd.usage << "\n\n" << cmd.summary << "\n";
      return 0;
    }
  }
  try {
    moa::cli::Args args(rest, cmd.flags);
    return cmd.run(args);
  } catch (const moa::Cancelled&) {
    std::cerr << "moa " << name << ": cancelled\n";
    return 130;
  } catch (const std::exception& e) {
    std::cerr << "moa " << name << ": error: " << e.what() << "\n";
    return 1;
  }
}
