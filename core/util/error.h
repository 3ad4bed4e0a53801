#pragma once
// Errors that cross core/'s boundary: always say which file and what is wrong.
#include <stdexcept>
#include <string>

namespace moa {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "<file>: <problem>" — the one format every reader uses.
[[noreturn]] void fail_file(const std::string& file, const std::string& problem);

}  // namespace moa
