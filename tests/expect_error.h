#pragma once
// The message of the moa::Error that fn throws; a test failure when it throws none.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "core/util/error.h"

namespace moa_test {

inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const moa::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected moa::Error";
  return {};
}

}  // namespace moa_test
