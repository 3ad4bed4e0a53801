#include <iostream>

#include "app/cli/command.h"

namespace {
moa::cli::Register reg({"version", "print the version", "", [](const moa::cli::Args&) {
                          std::cout << "moa " << MOA_VERSION << "\n";
                          return 0;
                        }, {}});
}  // namespace
